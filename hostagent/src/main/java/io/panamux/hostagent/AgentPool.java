package io.panamux.hostagent;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.panamux.fastpath.snapshot.Vip;
import io.panamux.slowpath.admin.MaglevDigest;
import io.panamux.slowpath.config.ConfigException;
import io.panamux.slowpath.config.StoreSettings;
import io.panamux.slowpath.control.ChangeRejectedException;
import io.panamux.slowpath.pool.LeasedRegistration;
import io.panamux.slowpath.store.EtcdStore;
import io.panamux.slowpath.store.PoolDocumentFollower;

/**
 * A host agent of a pool kept in etcd (ARCHITECTURE.md §7): its file has a {@code store} section, and its
 * source-side selection, the pool's VIPs, hash seed and Maglev table size come from the pool's document at
 * {@code PREFIX/config}, validated as every MUX validates it ({@link HostAgentConfigLoader#loadMerged}).
 * <p>
 * The MUX's code does the rest: {@link PoolDocumentFollower} watches the key and applies each revision whole
 * through {@link HostAgent#reload} or refuses it (counted, its reason kept, the last good one stays), keeps the
 * cache file, and starts from it when etcd does not answer; {@link LeasedRegistration} holds
 * {@code PREFIX/agents/NAME} on a lease (name, addresses, applied revision).
 */
public final class AgentPool implements AutoCloseable
{
    private static final ObjectMapper JSON = new ObjectMapper();

    private final StoreSettings settings;
    private final EtcdStore store;
    private final Source source;
    private final PoolDocumentFollower.Loaded<HostAgentConfig> loaded;
    private PoolDocumentFollower<HostAgentConfig> follower;
    private LeasedRegistration registration;
    private volatile long registeredRevision;

    /** The agent's file merged with a document, as the follower asks for it. */
    private static final class Source implements PoolDocumentFollower.Source<HostAgentConfig>
    {
        private final Path file;
        private final StoreSettings settings;
        private final EtcdStore store;

        Source(final Path file, final StoreSettings settings, final EtcdStore store)
        {
            this.file = file;
            this.settings = settings;
            this.store = store;
        }

        @Override
        public EtcdStore store()
        {
            return store;
        }

        @Override
        public StoreSettings settings()
        {
            return settings;
        }

        @Override
        public String file()
        {
            return file.toString();
        }

        @Override
        public HostAgentConfig merge(final String document, final long revision)
        {
            try
            {
                return HostAgentConfigLoader.loadMerged(file, document, documentName(revision));
            }
            catch (final IllegalArgumentException e)
            {
                // The agent's own file, or its selection against this document: a refusal all the same.
                throw new ConfigException(e.getMessage());
            }
        }
    }

    private AgentPool(final Path file, final StoreSettings settings, final EtcdStore store)
    {
        this.settings = settings;
        this.store = store;
        this.source = new Source(file, settings, store);
        this.loaded = PoolDocumentFollower.load(source);
    }

    /**
     * Reads the agent's configuration: the file alone, or, with a {@code store} section, the file merged with the
     * pool document from etcd (or from the cache file when etcd does not answer).
     *
     * @param file the agent's file.
     * @return the pool, empty for an agent whose file is all of its configuration.
     * @throws IllegalArgumentException when the file, or the document it is merged with, is not valid, or etcd
     *                                  does not answer and there is no cache file to start from.
     */
    public static Optional<AgentPool> open(final Path file)
    {
        final Optional<StoreSettings> settings = HostAgentConfigLoader.storeOf(file);
        if (settings.isEmpty())
        {
            return Optional.empty();
        }
        EtcdStore.quietLogging();
        final EtcdStore store = EtcdStore.connect(settings.get());
        try
        {
            return Optional.of(new AgentPool(file, settings.get(), store));
        }
        catch (final ConfigException e)
        {
            store.close();
            throw new IllegalArgumentException(e.getMessage());
        }
    }

    /** @return the configuration to start with. */
    public HostAgentConfig initial()
    {
        return loaded.config();
    }

    /** @return one line saying where the document came from, for the log. */
    public String origin()
    {
        return "pool document " + settings.configKey() + " revision " + loaded.revision() + (loaded.fromCache()
            ? " from the cache file " + settings.cacheFile().orElseThrow() + " (etcd unreachable: " + loaded.problem() + ")" : " from " + store);
    }

    /**
     * Follows the document from here on and registers the agent.
     *
     * @param agent    the running agent: each valid revision is handed to {@link HostAgent#reload}.
     * @param counters the agent's counters ({@code reloads}, {@code reloads_refused} count document revisions too).
     */
    public synchronized void start(final HostAgent agent, final HostAgentCounters counters)
    {
        final HostAgentConfig first = loaded.config();
        registeredRevision = loaded.revision();
        registration = new LeasedRegistration(store, settings.agentsPrefix() + first.name(), value(first, registeredRevision),
            settings.leaseSeconds(), () -> { }, System.out);
        follower = PoolDocumentFollower.start(source, loaded, next ->
        {
            try
            {
                agent.reload(next);
            }
            catch (final IllegalArgumentException e)
            {
                throw new ChangeRejectedException(ChangeRejectedException.UNPROCESSABLE, e.getMessage());
            }
            counters.add(HostAgentCounters.RELOADS, 1);
            return List.of(next.vips().size() + " VIP(s) selected here, " + next.servedVips().size() + " served by the pool");
        }, revision ->
        {
            registeredRevision = revision;
            registration.value(value(first, revision));
        }, line ->
        {
            System.out.println("hostagent: " + line);
            System.out.flush();
        }, "hostagent-pool-config");
    }

    /**
     * The file read again ({@code SIGHUP}) with the document in force.
     *
     * @return the configuration.
     * @throws IllegalArgumentException when it is not valid.
     */
    public HostAgentConfig reloadFile()
    {
        final PoolDocumentFollower<HostAgentConfig> f = follower;
        final long revision = f == null ? loaded.revision() : f.appliedRevision();
        final String document = f == null ? loaded.document() : f.appliedDocument();
        try
        {
            return source.merge(document, revision);
        }
        catch (final ConfigException e)
        {
            throw new IllegalArgumentException(e.getMessage());
        }
    }

    private String value(final HostAgentConfig config, final long revision)
    {
        final ObjectNode v = JSON.createObjectNode();
        v.put("name", config.name());
        v.put("address", Prefix.format(config.address()));
        if (config.address6() != null)
        {
            v.put("address6", config.address6().toString());
        }
        v.put("revision", revision);
        return v.toString();
    }

    /**
     * @param agent the running agent.
     * @return the pool's part of the stats file: the document's follower (applied revision, etcd reachable,
     *         refusals), the registration, and each selected VIP's {@code table_digest} as {@code ctl vips --json}
     *         shows a MUX's (equal digests: every new flow gets the same backend).
     */
    public synchronized Map<String, Object> status(final HostAgent agent)
    {
        final Map<String, Object> out = new LinkedHashMap<>(follower == null ? Map.of() : follower.status());
        if (registration != null)
        {
            final Map<String, Object> reg = new LinkedHashMap<>();
            reg.put("key", registration.key());
            reg.put("registered", registration.registered());
            reg.put("lease", registration.lease());
            reg.put("revision", registeredRevision);
            reg.put("problem", registration.problem().orElse(""));
            out.put("registration", reg);
        }
        out.put("vips", digests(agent.selection()));
        return out;
    }

    /**
     * @param selection an agent's selection.
     * @return one {@code {vip, table_digest}} per selected VIP.
     */
    public static List<Map<String, Object>> digests(final HostAgent.Selection selection)
    {
        final List<Map<String, Object>> vips = new ArrayList<>();
        for (final Vip v : selection.vips())
        {
            final Map<String, Object> one = new LinkedHashMap<>();
            one.put("vip", v.text());
            one.put("table_digest", MaglevDigest.of(selection.hashSeed(), selection.tableSize(), v));
            vips.add(one);
        }
        return vips;
    }

    /** Leaves the pool (the lease revoked at once), stops following, closes the client. */
    @Override
    public synchronized void close()
    {
        if (registration != null)
        {
            registration.close();
        }
        if (follower != null)
        {
            follower.close();
        }
        store.close();
    }
}
