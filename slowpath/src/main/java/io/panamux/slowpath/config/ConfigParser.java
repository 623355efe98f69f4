package io.panamux.slowpath.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import io.panamux.common.config.ConfigProblems;
import io.panamux.common.config.ConfigSection;
import io.panamux.common.config.NodeReader;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * One validation of one composed YAML tree (see {@link ConfigLoader} for the rules). Every check reports to
 * the problems and carries on, so a file shows all its mistakes at once; a section's record is built only
 * when that section had no error, and checks that span sections run only on values that parsed.
 * <p>
 * Each section has its reader ({@link MuxReader}, {@link DataplaneReader}, {@link VipsReader},
 * {@link HealthCheckReader}, {@link AdminReader}, {@link PeersReader}, {@link RouterReader},
 * {@link StoreReader}), which declares its keys once; {@link #KEYS} gathers them by path for the key table
 * of {@link ConfigLoader}'s Javadoc, which a test checks against them. This class holds what spans sections.
 */
final class ConfigParser
{
    static final List<String> TOP_KEYS = List.of("mux", "dataplane", "vips", "admin", "peers", "router", "store");
    /** The keys of every mapping of the file by its path ({@code []} for the items of a list). */
    static final Map<String, List<String>> KEYS = keysByPath();
    /** The pool-wide keys of a MUX's file and their names in the pool document (ARCHITECTURE.md §7). */
    private static final Map<String, String> POOL_WIDE_KEYS = Map.of(
        "mux.pool", "the members' leases", "mux.hash-seed", "pool.hash-seed", "dataplane.maglev-table-size", "pool.maglev-table-size",
        "peers.key", "pool.peers-key");
    private static final List<String> DOCUMENT_KEYS = List.of("vips", "pool");
    private static final List<String> DOCUMENT_POOL_KEYS = List.of("hash-seed", "maglev-table-size", "peers-key", "gue-port");

    private final ConfigProblems problems;
    private final NodeReader reader;
    private final ConfigContext context;

    ConfigParser(final String fileName, final MachineLimits limits)
    {
        this(fileName, limits, Set.of(), null);
    }

    /**
     * A parser of a MUX's file merged with its pool's document: every node of {@code documentNodes} came from
     * the document, so messages about it name {@code documentName} and the document's key.
     */
    ConfigParser(final String fileName, final MachineLimits limits, final Set<Node> documentNodes, final String documentName)
    {
        this.problems = new ConfigProblems(fileName, documentNodes, documentName, ConfigParser::documentPath,
            path -> path.startsWith("vips") || path.startsWith("pool"));
        this.reader = new NodeReader(problems);
        this.context = new ConfigContext(problems, limits, fileName, documentName != null);
    }

    private static Map<String, List<String>> keysByPath()
    {
        final Map<String, List<String>> keys = new LinkedHashMap<>();
        keys.put("", TOP_KEYS);
        keys.put("mux", MuxReader.KEYS);
        keys.put("dataplane", DataplaneReader.KEYS);
        keys.put("dataplane.flow-table", DataplaneReader.FLOW_TABLE_KEYS);
        keys.put("vips[]", VipsReader.VIP_KEYS);
        keys.put("vips[].backends[]", VipsReader.BACKEND_KEYS);
        keys.put("vips[].health-check", HealthCheckReader.KEYS);
        keys.put("admin", AdminReader.KEYS);
        keys.put("peers", PeersReader.KEYS);
        keys.put("router", RouterReader.KEYS);
        keys.put("router.bgp", RouterReader.BGP_KEYS);
        keys.put("router.bgp.neighbors[]", RouterReader.NEIGHBOR_KEYS);
        keys.put("router.bgp.bfd", RouterReader.BFD_KEYS);
        keys.put("store", StoreReader.KEYS);
        keys.put("store.etcd", StoreReader.ETCD_KEYS);
        keys.put("store.etcd.tls", StoreReader.TLS_KEYS);
        return Map.copyOf(keys);
    }

    /** A pool-wide key the merge took from the document is named as the document names it. */
    private static String documentPath(final String path)
    {
        final String wide = POOL_WIDE_KEYS.get(path);
        return wide != null && wide.startsWith("pool.") ? wide : path;
    }

    /**
     * Parses a MUX's file merged with its pool's document (ARCHITECTURE.md §7): the document's {@code vips}
     * become the file's, and its {@code pool.hash-seed}, {@code pool.maglev-table-size} and
     * {@code pool.peers-key} become {@code mux.hash-seed}, {@code dataplane.maglev-table-size} and
     * {@code peers.key}; then the whole is validated as one file. Every node of the document must be in this
     * parser's document nodes.
     *
     * @param local    the MUX's file, composed.
     * @param document the document, composed; null when it is empty.
     */
    MuxConfig parseMerged(final Node local, final Node document)
    {
        final ConfigSection top = document == null ? new ConfigSection("", 1, Map.of()) : reader.section(document, "", 1, DOCUMENT_KEYS);
        final ConfigSection pool = top == null ? null : reader.childSection(top, "pool", false, DOCUMENT_POOL_KEYS);
        if (top == null || (top.value("pool") != null && pool == null))
        {
            // The document is not even a mapping of its sections: that is all there is to say.
            throw new ConfigException(problems.errors());
        }
        if (!(local instanceof MappingNode localMap))
        {
            // The file is no mapping: its own message.
            return parse(local);
        }

        // A VIP without gue-port gets the document's pool.gue-port, never this node's dataplane.gue-port: the same
        // document puts the same UDP port on the wire from every MUX, and the host agents expect that one.
        context.documentGuePort = pool == null ? Integer.valueOf(Dataplane.DEFAULT_GUE_PORT)
            : reader.integer(pool, "gue-port", false, Dataplane.DEFAULT_GUE_PORT, 1, 65535);
        final List<NodeTuple> tuples = new ArrayList<>();
        for (final NodeTuple tuple : localMap.getValue())
        {
            final String key = tuple.getKeyNode() instanceof ScalarNode k ? k.getValue() : "";
            final Node value = tuple.getValueNode();
            final Node mergedValue = switch (key)
            {
                case "mux" -> withEntry(value, pool, "hash-seed", "hash-seed");
                case "dataplane" -> withEntry(value, pool, "maglev-table-size", "maglev-table-size");
                case "peers" -> withEntry(value, pool, "peers-key", "key");
                default -> value;
            };
            tuples.add(new NodeTuple(tuple.getKeyNode(), mergedValue));
        }
        if (pool != null && pool.entries().containsKey("peers-key") && tuples.stream().noneMatch(t -> t.getKeyNode() instanceof ScalarNode k
            && "peers".equals(k.getValue())))
        {
            // No peers section to take the pool's key, but the pool's seed derives from it on every node (HashSeed.forPool).
            context.documentPeersKey = pool.entries().get("peers-key").getValueNode();
        }
        // A file with vips of its own is refused (refusePoolWideKeys): one message, not a duplicate key besides.
        if (top.entries().containsKey("vips") && tuples.stream().noneMatch(t -> t.getKeyNode() instanceof ScalarNode k &&
            "vips".equals(k.getValue())))
        {
            tuples.add(top.entries().get("vips"));
        }
        return parse(new MappingNode(localMap.getTag(), tuples, localMap.getFlowStyle()));
    }

    /**
     * Validates only the {@code store} section of a mapping that holds nothing else.
     *
     * @return the settings, empty when there is no store section.
     * @throws ConfigException when it is not valid.
     */
    Optional<StoreSettings> storeOnly(final Node root)
    {
        final ConfigSection top = reader.section(root, "", 1, TOP_KEYS);
        final Optional<StoreSettings> store = top == null ? null : StoreReader.read(reader, top);
        if (problems.hasErrors() || store == null)
        {
            throw new ConfigException(problems.errors());
        }
        return store;
    }

    /**
     * @return the file's section {@code value} with the document's {@code pool.documentKey} added as
     *         {@code fileKey}; the section itself when the document has no such key or the section is no mapping.
     */
    private Node withEntry(final Node value, final ConfigSection pool, final String documentKey, final String fileKey)
    {
        final NodeTuple entry = pool == null ? null : pool.entries().get(documentKey);
        if (entry == null || !(value instanceof MappingNode mapping))
        {
            return value;
        }
        final List<NodeTuple> tuples = new ArrayList<>(mapping.getValue());
        final Node keyNode = entry.getKeyNode();
        // The file's name for the key, at the document's place (so a message names the document).
        final ScalarNode renamed = new ScalarNode(Tag.STR, fileKey, keyNode.getStartMark(), keyNode.getEndMark(),
            DumperOptions.ScalarStyle.PLAIN);
        problems.addDocumentNode(renamed);
        tuples.add(new NodeTuple(renamed, entry.getValueNode()));
        return new MappingNode(mapping.getTag(), tuples, mapping.getFlowStyle());
    }

    MuxConfig parse(final Node root)
    {
        final ConfigSection top = reader.section(root, "", 1, TOP_KEYS);
        if (top == null)
        {
            throw new ConfigException(problems.errors());
        }

        final Mux mux = MuxReader.read(context, top);
        final Dataplane dataplane = DataplaneReader.read(context, top);
        if (context.documentGuePort != null)
        {
            context.globalGuePort = context.documentGuePort;
        }
        final List<VipConfig> vips = VipsReader.read(context, top);
        if (dataplane != null && vips != null)
        {
            checkMaglevMemory(vips.size());
        }
        final Admin admin = AdminReader.read(reader, top);
        final Optional<Peers> peers = PeersReader.read(context, top);
        final Optional<BgpSettings> bgp = RouterReader.read(context, top);
        final Optional<StoreSettings> store = StoreReader.read(reader, top);
        final byte[] poolKey = peers != null && peers.isPresent() ? peers.get().key()
            : context.documentPeersKey == null ? null : PeersReader.key(context, context.documentPeersKey, "pool.peers-key");
        if (store != null && store.isPresent())
        {
            refusePoolWideKeys(top);
            warnUnusedGuePort(top);
        }

        if (problems.hasErrors())
        {
            throw new ConfigException(problems.errors());
        }
        return new MuxConfig(HashSeed.forPool(mux, poolKey), dataplane, vips, admin, peers, bgp, store, problems.warnings());
    }

    /**
     * With a store, the pool-wide settings come from the pool's document: the same key in this MUX's own file
     * would be a second, silently ignored source, so it is refused.
     */
    private void refusePoolWideKeys(final ConfigSection top)
    {
        final Node vips = top.value("vips");
        if (vips != null && !problems.fromDocument(vips))
        {
            reader.error(top.entries().get("vips").getKeyNode(), "vips", "not allowed with store: the pool's VIPs are in its document " +
                "in etcd (PREFIX/config; ./panamux pool push)");
        }
        for (final Map.Entry<String, String> wide : POOL_WIDE_KEYS.entrySet())
        {
            final String[] parts = wide.getKey().split("\\.");
            final Node parent = top.value(parts[0]);
            if (!(parent instanceof MappingNode mapping))
            {
                continue;
            }
            for (final NodeTuple tuple : mapping.getValue())
            {
                if (tuple.getKeyNode() instanceof ScalarNode key && parts[1].equals(key.getValue()) &&
                    !problems.fromDocument(tuple.getValueNode()))
                {
                    reader.error(key, wide.getKey(), "not allowed with store: the pool's " + parts[1] + " comes from " +
                        (wide.getValue().startsWith("pool.") ? "its document in etcd (" + wide.getValue() + ")" : wide.getValue()));
                }
            }
        }
    }

    /**
     * With a store, a MUX sends each VIP's GUE to the VIP's {@code gue-port}, else the document's {@code pool.gue-port}
     * (so that every MUX of the pool puts the same port on the wire): the file's {@code dataplane.gue-port} then changes
     * nothing, and an operator who set it expecting otherwise is told so at start.
     */
    private void warnUnusedGuePort(final ConfigSection top)
    {
        if (!(top.value("dataplane") instanceof MappingNode dataplane))
        {
            return;
        }
        for (final NodeTuple tuple : dataplane.getValue())
        {
            if (tuple.getKeyNode() instanceof ScalarNode key && "gue-port".equals(key.getValue()))
            {
                reader.warning(key, "dataplane.gue-port", "changes no VIP with store: GUE goes to each VIP's gue-port, " +
                    "else the pool document's pool.gue-port (default " + Dataplane.DEFAULT_GUE_PORT + ")");
            }
        }
    }

    /**
     * Every VIP's Maglev table is an {@code int[]} on the heap; during a stateful phase the previous one is
     * kept beside it, and a new one is built while both are: at most two per VIP and one more.
     */
    private void checkMaglevMemory(final int vipCount)
    {
        final Integer maglevTableSize = context.maglevTableSize;
        if (maglevTableSize == null || vipCount == 0)
        {
            return;
        }
        final long bytes = 4L * maglevTableSize * (2L * vipCount + 1);
        // Half the heap: the rest is the snapshots, the admin API, the peers' state and the collector's room.
        final long allowed = context.limits.heapBytes() / 2;
        if (bytes > allowed)
        {
            final String problem = "Maglev tables of " + maglevTableSize + " entries for " + vipCount + " VIP(s) take up to " +
                MachineLimits.describe(bytes) + " of Java heap (4 bytes an entry, two tables a VIP during a change, one more being " +
                "built), more than half the heap this JVM can have (" + MachineLimits.describe(context.limits.heapBytes()) +
                "; -Xmx in JAVA_OPTS gives more)";
            if (context.maglevTableSizeNode != null)
            {
                reader.error(context.maglevTableSizeNode, "dataplane.maglev-table-size", problem);
            }
            else
            {
                problems.error(context.dataplaneLine, "dataplane.maglev-table-size", problem);
            }
        }
    }
}
