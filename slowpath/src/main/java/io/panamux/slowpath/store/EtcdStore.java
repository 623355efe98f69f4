package io.panamux.slowpath.store;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

import javax.net.ssl.SSLException;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.panamux.slowpath.config.StoreSettings;

/**
 * The few etcd operations the pool needs (ARCHITECTURE.md §7), over jetcd, each bounded in time: a read with
 * its revisions, a compare-and-swap put on a key's modification revision, a watch of one key or a prefix from
 * a revision that survives lost connections, and leases. Keys and values are UTF-8 text; keys are absolute
 * (the caller adds the pool's prefix, {@link StoreSettings#configKey()}).
 * <p>
 * jetcd's gRPC channel reconnects by itself, to any endpoint: a call made while no member answers fails with
 * {@link StoreUnavailableException} after {@link #callTimeout()}, and the next call tries again. Thread-safe.
 * <p>
 * A watch that survives broken streams is a {@link ResumingWatch}, a lease kept alive a {@link ResumingKeepAlive};
 * both move to the new client when {@link #reconnect} replaces it.
 */
public final class EtcdStore implements AutoCloseable
{
    /** How long a single call may take before it counts as "etcd unreachable". */
    public static final Duration DEFAULT_CALL_TIMEOUT = Duration.ofSeconds(3);
    /** How often, at most, a client that gets no answer is replaced by a new one. */
    private static final long REBUILD_INTERVAL_NS = TimeUnit.SECONDS.toNanos(2);

    private final ClientBuilder builder;
    private volatile Client client;
    private long rebuiltAtNs = System.nanoTime();
    private final java.util.Set<ResumingWatch> watches = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final java.util.Set<ResumingKeepAlive> keepAlives = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final Duration callTimeout;
    private final String description;
    private final ScheduledExecutorService rewatch;
    private volatile boolean closed;

    private EtcdStore(final ClientBuilder builder, final Duration callTimeout, final String description)
    {
        this.builder = builder;
        this.client = builder.build();
        this.callTimeout = callTimeout;
        this.description = description;
        this.rewatch = Executors.newSingleThreadScheduledExecutor(r ->
        {
            final Thread thread = new Thread(r, "etcd-rewatch");
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * Opens a client; connects lazily, so it succeeds while etcd is down (the first call then fails in time).
     *
     * @param settings the {@code store.etcd} section.
     * @return the store.
     * @throws StoreUnavailableException when the TLS files cannot be read.
     */
    public static EtcdStore connect(final StoreSettings settings)
    {
        return connect(settings, DEFAULT_CALL_TIMEOUT);
    }

    /**
     * @param settings    the {@code store.etcd} section.
     * @param callTimeout the bound of every call.
     * @return the store.
     * @throws StoreUnavailableException when the TLS files cannot be read.
     */
    public static EtcdStore connect(final StoreSettings settings, final Duration callTimeout)
    {
        final ClientBuilder builder = Client.builder()
            .endpoints(settings.endpoints().toArray(new URI[0]))
            .connectTimeout(Duration.ofMillis(Math.min(callTimeout.toMillis(), 2000)))
            // Dead connections are noticed by gRPC pings, not only when a call fails (etcd refuses pings more
            // often than its --grpc-keepalive-min-time, 5 s by default).
            .keepaliveTime(Duration.ofSeconds(10))
            .keepaliveTimeout(Duration.ofSeconds(3))
            .keepaliveWithoutCalls(true)
            // jetcd retries unavailable calls itself; its retries stay within one call's bound.
            .retryDelay(100)
            .retryMaxDelay(500)
            .retryChronoUnit(java.time.temporal.ChronoUnit.MILLIS)
            .retryMaxDuration(callTimeout)
            .waitForReady(false)
            // Calls go to any member that is connected: with gRPC's default (pick_first), the call after the
            // connected member died waited its whole bound (measured: 3 s) before the channel moved on.
            .loadBalancerPolicy("round_robin");
        if (settings.username().isPresent())
        {
            builder.user(bytes(settings.username().get())).password(bytes(settings.password().orElse("")));
        }
        if (settings.tls().isPresent())
        {
            final StoreSettings.Tls tls = settings.tls().get();
            try
            {
                builder.sslContext(ssl ->
                {
                    ssl.trustManager(tls.ca().toFile());
                    if (tls.cert().isPresent() && tls.key().isPresent())
                    {
                        ssl.keyManager(tls.cert().get().toFile(), tls.key().get().toFile());
                    }
                });
            }
            catch (final SSLException | RuntimeException ex)
            {
                throw new StoreUnavailableException("etcd TLS: cannot use " + tls + ": " + ex.getMessage(), ex);
            }
        }
        return new EtcdStore(builder, callTimeout, "etcd " + settings.endpoints());
    }

    /**
     * Keeps the client's libraries quiet in a daemon's output: SLF4J without a provider (jetcd, Vert.x) would
     * print three warnings, and gRPC logs its transport choice at INFO. Their warnings and errors still show.
     * Call before the first {@link #connect}.
     */
    public static void quietLogging()
    {
        if (System.getProperty("slf4j.provider") == null)
        {
            System.setProperty("slf4j.provider", "org.slf4j.helpers.NOP_FallbackServiceProvider");
        }
        if (System.getProperty("slf4j.internal.verbosity") == null)
        {
            // Else SLF4J says "Attempting to load provider ..." on stderr, which a daemon's log shows as an error line.
            System.setProperty("slf4j.internal.verbosity", "WARN");
        }
        GRPC_LOGGER.setLevel(java.util.logging.Level.WARNING);
    }

    /** Held so the level set on it stays (java.util.logging keeps loggers weakly). */
    private static final java.util.logging.Logger GRPC_LOGGER = java.util.logging.Logger.getLogger("io.grpc");

    /** @return the bound of every call. */
    public Duration callTimeout()
    {
        return callTimeout;
    }

    /**
     * A key's value with its revisions.
     *
     * @param key         the key.
     * @param value       the value (UTF-8).
     * @param modRevision the revision of its last change: what a compare-and-swap compares.
     * @param lease       the lease it is attached to, 0 for none.
     */
    public record Entry(String key, String value, long modRevision, long lease)
    {
        /**
         * Rejects nulls.
         */
        public Entry
        {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value");
        }
    }

    /**
     * A read: the value (if any) and the store's revision at the time of the read (watch from
     * {@code revision + 1} to see every later change).
     *
     * @param entry    the key's value, empty when the key does not exist.
     * @param revision the store's revision when it was read.
     */
    public record Read(Optional<Entry> entry, long revision)
    {
    }

    /**
     * Reads one key (linearizable: a quorum's view, never a partitioned member's stale one).
     *
     * @param key the key.
     * @return the value and the revision.
     * @throws StoreUnavailableException when no quorum answers in time.
     */
    public Read get(final String key)
    {
        final GetResponse response = await(client.getKVClient().get(bytes(key)), "read " + key);
        final Optional<Entry> entry = response.getKvs().isEmpty() ? Optional.empty() : Optional.of(entry(response.getKvs().get(0)));
        return new Read(entry, response.getHeader().getRevision());
    }

    /**
     * Reads every key under a prefix, in key order.
     *
     * @param prefix the prefix, e.g. {@code /panamux/pools/a/members/}.
     * @return the entries and the revision.
     * @throws StoreUnavailableException when no quorum answers in time.
     */
    public PrefixRead getPrefix(final String prefix)
    {
        final GetResponse response = await(client.getKVClient().get(bytes(prefix),
            GetOption.builder().isPrefix(true).withSortField(GetOption.SortTarget.KEY).build()), "read " + prefix + "*");
        final List<Entry> entries = new ArrayList<>();
        for (final KeyValue kv : response.getKvs())
        {
            entries.add(entry(kv));
        }
        return new PrefixRead(List.copyOf(entries), response.getHeader().getRevision());
    }

    /**
     * A read of a prefix.
     *
     * @param entries  the keys under it, in key order.
     * @param revision the store's revision when it was read.
     */
    public record PrefixRead(List<Entry> entries, long revision)
    {
    }

    /**
     * Writes {@code key} only if its modification revision is still {@code expectedModRevision}: the
     * compare-and-swap of every writer of the pool document.
     *
     * @param key                 the key.
     * @param value               the new value.
     * @param expectedModRevision the revision the writer read, 0 for "the key must not exist".
     * @return the revision of the write, or empty when the key changed in between (read again and retry).
     * @throws StoreUnavailableException when no quorum answers in time (the write may or may not have happened:
     *                                   read again).
     */
    public Optional<Long> putIfModRevision(final String key, final String value, final long expectedModRevision)
    {
        final ByteSequence k = bytes(key);
        final TxnResponse response = await(client.getKVClient().txn()
            .If(new Cmp(k, Cmp.Op.EQUAL, CmpTarget.modRevision(expectedModRevision)))
            .Then(Op.put(k, bytes(value), PutOption.DEFAULT))
            .commit(), "compare-and-swap " + key);
        return response.isSucceeded() ? Optional.of(response.getHeader().getRevision()) : Optional.empty();
    }

    /**
     * Writes a key unconditionally, optionally attached to a lease (it disappears with the lease).
     *
     * @param key   the key.
     * @param value the value.
     * @param lease the lease id, 0 for none.
     * @return the revision of the write.
     * @throws StoreUnavailableException when no quorum answers in time.
     */
    public long put(final String key, final String value, final long lease)
    {
        final PutOption option = lease == 0 ? PutOption.DEFAULT : PutOption.builder().withLeaseId(lease).build();
        return await(client.getKVClient().put(bytes(key), bytes(value), option), "write " + key).getHeader().getRevision();
    }

    /**
     * Deletes a key (nothing when it does not exist).
     *
     * @param key the key.
     * @return the revision after the delete.
     * @throws StoreUnavailableException when no quorum answers in time.
     */
    public long delete(final String key)
    {
        return await(client.getKVClient().delete(bytes(key), DeleteOption.DEFAULT), "delete " + key).getHeader().getRevision();
    }

    /** A running watch or keep-alive; closing it stops it. */
    public interface Subscription extends AutoCloseable
    {
        /** Stops it; never fails. */
        @Override
        void close();
    }

    /**
     * What a watch reports: every change of the watched keys after its start revision, in revision order.
     */
    public interface WatchListener
    {
        /**
         * A key was written.
         *
         * @param entry the new value with its modification revision.
         */
        void onPut(Entry entry);

        /**
         * A key was deleted (or its lease ended).
         *
         * @param key      the key.
         * @param revision the revision of the delete.
         */
        void onDelete(String key, long revision);

        /**
         * The watch broke (etcd unreachable) or was restarted; changes made meanwhile arrive when it is back.
         * Called from jetcd's threads; may be called repeatedly.
         *
         * @param problem what happened.
         */
        default void onInterrupted(final String problem)
        {
        }

        /**
         * The revisions since the last reported one are compacted away: the caller must read the key afresh
         * (the watch goes on from the current revision).
         *
         * @param compactedRevision the oldest revision etcd still has.
         */
        default void onCompacted(final long compactedRevision)
        {
        }
    }

    /**
     * Watches one key ({@code prefix == false}) or every key under it, from {@code fromRevision}. A watch that
     * breaks is opened again from the revision after the last one it reported, so no change is lost or
     * reported twice while etcd keeps its history.
     *
     * @param key          the key or prefix.
     * @param prefix       whether {@code key} is a prefix.
     * @param fromRevision the first revision to report (a read's revision + 1).
     * @param listener     gets the changes, on jetcd's threads, one at a time.
     * @return closes the watch.
     */
    public Subscription watch(final String key, final boolean prefix, final long fromRevision, final WatchListener listener)
    {
        final ResumingWatch watch = new ResumingWatch(this, key, prefix, listener);
        watches.add(watch);
        watch.open(fromRevision);
        return watch;
    }

    /**
     * Grants a lease.
     *
     * @param ttlSeconds its time to live.
     * @return its id.
     * @throws StoreUnavailableException when no quorum answers in time.
     */
    public long grantLease(final long ttlSeconds)
    {
        return await(client.getLeaseClient().grant(ttlSeconds), "grant a lease").getID();
    }

    /**
     * Keeps a lease alive until the returned handle is closed (jetcd sends a keep-alive every third of its
     * time to live). When the lease expires anyway (etcd unreachable longer than it), {@code onExpired} runs
     * and the caller grants a new one.
     *
     * @param lease     the lease id.
     * @param onExpired called once when the lease is gone or the keep-alive stream fails for good.
     * @return stops the keep-alives (the lease then ends after its time to live; {@link #revokeLease} ends it
     *         at once).
     */
    public Subscription keepAlive(final long lease, final Consumer<String> onExpired)
    {
        final ResumingKeepAlive keepAlive = new ResumingKeepAlive(this, lease, onExpired);
        keepAlives.add(keepAlive);
        keepAlive.restart();
        return keepAlive;
    }

    /**
     * Ends a lease now: every key attached to it is deleted.
     *
     * @param lease the lease id.
     * @throws StoreUnavailableException when no quorum answers in time.
     */
    public void revokeLease(final long lease)
    {
        await(client.getLeaseClient().revoke(lease), "revoke a lease");
    }

    /** Closes the client and every watch. */
    @Override
    public void close()
    {
        closed = true;
        rewatch.shutdownNow();
        client.close();
    }

    /** @return the client in use now (replaced by {@link #reconnect}); for the watches and keep-alives. */
    Client client()
    {
        return client;
    }

    /** @return whether {@link #close} was called: no watch opens again. */
    boolean isClosed()
    {
        return closed;
    }

    /** @return where broken watches are scheduled to open again (shut down by {@link #close}). */
    ScheduledExecutorService rewatch()
    {
        return rewatch;
    }

    /** A watch that was closed: no longer moved to a new client. */
    void forget(final ResumingWatch watch)
    {
        watches.remove(watch);
    }

    /** A keep-alive that was stopped: no longer moved to a new client. */
    void forget(final ResumingKeepAlive keepAlive)
    {
        keepAlives.remove(keepAlive);
    }

    /** @return the endpoints, for logs. */
    @Override
    public String toString()
    {
        return description;
    }

    private <T> T await(final CompletableFuture<T> future, final String what)
    {
        try
        {
            return future.get(callTimeout.toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (final TimeoutException ex)
        {
            future.cancel(true);
            reconnect();
            throw new StoreUnavailableException(description + ": " + what + ": no answer in " + callTimeout.toMillis() + " ms", null);
        }
        catch (final ExecutionException ex)
        {
            reconnect();
            throw new StoreUnavailableException(description + ": " + what + ": " + describe(ex.getCause()), ex.getCause());
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new StoreUnavailableException(description + ": " + what + ": interrupted", ex);
        }
    }

    /**
     * Replaces the client after a failed call, at most every {@link #REBUILD_INTERVAL_NS}: gRPC waits longer and
     * longer between attempts to reach members that did not answer (measured: still no connection 10 s after a
     * 30 s outage ended), and a new channel connects at once. Watches and keep-alives move to the new client.
     */
    private void reconnect()
    {
        final Client old;
        synchronized (this)
        {
            if (closed || System.nanoTime() - rebuiltAtNs < REBUILD_INTERVAL_NS)
            {
                return;
            }
            rebuiltAtNs = System.nanoTime();
            old = client;
            client = builder.build();
        }
        for (final ResumingWatch w : watches)
        {
            w.restart();
        }
        for (final ResumingKeepAlive k : keepAlives)
        {
            k.restart();
        }
        old.close();
    }

    static String describe(final Throwable error)
    {
        Throwable t = error;
        while (t.getCause() != null && t.getMessage() == null)
        {
            t = t.getCause();
        }
        final String message = t.getMessage();
        return message == null ? t.getClass().getSimpleName() : message;
    }

    static Entry entry(final KeyValue kv)
    {
        return new Entry(kv.getKey().toString(StandardCharsets.UTF_8), kv.getValue().toString(StandardCharsets.UTF_8),
            kv.getModRevision(), kv.getLease());
    }

    static ByteSequence bytes(final String text)
    {
        return ByteSequence.from(text, StandardCharsets.UTF_8);
    }
}
