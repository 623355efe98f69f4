package io.panamux.slowpath.store;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

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
    public static final long POLL_MS = PoolDocumentFollower.POLL_MS;
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
    private final PoolDocumentFollower<MuxConfig> core;

    private PoolConfigFollower(final EtcdConfigSource source, final PoolDocumentFollower<MuxConfig> core)
    {
        this.source = source;
        this.store = source.store();
        this.key = source.settings().configKey();
        this.core = core;
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
        return start(source, initial, applier, revision -> { }, log);
    }

    /**
     * Starts following the document from the one the MUX started with.
     *
     * @param source    the MUX's configuration source.
     * @param initial   what the MUX started with (already applied).
     * @param applier   applies later revisions.
     * @param onApplied told each revision as soon as it is applied (the member's applied revision in etcd).
     * @param log       takes one line per event (applied, refused, etcd lost and back).
     * @return the running follower.
     */
    public static PoolConfigFollower start(final EtcdConfigSource source, final EtcdConfigSource.Loaded initial, final Applier applier,
        final LongConsumer onApplied, final Consumer<String> log)
    {
        final PoolDocumentFollower.Loaded<MuxConfig> loaded = new PoolDocumentFollower.Loaded<>(initial.config(), initial.revision(),
            initial.readRevision(), initial.document(), initial.fromCache(), initial.problem());
        return new PoolConfigFollower(source, PoolDocumentFollower.start(source, loaded, applier::apply, onApplied, log,
            "panamux-pool-config"));
    }

    /** @return the revision of the document in force. */
    public long appliedRevision()
    {
        return core.appliedRevision();
    }

    /** @return whether etcd answered the last read. */
    public boolean storeReachable()
    {
        return core.storeReachable();
    }

    /** @return revisions refused since the start. */
    public long refusedTotal()
    {
        return core.refusedTotal();
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public Map<String, Object> configStatus()
    {
        return core.status();
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
                throw new ChangeRejectedException(503, "nothing changed: the pool's store does not answer: " + e.getMessage());
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
                throw new ChangeRejectedException(503, "the pool's store did not confirm the change (it may or may not be made; " +
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
                throw new ChangeRejectedException(503, "interrupted");
            }
        }
        throw new ChangeRejectedException(ChangeRejectedException.CONFLICT, "nothing changed: the pool document changed under this change " +
            MAX_ATTEMPTS + " times in a row (too many concurrent writers); try again");
    }

    private void awaitApplied(final long revision) throws ChangeRejectedException
    {
        final boolean applied;
        try
        {
            applied = core.awaitApplied(revision, APPLY_WAIT_MS);
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
            throw new ChangeRejectedException(503, "interrupted");
        }
        if (applied)
        {
            return;
        }
        if (core.refusedRevision() == revision)
        {
            throw new ChangeRejectedException(ChangeRejectedException.UNPROCESSABLE, "written at revision " + revision +
                " but refused here: " + String.join("; ", core.refusedErrors()));
        }
        throw new ChangeRejectedException(503, "written to the pool document at revision " + revision +
            ", but not applied here within " + APPLY_WAIT_MS + " ms (applied: " + core.appliedRevision() + ")");
    }

    /** Stops watching and polling. */
    @Override
    public void close()
    {
        core.close();
    }
}
