package io.panamux.slowpath.config;

import java.math.BigInteger;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

import io.panamux.flow.FlowTable;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * One validation of one composed YAML tree (see {@link ConfigLoader} for the rules). Every check reports to
 * the error list and carries on, so a file shows all its mistakes at once; a section's record is built only
 * when that section had no error, and checks that span sections run only on values that parsed.
 */
final class ConfigParser
{
    private static final List<String> TOP_KEYS = List.of("mux", "dataplane", "vips", "admin", "peers", "router", "store");
    private static final List<String> MUX_KEYS = List.of("name", "address", "address6", "pool", "hash-seed");
    private static final List<String> DATAPLANE_KEYS = List.of(
        "eal", "port", "workers", "gateway-mac", "gateway", "flow-table", "maglev-table-size", "mtu", "burst-size", "gue-port");
    private static final List<String> FLOW_TABLE_KEYS = List.of("capacity", "idle-timeout-seconds", "new-flows-per-second");
    private static final List<String> VIP_KEYS = List.of(
        "address", "port", "protocol", "encapsulation", "flow-tracking", "gue-port", "backends", "health-check");
    private static final List<String> HEALTH_CHECK_KEYS = List.of(
        "type", "port", "path", "expect-status", "interval-ms", "timeout-ms", "rise", "fall", "hold-down-ms");
    private static final List<String> BACKEND_KEYS = List.of("address", "weight", "drain");
    private static final List<String> ADMIN_KEYS = List.of("listen", "token");
    private static final List<String> PEERS_KEYS = List.of("listen", "key", "endpoints", "query-timeout-ms", "max-queries-in-flight",
        "learned-batch-interval-ms", "max-learned-flows", "max-message-age-ms");
    private static final List<String> ROUTER_KEYS = List.of("bgp");
    private static final List<String> BGP_KEYS = List.of("local-as", "router-id", "neighbors", "hold-seconds", "run-directory", "bird",
        "birdc", "next-hop6", "bfd");
    private static final List<String> BFD_KEYS = List.of("interval-ms", "multiplier");
    private static final List<String> NEIGHBOR_KEYS = List.of("address", "as");
    private static final List<String> STORE_KEYS = List.of("etcd");
    private static final List<String> ETCD_KEYS = List.of("endpoints", "prefix", "lease-seconds", "cache-file", "tls", "username",
        "password");
    private static final List<String> TLS_KEYS = List.of("ca", "cert", "key");
    /** The pool-wide keys of a MUX's file and their names in the pool document (ARCHITECTURE.md §7). */
    private static final Map<String, String> POOL_WIDE_KEYS = Map.of(
        "mux.pool", "the members' leases", "mux.hash-seed", "pool.hash-seed", "dataplane.maglev-table-size", "pool.maglev-table-size",
        "peers.key", "pool.peers-key");
    private static final List<String> DOCUMENT_KEYS = List.of("vips", "pool");
    private static final List<String> DOCUMENT_POOL_KEYS = List.of("hash-seed", "maglev-table-size", "peers-key");
    private static final Pattern PREFIX = Pattern.compile("/[A-Za-z0-9._~/-]*[A-Za-z0-9._~-]");
    private static final Pattern HEX_KEY = Pattern.compile("([0-9a-fA-F]{2})+");

    private static final Pattern DECIMAL = Pattern.compile("[-+]?(0|[1-9][0-9]*)");
    private static final Pattern HEX = Pattern.compile("0[xX][0-9a-fA-F]+");
    private static final Pattern LEADING_ZERO = Pattern.compile("[-+]?0[0-9]+");
    private static final Pattern MAC = Pattern.compile("[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}");
    private static final Pattern LISTEN_PORT = Pattern.compile("0|[1-9][0-9]{0,4}");
    private static final BigInteger MAX_UNSIGNED_64 = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);
    private static final int MAX_QUOTED = 60;
    /** Maglev spreads flows within about 1% when its table is at least this many times the backend count. */
    private static final int MAGLEV_RECOMMENDED_FACTOR = 100;
    private static final int DOCUMENT_ORDER = 1 << 28;

    private enum Family
    {
        IPV4("an IPv4 address"),
        IPV6("an IPv6 address"),
        ANY("an IPv4 or IPv6 address");

        private final String description;

        Family(final String description)
        {
            this.description = description;
        }
    }

    private record Problem(int line, String text)
    {
    }

    /**
     * A mapping whose keys were checked: the values by key, the path for messages and the line to blame for
     * a key that is missing (the line of the key that holds the mapping).
     */
    private record Section(String path, int line, Map<String, NodeTuple> entries)
    {
        Node value(final String key)
        {
            final NodeTuple tuple = entries.get(key);
            return tuple == null ? null : tuple.getValueNode();
        }

        int keyLine(final String key)
        {
            return ConfigParser.line(entries.get(key).getKeyNode());
        }

        String child(final String key)
        {
            return path.isEmpty() ? key : path + "." + key;
        }
    }

    private final String fileName;
    /** With a store: the nodes that came from the pool document, and the name its messages give. */
    private final Set<Node> documentNodes;
    private final String documentName;
    private final boolean merged;
    private final List<Problem> errors = new ArrayList<>();
    private final List<Problem> warnings = new ArrayList<>();

    // Values other sections check against; null when absent or not valid.
    private IpAddress muxAddress;
    private List<IpAddress> muxPool;
    private int muxPoolLine = 1;
    private IpAddress muxAddress6;
    private boolean address6Failed;
    private Integer maglevTableSize;
    private Node maglevTableSizeNode;
    private int dataplaneLine = 1;
    private Integer workerCount;
    private final MachineLimits limits;
    private int globalGuePort = Dataplane.DEFAULT_GUE_PORT;

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
        this.fileName = fileName;
        this.limits = limits;
        final Set<Node> identity = Collections.newSetFromMap(new IdentityHashMap<>());
        identity.addAll(documentNodes);
        this.documentNodes = identity;
        this.documentName = documentName == null ? fileName : documentName;
        this.merged = documentName != null;
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
        final Section top = document == null ? new Section("", 1, Map.of()) : section(document, "", 1, DOCUMENT_KEYS);
        final Section pool = top == null ? null : childSection(top, "pool", false, DOCUMENT_POOL_KEYS);
        if (top == null || (top.value("pool") != null && pool == null))
        {
            // The document is not even a mapping of its sections: that is all there is to say.
            throw new ConfigException(sorted(errors));
        }
        if (!(local instanceof MappingNode localMap))
        {
            // The file is no mapping: its own message.
            return parse(local);
        }

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
        final Section top = section(root, "", 1, TOP_KEYS);
        final Optional<StoreSettings> store = top == null ? null : store(top);
        if (!errors.isEmpty() || store == null)
        {
            throw new ConfigException(sorted(errors));
        }
        return store;
    }

    /**
     * @return the file's section {@code value} with the document's {@code pool.documentKey} added as
     *         {@code fileKey}; the section itself when the document has no such key or the section is no mapping.
     */
    private Node withEntry(final Node value, final Section pool, final String documentKey, final String fileKey)
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
        documentNodes.add(renamed);
        tuples.add(new NodeTuple(renamed, entry.getValueNode()));
        return new MappingNode(mapping.getTag(), tuples, mapping.getFlowStyle());
    }

    MuxConfig parse(final Node root)
    {
        final Section top = section(root, "", 1, TOP_KEYS);
        if (top == null)
        {
            throw new ConfigException(sorted(errors));
        }

        final Mux mux = mux(top);
        final Dataplane dataplane = dataplane(top);
        final List<VipConfig> vips = vips(top);
        if (dataplane != null && vips != null)
        {
            checkMaglevMemory(vips.size());
        }
        final Admin admin = admin(top);
        final Optional<Peers> peers = peers(top);
        final Optional<BgpSettings> bgp = router(top);
        final Optional<StoreSettings> store = store(top);
        if (store != null && store.isPresent())
        {
            refusePoolWideKeys(top);
        }

        if (!errors.isEmpty())
        {
            throw new ConfigException(sorted(errors));
        }
        // No seed in the file: the pool's key gives every MUX the same one (HashSeed).
        final Mux seeded = mux.hashSeedSource() == HashSeed.Source.DEFAULT && peers.isPresent()
            ? new Mux(mux.name(), mux.address(), mux.address6(), mux.pool(), HashSeed.derive(peers.get().key()),
            HashSeed.Source.DERIVED_FROM_PEERS_KEY) : mux;
        return new MuxConfig(seeded, dataplane, vips, admin, peers, bgp, store, sorted(warnings));
    }

    /** @return the store section, empty when absent, null when it has errors (reported). */
    private Optional<StoreSettings> store(final Section top)
    {
        if (top.value("store") == null)
        {
            return Optional.empty();
        }
        final Section store = childSection(top, "store", false, STORE_KEYS);
        if (store == null)
        {
            return null;
        }
        final Section etcd = childSection(store, "etcd", true, ETCD_KEYS);
        if (etcd == null)
        {
            return null;
        }
        final int errorsBefore = errors.size();

        final List<URI> endpoints = new ArrayList<>();
        final Node endpointsNode = required(etcd, "endpoints");
        final List<Node> items = endpointsNode == null ? null :
            sequence(endpointsNode, etcd.child("endpoints"), "a list of URLs such as \"http://127.0.0.1:2379\"");
        if (items != null && items.isEmpty())
        {
            error(endpointsNode, etcd.child("endpoints"), "must name at least one etcd member");
        }
        for (int i = 0; items != null && i < items.size(); i++)
        {
            final String path = etcd.child("endpoints") + "[" + i + "]";
            final String text = string(items.get(i), path);
            if (text != null)
            {
                final URI uri = endpoint(text);
                if (uri == null)
                {
                    error(items.get(i), path, "must be a URL http://HOST:PORT or https://HOST:PORT, got " + describe(items.get(i)));
                }
                else
                {
                    endpoints.add(uri);
                }
            }
        }

        final String prefix = nonEmptyString(etcd, "prefix", true);
        if (prefix != null && !PREFIX.matcher(prefix).matches())
        {
            error(etcd.value("prefix"), etcd.child("prefix"), "must start with / and not end with /, with letters, digits and . _ ~ - / only " +
                "(e.g. /panamux/pools/pool-a), got " + describe(etcd.value("prefix")));
        }
        final Integer lease = integer(etcd, "lease-seconds", false, StoreSettings.DEFAULT_LEASE_SECONDS, StoreSettings.MIN_LEASE_SECONDS,
            StoreSettings.MAX_LEASE_SECONDS);
        final Optional<Path> cacheFile = etcd.value("cache-file") == null ? Optional.empty() :
            Optional.ofNullable(absolutePath(etcd, "cache-file"));

        Optional<StoreSettings.Tls> tls = Optional.empty();
        final Section tlsSection = childSection(etcd, "tls", false, TLS_KEYS);
        if (tlsSection != null)
        {
            final Path ca = absolutePath(tlsSection, "ca");
            final Path cert = tlsSection.value("cert") == null ? null : absolutePath(tlsSection, "cert");
            final Path key = tlsSection.value("key") == null ? null : absolutePath(tlsSection, "key");
            if ((tlsSection.value("cert") == null) != (tlsSection.value("key") == null))
            {
                missingWhy(tlsSection, tlsSection.value("cert") == null ? "cert" : "key", "a client certificate goes with its key");
            }
            if (ca != null)
            {
                tls = Optional.of(new StoreSettings.Tls(ca, Optional.ofNullable(cert), Optional.ofNullable(key)));
            }
        }
        final Optional<String> username = Optional.ofNullable(nonEmptyString(etcd, "username", false));
        final Optional<String> password = Optional.ofNullable(nonEmptyString(etcd, "password", false));
        if (etcd.value("username") != null && etcd.value("password") == null)
        {
            missingWhy(etcd, "password", "etcd authenticates a user by name and password");
        }
        if (etcd.value("password") != null && etcd.value("username") == null)
        {
            missingWhy(etcd, "username", "etcd authenticates a user by name and password");
        }
        if (tls.isEmpty() && endpoints.stream().anyMatch(uri -> "https".equals(uri.getScheme())))
        {
            missingWhy(etcd, "tls", "an https:// endpoint needs at least tls.ca");
        }

        if (errors.size() != errorsBefore)
        {
            return null;
        }
        return Optional.of(new StoreSettings(endpoints, prefix, lease, cacheFile, tls, username, password));
    }

    private static URI endpoint(final String text)
    {
        try
        {
            final URI uri = new URI(text.strip());
            final boolean bare = uri.getPath() == null || uri.getPath().isEmpty() || "/".equals(uri.getPath());
            if (("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null && uri.getPort() > 0 &&
                bare && uri.getQuery() == null && uri.getFragment() == null && uri.getUserInfo() == null)
            {
                return uri;
            }
            return null;
        }
        catch (final URISyntaxException ex)
        {
            return null;
        }
    }

    private Path absolutePath(final Section section, final String key)
    {
        final String text = nonEmptyString(section, key, true);
        if (text == null)
        {
            return null;
        }
        final Node node = section.value(key);
        try
        {
            final Path path = Path.of(text);
            if (!path.isAbsolute())
            {
                error(node, section.child(key), "must be an absolute path (the MUX may run from any directory), got " + describe(node));
                return null;
            }
            return path;
        }
        catch (final InvalidPathException ex)
        {
            error(node, section.child(key), "is not a usable path (" + ex.getReason() + "), got " + describe(node));
            return null;
        }
    }

    /**
     * With a store, the pool-wide settings come from the pool's document: the same key in this MUX's own file
     * would be a second, silently ignored source, so it is refused.
     */
    private void refusePoolWideKeys(final Section top)
    {
        final Node vips = top.value("vips");
        if (vips != null && !documentNodes.contains(vips))
        {
            error(top.entries().get("vips").getKeyNode(), "vips", "not allowed with store: the pool's VIPs are in its document in etcd " +
                "(PREFIX/config; ./panamux pool push)");
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
                    !documentNodes.contains(tuple.getValueNode()))
                {
                    error(key, wide.getKey(), "not allowed with store: the pool's " + parts[1] + " comes from " +
                        (wide.getValue().startsWith("pool.") ? "its document in etcd (" + wide.getValue() + ")" : wide.getValue()));
                }
            }
        }
    }

    private Mux mux(final Section top)
    {
        final Section section = childSection(top, "mux", true, MUX_KEYS);
        if (section == null)
        {
            return null;
        }
        final int errorsBefore = errors.size();

        final String name = nonEmptyString(section, "name", true);
        muxAddress = address(section, "address", Family.IPV4, true);

        final Optional<IpAddress> address6;
        if (section.value("address6") != null)
        {
            muxAddress6 = address(section, "address6", Family.IPV6, false);
            address6Failed = muxAddress6 == null;
            address6 = Optional.ofNullable(muxAddress6);
        }
        else
        {
            address6 = Optional.empty();
        }

        final List<IpAddress> pool = pool(section);
        muxPool = pool;
        muxPoolLine = section.value("pool") != null ? line(section.value("pool")) : section.line();

        long hashSeed = Mux.DEFAULT_HASH_SEED;
        HashSeed.Source seedSource = HashSeed.Source.DEFAULT;
        final Node seedNode = section.value("hash-seed");
        if (seedNode != null)
        {
            final BigInteger seed = integer(seedNode);
            if (seed == null || seed.signum() < 0 || seed.compareTo(MAX_UNSIGNED_64) > 0)
            {
                error(seedNode, section.child("hash-seed"),
                    "must be an integer between 0 and 0xffffffffffffffff (decimal or 0x hex), got " + describe(seedNode) +
                    leadingZeroHint(seedNode));
            }
            else
            {
                hashSeed = seed.longValue();
                seedSource = HashSeed.Source.CONFIGURED;
            }
        }

        if (errors.size() != errorsBefore)
        {
            return null;
        }
        return new Mux(name, muxAddress, address6, pool, hashSeed, seedSource);
    }

    private List<IpAddress> pool(final Section mux)
    {
        final Node node = mux.value("pool");
        if (node == null)
        {
            return muxAddress == null ? null : List.of(muxAddress);
        }

        final String path = mux.child("pool");
        final List<Node> items = sequence(node, path, "a list of IPv4 addresses");
        if (items == null)
        {
            return null;
        }
        final List<IpAddress> pool = new ArrayList<>();
        final Map<IpAddress, Integer> firstIndex = new HashMap<>();
        boolean valid = true;
        for (int i = 0; i < items.size(); i++)
        {
            final String itemPath = path + "[" + i + "]";
            final IpAddress member = address(items.get(i), itemPath, Family.IPV4);
            if (member == null)
            {
                valid = false;
                continue;
            }
            final Integer first = firstIndex.putIfAbsent(member, i);
            if (first != null)
            {
                error(items.get(i), itemPath, "duplicate of " + path + "[" + first + "] (" + member + ")");
                valid = false;
                continue;
            }
            pool.add(member);
        }
        if (!valid)
        {
            return null;
        }
        if (muxAddress != null && !pool.contains(muxAddress))
        {
            error(node, path, "must contain mux.address " + muxAddress +
                " (this MUX owns flows only as a member of its pool)");
            return null;
        }
        return pool;
    }

    private Dataplane dataplane(final Section top)
    {
        final Section section = childSection(top, "dataplane", true, DATAPLANE_KEYS);
        if (section == null)
        {
            return null;
        }
        final int errorsBefore = errors.size();

        final List<String> eal = eal(section);
        final Integer port = integer(section, "port", true, null, 0, Dataplane.MAX_PORT_ID);
        final Integer workers = integer(section, "workers", false, Dataplane.DEFAULT_WORKERS, 1, Dataplane.MAX_WORKERS);
        workerCount = workers;
        dataplaneLine = top.keyLine("dataplane");
        final OptionalLong gatewayMac = gatewayMac(section);
        final IpAddress gateway = address(section, "gateway", Family.IPV4, false);
        if (gatewayMac != null && gatewayMac.isEmpty() && section.value("gateway") == null)
        {
            missingWhy(section, "gateway", "without gateway-mac, the MUX resolves the next hop's MAC by ARP and needs its IPv4 address");
        }
        final FlowTableConfig flowTable = flowTable(section);

        maglevTableSize = integer(section, "maglev-table-size", false,
            Dataplane.DEFAULT_MAGLEV_TABLE_SIZE, 2, Dataplane.MAX_MAGLEV_TABLE_SIZE);
        maglevTableSizeNode = section.value("maglev-table-size");
        if (maglevTableSize != null && !BigInteger.valueOf(maglevTableSize).isProbablePrime(64))
        {
            final Node node = section.value("maglev-table-size");
            error(node, section.child("maglev-table-size"),
                "must be a prime (Maglev's permutations need it), got " + describe(node));
            maglevTableSize = null;
        }

        final Integer mtu = integer(section, "mtu", false, null, Dataplane.MIN_MTU, Dataplane.MAX_MTU);
        final Integer burstSize = integer(section, "burst-size", false,
            Dataplane.DEFAULT_BURST_SIZE, 1, Dataplane.MAX_BURST_SIZE);
        final Integer guePort = integer(section, "gue-port", false, Dataplane.DEFAULT_GUE_PORT, 1, 65535);
        if (guePort != null)
        {
            globalGuePort = guePort;
        }

        if (errors.size() != errorsBefore)
        {
            return null;
        }
        return new Dataplane(eal, port, workers, gatewayMac, flowTable, maglevTableSize,
            mtu == null ? OptionalInt.empty() : OptionalInt.of(mtu), burstSize, guePort, Optional.ofNullable(gateway));
    }

    private List<String> eal(final Section dataplane)
    {
        final Node node = required(dataplane, "eal");
        if (node == null)
        {
            return null;
        }
        final String path = dataplane.child("eal");
        final List<Node> items = sequence(node, path, "a list of strings");
        if (items == null)
        {
            return null;
        }
        final List<String> eal = new ArrayList<>(items.size());
        boolean valid = true;
        for (int i = 0; i < items.size(); i++)
        {
            final String argument = string(items.get(i), path + "[" + i + "]");
            valid &= argument != null;
            eal.add(argument);
        }
        return valid ? eal : null;
    }

    private OptionalLong gatewayMac(final Section dataplane)
    {
        final Node node = dataplane.value("gateway-mac");
        if (node == null)
        {
            return OptionalLong.empty();
        }
        final String path = dataplane.child("gateway-mac");
        final String text = string(node, path);
        if (text == null)
        {
            return null;
        }
        if (!MAC.matcher(text).matches())
        {
            error(node, path, "must be a MAC address like \"02:00:00:00:00:fe\", got " + describe(node));
            return null;
        }
        final long mac = Long.parseLong(text.replace(":", ""), 16);
        if (mac == 0 || (mac & 0x0100_0000_0000L) != 0)
        {
            error(node, path, "must be a unicast MAC address (a next hop), got " + describe(node));
            return null;
        }
        return OptionalLong.of(mac);
    }

    private FlowTableConfig flowTable(final Section dataplane)
    {
        if (dataplane.value("flow-table") == null)
        {
            return FlowTableConfig.defaults();
        }
        final Section section = childSection(dataplane, "flow-table", false, FLOW_TABLE_KEYS);
        if (section == null)
        {
            return null;
        }
        final Integer capacity = integer(section, "capacity", false, FlowTableConfig.DEFAULT_CAPACITY, 1, FlowTable.MAX_CAPACITY);
        final Integer idleTimeout = integer(section, "idle-timeout-seconds", false, FlowTableConfig.DEFAULT_IDLE_TIMEOUT_SECONDS, 1,
            Integer.MAX_VALUE);
        final Integer newFlows = integer(section, "new-flows-per-second", false, FlowTableConfig.DEFAULT_NEW_FLOWS_PER_SECOND, 0,
            Integer.MAX_VALUE);
        if (capacity == null || idleTimeout == null || newFlows == null)
        {
            return null;
        }
        final FlowTableConfig config = new FlowTableConfig(capacity, idleTimeout, newFlows);
        if (workerCount != null)
        {
            // Off the heap, next to the heap and DPDK's memory: what is left when the heap is full.
            final long bytes = config.memoryBytes(workerCount);
            final long available = limits.memoryBytes() - limits.heapBytes();
            if (bytes > available)
            {
                final Node node = section.value("capacity");
                final String where = node != null ? section.child("capacity") : section.path();
                final String problem = capacity + " flows take " + MachineLimits.describe(bytes) + " of flow tables (" + workerCount +
                    " worker(s), " + FlowTable.V4_ENTRY_BYTES + " bytes a flow, each table rounded up to a power of two), more than the " +
                    MachineLimits.describe(Math.max(0, available)) + " this process can have besides its Java heap (memory " +
                    MachineLimits.describe(limits.memoryBytes()) + ", heap up to " + MachineLimits.describe(limits.heapBytes()) + ")";
                if (node != null)
                {
                    error(node, where, problem);
                }
                else
                {
                    errors.add(new Problem(section.line(), format(section.line(), where, problem)));
                }
                return null;
            }
        }
        return config;
    }

    private List<VipConfig> vips(final Section top)
    {
        final Node node = top.value("vips");
        if (node == null)
        {
            return List.of();
        }
        final List<Node> items = sequence(node, "vips", "a list of VIPs");
        if (items == null)
        {
            return null;
        }

        final List<VipConfig> vips = new ArrayList<>(items.size());
        final Map<String, Integer> firstIndex = new HashMap<>();
        for (int i = 0; i < items.size(); i++)
        {
            final String path = "vips[" + i + "]";
            final VipConfig vip = vip(items.get(i), path);
            if (vip == null)
            {
                continue;
            }
            final Integer first = firstIndex.putIfAbsent(vip.key(), i);
            if (first != null)
            {
                error(items.get(i), path, "duplicate of vips[" + first + "] (" + vip.key() + ")");
                continue;
            }
            vips.add(vip);
        }
        return vips;
    }

    private VipConfig vip(final Node node, final String path)
    {
        final Section section = section(node, path, line(node), VIP_KEYS);
        if (section == null)
        {
            return null;
        }
        final int errorsBefore = errors.size();

        final IpAddress address = address(section, "address", Family.ANY, true);
        if (address != null && (address.equals(muxAddress) || address.equals(muxAddress6)))
        {
            error(section.value("address"), section.child("address"),
                address + " is the MUX's own address; a VIP needs an address of its own");
        }
        final Integer port = integer(section, "port", true, null, 1, 65535);
        final Protocol protocol = choice(section, "protocol", true, null,
            Protocol::fromConfigName, "tcp, udp");
        final Encapsulation encapsulation = choice(section, "encapsulation", false, Encapsulation.IPIP,
            Encapsulation::fromConfigName, "ipip, gre, gue");
        final FlowTracking flowTracking = choice(section, "flow-tracking", false, FlowTracking.ON_CHANGE,
            FlowTracking::fromConfigName, "on-change, always");

        final Integer guePort = integer(section, "gue-port", false, globalGuePort, 1, 65535);
        if (section.value("gue-port") != null && encapsulation != null && encapsulation != Encapsulation.GUE)
        {
            warning(section.value("gue-port"), section.child("gue-port"),
                "used only with encapsulation gue; this VIP uses " + encapsulation.configName());
        }

        final List<BackendConfig> backends = backends(section);
        final Optional<HealthCheckConfig> healthCheck = healthCheck(section, port);

        if (errors.size() != errorsBefore)
        {
            return null;
        }
        checkMaglevTableSize(backends.size(), section);
        return new VipConfig(address, port, protocol, encapsulation, flowTracking, guePort, backends, healthCheck);
    }

    private List<BackendConfig> backends(final Section vip)
    {
        final Node node = required(vip, "backends");
        if (node == null)
        {
            return null;
        }
        final String path = vip.child("backends");
        final List<Node> items = sequence(node, path, "a list of backends");
        if (items == null)
        {
            return null;
        }

        final List<BackendConfig> backends = new ArrayList<>(items.size());
        final Map<IpAddress, Integer> firstIndex = new HashMap<>();
        boolean valid = true;
        for (int i = 0; i < items.size(); i++)
        {
            final String itemPath = path + "[" + i + "]";
            final Section section = section(items.get(i), itemPath, line(items.get(i)), BACKEND_KEYS);
            if (section == null)
            {
                valid = false;
                continue;
            }
            final IpAddress address = address(section, "address", Family.ANY, true);
            final Integer weight = integer(section, "weight", false, BackendConfig.DEFAULT_WEIGHT, 0, Integer.MAX_VALUE);
            if (address == null || weight == null)
            {
                valid = false;
                continue;
            }
            final Node addressNode = section.value("address");
            final Integer first = firstIndex.putIfAbsent(address, i);
            if (first != null)
            {
                error(addressNode, section.child("address"),
                    "duplicate of " + path + "[" + first + "] (" + address + ")");
                valid = false;
                continue;
            }
            if (address.ipv6() && muxAddress6 == null && !address6Failed)
            {
                error(addressNode, section.child("address"),
                    "an IPv6 backend needs mux.address6 (the outer source address towards it)");
                valid = false;
                continue;
            }
            final Boolean drain = bool(section, "drain");
            if (drain == null)
            {
                valid = false;
                continue;
            }
            backends.add(new BackendConfig(address, weight, drain));
        }
        return valid ? backends : null;
    }

    private Optional<HealthCheckConfig> healthCheck(final Section vip, final Integer vipPort)
    {
        if (vip.value("health-check") == null)
        {
            return Optional.empty();
        }
        final Section section = childSection(vip, "health-check", false, HEALTH_CHECK_KEYS);
        if (section == null)
        {
            return null;
        }
        final int errorsBefore = errors.size();
        final HealthCheckType type = choice(section, "type", true, null, HealthCheckType::fromConfigName, "tcp, http");
        final Integer port = integer(section, "port", false, vipPort, 1, 65535);
        final String path = section.value("path") == null ? HealthCheckConfig.DEFAULT_PATH : nonEmptyString(section, "path", false);
        if (path != null && !path.startsWith("/"))
        {
            error(section.value("path"), section.child("path"), "must start with \"/\", got " + describe(section.value("path")));
        }
        else if (path != null && path.chars().anyMatch(c -> c <= ' ' || c >= 0x7F))
        {
            error(section.value("path"), section.child("path"), "must not contain spaces or control characters, got " +
                describe(section.value("path")));
        }
        final Integer expectStatus = integer(section, "expect-status", false, HealthCheckConfig.DEFAULT_EXPECT_STATUS, 100, 599);
        final Integer interval = integer(section, "interval-ms", false, HealthCheckConfig.DEFAULT_INTERVAL_MS,
            HealthCheckConfig.MIN_INTERVAL_MS, HealthCheckConfig.MAX_INTERVAL_MS);
        final Integer timeout = integer(section, "timeout-ms", false, null, 1, HealthCheckConfig.MAX_INTERVAL_MS);
        final Integer rise = integer(section, "rise", false, HealthCheckConfig.DEFAULT_RISE, 1, HealthCheckConfig.MAX_THRESHOLD);
        final Integer fall = integer(section, "fall", false, HealthCheckConfig.DEFAULT_FALL, 1, HealthCheckConfig.MAX_THRESHOLD);
        final Integer holdDown = integer(section, "hold-down-ms", false, HealthCheckConfig.DEFAULT_HOLD_DOWN_MS, 0,
            HealthCheckConfig.MAX_HOLD_DOWN_MS);
        if (type == HealthCheckType.TCP)
        {
            for (final String httpOnly : List.of("path", "expect-status"))
            {
                if (section.value(httpOnly) != null)
                {
                    warning(section.value(httpOnly), section.child(httpOnly), "used only with type http; this check is tcp");
                }
            }
        }
        if (errors.size() != errorsBefore || type == null || port == null)
        {
            return null;
        }
        final int timeoutMs = timeout != null ? timeout : Math.min(HealthCheckConfig.DEFAULT_TIMEOUT_MS, interval);
        if (timeoutMs > interval)
        {
            error(section.value("timeout-ms"), section.child("timeout-ms"), "must be at most interval-ms (" + interval +
                "): a check must end before the next one starts, got " + describe(section.value("timeout-ms")));
            return null;
        }
        return Optional.of(new HealthCheckConfig(type, port, path, expectStatus, interval, timeoutMs, rise, fall, holdDown));
    }

    /**
     * Every VIP's Maglev table is an {@code int[]} on the heap; during a stateful phase the previous one is
     * kept beside it, and a new one is built while both are: at most two per VIP and one more.
     */
    private void checkMaglevMemory(final int vipCount)
    {
        if (maglevTableSize == null || vipCount == 0)
        {
            return;
        }
        final long bytes = 4L * maglevTableSize * (2L * vipCount + 1);
        // Half the heap: the rest is the snapshots, the admin API, the peers' state and the collector's room.
        final long allowed = limits.heapBytes() / 2;
        if (bytes > allowed)
        {
            final String problem = "Maglev tables of " + maglevTableSize + " entries for " + vipCount + " VIP(s) take up to " +
                MachineLimits.describe(bytes) + " of Java heap (4 bytes an entry, two tables a VIP during a change, one more being " +
                "built), more than half the heap this JVM can have (" + MachineLimits.describe(limits.heapBytes()) +
                "; -Xmx in JAVA_OPTS gives more)";
            if (maglevTableSizeNode != null)
            {
                error(maglevTableSizeNode, "dataplane.maglev-table-size", problem);
            }
            else
            {
                errors.add(new Problem(dataplaneLine, format(dataplaneLine, "dataplane.maglev-table-size", problem)));
            }
        }
    }

    private void checkMaglevTableSize(final int backends, final Section vip)
    {
        if (maglevTableSize == null || backends == 0)
        {
            return;
        }
        final int line = vip.keyLine("backends");
        final String path = vip.child("backends");
        if (maglevTableSize < backends)
        {
            errors.add(new Problem(line, format(line, path, backends + " backends but dataplane.maglev-table-size is " +
                maglevTableSize + "; the Maglev table needs at least one entry per backend")));
        }
        else if ((long)maglevTableSize < (long)MAGLEV_RECOMMENDED_FACTOR * backends)
        {
            warnings.add(new Problem(line, format(line, path, backends + " backends with dataplane.maglev-table-size " +
                maglevTableSize + "; Maglev balances evenly only with a table at least " + MAGLEV_RECOMMENDED_FACTOR +
                " times the number of backends (a prime >= " + (long)MAGLEV_RECOMMENDED_FACTOR * backends + ")")));
        }
    }

    /** @return the peers section, empty when absent, null when it has errors (reported). */
    private Optional<Peers> peers(final Section top)
    {
        final boolean pooled = muxPool != null && muxPool.size() > 1;
        if (top.value("peers") == null)
        {
            if (pooled)
            {
                errors.add(new Problem(muxPoolLine, format(muxPoolLine, "mux.pool", "has " + muxPool.size() + " members, so the " +
                    "section peers is required (the flow-ownership protocol between them: listen, key)")));
                return null;
            }
            return Optional.empty();
        }
        final Section section = childSection(top, "peers", false, PEERS_KEYS);
        if (section == null)
        {
            return null;
        }
        final int errorsBefore = errors.size();

        final Node listenNode = required(section, "listen");
        final HostPort listen = listenNode == null ? null : hostPort(listenNode, section.child("listen"), true);
        final byte[] key = peerKey(section);
        final Map<IpAddress, HostPort> endpoints = peerEndpoints(section);
        final Integer queryTimeout = integer(section, "query-timeout-ms", false, Peers.DEFAULT_QUERY_TIMEOUT_MS, 1, 1000);
        final Integer inFlight = integer(section, "max-queries-in-flight", false, Peers.DEFAULT_MAX_QUERIES_IN_FLIGHT, 1,
            Peers.MAX_QUERIES_IN_FLIGHT);
        final Integer batchInterval = integer(section, "learned-batch-interval-ms", false, Peers.DEFAULT_LEARNED_BATCH_INTERVAL_MS, 0,
            1000);
        final Integer maxLearned = integer(section, "max-learned-flows", false, Peers.DEFAULT_MAX_LEARNED_FLOWS, 1, Integer.MAX_VALUE);
        final Integer maxAge = integer(section, "max-message-age-ms", false, Peers.DEFAULT_MAX_MESSAGE_AGE_MS, 1, 60_000);

        if (errors.size() != errorsBefore || listen == null || key == null || endpoints == null)
        {
            return null;
        }
        if (!pooled && muxPool != null)
        {
            final int line = top.keyLine("peers");
            warnings.add(new Problem(line, format(line, "peers", "mux.pool has only this MUX, so nothing uses this section")));
        }
        return Optional.of(new Peers(listen, key, endpoints, queryTimeout, inFlight, batchInterval, maxLearned, maxAge));
    }

    /** The shared key: never quoted in a message, whatever is wrong with it. */
    private byte[] peerKey(final Section peers)
    {
        if (merged && peers.value("key") == null)
        {
            errors.add(new Problem(DOCUMENT_ORDER + 1, documentName + ":1: pool.peers-key: missing: the section peers of " + fileName +
                " needs the pool's shared key from the pool document"));
            return null;
        }
        final Node node = required(peers, "key");
        if (node == null)
        {
            return null;
        }
        final String path = peers.child("key");
        if (!(node instanceof ScalarNode scalar) || isNull(node))
        {
            error(node, path, "must be a string, got " + (node instanceof ScalarNode ? describe(node) : "a " +
                (node instanceof MappingNode ? "mapping" : "list")));
            return null;
        }
        final String text = scalar.getValue().strip();
        byte[] key = null;
        if (text.startsWith("hex:"))
        {
            final String hex = text.substring(4);
            if (HEX_KEY.matcher(hex).matches())
            {
                key = new byte[hex.length() / 2];
                for (int i = 0; i < key.length; i++)
                {
                    key[i] = (byte)Integer.parseInt(hex, 2 * i, 2 * i + 2, 16);
                }
            }
            else
            {
                error(node, path, "\"hex:\" must be followed by an even number of hex digits (the key is not shown)");
                return null;
            }
        }
        else if (text.startsWith("base64:"))
        {
            try
            {
                key = Base64.getDecoder().decode(text.substring(7));
            }
            catch (final IllegalArgumentException ex)
            {
                error(node, path, "\"base64:\" must be followed by standard base64 (the key is not shown)");
                return null;
            }
        }
        else
        {
            error(node, path, "must start with \"hex:\" or \"base64:\" (the key is not shown)");
            return null;
        }
        if (key.length < Peers.MIN_KEY_BYTES)
        {
            error(node, path, "is " + key.length + " bytes; the shared key needs at least " + Peers.MIN_KEY_BYTES +
                " (e.g. \"hex:\" and the output of openssl rand -hex 32)");
            return null;
        }
        return key;
    }

    /** @return the endpoint overrides by pool member; null when there are errors (reported). */
    private Map<IpAddress, HostPort> peerEndpoints(final Section peers)
    {
        final Node node = peers.value("endpoints");
        if (node == null || isNull(node))
        {
            return Map.of();
        }
        final String path = peers.child("endpoints");
        if (!(node instanceof MappingNode mapping))
        {
            error(node, path, "must be a mapping of pool member to \"HOST:PORT\", got " + describe(node));
            return null;
        }
        final Map<IpAddress, HostPort> endpoints = new LinkedHashMap<>();
        boolean valid = true;
        for (final NodeTuple tuple : mapping.getValue())
        {
            final Node keyNode = tuple.getKeyNode();
            final String keyText = keyNode instanceof ScalarNode s ? s.getValue() : "?";
            final IpAddress member = address(keyNode, path, Family.IPV4);
            final HostPort endpoint = hostPort(tuple.getValueNode(), path + "." + keyText, false);
            if (member == null || endpoint == null)
            {
                valid = false;
                continue;
            }
            if (muxPool != null && !muxPool.contains(member))
            {
                error(keyNode, path, member + " is not a member of mux.pool");
                valid = false;
            }
            else if (member.equals(muxAddress))
            {
                error(keyNode, path, member + " is this MUX: its endpoint is peers.listen");
                valid = false;
            }
            else
            {
                endpoints.put(member, endpoint);
            }
        }
        return valid ? endpoints : null;
    }

    /** Parses {@code "HOST:PORT"} (port 1..65535); reports and returns null when it is not. */
    private HostPort hostPort(final Node node, final String path, final boolean bindAddress)
    {
        final String text = string(node, path);
        if (text == null)
        {
            return null;
        }
        final int colon = text.lastIndexOf(':');
        final String portText = colon < 0 ? "" : text.substring(colon + 1);
        String host = colon < 0 ? text : text.substring(0, colon);
        final boolean bracketed = host.startsWith("[") && host.endsWith("]");
        if (bracketed)
        {
            host = host.substring(1, host.length() - 1);
        }
        IpAddress address = null;
        try
        {
            address = IpAddress.parse(host);
        }
        catch (final IllegalArgumentException ignore)
        {
            // Reported below, with the whole value.
        }
        if (colon < 0 || address == null || address.ipv6() != bracketed || address.isMulticastOrBroadcast() ||
            (!bindAddress && address.isUnspecified()))
        {
            error(node, path, "must be \"HOST:PORT\" with HOST a unicast IP literal (names are not resolved; IPv6 in brackets), got " +
                describe(node));
            return null;
        }
        if (!LISTEN_PORT.matcher(portText).matches() || Integer.parseInt(portText) < 1 || Integer.parseInt(portText) > 65535)
        {
            error(node, path, "the port must be an integer between 1 and 65535, got " + describe(node));
            return null;
        }
        return new HostPort(address, Integer.parseInt(portText));
    }

    /** @return the router.bgp section, empty when absent, null when it has errors (reported). */
    private Optional<BgpSettings> router(final Section top)
    {
        if (top.value("router") == null)
        {
            return Optional.empty();
        }
        final Section router = childSection(top, "router", false, ROUTER_KEYS);
        if (router == null)
        {
            return null;
        }
        if (router.value("bgp") == null)
        {
            return Optional.empty();
        }
        final Section section = childSection(router, "bgp", false, BGP_KEYS);
        if (section == null)
        {
            return null;
        }
        final int errorsBefore = errors.size();

        final Long localAs = asNumber(section, "local-as");
        final IpAddress routerId = section.value("router-id") == null ? muxAddress : address(section, "router-id", Family.IPV4, false);
        final List<BgpSettings.Neighbor> neighbors = neighbors(section, routerId);
        final Integer holdSeconds = integer(section, "hold-seconds", false, BgpSettings.DEFAULT_HOLD_SECONDS, BgpSettings.MIN_HOLD_SECONDS,
            BgpSettings.MAX_HOLD_SECONDS);
        final Path runDirectory = runDirectory(section);
        final String bird = section.value("bird") == null ? BgpSettings.DEFAULT_BIRD : nonEmptyString(section, "bird", false);
        final String birdc = section.value("birdc") == null ? BgpSettings.DEFAULT_BIRDC : nonEmptyString(section, "birdc", false);

        final IpAddress nextHop6 = section.value("next-hop6") == null ? null : address(section, "next-hop6", Family.IPV6, false);
        final BgpSettings.Bfd bfd = bfd(section);

        if (errors.size() != errorsBefore || localAs == null || routerId == null || neighbors == null || holdSeconds == null ||
            runDirectory == null || bird == null || birdc == null)
        {
            return null;
        }
        return Optional.of(new BgpSettings(localAs, routerId, neighbors, holdSeconds, runDirectory, bird, birdc, nextHop6, bfd));
    }

    /** @return router.bgp.bfd, or null when absent or wrong (reported). */
    private BgpSettings.Bfd bfd(final Section bgp)
    {
        if (bgp.value("bfd") == null)
        {
            return null;
        }
        final Section section = childSection(bgp, "bfd", false, BFD_KEYS);
        if (section == null)
        {
            return null;
        }
        final Integer interval = integer(section, "interval-ms", false, BgpSettings.Bfd.DEFAULT_INTERVAL_MS, BgpSettings.Bfd.MIN_INTERVAL_MS,
            BgpSettings.Bfd.MAX_INTERVAL_MS);
        final Integer multiplier = integer(section, "multiplier", false, BgpSettings.Bfd.DEFAULT_MULTIPLIER, 1, BgpSettings.Bfd.MAX_MULTIPLIER);
        return interval == null || multiplier == null ? null : new BgpSettings.Bfd(interval, multiplier);
    }

    /** @return an AS number (1..2^32-1, required), or null (reported). */
    private Long asNumber(final Section section, final String key)
    {
        final Node node = required(section, key);
        if (node == null)
        {
            return null;
        }
        final BigInteger value = integer(node);
        if (value == null || value.signum() <= 0 || value.compareTo(BigInteger.valueOf(BgpSettings.MAX_AS)) > 0)
        {
            error(node, section.child(key), "must be an AS number between 1 and " + BgpSettings.MAX_AS + ", got " + describe(node) +
                leadingZeroHint(node));
            return null;
        }
        return value.longValue();
    }

    private List<BgpSettings.Neighbor> neighbors(final Section bgp, final IpAddress routerId)
    {
        final Node node = required(bgp, "neighbors");
        if (node == null)
        {
            return null;
        }
        final String path = bgp.child("neighbors");
        final List<Node> items = sequence(node, path, "a list of neighbors ({ address: IPv4, as: AS })");
        if (items == null)
        {
            return null;
        }
        if (items.isEmpty())
        {
            error(node, path, "needs at least one neighbor (a router to announce the VIPs to)");
            return null;
        }
        final List<BgpSettings.Neighbor> neighbors = new ArrayList<>(items.size());
        final Map<IpAddress, Integer> firstIndex = new HashMap<>();
        boolean valid = true;
        for (int i = 0; i < items.size(); i++)
        {
            final String itemPath = path + "[" + i + "]";
            final Section section = section(items.get(i), itemPath, line(items.get(i)), NEIGHBOR_KEYS);
            if (section == null)
            {
                valid = false;
                continue;
            }
            final IpAddress address = address(section, "address", Family.IPV4, true);
            final Long as = asNumber(section, "as");
            if (address == null || as == null)
            {
                valid = false;
                continue;
            }
            final Node addressNode = section.value("address");
            final Integer first = firstIndex.putIfAbsent(address, i);
            if (first != null)
            {
                error(addressNode, section.child("address"), "duplicate of " + path + "[" + first + "] (" + address + ")");
                valid = false;
                continue;
            }
            if (address.equals(muxAddress) || address.equals(routerId))
            {
                error(addressNode, section.child("address"), address + " is this MUX's own address; a neighbor is a router in front of it");
                valid = false;
                continue;
            }
            neighbors.add(new BgpSettings.Neighbor(address, as));
        }
        return valid ? neighbors : null;
    }

    /** @return the speaker's run directory: absolute, its control socket's path short enough; null (reported) otherwise. */
    private Path runDirectory(final Section bgp)
    {
        final String text = nonEmptyString(bgp, "run-directory", true);
        if (text == null)
        {
            return null;
        }
        final Node node = bgp.value("run-directory");
        final String path = bgp.child("run-directory");
        final Path directory;
        try
        {
            directory = Path.of(text);
        }
        catch (final InvalidPathException ex)
        {
            error(node, path, "is not a usable path (" + ex.getReason() + "), got " + describe(node));
            return null;
        }
        if (!directory.isAbsolute())
        {
            error(node, path, "must be an absolute path (the MUX may run from any directory), got " + describe(node));
            return null;
        }
        final int socketBytes = directory.resolve(BgpSettings.SOCKET_NAME).toString().getBytes(StandardCharsets.UTF_8).length;
        if (socketBytes > BgpSettings.MAX_SOCKET_PATH)
        {
            error(node, path, "is too long: the speaker's control socket " + BgpSettings.SOCKET_NAME + " in it would have a path of " +
                socketBytes + " bytes, and a Unix socket's may have at most " + BgpSettings.MAX_SOCKET_PATH);
            return null;
        }
        return directory;
    }

    private Admin admin(final Section top)
    {
        if (top.value("admin") == null)
        {
            return Admin.defaults();
        }
        final Section section = childSection(top, "admin", false, ADMIN_KEYS);
        if (section == null)
        {
            return null;
        }
        final int errorsBefore = errors.size();

        final Optional<String> token = section.value("token") == null ?
            Optional.empty() : Optional.ofNullable(nonEmptyString(section, "token", false));
        final Node listenNode = section.value("listen");
        final Admin admin = listenNode == null ?
            new Admin(Admin.defaults().listenAddress(), Admin.DEFAULT_PORT, token) :
            listen(listenNode, section.child("listen"), token);

        if (errors.size() != errorsBefore || admin == null)
        {
            return null;
        }
        if (!admin.listenAddress().isLoopback() && token.isEmpty())
        {
            error(listenNode, section.child("listen"), describe(listenNode) + " is not a loopback address, so " +
                "admin.token is required (without one, anyone who can reach the port could change backends)");
            return null;
        }
        return admin;
    }

    private Admin listen(final Node node, final String path, final Optional<String> token)
    {
        final String text = string(node, path);
        if (text == null)
        {
            return null;
        }
        final int colon = text.lastIndexOf(':');
        if (colon < 0)
        {
            error(node, path, "must be \"HOST:PORT\", e.g. \"" + Admin.DEFAULT_LISTEN + "\", got " + describe(node));
            return null;
        }
        final String portText = text.substring(colon + 1);
        String host = text.substring(0, colon);
        final boolean bracketed = host.startsWith("[") && host.endsWith("]");
        if (bracketed)
        {
            host = host.substring(1, host.length() - 1);
        }
        IpAddress address = null;
        try
        {
            address = IpAddress.parse(host);
        }
        catch (final IllegalArgumentException ignore)
        {
            // Reported below, with the whole value.
        }
        if (address == null || address.ipv6() != bracketed || address.isMulticastOrBroadcast())
        {
            error(node, path, "the host must be an IP literal (names are not resolved; IPv6 in brackets), got " +
                describe(node));
            return null;
        }
        if (!LISTEN_PORT.matcher(portText).matches() || Integer.parseInt(portText) > 65535)
        {
            error(node, path, "the port must be an integer between 0 and 65535, got " + describe(node));
            return null;
        }
        return new Admin(address, Integer.parseInt(portText), token);
    }

    // ---- sections, keys and scalars -----------------------------------------------------------------------

    private Section childSection(final Section parent, final String key, final boolean required, final List<String> keys)
    {
        final Node node = parent.value(key);
        if (node == null)
        {
            if (required)
            {
                missing(parent, key);
            }
            return null;
        }
        return section(node, parent.child(key), parent.keyLine(key), keys);
    }

    /**
     * Checks that {@code node} is a mapping with string keys, each allowed and given once; an empty value is
     * an empty mapping. Reports and returns null otherwise.
     */
    private Section section(final Node node, final String path, final int line, final List<String> keys)
    {
        if (isNull(node))
        {
            return new Section(path, line, Map.of());
        }
        if (!(node instanceof MappingNode mapping))
        {
            if (path.isEmpty())
            {
                error(node, path, "the configuration must be a mapping of the sections " + String.join(", ", keys) +
                    ", got " + describe(node));
            }
            else
            {
                error(node, path, "must be a mapping, got " + describe(node));
            }
            return null;
        }

        final Map<String, NodeTuple> entries = new LinkedHashMap<>();
        for (final NodeTuple tuple : mapping.getValue())
        {
            final Node keyNode = tuple.getKeyNode();
            if (!(keyNode instanceof ScalarNode scalarKey))
            {
                error(keyNode, path, "keys must be plain strings, got " + describe(keyNode));
                continue;
            }
            final String key = scalarKey.getValue();
            if (Tag.MERGE.equals(keyNode.getTag()))
            {
                error(keyNode, path, "merge keys (<<) are not supported");
                continue;
            }
            if (!keys.contains(key))
            {
                error(keyNode, path, "unknown key " + quote(key) + unknownKeyHint(key, keys));
                continue;
            }
            final NodeTuple first = entries.putIfAbsent(key, tuple);
            if (first != null)
            {
                error(keyNode, path, "duplicate key " + quote(key) + " (first at line " + line(first.getKeyNode()) + ")");
            }
        }
        return new Section(path, line, entries);
    }

    private Node required(final Section section, final String key)
    {
        final Node node = section.value(key);
        if (node == null)
        {
            missing(section, key);
        }
        return node;
    }

    private void missingWhy(final Section section, final String key, final String why)
    {
        errors.add(new Problem(section.line(), format(section.line(), section.path(), "missing required key " + quote(key) +
            " (" + why + ")")));
    }

    private void missing(final Section section, final String key)
    {
        errors.add(new Problem(section.line(), format(section.line(), section.path(), "missing required key " + quote(key))));
    }

    /** @return the items of a list, an empty value as none; null (reported) when {@code node} is no list. */
    private List<Node> sequence(final Node node, final String path, final String expected)
    {
        if (isNull(node))
        {
            return List.of();
        }
        if (!(node instanceof SequenceNode sequence))
        {
            error(node, path, "must be " + expected + ", got " + describe(node));
            return null;
        }
        return sequence.getValue();
    }

    private String string(final Node node, final String path)
    {
        if (!(node instanceof ScalarNode scalar) || isNull(node))
        {
            error(node, path, "must be a string, got " + describe(node));
            return null;
        }
        return scalar.getValue();
    }

    private String nonEmptyString(final Section section, final String key, final boolean required)
    {
        final Node node = required ? required(section, key) : section.value(key);
        if (node == null)
        {
            return null;
        }
        final String text = string(node, section.child(key));
        if (text != null && text.isBlank())
        {
            error(node, section.child(key), "must not be empty");
            return null;
        }
        return text;
    }

    /** @return the value of a {@code true}/{@code false} key, false when absent, null when it is neither (reported). */
    private Boolean bool(final Section section, final String key)
    {
        final Node node = section.value(key);
        if (node == null)
        {
            return false;
        }
        if (node instanceof ScalarNode scalar && ("true".equals(scalar.getValue()) || "false".equals(scalar.getValue())))
        {
            return "true".equals(scalar.getValue());
        }
        error(node, section.child(key), "must be true or false, got " + describe(node));
        return null;
    }

    /**
     * @return the value, {@code defaultValue} when the key is absent and not required, or null (reported).
     */
    private Integer integer(
        final Section section,
        final String key,
        final boolean required,
        final Integer defaultValue,
        final long min,
        final long max)
    {
        final Node node = required ? required(section, key) : section.value(key);
        if (node == null)
        {
            return required ? null : defaultValue;
        }
        final BigInteger value = integer(node);
        if (value == null || value.compareTo(BigInteger.valueOf(min)) < 0 || value.compareTo(BigInteger.valueOf(max)) > 0)
        {
            final String expected = max == Integer.MAX_VALUE ?
                "an integer >= " + min : "an integer between " + min + " and " + max;
            error(node, section.child(key), "must be " + expected + ", got " + describe(node) + leadingZeroHint(node));
            return null;
        }
        return value.intValueExact();
    }

    /** @return the integer a scalar spells in decimal or 0x hex, or null. */
    private static BigInteger integer(final Node node)
    {
        if (!(node instanceof ScalarNode scalar))
        {
            return null;
        }
        final String text = scalar.getValue();
        if (DECIMAL.matcher(text).matches())
        {
            return new BigInteger(text.startsWith("+") ? text.substring(1) : text);
        }
        if (HEX.matcher(text).matches())
        {
            return new BigInteger(text.substring(2), 16);
        }
        return null;
    }

    private static String leadingZeroHint(final Node node)
    {
        return node instanceof ScalarNode scalar && LEADING_ZERO.matcher(scalar.getValue()).matches() ?
            " (leading zeros are not allowed: YAML 1.1 reads them as octal)" : "";
    }

    private <T> T choice(
        final Section section,
        final String key,
        final boolean required,
        final T defaultValue,
        final Function<String, T> byName,
        final String names)
    {
        final Node node = required ? required(section, key) : section.value(key);
        if (node == null)
        {
            return required ? null : defaultValue;
        }
        final T value = node instanceof ScalarNode scalar && !isNull(node) ? byName.apply(scalar.getValue()) : null;
        if (value == null)
        {
            error(node, section.child(key), "must be one of " + names + ", got " + describe(node));
        }
        return value;
    }

    private IpAddress address(final Section section, final String key, final Family family, final boolean required)
    {
        final Node node = required ? required(section, key) : section.value(key);
        return node == null ? null : address(node, section.child(key), family);
    }

    private IpAddress address(final Node node, final String path, final Family family)
    {
        final String text = node instanceof ScalarNode scalar && !isNull(node) ? scalar.getValue() : null;
        String hint = "";
        IpAddress address = null;
        if (text != null)
        {
            try
            {
                address = IpAddress.parse(text);
            }
            catch (final IllegalArgumentException ex)
            {
                if (hostNameLike(text))
                {
                    hint = " (host names are not resolved)";
                }
                else if (!ex.getMessage().startsWith("not an"))
                {
                    // Says what is wrong with an almost-valid literal (mapped form, brackets, zone).
                    hint = " (" + ex.getMessage() + ")";
                }
            }
        }
        if (address == null || (family == Family.IPV4 && address.ipv6()) || (family == Family.IPV6 && !address.ipv6()))
        {
            error(node, path, "must be " + family.description + ", got " + describe(node) + hint);
            return null;
        }
        if (address.isUnspecified() || address.isMulticastOrBroadcast())
        {
            error(node, path, "must be a unicast address, got " + describe(node));
            return null;
        }
        return address;
    }

    private static boolean hostNameLike(final String text)
    {
        return text.indexOf(':') < 0 && !text.isEmpty() && text.chars().anyMatch(Character::isLetter) &&
            text.chars().allMatch(c -> Character.isLetterOrDigit(c) || c == '.' || c == '-');
    }

    // ---- messages -----------------------------------------------------------------------------------------

    private void error(final Node node, final String path, final String problem)
    {
        errors.add(new Problem(order(node), format(node, path, problem)));
    }

    private void warning(final Node node, final String path, final String problem)
    {
        warnings.add(new Problem(order(node), format(node, path, problem)));
    }

    /** Messages about the pool document come after the file's, each in line order. */
    private int order(final Node node)
    {
        return documentNodes.contains(node) ? DOCUMENT_ORDER + line(node) : line(node);
    }

    private String format(final Node node, final String path, final String problem)
    {
        if (documentNodes.contains(node))
        {
            final String wide = POOL_WIDE_KEYS.get(path);
            return format(documentName, line(node), wide != null && wide.startsWith("pool.") ? wide : path, problem);
        }
        return format(fileName, line(node), path, problem);
    }

    private String format(final int line, final String path, final String problem)
    {
        // Without a node (a missing key, a check across keys): with a store, every VIP is the document's.
        return format(merged && (path.startsWith("vips") || path.startsWith("pool")) ? documentName : fileName, line, path, problem);
    }

    private static String format(final String source, final int line, final String path, final String problem)
    {
        return source + ":" + line + ": " + (path.isEmpty() ? "" : path + ": ") + problem;
    }

    private static List<String> sorted(final List<Problem> problems)
    {
        // Stable: problems on one line keep the order they were found in.
        return problems.stream().sorted(Comparator.comparingInt(Problem::line)).map(Problem::text).toList();
    }

    private static int line(final Node node)
    {
        return node.getStartMark().getLine() + 1;
    }

    private static boolean isNull(final Node node)
    {
        return node instanceof ScalarNode && Tag.NULL.equals(node.getTag());
    }

    /** @return what a node holds, for "got ..." in a message. */
    private static String describe(final Node node)
    {
        if (node instanceof MappingNode)
        {
            return "a mapping";
        }
        if (node instanceof SequenceNode)
        {
            return "a list";
        }
        final ScalarNode scalar = (ScalarNode)node;
        if (isNull(node))
        {
            return scalar.getValue().isEmpty() ? "an empty value" : "null";
        }
        return quote(scalar.getValue());
    }

    private static String quote(final String text)
    {
        final String shown = text.length() > MAX_QUOTED ? text.substring(0, MAX_QUOTED) + "..." : text;
        final StringBuilder quoted = new StringBuilder(shown.length() + 2).append('"');
        for (int i = 0; i < shown.length(); i++)
        {
            final char c = shown.charAt(i);
            switch (c)
            {
                case '"' -> quoted.append("\\\"");
                case '\\' -> quoted.append("\\\\");
                case '\n' -> quoted.append("\\n");
                case '\t' -> quoted.append("\\t");
                default -> quoted.append(c);
            }
        }
        return quoted.append('"').toString();
    }

    private static String unknownKeyHint(final String key, final List<String> keys)
    {
        final String normalised = normalise(key);
        String best = null;
        int bestDistance = 3;
        for (final String candidate : keys)
        {
            final int distance = normalise(candidate).equals(normalised) ? 0 : editDistance(key, candidate);
            if (distance < bestDistance && distance < key.length())
            {
                best = candidate;
                bestDistance = distance;
            }
        }
        return best != null ?
            " (did you mean " + quote(best) + "?)" : " (expected one of " + String.join(", ", keys) + ")";
    }

    private static String normalise(final String key)
    {
        return key.replace("-", "").replace("_", "").toLowerCase(Locale.ROOT);
    }

    private static int editDistance(final String a, final String b)
    {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++)
        {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++)
            {
                final int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
            }
            final int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }
}
