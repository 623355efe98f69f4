package io.panamux.slowpath.store;

import java.io.IOException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

import io.panamux.slowpath.admin.PoolAdmin;
import io.panamux.slowpath.config.ConfigException;
import io.panamux.slowpath.config.MuxConfig;
import io.panamux.slowpath.control.ChangeRejectedException;

/**
 * Keeps a running MUX on its pool's document (ARCHITECTURE.md §7). It watches {@code PREFIX/config} and, for
 * each new revision, merges the document with the MUX's file and applies the result whole through the same
 * path as {@code ctl reload}, or refuses it (not valid, or a change that needs a restart): a refused revision
 * is counted and its reason kept for {@code ctl}, and the last applied one keeps forwarding. Each applied
 * document is written to the cache file.
 * <p>
 * A poll every {@link #POLL_MS} ms reads the key as well: it notices when etcd stops answering (and when it
 * answers again), and catches up whatever a broken watch could have missed. All the work runs on one thread,
 * so revisions are considered one at a time, in order.
 * <p>
 * Writers: {@link #changeBackend} changes the document with a compare-and-swap on its revision, re-reading and
 * re-applying the change when another writer came first, so no change is lost; the result reaches every MUX,
 * this one included, through the watch.
 */
public final class PoolConfigFollower implements PoolAdmin, AutoCloseable
{
    /** How often the key is read besides the watch. */
    public static final long POLL_MS = 1000;
    /** How many times a change is re-applied over other writers' before it gives up. */
    private static final int MAX_ATTEMPTS = 64;
    /** How long a writer waits for its change to be applied here. */
    private static final long APPLY_WAIT_MS = 5000;

    /**
     * Applies a validated configuration to the running MUX, whole or not at all.
     */
    @FunctionalInterface
    public interface Applier
    {
        /**
         * @param next the configuration.
         * @return one line per VIP changed.
         * @throws ChangeRejectedException when it cannot be applied without a restart; nothing changed then.
         */
        List<String> apply(MuxConfig next) throws ChangeRejectedException;
    }

    private final EtcdConfigSource source;
    private final EtcdStore store;
    private final String key;
    private final Applier applier;
    private final Consumer<String> log;
    private final ScheduledExecutorService executor;
    private EtcdStore.Subscription watch;

    // Written on the executor thread only; read by any.
    private volatile long appliedRevision;
    private volatile String appliedDocument;
    private volatile boolean appliedFromCache;
    private volatile long appliedTotal;
    private volatile long refusedTotal;
    private volatile long refusedRevision = -1;
    private volatile List<String> refusedErrors = List.of();
    private volatile boolean reachable;
    private volatile String storeProblem = "";
    private volatile long unreachableSinceMillis;
    private volatile long unreachableTotal;
    private volatile long cacheWriteErrors;
    private volatile String watchProblem = "";

    private PoolConfigFollower(final EtcdConfigSource source, final EtcdConfigSource.Loaded initial, final Applier applier,
        final Consumer<String> log)
    {
        this.source = source;
        this.store = source.store();
        this.key = source.settings().configKey();
        this.applier = applier;
        this.log = log;
        this.appliedRevision = initial.revision();
        this.appliedDocument = initial.document();
        this.appliedFromCache = initial.fromCache();
        this.reachable = !initial.fromCache();
        this.storeProblem = initial.problem();
        this.unreachableSinceMillis = initial.fromCache() ? System.currentTimeMillis() : 0;
        this.executor = Executors.newSingleThreadScheduledExecutor(r ->
        {
            final Thread thread = new Thread(r, "panamux-pool-config");
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * Starts following the document from the one the MUX started with.
     *
     * @param source  the MUX's configuration source.
     * @param initial what the MUX started with (already applied).
     * @param applier applies later revisions.
     * @param log     takes one line per event (applied, refused, etcd lost and back).
     * @return the running follower.
     */
    public static PoolConfigFollower start(final EtcdConfigSource source, final EtcdConfigSource.Loaded initial, final Applier applier,
        final Consumer<String> log)
    {
        final PoolConfigFollower follower = new PoolConfigFollower(source, initial, applier, log);
        if (!initial.fromCache())
        {
            follower.writeCache(initial.revision(), initial.document());
        }
        final long from = Math.max(initial.readRevision(), initial.revision()) + 1;
        follower.watch = follower.store.watch(follower.key, false, from, new EtcdStore.WatchListener()
        {
            @Override
            public void onPut(final EtcdStore.Entry entry)
            {
                follower.executor.execute(() -> follower.consider(entry.value(), entry.modRevision()));
            }

            @Override
            public void onDelete(final String k, final long revision)
            {
                follower.executor.execute(() -> follower.refuse(revision, List.of(follower.source.documentName(revision) +
                    ": the pool document was deleted; the last applied revision stays in force (./panamux pool push stores one)")));
            }

            @Override
            public void onInterrupted(final String problem)
            {
                follower.watchProblem = problem;
            }
        });
        follower.executor.scheduleWithFixedDelay(follower::poll, POLL_MS, POLL_MS, TimeUnit.MILLISECONDS);
        return follower;
    }

    /** @return the revision of the document in force. */
    public long appliedRevision()
    {
        return appliedRevision;
    }

    /** @return whether etcd answered the last read. */
    public boolean storeReachable()
    {
        return reachable;
    }

    /** @return revisions refused since the start. */
    public long refusedTotal()
    {
        return refusedTotal;
    }

    private void poll()
    {
        final EtcdStore.Read read;
        try
        {
            read = store.get(key);
        }
        catch (final StoreUnavailableException e)
        {
            if (reachable)
            {
                reachable = false;
                unreachableSinceMillis = System.currentTimeMillis();
                unreachableTotal++;
                log.accept("etcd unreachable: " + e.getMessage() + "; forwarding on revision " + appliedRevision + " until it is back");
            }
            storeProblem = e.getMessage();
            return;
        }
        if (!reachable)
        {
            log.accept("etcd reachable again after " + (System.currentTimeMillis() - unreachableSinceMillis) / 1000 + " s");
            reachable = true;
            storeProblem = "";
            unreachableSinceMillis = 0;
        }
        if (read.entry().isPresent())
        {
            consider(read.entry().get().value(), read.entry().get().modRevision());
        }
    }

    /** Applies the document of {@code revision} unless it is not newer than the one in force or was refused. */
    private void consider(final String document, final long revision)
    {
        if (revision == refusedRevision)
        {
            return;
        }
        if (appliedFromCache)
        {
            if (revision == appliedRevision && document.equals(appliedDocument))
            {
                // etcd is back with the cached revision: from now on etcd is the source.
                appliedFromCache = false;
                return;
            }
            // Otherwise etcd's document is the pool's, newer or not (a restored etcd): apply it.
        }
        else if (revision <= appliedRevision)
        {
            return;
        }
        final MuxConfig next;
        try
        {
            next = source.merge(document, revision);
        }
        catch (final ConfigException e)
        {
            refuse(revision, e.errors());
            return;
        }
        try
        {
            final List<String> summary = applier.apply(next);
            appliedRevision = revision;
            appliedDocument = document;
            appliedFromCache = false;
            appliedTotal++;
            log.accept("pool document revision " + revision + " applied" + (summary.isEmpty() ? " (no VIP changed)" : ": " +
                String.join("; ", summary)));
            writeCache(revision, document);
        }
        catch (final ChangeRejectedException e)
        {
            refuse(revision, List.of(source.documentName(revision) + ": " + e.getMessage()));
        }
        catch (final RuntimeException e)
        {
            refuse(revision, List.of(source.documentName(revision) + ": not applied: " + e));
        }
    }

    private void refuse(final long revision, final List<String> errors)
    {
        if (revision == refusedRevision)
        {
            return;
        }
        refusedRevision = revision;
        refusedErrors = List.copyOf(errors);
        refusedTotal++;
        log.accept("pool document revision " + revision + " refused; revision " + appliedRevision + " stays in force:\n  " +
            String.join("\n  ", errors));
    }

    private void writeCache(final long revision, final String document)
    {
        if (source.cache().isEmpty())
        {
            return;
        }
        try
        {
            source.cache().get().write(key, revision, document);
        }
        catch (final IOException e)
        {
            cacheWriteErrors++;
            log.accept("cannot write the cache file " + source.cache().get().file() + ": " + e.getMessage());
        }
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public Map<String, Object> configStatus()
    {
        final Map<String, Object> out = new LinkedHashMap<>();
        out.put("store", store.toString());
        out.put("key", key);
        out.put("applied_revision", appliedRevision);
        out.put("applied_from", appliedFromCache ? "cache " + source.cache().map(c -> c.file().toString()).orElse("") : "etcd");
        out.put("store_reachable", reachable);
        out.put("store_problem", storeProblem);
        out.put("unreachable_since", unreachableSinceMillis == 0 ? null : Instant.ofEpochMilli(unreachableSinceMillis).toString());
        out.put("unreachable_total", unreachableTotal);
        out.put("watch_problem", watchProblem);
        out.put("applied_total", appliedTotal);
        out.put("refused_total", refusedTotal);
        out.put("cache_write_errors", cacheWriteErrors);
        if (refusedRevision >= 0)
        {
            final Map<String, Object> refused = new LinkedHashMap<>();
            refused.put("revision", refusedRevision);
            refused.put("errors", refusedErrors);
            refused.put("superseded", refusedRevision < appliedRevision);
            out.put("last_refused", refused);
        }
        return out;
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public long changeBackend(final String what, final String vip, final String address, final int weight) throws ChangeRejectedException
    {
        final PoolDocumentEdit.Kind kind;
        try
        {
            kind = PoolDocumentEdit.Kind.of(what);
        }
        catch (final IllegalArgumentException e)
        {
            throw new ChangeRejectedException(ChangeRejectedException.INVALID, "unknown change " + what);
        }
        final long written = write(kind, vip, address, weight);
        awaitApplied(written);
        return written;
    }

    private long write(final PoolDocumentEdit.Kind kind, final String vip, final String address, final int weight)
        throws ChangeRejectedException
    {
        for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++)
        {
            final EtcdStore.Read read;
            try
            {
                read = store.get(key);
            }
            catch (final StoreUnavailableException e)
            {
                throw new ChangeRejectedException(ChangeRejectedException.STORE_UNAVAILABLE, "nothing changed: the pool's store does not answer: " + e.getMessage());
            }
            final String document = read.entry().map(EtcdStore.Entry::value).orElse("");
            final long revision = read.entry().map(EtcdStore.Entry::modRevision).orElse(0L);
            final MuxConfig current;
            try
            {
                current = source.merge(document, revision);
            }
            catch (final ConfigException e)
            {
                throw new ChangeRejectedException(ChangeRejectedException.UNPROCESSABLE, "nothing changed: the pool document at revision " +
                    revision + " is not valid (fix it with ./panamux pool push):\n" + e.getMessage());
            }
            final String changed = PoolDocumentEdit.apply(document, current, kind, vip, address, weight);
            try
            {
                source.merge(changed, revision + 1);
            }
            catch (final ConfigException e)
            {
                throw new ChangeRejectedException(ChangeRejectedException.UNPROCESSABLE, "nothing changed: the result would not be valid:\n" +
                    e.getMessage());
            }
            final Optional<Long> written;
            try
            {
                written = store.putIfModRevision(key, changed, revision);
            }
            catch (final StoreUnavailableException e)
            {
                // The write may have happened: a read shows it (the edit then finds its own change on retry).
                throw new ChangeRejectedException(ChangeRejectedException.STORE_UNAVAILABLE, "the pool's store did not confirm the change (it may or may not be made; " +
                    "ctl vips shows it): " + e.getMessage());
            }
            if (written.isPresent())
            {
                return written.get();
            }
            // Another writer came first: read its document and apply this change to it.
            try
            {
                Thread.sleep(ThreadLocalRandom.current().nextInt(1, 5 + attempt));
            }
            catch (final InterruptedException e)
            {
                Thread.currentThread().interrupt();
                throw new ChangeRejectedException(ChangeRejectedException.STORE_UNAVAILABLE, "interrupted");
            }
        }
        throw new ChangeRejectedException(ChangeRejectedException.CONFLICT, "nothing changed: the pool document changed under this change " +
            MAX_ATTEMPTS + " times in a row (too many concurrent writers); try again");
    }

    private void awaitApplied(final long revision) throws ChangeRejectedException
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(APPLY_WAIT_MS);
        while (appliedRevision < revision && refusedRevision != revision)
        {
            if (System.nanoTime() > deadline)
            {
                throw new ChangeRejectedException(ChangeRejectedException.STORE_UNAVAILABLE, "written to the pool document at revision " + revision +
                    ", but not applied here within " + APPLY_WAIT_MS + " ms (applied: " + appliedRevision + ")");
            }
            // Nudge: the poll would find it within a second, the watch sooner.
            final Future<?> nudge = executor.submit(this::poll);
            try
            {
                nudge.get(APPLY_WAIT_MS, TimeUnit.MILLISECONDS);
                Thread.sleep(10);
            }
            catch (final ExecutionException | TimeoutException e)
            {
                // The loop's deadline decides.
            }
            catch (final InterruptedException e)
            {
                Thread.currentThread().interrupt();
                throw new ChangeRejectedException(ChangeRejectedException.STORE_UNAVAILABLE, "interrupted");
            }
        }
        if (refusedRevision == revision && appliedRevision < revision)
        {
            throw new ChangeRejectedException(ChangeRejectedException.UNPROCESSABLE, "written at revision " + revision +
                " but refused here: " + String.join("; ", refusedErrors));
        }
    }

    /** Stops watching and polling. */
    @Override
    public void close()
    {
        if (watch != null)
        {
            watch.close();
        }
        executor.shutdownNow();
    }
}
