package io.panamux.hostagent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.io.StringReader;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

import io.panamux.common.net.MacAddress;
import io.panamux.slowpath.config.BackendConfig;
import io.panamux.slowpath.config.ConfigException;
import io.panamux.slowpath.config.ConfigLoader;
import io.panamux.slowpath.config.Encapsulation;
import io.panamux.slowpath.config.IpAddress;
import io.panamux.slowpath.config.MachineLimits;
import io.panamux.slowpath.config.MuxConfig;
import io.panamux.slowpath.config.StoreSettings;
import io.panamux.slowpath.config.VipConfig;
import io.panamux.fastpath.encap.TunnelEncapsulator;
import io.panamux.flow.MaglevTable;

/**
 * Reads the host agent's YAML file into a {@link HostAgentConfig}. Every error names the file and the key,
 * and an unknown key is an error (a misspelt option must not be silently ignored).
 *
 * <pre>
 * agent:
 *   name: b1
 *   address: 198.18.21.2            # this host's IPv4 address (required)
 *   backs: ["192.0.2.12:80/tcp"]    # VIPs this host is a backend of (required to offer redirects)
 * pool:                             # the MUX pool (required)
 *   muxes: [198.18.11.2, 198.18.12.2]   # every MUX's mux.address: tunnels from them are opened (required)
 *   agents: ["198.18.3.0/24"]       # hosts whose agents may tunnel here directly (fastpath.offer-to are added)
 *   vips: ["192.0.2.12:80/tcp"]     # VIPs the pool serves (required to accept redirects; vips: are added)
 * dataplane:
 *   eal: [...]                      # default: no hugepages, no PCI, a file prefix of this process
 *   network: "net_af_packet0,iface=eth0"          # the device facing the network (required)
 *   host: "net_tap0,iface=pmx0,mac=02:99:00:00:21:02"   # the device facing the kernel (required)
 *   gateway-mac: "02:98:00:00:21:01"              # the router on the network side (required)
 *   mtu: 1600                       # network-side IP MTU, default 1500
 *   burst-size: 32                  # default 32
 *   gue-port: 6080                  # default 6080
 * hash-seed: 0x5eed                 # the MUX pool's seed (required with vips)
 * maglev-table-size: 65537         # the MUX pool's table size (a prime), default 65537
 * flow-table: { capacity: 65536, idle-timeout-seconds: 300 }
 * fastpath:                         # optional
 *   key: "hex, at least 16 bytes"   # the same on every agent
 *   port: 6081
 *   offer-to: ["198.18.2.0/24"]     # hosts that run an agent: redirect their flows (default none)
 *   accept: true                    # accept redirects for this host's flows (default true)
 *   lease-seconds: 30
 *   max-age-millis: 2000
 *   resend-millis: 500
 * vips:                             # source-side selection (optional), as in the MUX's file, IPv4 only
 *   - { address: 192.0.2.13, port: 80, protocol: tcp, encapsulation: ipip,
 *       backends: [ { address: 198.18.21.2, weight: 1 } ] }
 * </pre>
 */
public final class HostAgentConfigLoader
{
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Set<String> TOP = Set.of("agent", "pool", "dataplane", "hash-seed", "maglev-table-size", "flow-table", "fastpath", "vips",
        "store", "select");
    /** What a pool on etcd keeps in its document, not in an agent's file (ARCHITECTURE.md §7). */
    private static final Map<String, String> POOL_WIDE = Map.of("vips", "its VIPs (select names those this agent selects for)",
        "hash-seed", "pool.hash-seed", "maglev-table-size", "pool.maglev-table-size", "pool.vips", "the VIPs it serves");
    private static final Set<String> AGENT = Set.of("name", "address", "address6", "backs", "answer-neighbours");
    private static final Set<String> POOL = Set.of("muxes", "agents", "vips");
    private static final Set<String> DATAPLANE = Set.of("eal", "network", "host", "gateway-mac", "mtu", "burst-size", "gue-port");
    private static final Set<String> FLOW_TABLE = Set.of("capacity", "idle-timeout-seconds");
    private static final Set<String> FASTPATH = Set.of("key", "port", "offer-to", "accept", "lease-seconds", "max-age-millis",
        "resend-millis");
    private static final Set<String> VIP = Set.of("address", "port", "protocol", "encapsulation", "backends");
    private static final Set<String> BACKEND = Set.of("address", "weight");

    private final String file;
    private final Map<String, Integer> lines;
    /** The pool document (with store), or null for an agent whose file is all of its configuration. */
    private final Document document;

    /** A pool document's text and the name its messages give ({@code etcd:KEY@REVISION}). */
    private record Document(String text, String name)
    {
    }

    private HostAgentConfigLoader(final String file, final Map<String, Integer> lines, final Document document)
    {
        this.file = file;
        this.lines = lines;
        this.document = document;
    }

    /**
     * The line of every key and list item of the file, by the path errors name ({@code vips[0].backends[1].address}),
     * so that an error says FILE:LINE. Composed by SnakeYAML (Jackson's tree keeps no positions); a file it
     * cannot compose has no lines, and Jackson's own error names the place.
     */
    private static Map<String, Integer> lines(final String text)
    {
        final Map<String, Integer> out = new HashMap<>();
        try
        {
            final Node root = new Yaml(new SafeConstructor(new LoaderOptions())).compose(new StringReader(text));
            if (root != null)
            {
                walk(root, "", out);
            }
        }
        catch (final RuntimeException e)
        {
            // Not YAML: Jackson says so, with its own position.
        }
        return out;
    }

    private static void walk(final Node node, final String path, final Map<String, Integer> out)
    {
        if (node instanceof MappingNode m)
        {
            for (final NodeTuple t : m.getValue())
            {
                if (t.getKeyNode() instanceof ScalarNode k)
                {
                    final String child = path.isEmpty() ? k.getValue() : path + "." + k.getValue();
                    out.putIfAbsent(child, k.getStartMark().getLine() + 1);
                    walk(t.getValueNode(), child, out);
                }
            }
        }
        else if (node instanceof SequenceNode sq)
        {
            for (int i = 0; i < sq.getValue().size(); i++)
            {
                final Node item = sq.getValue().get(i);
                final String child = path + "[" + i + "]";
                out.putIfAbsent(child, item.getStartMark().getLine() + 1);
                walk(item, child, out);
            }
        }
    }

    /**
     * @param path the YAML file.
     * @return the configuration.
     * @throws IllegalArgumentException naming the file and key when something is wrong.
     */
    public static HostAgentConfig load(final Path path)
    {
        final String text;
        try
        {
            text = Files.readString(path);
        }
        catch (final IOException e)
        {
            throw new IllegalArgumentException(path + ": cannot read: " + e.getMessage());
        }
        return parse(path.toString(), text);
    }

    /**
     * @param file the name to give in errors.
     * @param text the YAML text.
     * @return the configuration.
     * @throws IllegalArgumentException naming the file and key when something is wrong.
     */
    public static HostAgentConfig parse(final String file, final String text)
    {
        final JsonNode root;
        try
        {
            root = YAML.readTree(text);
        }
        catch (final JsonProcessingException e)
        {
            throw new IllegalArgumentException(file + ": not valid YAML: " + e.getOriginalMessage());
        }
        return new HostAgentConfigLoader(file, lines(text), null).config(root);
    }

    /**
     * Reads only the {@code store} section of an agent's file, with the MUX's reader of that section (the same
     * keys, defaults and messages as a MUX's {@code store.etcd}).
     *
     * @param path the agent's file.
     * @return its store settings; empty for an agent whose file is all of its configuration.
     * @throws IllegalArgumentException when the file cannot be read or its store section is not valid.
     */
    public static Optional<StoreSettings> storeOf(final Path path)
    {
        try
        {
            return ConfigLoader.storeOf(path);
        }
        catch (final ConfigException e)
        {
            throw new IllegalArgumentException(e.getMessage());
        }
    }

    /**
     * Reads an agent's file that has a {@code store} section, with its pool's document (ARCHITECTURE.md §7): the
     * document is validated exactly as every MUX of the pool validates it (the MUX's parser, with this host's
     * addresses standing for the MUX's own), then its VIPs named by {@code select} become the agent's
     * source-side selection, all of its VIPs the pool's ({@code pool.vips}), and its hash seed and Maglev table
     * size the agent's.
     *
     * @param path         the agent's file.
     * @param documentText the pool document (empty when the pool has none yet).
     * @param documentName the name its messages give, e.g. {@code etcd:/panamux/pools/a/config@7}.
     * @return the configuration.
     * @throws ConfigException          when the document is not valid (each error names the document and line).
     * @throws IllegalArgumentException when the agent's file is not valid, or it selects for a VIP it cannot.
     */
    public static HostAgentConfig loadMerged(final Path path, final String documentText, final String documentName)
    {
        final String text;
        try
        {
            text = Files.readString(path);
        }
        catch (final IOException e)
        {
            throw new IllegalArgumentException(path + ": cannot read: " + e.getMessage());
        }
        final JsonNode root;
        try
        {
            root = YAML.readTree(text);
        }
        catch (final JsonProcessingException e)
        {
            throw new IllegalArgumentException(path + ": not valid YAML: " + e.getOriginalMessage());
        }
        return new HostAgentConfigLoader(path.toString(), lines(text), new Document(documentText, documentName)).config(root);
    }

    /**
     * The pool document validated by the MUX's parser: merged with a MUX file that holds only what the parser
     * needs of a node (this host's addresses as the MUX's own, no devices), so every rule a MUX applies to the
     * document applies here, and nothing of a MUX's own file can fail.
     */
    private MuxConfig poolDocument(final String name, final int address, final Ip6 address6)
    {
        boolean peersKey = false;
        try
        {
            final JsonNode doc = YAML.readTree(document.text());
            peersKey = doc != null && doc.path("pool").has("peers-key");
        }
        catch (final JsonProcessingException e)
        {
            // The merge below says what is wrong, with the line.
        }
        // IPv6 backends need a MUX IPv6 address: this host's, or one of the discard-only prefix (RFC 6666), never a VIP.
        final String local = "mux:\n  name: \"" + name.replace("\"", "") + "\"\n  address: " + Prefix.format(address) + "\n  address6: \"" +
            (address6 == null ? "100::1" : address6.toString()) + "\"\n" +
            "dataplane: { eal: [], port: 0, gateway-mac: \"02:00:00:00:00:01\" }\n" +
            // With the pool's key the seed derives from it, as on every MUX with peers.
            (peersKey ? "peers: { listen: \"127.0.0.1:1\" }\n" : "");
        return ConfigLoader.merge(local, file, document.text(), document.name(), MachineLimits.current());
    }

    private HostAgentConfig config(final JsonNode root)
    {
        if (root == null || !root.isObject())
        {
            throw error("", "the file must be a mapping with agent, dataplane, ...");
        }
        keys(root, "", TOP);
        final JsonNode agent = section(root, "agent", true);
        keys(agent, "agent", AGENT);
        final String name = text(agent, "agent.name", "hostagent");
        final int address = address(agent.get("address"), "agent.address", true);
        final Ip6 address6 = agent.has("address6") && !agent.get("address6").isNull() ? address6(agent.get("address6"), "agent.address6") : null;
        final boolean answerNeighbours = !agent.has("answer-neighbours") || bool(agent.get("answer-neighbours"), "agent.answer-neighbours");
        final List<HostAgentConfig.ServedVip> backs = servedVips(agent, "backs", "agent.backs");

        final JsonNode poolNode = section(root, "pool", true);
        keys(poolNode, "pool", POOL);
        if (root.has("store") && document == null)
        {
            throw error("store", "this file takes the pool's VIPs from its document in etcd: the agent reads it with the document " +
                "(HostAgentConfigLoader.loadMerged)");
        }
        if (document != null)
        {
            for (final Map.Entry<String, String> wide : POOL_WIDE.entrySet())
            {
                final String[] parts = wide.getKey().split("\\.");
                final JsonNode parent = parts.length == 1 ? root : root.path(parts[0]);
                if (parent.has(parts[parts.length - 1]))
                {
                    throw error(wide.getKey(), "not allowed with store: the pool's " + wide.getValue() + " come from its document in etcd");
                }
            }
        }
        else if (root.has("select"))
        {
            throw error("select", "is only for an agent with store (the VIPs of the pool document it selects for); vips: is this file's");
        }
        final List<Integer> muxes = new ArrayList<>();
        final List<Ip6> muxes6 = new ArrayList<>();
        int item = 0;
        for (final JsonNode n : list(poolNode, "muxes", "pool.muxes"))
        {
            final String itemPath = "pool.muxes[" + item++ + "]";
            if (Ip6.looksLikeV6(n.asText()))
            {
                muxes6.add(address6(n, itemPath));
            }
            else
            {
                muxes.add(address(n, itemPath, true));
            }
        }
        if (muxes.isEmpty() && muxes6.isEmpty())
        {
            throw error("pool.muxes", "is required: the address of every MUX of the pool (tunnels from anyone else are refused)");
        }
        final List<Prefix> agents = new ArrayList<>();
        final List<Prefix6> agents6 = new ArrayList<>();
        prefixes(poolNode, "agents", "pool.agents", agents, agents6);
        final MuxConfig poolDocument = document == null ? null : poolDocument(name, address, address6);
        final HostAgentConfig.Pool pool = new HostAgentConfig.Pool(muxes, agents, poolDocument == null ? servedVips(poolNode, "vips", "pool.vips")
            : poolDocument.vips().stream().map(HostAgentConfigLoader::served).toList(), muxes6, agents6);
        if (address6 == null && (!muxes6.isEmpty() || !agents6.isEmpty()))
        {
            throw error("agent.address6", "is required with IPv6 addresses in pool: IPv6 tunnels come to this host's IPv6 address");
        }

        final JsonNode dp = section(root, "dataplane", true);
        keys(dp, "dataplane", DATAPLANE);
        final List<String> eal = new ArrayList<>();
        if (dp.has("eal"))
        {
            if (!dp.get("eal").isArray())
            {
                throw error("dataplane.eal", "must be a list of strings");
            }
            dp.get("eal").forEach(n -> eal.add(n.asText()));
        }
        else
        {
            eal.addAll(List.of("--no-huge", "-m", "256", "--no-pci", "--no-shconf", "--file-prefix=pmxha" + ProcessHandle.current().pid(),
                "--no-telemetry", "--log-level=lib.eal:error", "-l", "0"));
        }
        final String network = required(dp, "network", "dataplane.network");
        final String host = required(dp, "host", "dataplane.host");
        final long gatewayMac = mac(required(dp, "gateway-mac", "dataplane.gateway-mac"), "dataplane.gateway-mac");
        final int mtu = integer(dp, "mtu", "dataplane.mtu", 1500, 576, 9000);
        final int burst = integer(dp, "burst-size", "dataplane.burst-size", 32, 1, 512);
        final int guePort = integer(dp, "gue-port", "dataplane.gue-port", TunnelEncapsulator.DEFAULT_GUE_PORT, 1, 65535);

        final long seed = poolDocument != null ? poolDocument.mux().hashSeed()
            : root.has("hash-seed") ? number(root.get("hash-seed"), "hash-seed") : HostAgentConfig.DEFAULT_HASH_SEED;
        final int tableSize = poolDocument != null ? poolDocument.dataplane().maglevTableSize()
            : integer(root, "maglev-table-size", "maglev-table-size", MaglevTable.DEFAULT_SIZE, 3, 1 << 24);
        if (!MaglevTable.isPrime(tableSize))
        {
            throw error("maglev-table-size", tableSize + " is not a prime");
        }
        int capacity = 65536;
        int idle = 300;
        if (root.has("flow-table"))
        {
            final JsonNode ft = section(root, "flow-table", true);
            keys(ft, "flow-table", FLOW_TABLE);
            capacity = integer(ft, "capacity", "flow-table.capacity", capacity, 1024, 1 << 26);
            idle = integer(ft, "idle-timeout-seconds", "flow-table.idle-timeout-seconds", idle, 1, 86400);
        }

        Optional<HostAgentConfig.Fastpath> fastpath = Optional.empty();
        if (root.has("fastpath"))
        {
            fastpath = Optional.of(fastpath(section(root, "fastpath", true)));
        }

        final List<HostAgentConfig.SourceVip> vips = new ArrayList<>();
        if (root.has("vips"))
        {
            final JsonNode list = root.get("vips");
            if (!list.isArray())
            {
                throw error("vips", "must be a list");
            }
            for (int i = 0; i < list.size(); i++)
            {
                vips.add(vip(list.get(i), "vips[" + i + "]"));
            }
            for (int i = 0; i < vips.size(); i++)
            {
                for (int j = 0; j < i; j++)
                {
                    if (vips.get(i).key().equals(vips.get(j).key()))
                    {
                        throw error("vips[" + i + "]", "duplicate VIP " + vips.get(i).key());
                    }
                }
            }
        }
        if (poolDocument != null)
        {
            vips.addAll(selected(root, poolDocument, address6, guePort));
        }
        if (!vips.isEmpty() && !root.has("hash-seed") && poolDocument == null)
        {
            // The MUX's seed is no public constant any more (a pool derives or generates its own): say it.
            throw error("hash-seed", "is required with vips: the MUX pool's seed, as 'panamux run' prints it (ctl vips --json: hash_seed)");
        }
        if (address6 == null && fastpath.isPresent() && !fastpath.get().offerTo6().isEmpty())
        {
            throw error("agent.address6", "is required with IPv6 prefixes in fastpath.offer-to: IPv6 redirects come from this host's IPv6 address");
        }
        for (int i = 0; i < vips.size(); i++)
        {
            final boolean needs6 = vips.get(i).address6() != null || vips.get(i).backends().stream().anyMatch(b -> b.address6() != null);
            if (needs6 && address6 == null)
            {
                throw error("vips[" + i + "]", "agent.address6 is required for an IPv6 VIP or backend: the outer source of IPv6 tunnels");
            }
        }
        if (fastpath.isPresent() && fastpath.get().offers() && backs.isEmpty())
        {
            throw error("agent.backs", "is required with fastpath.offer-to: the VIPs whose flows this host may redirect to itself");
        }
        if (fastpath.isPresent() && fastpath.get().accept() && pool.vips().isEmpty() && vips.isEmpty())
        {
            throw error("pool.vips", "is required with fastpath.accept: the VIPs a redirect may be accepted for");
        }
        return new HostAgentConfig(name, address, eal, network, host, gatewayMac, mtu, burst, guePort, seed, tableSize, capacity, idle, pool,
            backs, fastpath, vips, address6, answerNeighbours);
    }

    private HostAgentConfig.Fastpath fastpath(final JsonNode fp)
    {
        keys(fp, "fastpath", FASTPATH);
        final String hex = required(fp, "key", "fastpath.key");
        final byte[] key;
        try
        {
            key = HexFormat.of().parseHex(hex);
        }
        catch (final IllegalArgumentException e)
        {
            throw error("fastpath.key", "must be hexadecimal");
        }
        if (key.length < 16)
        {
            throw error("fastpath.key", "must be at least 16 bytes (32 hex digits), not " + key.length);
        }
        final int port = integer(fp, "port", "fastpath.port", HostAgentConfig.DEFAULT_FASTPATH_PORT, 1, 65535);
        final List<Prefix> offerTo = new ArrayList<>();
        final List<Prefix6> offerTo6 = new ArrayList<>();
        prefixes(fp, "offer-to", "fastpath.offer-to", offerTo, offerTo6);
        final boolean accept = !fp.has("accept") || bool(fp.get("accept"), "fastpath.accept");
        final int lease = integer(fp, "lease-seconds", "fastpath.lease-seconds", 30, 1, 3600);
        final int maxAge = integer(fp, "max-age-millis", "fastpath.max-age-millis", 2000, 10, 600_000);
        final int resend = integer(fp, "resend-millis", "fastpath.resend-millis", 500, 10, 60_000);
        return new HostAgentConfig.Fastpath(key, port, offerTo, accept, lease, maxAge, resend, offerTo6);
    }

    private HostAgentConfig.SourceVip vip(final JsonNode v, final String path)
    {
        if (v == null || !v.isObject())
        {
            throw error(path, "must be a mapping");
        }
        keys(v, path, VIP);
        final boolean v6 = v.get("address") != null && Ip6.looksLikeV6(v.get("address").asText());
        final int address = v6 ? 0 : address(v.get("address"), path + ".address", true);
        final Ip6 address6 = v6 ? address6(v.get("address"), path + ".address") : null;
        final int port = integer(v, "port", path + ".port", -1, 1, 65535);
        if (port < 0)
        {
            throw error(path + ".port", "is required");
        }
        final String protocolText = text(v, path + ".protocol", "tcp");
        final int protocol = switch (protocolText)
        {
            case "tcp" -> 6;
            case "udp" -> 17;
            default -> throw error(path + ".protocol", "must be tcp or udp, not '" + protocolText + "'");
        };
        final String encapText = text(v, path + ".encapsulation", "ipip");
        final int encapsulation = switch (encapText)
        {
            case "ipip" -> TunnelEncapsulator.IPIP;
            case "gre" -> TunnelEncapsulator.GRE;
            case "gue" -> TunnelEncapsulator.GUE;
            default -> throw error(path + ".encapsulation", "must be ipip, gre or gue, not '" + encapText + "'");
        };
        final JsonNode list = v.get("backends");
        if (list == null || !list.isArray() || list.isEmpty())
        {
            throw error(path + ".backends", "must be a non-empty list");
        }
        final List<HostAgentConfig.SourceBackend> backends = new ArrayList<>();
        for (int i = 0; i < list.size(); i++)
        {
            final String bp = path + ".backends[" + i + "]";
            final JsonNode b = list.get(i);
            if (b == null || !b.isObject())
            {
                throw error(bp, "must be a mapping with address and weight");
            }
            keys(b, bp, BACKEND);
            final boolean b6 = b.get("address") != null && Ip6.looksLikeV6(b.get("address").asText());
            final HostAgentConfig.SourceBackend backend = new HostAgentConfig.SourceBackend(b6 ? 0 : address(b.get("address"), bp + ".address", true),
                integer(b, "weight", bp + ".weight", 1, 0, 1000), b6 ? address6(b.get("address"), bp + ".address") : null);
            for (final HostAgentConfig.SourceBackend other : backends)
            {
                if (other.address() == backend.address() && java.util.Objects.equals(other.address6(), backend.address6()))
                {
                    throw error(bp + ".address", "duplicate backend " + backend);
                }
            }
            backends.add(backend);
        }
        return new HostAgentConfig.SourceVip(address, port, protocol, encapsulation, backends, address6);
    }

    private Iterable<JsonNode> list(final JsonNode node, final String key, final String path)
    {
        final JsonNode v = node.get(key);
        if (v == null || v.isNull())
        {
            return List.of();
        }
        if (!v.isArray())
        {
            throw error(path, "must be a list");
        }
        return v;
    }

    private void prefixes(final JsonNode node, final String key, final String path, final List<Prefix> out, final List<Prefix6> out6)
    {
        int i = 0;
        for (final JsonNode p : list(node, key, path))
        {
            final String itemPath = path + "[" + i++ + "]";
            try
            {
                if (Ip6.looksLikeV6(p.asText()))
                {
                    out6.add(Prefix6.parse(p.asText()));
                }
                else
                {
                    out.add(Prefix.parse(p.asText()));
                }
            }
            catch (final IllegalArgumentException e)
            {
                throw error(itemPath, e.getMessage());
            }
        }
    }

    private Ip6 address6(final JsonNode node, final String path)
    {
        try
        {
            return Ip6.parse(node.asText());
        }
        catch (final IllegalArgumentException e)
        {
            throw error(path, e.getMessage());
        }
    }

    private List<HostAgentConfig.ServedVip> servedVips(final JsonNode node, final String key, final String path)
    {
        final List<HostAgentConfig.ServedVip> out = new ArrayList<>();
        int i = 0;
        for (final JsonNode v : list(node, key, path))
        {
            final String itemPath = path + "[" + i++ + "]";
            final HostAgentConfig.ServedVip vip;
            try
            {
                vip = HostAgentConfig.ServedVip.parse(v.asText());
            }
            catch (final IllegalArgumentException e)
            {
                throw error(itemPath, e.getMessage());
            }
            if (out.contains(vip))
            {
                throw error(itemPath, "duplicate VIP " + vip);
            }
            out.add(vip);
        }
        return out;
    }

    private static HostAgentConfig.ServedVip served(final VipConfig v)
    {
        final IpAddress a = v.address();
        return new HostAgentConfig.ServedVip(a.ipv6() ? 0 : a.ipv4(), v.port(), v.protocol().ipProtocol(),
            a.ipv6() ? new Ip6(a.high(), a.low()) : null);
    }

    /**
     * The document's VIPs named by {@code select} ({@code all}, or a list of {@code ADDRESS:PORT/PROTO}), as the
     * agent selects for them: a draining backend has weight 0 (the table {@code MaglevBackends} builds for it on
     * the MUX). A named VIP the document does not have is an error: the agent would silently not select for it.
     */
    private List<HostAgentConfig.SourceVip> selected(final JsonNode root, final MuxConfig pool, final Ip6 address6, final int guePort)
    {
        final JsonNode select = root.get("select");
        final boolean all = select != null && select.isTextual() && "all".equals(select.asText());
        final List<HostAgentConfig.ServedVip> names = all || select == null || select.isNull() ? List.of() : servedVips(root, "select", "select");
        final List<HostAgentConfig.SourceVip> out = new ArrayList<>();
        for (int i = 0; i < names.size(); i++)
        {
            final HostAgentConfig.ServedVip name = names.get(i);
            if (pool.vips().stream().noneMatch(v -> served(v).equals(name)))
            {
                throw error("select[" + i + "]", name + " is not a VIP of the pool document " + document.name());
            }
        }
        for (final VipConfig v : pool.vips())
        {
            final HostAgentConfig.ServedVip vip = served(v);
            if (!all && !names.contains(vip))
            {
                continue;
            }
            final boolean needs6 = vip.v6() || v.backends().stream().anyMatch(b -> b.address().ipv6());
            if (all && needs6 && address6 == null)
            {
                // select: all takes what this host can send: IPv6 tunnels need agent.address6.
                continue;
            }
            if (v.encapsulation() == Encapsulation.GUE && v.guePort() != guePort)
            {
                // The agent's GUE port is its dataplane.gue-port, one for every VIP.
                throw error("select", vip + ": GUE to port " + v.guePort() + " cannot be sent from here (this agent sends GUE to " +
                    "dataplane.gue-port " + guePort + ")");
            }
            final List<HostAgentConfig.SourceBackend> backends = new ArrayList<>();
            for (final BackendConfig b : v.backends())
            {
                final IpAddress a = b.address();
                backends.add(new HostAgentConfig.SourceBackend(a.ipv6() ? 0 : a.ipv4(), b.draining() ? 0 : b.weight(),
                    a.ipv6() ? new Ip6(a.high(), a.low()) : null));
            }
            final int encapsulation = switch (v.encapsulation())
            {
                case IPIP -> TunnelEncapsulator.IPIP;
                case GRE -> TunnelEncapsulator.GRE;
                case GUE -> TunnelEncapsulator.GUE;
            };
            out.add(new HostAgentConfig.SourceVip(vip.address(), vip.port(), vip.protocol(), encapsulation, backends, vip.address6()));
        }
        return out;
    }

    private void keys(final JsonNode node, final String path, final Set<String> allowed)
    {
        final Iterator<String> names = node.fieldNames();
        while (names.hasNext())
        {
            final String name = names.next();
            if (!allowed.contains(name))
            {
                throw error(path.isEmpty() ? name : path + "." + name, "unknown key (known: " + String.join(", ", allowed.stream().sorted().toList())
                    + ")");
            }
        }
    }

    private JsonNode section(final JsonNode parent, final String name, final boolean required)
    {
        final JsonNode node = parent.get(name);
        if (node == null || node.isNull())
        {
            if (required)
            {
                throw error(name, "is required");
            }
            return YAML.createObjectNode();
        }
        if (!node.isObject())
        {
            throw error(name, "must be a mapping");
        }
        return node;
    }

    private String required(final JsonNode node, final String key, final String path)
    {
        final JsonNode v = node.get(key);
        if (v == null || v.isNull() || v.asText().isEmpty())
        {
            throw error(path, "is required");
        }
        return v.asText();
    }

    private String text(final JsonNode node, final String path, final String defaultValue)
    {
        final String key = path.substring(path.lastIndexOf('.') + 1);
        final JsonNode v = node.get(key);
        return v == null || v.isNull() ? defaultValue : v.asText();
    }

    private int address(final JsonNode node, final String path, final boolean required)
    {
        if (node == null || node.isNull())
        {
            if (required)
            {
                throw error(path, "is required");
            }
            return 0;
        }
        try
        {
            return Prefix.parseAddress(node.asText());
        }
        catch (final IllegalArgumentException e)
        {
            throw error(path, e.getMessage());
        }
    }

    private int integer(final JsonNode node, final String key, final String path, final int defaultValue, final int min, final int max)
    {
        final JsonNode v = node.get(key);
        if (v == null || v.isNull())
        {
            return defaultValue;
        }
        final long n = number(v, path);
        if (n < min || n > max)
        {
            throw error(path, "must be between " + min + " and " + max + ", not " + n);
        }
        return (int)n;
    }

    private long number(final JsonNode v, final String path)
    {
        if (v.isIntegralNumber())
        {
            return v.asLong();
        }
        final String s = v.asText().trim();
        try
        {
            return s.startsWith("0x") || s.startsWith("0X") ? Long.parseUnsignedLong(s.substring(2), 16) : Long.parseLong(s);
        }
        catch (final NumberFormatException e)
        {
            throw error(path, "must be a whole number, not '" + s + "'");
        }
    }

    private boolean bool(final JsonNode v, final String path)
    {
        if (v.isBoolean())
        {
            return v.asBoolean();
        }
        throw error(path, "must be true or false");
    }

    private long mac(final String text, final String path)
    {
        final long mac;
        try
        {
            mac = MacAddress.parse(text);
        }
        catch (final IllegalArgumentException e)
        {
            throw error(path, e.getMessage());
        }
        if (!MacAddress.isUnicast(mac))
        {
            throw error(path, "'" + text + "' is not a unicast MAC address");
        }
        return mac;
    }

    private IllegalArgumentException error(final String path, final String message)
    {
        // The line of the key named, or of the nearest enclosing key that is in the file (a missing key is
        // blamed on its section).
        Integer line = null;
        for (String p = path; line == null && !p.isEmpty(); p = parent(p))
        {
            line = lines.get(p);
        }
        return new IllegalArgumentException(file + ":" + (line == null ? 1 : line) + ": " + (path.isEmpty() ? "" : path + ": ") + message);
    }

    private static String parent(final String path)
    {
        final int cut = Math.max(path.lastIndexOf('.'), path.lastIndexOf('['));
        return cut < 0 ? "" : path.substring(0, cut);
    }
}
