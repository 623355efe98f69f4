package io.panamux.slowpath.pool;

import java.io.PrintStream;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import io.panamux.slowpath.store.EtcdStore;
import io.panamux.slowpath.store.StoreUnavailableException;

/**
 * One key of the pool held under a lease for as long as this process lives (ARCHITECTURE.md §7: a MUX's
 * {@code PREFIX/members/ADDRESS}, a host agent's {@code PREFIX/agents/NAME}): when the process dies the lease
 * ends within its time to live and etcd deletes the key, so every watcher sees it leave.
 *
 * <p>One thread of its own does every call, so nothing that waits for etcd runs on the control thread. Every
 * {@link #checkMillis()} it reads the key back (a linearizable read: a quorum's view), which tells whether etcd
 * is reachable and whether the key is still there, and runs the caller's {@code afterContact} (the membership's
 * read of every member). It (re)registers when:
 * <ul>
 *   <li>it starts, or the value changed ({@link #value(String)}: a new applied revision);</li>
 *   <li>the lease ended: the keep-alive stream reports it (etcd unreachable longer than the lease, a partition),
 *       or the key is gone or attached to an old lease of this process: a new lease is granted and the key
 *       written again with it;</li>
 * </ul>
 * etcd unreachable: the calls fail in the store's time bound, the failure is kept for {@link #problem()}, and
 * the loop tries again every half second; nothing else in the process waits for it. A key held by a lease that
 * is not this process's (two processes claiming one name) is reported, not overwritten.
 * {@link #close()} revokes the lease, so a clean stop leaves at once.
 */
public final class LeasedRegistration implements AutoCloseable
{
    /** Pause after a failed call. */
    static final long RETRY_MS = 500;

    private final EtcdStore store;
    private final String key;
    private final long ttlSeconds;
    private final Runnable afterContact;
    private final PrintStream log;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wake = lock.newCondition();
    private final Set<Long> ownLeases = new HashSet<>();
    private final Thread thread;
    // Written by the registration thread (and value() / close()), read by any thread.
    private volatile String value;
    private volatile long lease;
    private volatile boolean registered;
    private volatile boolean reachable;
    private volatile boolean leaseLost;
    private volatile String problem;
    private volatile long lastContactMs;
    private volatile long registrations;
    private volatile boolean closed;
    private AutoCloseable keepAlive;
    private String written;

    /**
     * Starts registering at once (on its own thread).
     *
     * @param store        the pool's store.
     * @param key          the key to hold.
     * @param value        its first value.
     * @param ttlSeconds   the lease's time to live.
     * @param afterContact run on the registration thread after each successful read of the key (may throw
     *                     {@link StoreUnavailableException}); e.g. the members' read.
     * @param log          where registrations and losses are logged.
     */
    public LeasedRegistration(final EtcdStore store, final String key, final String value, final int ttlSeconds, final Runnable afterContact,
        final PrintStream log)
    {
        this.store = store;
        this.key = key;
        this.value = value;
        this.ttlSeconds = ttlSeconds;
        this.afterContact = afterContact;
        this.log = log;
        this.thread = new Thread(this::run, "panamux-pool-lease");
        thread.setDaemon(true);
        thread.start();
    }

    /** @return how often the key is read back: a third of the lease, at most a second. */
    public long checkMillis()
    {
        return Math.min(1000, ttlSeconds * 1000 / 3);
    }

    /** Changes the value (written at once, under the current lease). Any thread. */
    public void value(final String next)
    {
        value = next;
        signal();
    }

    /** @return the key held. */
    public String key()
    {
        return key;
    }

    /** @return whether the key is in etcd under this process's lease, as of the last contact. */
    public boolean registered()
    {
        return registered;
    }

    /** @return whether the last call to etcd succeeded. */
    public boolean reachable()
    {
        return reachable;
    }

    /** @return the current lease id (0 before the first grant). */
    public long lease()
    {
        return lease;
    }

    /** @return what went wrong last (etcd unreachable, lease lost, key held by another), empty when all is well. */
    public Optional<String> problem()
    {
        return Optional.ofNullable(problem);
    }

    /** @return the wall-clock time of the last successful call, 0 before any. */
    public long lastContactMs()
    {
        return lastContactMs;
    }

    /** @return how many times the key was written with a new lease (1 after the first registration). */
    public long registrations()
    {
        return registrations;
    }

    private void signal()
    {
        lock.lock();
        try
        {
            wake.signalAll();
        }
        finally
        {
            lock.unlock();
        }
    }

    private void run()
    {
        while (!closed)
        {
            long pauseMs = checkMillis();
            try
            {
                step();
                reachable = true;
                lastContactMs = System.currentTimeMillis();
                if (problem != null && !problem.startsWith("key "))
                {
                    log.println("panamux: pool: etcd reachable again: " + key + " registered with lease " + Long.toHexString(lease));
                    problem = null;
                }
            }
            catch (final StoreUnavailableException e)
            {
                if (reachable || problem == null)
                {
                    log.println("panamux: pool: etcd unreachable, forwarding on what is known: " + e.getMessage());
                }
                reachable = false;
                problem = "etcd unreachable: " + e.getMessage();
                pauseMs = RETRY_MS;
            }
            catch (final RuntimeException e)
            {
                reachable = false;
                problem = e.toString();
                pauseMs = RETRY_MS;
            }
            pause(pauseMs);
        }
    }

    /** One round: (re)register if needed, read the key back, run {@code afterContact}. */
    private void step()
    {
        if (lease == 0 || leaseLost)
        {
            grant();
        }
        final String now = value;
        if (!now.equals(written))
        {
            store.put(key, now, lease);
            written = now;
        }
        final EtcdStore.Read read = store.get(key);
        final Optional<EtcdStore.Entry> entry = read.entry();
        if (entry.isEmpty() || entry.get().lease() != lease)
        {
            if (entry.isPresent() && !ownLeases.contains(entry.get().lease()))
            {
                registered = false;
                final String why = "key " + key + " is held by lease " + Long.toHexString(entry.get().lease()) +
                    ", not this process's: another process uses the same name or address";
                if (!why.equals(problem))
                {
                    log.println("panamux: pool: " + why);
                }
                problem = why;
                afterContact.run();
                return;
            }
            // Gone with an expired lease (a partition longer than it), or still on an old lease of ours.
            registered = false;
            if (lease != 0)
            {
                log.println("panamux: pool: " + key + " " + (entry.isEmpty() ? "was deleted (lease expired)" : "is on an old lease") +
                    ": registering again");
            }
            grant();
            store.put(key, value, lease);
            written = value;
        }
        else if (!entry.get().value().equals(value))
        {
            store.put(key, value, lease);
            written = value;
        }
        registered = true;
        if (problem != null && problem.startsWith("key "))
        {
            problem = null;
        }
        afterContact.run();
    }

    private void grant()
    {
        closeKeepAlive();
        leaseLost = false;
        final long id = store.grantLease(ttlSeconds);
        ownLeases.add(id);
        lease = id;
        written = null;
        registrations++;
        keepAlive = store.keepAlive(id, why ->
        {
            // The stream's thread: the registration thread grants a new lease on its next round.
            if (id == lease)
            {
                leaseLost = true;
                registered = false;
                problem = why;
                signal();
            }
        });
        store.put(key, value, id);
        written = value;
        log.println("panamux: pool: registered " + key + " with lease " + Long.toHexString(id) + " (" + ttlSeconds + " s)");
    }

    private void closeKeepAlive()
    {
        if (keepAlive != null)
        {
            try
            {
                keepAlive.close();
            }
            catch (final Exception e)
            {
                // A broken stream has nothing left to release.
            }
            keepAlive = null;
        }
    }

    private void pause(final long ms)
    {
        lock.lock();
        try
        {
            if (!closed && !leaseLost && value.equals(written))
            {
                wake.await(ms, TimeUnit.MILLISECONDS);
            }
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
            closed = true;
        }
        finally
        {
            lock.unlock();
        }
    }

    /** Stops registering and revokes the lease (the key goes at once), within the store's time bound. */
    @Override
    public void close()
    {
        closed = true;
        signal();
        try
        {
            thread.join(store.callTimeout().toMillis() * 3);
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
        }
        closeKeepAlive();
        if (lease != 0)
        {
            try
            {
                store.revokeLease(lease);
            }
            catch (final StoreUnavailableException e)
            {
                // Unreachable: the key goes when the lease expires.
            }
        }
    }
}
