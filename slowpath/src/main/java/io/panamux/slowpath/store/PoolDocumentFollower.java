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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

import io.panamux.slowpath.config.ConfigException;
import io.panamux.slowpath.config.StoreSettings;
import io.panamux.slowpath.control.ChangeRejectedException;

/**
 * Keeps a running process (a MUX, a host agent) on its pool's document (ARCHITECTURE.md §7). It watches
 * {@code PREFIX/config} and, for each new revision, merges the document with the process's own file and applies
 * the result whole, or refuses it (not valid, or a change that needs a restart): a refused revision is counted
 * and its reason kept, and the last applied one stays in force. Each applied document is written to the cache
 * file, which {@link #load} falls back to when etcd does not answer at start.
 * <p>
 * A poll every {@link #POLL_MS} ms reads the key as well: it notices when etcd stops answering (and when it
 * answers again), and catches up whatever a broken watch could have missed. All the work runs on one thread,
 * so revisions are considered one at a time, in order.
 *
 * @param <C> the process's configuration.
 */
public final class PoolDocumentFollower<C> implements AutoCloseable
{
    /** How often the key is read besides the watch. */
    public static final long POLL_MS = 1000;

    /**
     * Where the document is and how a process makes its configuration of it.
     *
     * @param <C> the process's configuration.
     */
    public interface Source<C>
    {
        /** @return the etcd client. */
        EtcdStore store();

        /** @return the store section. */
        StoreSettings settings();

        /** @return the process's own file (messages). */
        String file();

        /**
         * Merges a document with the process's own file and validates the whole.
         *
         * @param document the document's text.
         * @param revision its revision, for the messages.
         * @return the configuration.
         * @throws ConfigException when it is not valid, one message per error.
         */
        C merge(String document, long revision);

        /** @return the cache file, when the store section names one. */
        default Optional<PoolCacheFile> cache()
        {
            return settings().cacheFile().map(PoolCacheFile::new);
        }

        /**
         * @param revision a document's revision.
         * @return the name its messages give: {@code etcd:KEY@REVISION}.
         */
        default String documentName(final long revision)
        {
            return "etcd:" + settings().configKey() + "@" + revision;
        }
    }

    /**
     * Applies a validated configuration to the running process, whole or not at all.
     *
     * @param <C> the process's configuration.
     */
    @FunctionalInterface
    public interface Applier<C>
    {
        /**
         * @param next the configuration.
         * @return one line per thing changed.
         * @throws ChangeRejectedException when it cannot be applied without a restart; nothing changed then.
         */
        List<String> apply(C next) throws ChangeRejectedException;
    }

    /**
     * A loaded configuration with where its document came from.
     *
     * @param config       the merged, validated configuration.
     * @param revision     the document's modification revision (0: no document in etcd yet).
     * @param readRevision the store's revision at the read (a watch from {@code readRevision + 1} misses
     *                     nothing); 0 when the document came from the cache.
     * @param document     the document's text.
     * @param fromCache    whether etcd was unreachable and the cache file gave the document.
     * @param problem      why etcd was not used, when {@code fromCache}.
     * @param <C>          the process's configuration.
     */
    public record Loaded<C>(C config, long revision, long readRevision, String document, boolean fromCache, String problem)
    {
    }

    private final Source<C> source;
    private final EtcdStore store;
    private final String key;
    private final Applier<C> applier;
    private final LongConsumer onApplied;
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

    private PoolDocumentFollower(final Source<C> source, final Loaded<C> initial, final Applier<C> applier, final LongConsumer onApplied,
        final Consumer<String> log, final String threadName)
    {
        this.source = source;
        this.store = source.store();
        this.key = source.settings().configKey();
        this.applier = applier;
        this.onApplied = onApplied;
        this.log = log;
        this.appliedRevision = initial.revision();
        this.appliedDocument = initial.document();
        this.appliedFromCache = initial.fromCache();
        this.reachable = !initial.fromCache();
        this.storeProblem = initial.problem();
        this.unreachableSinceMillis = initial.fromCache() ? System.currentTimeMillis() : 0;
        this.executor = Executors.newSingleThreadScheduledExecutor(r ->
        {
            final Thread thread = new Thread(r, threadName);
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * Reads the document from etcd (or, when etcd does not answer, the cache file) and merges it.
     *
     * @param source where the document is.
     * @param <C>    the process's configuration.
     * @return the configuration and its origin.
     * @throws ConfigException when the merge is not valid, or etcd does not answer and there is no usable cache.
     */
    public static <C> Loaded<C> load(final Source<C> source)
    {
        final EtcdStore.Read read;
        try
        {
            read = source.store().get(source.settings().configKey());
        }
        catch (final StoreUnavailableException ex)
        {
            return fromCache(source, ex.getMessage());
        }
        final String document = read.entry().map(EtcdStore.Entry::value).orElse("");
        final long revision = read.entry().map(EtcdStore.Entry::modRevision).orElse(0L);
        return new Loaded<>(source.merge(document, revision), revision, read.revision(), document, false, "");
    }

    private static <C> Loaded<C> fromCache(final Source<C> source, final String problem)
    {
        final Optional<PoolCacheFile> cache = source.cache();
        if (cache.isEmpty())
        {
            throw new ConfigException(source.file() + ": store: etcd does not answer (" + problem + ") and store.etcd.cache-file is not " +
                "set, so there is no pool document to start from");
        }
        final Optional<PoolCacheFile.Cached> cached;
        try
        {
            cached = cache.get().read(source.settings().configKey());
        }
        catch (final IOException ex)
        {
            throw new ConfigException(source.file() + ": store: etcd does not answer (" + problem + ") and the cache file cannot be used: " +
                ex.getMessage());
        }
        if (cached.isEmpty())
        {
            throw new ConfigException(source.file() + ": store: etcd does not answer (" + problem + ") and the cache file " +
                cache.get().file() + " does not exist yet (it is written when a document is applied)");
        }
        final PoolCacheFile.Cached c = cached.get();
        // The merge names the cache file too: an error in it must not read as if etcd had said it.
        final C config;
        try
        {
            config = source.merge(c.document(), c.revision());
        }
        catch (final ConfigException ex)
        {
            throw new ConfigException(ex.errors().stream().map(e -> "cache " + cache.get().file() + ": " + e).toList());
        }
        return new Loaded<>(config, c.revision(), 0, c.document(), true, problem);
    }

    /**
     * Starts following the document from the one the process started with.
     *
     * @param source     where the document is.
     * @param initial    what the process started with (already applied).
     * @param applier    applies later revisions.
     * @param onApplied  told each revision applied (on the follower's thread), e.g. to publish it.
     * @param log        takes one line per event (applied, refused, etcd lost and back).
     * @param threadName the follower thread's name.
     * @param <C>        the process's configuration.
     * @return the running follower.
     */
    public static <C> PoolDocumentFollower<C> start(final Source<C> source, final Loaded<C> initial, final Applier<C> applier,
        final LongConsumer onApplied, final Consumer<String> log, final String threadName)
    {
        final PoolDocumentFollower<C> follower = new PoolDocumentFollower<>(source, initial, applier, onApplied, log, threadName);
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

    /** @return the text of the document in force. */
    public String appliedDocument()
    {
        return appliedDocument;
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

    /** @return revisions applied since the start (the one started with not counted). */
    public long appliedTotal()
    {
        return appliedTotal;
    }

    /** @return the last revision refused, -1 when none was. */
    public long refusedRevision()
    {
        return refusedRevision;
    }

    /** @return the reasons the last refused revision was refused. */
    public List<String> refusedErrors()
    {
        return refusedErrors;
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
                log.accept("etcd unreachable: " + e.getMessage() + "; keeping revision " + appliedRevision + " until it is back");
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
        final C next;
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
            log.accept("pool document revision " + revision + " applied" + (summary.isEmpty() ? " (nothing changed)" : ": " +
                String.join("; ", summary)));
            writeCache(revision, document);
            onApplied.accept(revision);
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
        final Optional<PoolCacheFile> cache = source.cache();
        if (cache.isEmpty())
        {
            return;
        }
        try
        {
            cache.get().write(key, revision, document);
        }
        catch (final IOException e)
        {
            cacheWriteErrors++;
            log.accept("cannot write the cache file " + cache.get().file() + ": " + e.getMessage());
        }
    }

    /**
     * @return the follower's state for {@code ctl vips --json} ({@code pool_config}) and a host agent's stats:
     *         applied revision and origin, etcd reachability, refusals with their reasons.
     */
    public Map<String, Object> status()
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
     * Waits until a revision is applied here or refused, reading the key meanwhile (the watch may be slower).
     *
     * @param revision the revision.
     * @param waitMs   how long at most.
     * @return whether it was applied (false: refused, or not seen in time).
     * @throws InterruptedException when interrupted.
     */
    public boolean awaitApplied(final long revision, final long waitMs) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMs);
        while (appliedRevision < revision && refusedRevision != revision)
        {
            if (System.nanoTime() > deadline)
            {
                return false;
            }
            // Nudge: the poll would find it within a second, the watch sooner.
            final Future<?> nudge = executor.submit(this::poll);
            try
            {
                nudge.get(waitMs, TimeUnit.MILLISECONDS);
                Thread.sleep(10);
            }
            catch (final ExecutionException | TimeoutException e)
            {
                // The loop's deadline decides.
            }
        }
        return appliedRevision >= revision;
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
