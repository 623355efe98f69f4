package io.panamux.slowpath.store;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

import io.panamux.slowpath.config.ConfigException;
import io.panamux.slowpath.config.ConfigLoader;
import io.panamux.slowpath.config.ConfigSource;
import io.panamux.slowpath.config.MuxConfig;
import io.panamux.slowpath.config.StoreSettings;

/**
 * Configurations of a MUX whose pool is in etcd (ARCHITECTURE.md §7): its own file (node-local settings and
 * the {@code store} section) merged with the pool document at {@code PREFIX/config}, validated together
 * exactly as one file is ({@link ConfigLoader#loadMerged}). When etcd does not answer, the document comes from
 * the cache file, if there is one.
 * <p>
 * Every {@link #load()} reads both afresh, so {@code ctl reload} and the first start are the same call; the
 * running MUX follows later revisions through {@link PoolConfigFollower}.
 */
public final class EtcdConfigSource implements ConfigSource, PoolDocumentFollower.Source<MuxConfig>
{
    private final Path file;
    private final StoreSettings settings;
    private final EtcdStore store;
    private final Optional<PoolCacheFile> cache;

    /**
     * @param file     the MUX's own file, with its {@code store} section.
     * @param settings that section.
     * @param store    the client of the pool's etcd.
     */
    public EtcdConfigSource(final Path file, final StoreSettings settings, final EtcdStore store)
    {
        this.file = Objects.requireNonNull(file, "file");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.store = Objects.requireNonNull(store, "store");
        this.cache = settings.cacheFile().map(PoolCacheFile::new);
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
     */
    public record Loaded(MuxConfig config, long revision, long readRevision, String document, boolean fromCache, String problem)
    {
    }

    /** @return the MUX's own file. */
    public Path path()
    {
        return file;
    }

    /** {@inheritDoc} */
    @Override
    public String file()
    {
        return file.toString();
    }

    /** @return the store section. */
    @Override
    public StoreSettings settings()
    {
        return settings;
    }

    /** @return the etcd client. */
    @Override
    public EtcdStore store()
    {
        return store;
    }

    /** @return the cache file, when the store section names one. */
    @Override
    public Optional<PoolCacheFile> cache()
    {
        return cache;
    }

    /**
     * The name a document's messages give: {@code etcd:KEY@REVISION}.
     *
     * @param revision the document's revision.
     * @return the name.
     */
    @Override
    public String documentName(final long revision)
    {
        return "etcd:" + settings.configKey() + "@" + revision;
    }

    /**
     * Merges a document of a given revision with the MUX's file (as it is now) and validates the whole.
     *
     * @param document the document's text.
     * @param revision its revision, for the messages.
     * @return the configuration.
     * @throws ConfigException when it is not valid.
     */
    @Override
    public MuxConfig merge(final String document, final long revision)
    {
        return ConfigLoader.loadMerged(file, document, documentName(revision));
    }

    /**
     * Reads the document from etcd (or, when etcd does not answer, the cache file) and merges it.
     *
     * @return the configuration and its origin.
     * @throws ConfigException when the merge is not valid, or etcd does not answer and there is no usable cache.
     */
    public Loaded loadVersioned()
    {
        final PoolDocumentFollower.Loaded<MuxConfig> l = PoolDocumentFollower.load(this);
        return new Loaded(l.config(), l.revision(), l.readRevision(), l.document(), l.fromCache(), l.problem());
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public MuxConfig load()
    {
        return loadVersioned().config();
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public String description()
    {
        return "file " + file + " with the pool document " + settings.configKey() + " in " + store;
    }

    /** @return {@link #description()}. */
    @Override
    public String toString()
    {
        return description();
    }
}
