package io.panamux.hostagent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.panamux.common.config.ConfigProblems;
import io.panamux.common.config.ConfigSection;
import io.panamux.common.config.NodeReader;
import io.panamux.common.config.YamlText;
import io.panamux.fastpath.encap.TunnelEncapsulator;
import io.panamux.flow.MaglevTable;
import io.panamux.slowpath.config.BackendConfig;
import io.panamux.slowpath.config.ConfigException;
import io.panamux.slowpath.config.ConfigLoader;
import io.panamux.slowpath.config.Encapsulation;
import io.panamux.slowpath.config.IpAddress;
import io.panamux.slowpath.config.MachineLimits;
import io.panamux.slowpath.config.MuxConfig;
import io.panamux.slowpath.config.StoreSettings;
import io.panamux.slowpath.config.VipConfig;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;

/**
 * Reads the host agent's YAML file into a {@link HostAgentConfig} with the configuration kit the MUX uses
 * ({@code io.panamux.common.config}): the text is composed into SnakeYAML nodes, every problem is reported as
 * {@code FILE:LINE: PATH: problem} (all of them, in line order, none applied), an unknown key is an error (a
 * misspelt option must not be silently ignored), and integers, MACs and booleans read as in the MUX's file.
 * Checks across sections run only on sections that had no error.
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
 *   gue-port: 6080                  # default 6080; with a store GUE is also opened on the document's VIPs' ports
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
 * store: { etcd: { ... } }          # a pool on etcd: the MUX's store section (loadMerged; then no vips,
 *                                   # hash-seed, maglev-table-size or pool.vips here: the document's)
 * select: ["192.0.2.13:80/tcp"]     # with store: the document's VIPs to select for, or all
 * </pre>
 */
public final class HostAgentConfigLoader
{
    static final List<String> TOP_KEYS = List.of("agent", "pool", "dataplane", "hash-seed", "maglev-table-size", "flow-table", "fastpath",
        "vips", "store", "select");
    /** What a pool on etcd keeps in its document, not in an agent's file (ARCHITECTURE.md §7). */
    private static final Map<String, String> POOL_WIDE = Map.of("vips", "its VIPs (select names those this agent selects for)",
        "hash-seed", "pool.hash-seed", "maglev-table-size", "pool.maglev-table-size", "pool.vips", "the VIPs it serves");
    static final List<String> AGENT_KEYS = List.of("name", "address", "address6", "backs", "answer-neighbours");
    static final List<String> POOL_KEYS = List.of("muxes", "agents", "vips");
    static final List<String> DATAPLANE_KEYS = List.of("eal", "network", "host", "gateway-mac", "mtu", "burst-size", "gue-port");
    static final List<String> FLOW_TABLE_KEYS = List.of("capacity", "idle-timeout-seconds");
    static final List<String> FASTPATH_KEYS = List.of("key", "port", "offer-to", "accept", "lease-seconds", "max-age-millis",
        "resend-millis");
    private static final int DEFAULT_MTU = 1500;
    private static final int DEFAULT_BURST_SIZE = 32;
    private static final int DEFAULT_FLOW_CAPACITY = 65536;
    private static final int DEFAULT_IDLE_TIMEOUT_SECONDS = 300;

    /** An agent's section as read: its record's values. */
    private record Agent(String name, int address, Ip6 address6, boolean answerNeighbours, List<HostAgentConfig.ServedVip> backs)
    {
    }

    /** The dataplane section as read. */
    private record Dataplane(List<String> eal, String network, String host, long gatewayMac, int mtu, int burstSize, int guePort)
    {
    }

    /** A pool document's text and the name its messages give ({@code etcd:KEY@REVISION}). */
    private record Document(String text, String name)
    {
    }

    private final String file;
    private final ConfigProblems problems;
    private final NodeReader reader;
    /** The pool document (with store), or null for an agent whose file is all of its configuration. */
    private final Document document;

    private HostAgentConfigLoader(final String file, final Document document)
    {
        this.file = file;
        this.problems = new ConfigProblems(file);
        this.reader = new NodeReader(problems);
        this.document = document;
    }

    /**
     * @param path the YAML file (UTF-8).
     * @return the configuration.
     * @throws IllegalArgumentException one {@code FILE:LINE: problem} a line, naming the key, when something is wrong.
     */
    public static HostAgentConfig load(final Path path)
    {
        return parse(path.toString(), read(path));
    }

    /**
     * @param file the name to give in errors.
     * @param text the YAML text.
     * @return the configuration.
     * @throws IllegalArgumentException one {@code FILE:LINE: problem} a line, naming the key, when something is wrong.
     */
    public static HostAgentConfig parse(final String file, final String text)
    {
        return new HostAgentConfigLoader(file, null).config(compose(file, text));
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
        final String file = path.toString();
        return new HostAgentConfigLoader(file, new Document(documentText, documentName)).config(compose(file, read(path)));
    }

    private static String read(final Path path)
    {
        final byte[] bytes;
        try
        {
            bytes = Files.readAllBytes(path);
        }
        catch (final IOException e)
        {
            throw new IllegalArgumentException(path + ": cannot read: " + e.getMessage());
        }
        return YamlText.decodeUtf8(bytes, path.toString());
    }

    private static Node compose(final String file, final String text)
    {
        final Node root = YamlText.compose(text, file);
        if (root == null)
        {
            throw new IllegalArgumentException(file + ":1: the file is empty: it needs at least the sections agent, pool and dataplane");
        }
        return root;
    }

    /**
     * The pool document validated by the MUX's parser: merged with a MUX file that holds only what the parser
     * needs of a node (this host's addresses as the MUX's own, no devices), so every rule a MUX applies to the
     * document applies here, and nothing of a MUX's own file can fail.
     */
    private MuxConfig poolDocument(final String name, final int address, final Ip6 address6)
    {
        // IPv6 backends need a MUX IPv6 address: this host's, or one of the discard-only prefix (RFC 6666), never a VIP.
        final String local = "mux:\n  name: \"" + name.replace("\"", "") + "\"\n  address: " + Prefix.format(address) + "\n  address6: \"" +
            (address6 == null ? "100::1" : address6.toString()) + "\"\n" +
            // No peers section: the pool's seed derives from the document alone, as on every MUX (HashSeed.forPool).
            "dataplane: { eal: [], port: 0, gateway-mac: \"02:00:00:00:00:01\" }\n";
        return ConfigLoader.merge(local, file, document.text(), document.name(), MachineLimits.current());
    }

    /** @return the entry of {@code key} in a mapping not read as a section (a raw document, a refused key); null when none. */
    private static NodeTuple tuple(final MappingNode mapping, final String key)
    {
        for (final NodeTuple tuple : mapping.getValue())
        {
            if (tuple.getKeyNode() instanceof ScalarNode k && key.equals(k.getValue()))
            {
                return tuple;
            }
        }
        return null;
    }

    private HostAgentConfig config(final Node root)
    {
        final ConfigSection top = reader.section(root, "", 1, TOP_KEYS);
        if (top == null)
        {
            throw failure();
        }
        final Agent agent = agent(top);
        HostAgentConfig.Pool pool = pool(top);
        final Dataplane dataplane = dataplane(top);
        Long seed = top.value("hash-seed") == null ? Long.valueOf(HostAgentConfig.DEFAULT_HASH_SEED) :
            reader.unsigned64(top.value("hash-seed"), "hash-seed");
        Integer tableSize = reader.integer(top, "maglev-table-size", false, MaglevTable.DEFAULT_SIZE, 3, 1 << 24);
        if (tableSize != null && !MaglevTable.isPrime(tableSize))
        {
            reader.error(top.value("maglev-table-size"), "maglev-table-size", "must be a prime (Maglev's permutations need it), got " +
                NodeReader.describe(top.value("maglev-table-size")));
            tableSize = null;
        }
        final ConfigSection flowTable = top.value("flow-table") == null ? new ConfigSection("flow-table", 1, Map.of()) :
            reader.childSection(top, "flow-table", false, FLOW_TABLE_KEYS);
        final Integer capacity = flowTable == null ? null :
            reader.integer(flowTable, "capacity", false, DEFAULT_FLOW_CAPACITY, 1024, 1 << 26);
        final Integer idle = flowTable == null ? null :
            reader.integer(flowTable, "idle-timeout-seconds", false, DEFAULT_IDLE_TIMEOUT_SECONDS, 1, 86400);
        final Optional<HostAgentConfig.Fastpath> fastpath = top.value("fastpath") == null ? Optional.empty() : fastpath(top);
        List<SourceVipsReader.PlacedVip> vips = SourceVipsReader.read(reader, top);
        refuseWhatTheStoreGives(top);
        if (problems.hasErrors())
        {
            throw failure();
        }

        List<Integer> poolGuePorts = List.of();
        if (document != null)
        {
            // Only now: the document's problems are the MUX's (ConfigException), the file's are all said above.
            final MuxConfig poolDocument = poolDocument(agent.name(), agent.address(), agent.address6());
            seed = poolDocument.mux().hashSeed();
            tableSize = poolDocument.dataplane().maglevTableSize();
            pool = new HostAgentConfig.Pool(pool.muxes(), pool.agents(), poolDocument.vips().stream().map(HostAgentConfigLoader::served).toList(),
                pool.muxes6(), pool.agents6());
            vips = selected(top, poolDocument, agent.address6(), dataplane.guePort());
            // The MUXes send each GUE VIP to its own port (the document's, the same on every MUX): open them all.
            poolGuePorts = poolDocument.vips().stream().filter(v -> v.encapsulation() == Encapsulation.GUE).map(VipConfig::guePort)
                .distinct().sorted().toList();
        }
        if (vips != null)
        {
            crossChecks(top, agent, pool, fastpath, vips);
        }
        if (problems.hasErrors())
        {
            throw failure();
        }
        return new HostAgentConfig(agent.name(), agent.address(), dataplane.eal(), dataplane.network(), dataplane.host(),
            dataplane.gatewayMac(), dataplane.mtu(), dataplane.burstSize(), dataplane.guePort(), seed, tableSize, capacity, idle, pool,
            agent.backs(), fastpath, vips.stream().map(SourceVipsReader.PlacedVip::vip).toList(), agent.address6(), agent.answerNeighbours(),
            poolGuePorts);
    }

    /**
     * With a store, the pool-wide keys are the document's: the same key in the agent's file would be a second,
     * silently ignored source. Without one, {@code store} needs the document and {@code select} means nothing.
     */
    private void refuseWhatTheStoreGives(final ConfigSection top)
    {
        if (document == null)
        {
            if (top.value("store") != null)
            {
                reader.error(top.entries().get("store").getKeyNode(), "store", "this file takes the pool's VIPs from its document in etcd: " +
                    "the agent reads it with the document (HostAgentConfigLoader.loadMerged)");
            }
            if (top.value("select") != null)
            {
                reader.error(top.entries().get("select").getKeyNode(), "select", "is only for an agent with store (the VIPs of the pool " +
                    "document it selects for); vips: is this file's");
            }
            return;
        }
        for (final Map.Entry<String, String> wide : POOL_WIDE.entrySet())
        {
            final String[] parts = wide.getKey().split("\\.");
            final NodeTuple given = parts.length == 1 ? top.entries().get(parts[0]) :
                top.value(parts[0]) instanceof MappingNode mapping ? tuple(mapping, parts[1]) : null;
            final Node key = given == null ? null : given.getKeyNode();
            if (key != null)
            {
                reader.error(key, wide.getKey(), "not allowed with store: the pool's " + wide.getValue() + " come from its document in etcd");
            }
        }
    }

    private static Node keyNode(final ConfigSection section, final String key)
    {
        final NodeTuple tuple = section.entries().get(key);
        return tuple == null ? null : tuple.getKeyNode();
    }

    private void crossChecks(final ConfigSection top, final Agent agent, final HostAgentConfig.Pool pool,
        final Optional<HostAgentConfig.Fastpath> fastpath, final List<SourceVipsReader.PlacedVip> vips)
    {
        final int agentLine = top.keyLine("agent");
        final int poolLine = top.keyLine("pool");
        if (agent.address6() == null && (!pool.muxes6().isEmpty() || !pool.agents6().isEmpty()))
        {
            problems.error(agentLine, "agent.address6", "is required with IPv6 addresses in pool: IPv6 tunnels come to this host's IPv6 address");
        }
        if (!vips.isEmpty() && top.value("hash-seed") == null && document == null)
        {
            // The MUX's seed is no public constant any more (a pool derives or generates its own): say it.
            problems.error(1, "hash-seed", "is required with vips: the MUX pool's seed, as 'panamux run' prints it (ctl vips --json: hash_seed)");
        }
        if (agent.address6() == null && fastpath.isPresent() && !fastpath.get().offerTo6().isEmpty())
        {
            problems.error(agentLine, "agent.address6", "is required with IPv6 prefixes in fastpath.offer-to: IPv6 redirects come from this " +
                "host's IPv6 address");
        }
        for (final SourceVipsReader.PlacedVip placed : vips)
        {
            final HostAgentConfig.SourceVip vip = placed.vip();
            final boolean needs6 = vip.address6() != null || vip.backends().stream().anyMatch(b -> b.address6() != null);
            if (needs6 && agent.address6() == null)
            {
                reader.error(placed.node(), placed.path(), "agent.address6 is required for an IPv6 VIP or backend: the outer source of " +
                    "IPv6 tunnels");
            }
        }
        if (fastpath.isPresent() && fastpath.get().offers() && agent.backs().isEmpty())
        {
            problems.error(agentLine, "agent.backs", "is required with fastpath.offer-to: the VIPs whose flows this host may redirect to itself");
        }
        if (fastpath.isPresent() && fastpath.get().accept() && pool.vips().isEmpty() && vips.isEmpty())
        {
            problems.error(poolLine, "pool.vips", "is required with fastpath.accept: the VIPs a redirect may be accepted for");
        }
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
     *
     * @return the selection, each blamed on the select key; null when it has errors (reported).
     */
    private List<SourceVipsReader.PlacedVip> selected(final ConfigSection top, final MuxConfig pool, final Ip6 address6, final int guePort)
    {
        final Node select = top.value("select");
        final int errorsBefore = problems.errorCount();
        final boolean all = select instanceof ScalarNode scalar && "all".equals(scalar.getValue());
        final List<Node> items = all || select == null ? List.of() : items(top, "select");
        final List<HostAgentConfig.ServedVip> names = all || select == null ? List.of() : servedVips(top, "select");
        for (int i = 0; i < names.size() && problems.errorCount() == errorsBefore; i++)
        {
            final HostAgentConfig.ServedVip name = names.get(i);
            if (pool.vips().stream().noneMatch(v -> served(v).equals(name)))
            {
                reader.error(items.get(i), "select[" + i + "]", name + " is not a VIP of the pool document " + document.name());
            }
        }
        final List<SourceVipsReader.PlacedVip> out = new ArrayList<>();
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
            final Node blamed = select != null ? keyNode(top, "select") : null;
            if (v.encapsulation() == Encapsulation.GUE && v.guePort() != guePort)
            {
                // The agent's GUE port is its dataplane.gue-port, one for every VIP.
                reader.error(blamed, "select", vip + ": GUE to port " + v.guePort() + " cannot be sent from here (this agent sends GUE to " +
                    "dataplane.gue-port " + guePort + ")");
                continue;
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
            out.add(new SourceVipsReader.PlacedVip(new HostAgentConfig.SourceVip(vip.address(), vip.port(), vip.protocol(), encapsulation, backends,
                vip.address6()), blamed, "select"));
        }
        return problems.errorCount() == errorsBefore ? out : null;
    }

    private IllegalArgumentException failure()
    {
        return new IllegalArgumentException(String.join("\n", problems.errors()));
    }

    /** @return the agent section; null when it has errors (reported). */
    private Agent agent(final ConfigSection top)
    {
        final ConfigSection agent = reader.childSection(top, "agent", true, AGENT_KEYS);
        if (agent == null)
        {
            return null;
        }
        final int errorsBefore = problems.errorCount();
        final String name = agent.value("name") == null ? "hostagent" : reader.nonEmptyString(agent, "name", false);
        final Node addressNode = reader.required(agent, "address");
        final Integer address = addressNode == null ? null : reader.parsed(addressNode, "agent.address", Prefix::parseAddress);
        final Ip6 address6 = agent.value("address6") == null || NodeReader.isNull(agent.value("address6")) ? null :
            reader.parsed(agent.value("address6"), "agent.address6", Ip6::parse);
        final Boolean answerNeighbours = reader.bool(agent, "answer-neighbours", true);
        final List<HostAgentConfig.ServedVip> backs = servedVips(agent, "backs");
        if (problems.errorCount() != errorsBefore)
        {
            return null;
        }
        return new Agent(name, address, address6, answerNeighbours, backs);
    }

    /** @return the pool section; null when it has errors (reported). */
    private HostAgentConfig.Pool pool(final ConfigSection top)
    {
        final ConfigSection pool = reader.childSection(top, "pool", true, POOL_KEYS);
        if (pool == null)
        {
            return null;
        }
        final int errorsBefore = problems.errorCount();
        final List<Integer> muxes = new ArrayList<>();
        final List<Ip6> muxes6 = new ArrayList<>();
        final List<Node> items = items(pool, "muxes");
        for (int i = 0; i < items.size(); i++)
        {
            final String itemPath = "pool.muxes[" + i + "]";
            final Node item = items.get(i);
            if (item instanceof ScalarNode scalar && Ip6.looksLikeV6(scalar.getValue()))
            {
                add(muxes6, reader.parsed(item, itemPath, Ip6::parse));
            }
            else
            {
                add(muxes, reader.parsed(item, itemPath, Prefix::parseAddress));
            }
        }
        if (pool.value("muxes") == null)
        {
            reader.missingWhy(pool, "muxes", "the address of every MUX of the pool: tunnels from anyone else are refused");
        }
        else if (items.isEmpty() && problems.errorCount() == errorsBefore)
        {
            reader.error(pool.value("muxes"), "pool.muxes", "is required: the address of every MUX of the pool (tunnels from anyone else " +
                "are refused)");
        }
        final List<Prefix> agents = new ArrayList<>();
        final List<Prefix6> agents6 = new ArrayList<>();
        prefixes(pool, "agents", agents, agents6);
        final List<HostAgentConfig.ServedVip> vips = servedVips(pool, "vips");
        if (problems.errorCount() != errorsBefore)
        {
            return null;
        }
        return new HostAgentConfig.Pool(muxes, agents, vips, muxes6, agents6);
    }

    /** @return the dataplane section; null when it has errors (reported). */
    private Dataplane dataplane(final ConfigSection top)
    {
        final ConfigSection dataplane = reader.childSection(top, "dataplane", true, DATAPLANE_KEYS);
        if (dataplane == null)
        {
            return null;
        }
        final int errorsBefore = problems.errorCount();
        final List<String> eal = new ArrayList<>();
        if (dataplane.value("eal") != null)
        {
            final List<Node> items = reader.sequence(dataplane.value("eal"), "dataplane.eal", "a list of strings");
            for (int i = 0; items != null && i < items.size(); i++)
            {
                add(eal, reader.string(items.get(i), "dataplane.eal[" + i + "]"));
            }
        }
        else
        {
            eal.addAll(List.of("--no-huge", "-m", "256", "--no-pci", "--no-shconf", "--file-prefix=pmxha" + ProcessHandle.current().pid(),
                "--no-telemetry", "--log-level=lib.eal:error", "-l", "0"));
        }
        final String network = reader.nonEmptyString(dataplane, "network", true);
        final String host = reader.nonEmptyString(dataplane, "host", true);
        final Node macNode = reader.required(dataplane, "gateway-mac");
        final Long gatewayMac = macNode == null ? null : reader.unicastMac(macNode, "dataplane.gateway-mac");
        final Integer mtu = reader.integer(dataplane, "mtu", false, DEFAULT_MTU, 576, 9000);
        final Integer burst = reader.integer(dataplane, "burst-size", false, DEFAULT_BURST_SIZE, 1, 512);
        final Integer guePort = reader.integer(dataplane, "gue-port", false, TunnelEncapsulator.DEFAULT_GUE_PORT, 1, 65535);
        if (problems.errorCount() != errorsBefore)
        {
            return null;
        }
        return new Dataplane(eal, network, host, gatewayMac, mtu, burst, guePort);
    }

    /** @return the fastpath section; null when it has errors (reported). */
    private Optional<HostAgentConfig.Fastpath> fastpath(final ConfigSection top)
    {
        final ConfigSection fastpath = reader.childSection(top, "fastpath", false, FASTPATH_KEYS);
        if (fastpath == null)
        {
            return null;
        }
        final int errorsBefore = problems.errorCount();
        final String hex = reader.nonEmptyString(fastpath, "key", true);
        byte[] key = null;
        if (hex != null)
        {
            try
            {
                key = HexFormat.of().parseHex(hex);
            }
            catch (final IllegalArgumentException e)
            {
                // The key itself is never shown.
                reader.error(fastpath.value("key"), "fastpath.key", "must be hexadecimal");
            }
        }
        if (key != null && key.length < 16)
        {
            reader.error(fastpath.value("key"), "fastpath.key", "must be at least 16 bytes (32 hex digits), not " + key.length);
        }
        final Integer port = reader.integer(fastpath, "port", false, HostAgentConfig.DEFAULT_FASTPATH_PORT, 1, 65535);
        final List<Prefix> offerTo = new ArrayList<>();
        final List<Prefix6> offerTo6 = new ArrayList<>();
        prefixes(fastpath, "offer-to", offerTo, offerTo6);
        final Boolean accept = reader.bool(fastpath, "accept", true);
        final Integer lease = reader.integer(fastpath, "lease-seconds", false, 30, 1, 3600);
        final Integer maxAge = reader.integer(fastpath, "max-age-millis", false, 2000, 10, 600_000);
        final Integer resend = reader.integer(fastpath, "resend-millis", false, 500, 10, 60_000);
        if (problems.errorCount() != errorsBefore)
        {
            return null;
        }
        return Optional.of(new HostAgentConfig.Fastpath(key, port, offerTo, accept, lease, maxAge, resend, offerTo6));
    }

    /** @return the items of an optional list key; none when absent or no list (reported). */
    private List<Node> items(final ConfigSection section, final String key)
    {
        final Node node = section.value(key);
        final List<Node> items = node == null ? null : reader.sequence(node, section.child(key), "a list");
        return items == null ? List.of() : items;
    }

    private void prefixes(final ConfigSection section, final String key, final List<Prefix> out, final List<Prefix6> out6)
    {
        final List<Node> items = items(section, key);
        for (int i = 0; i < items.size(); i++)
        {
            final String itemPath = section.child(key) + "[" + i + "]";
            final Node item = items.get(i);
            if (item instanceof ScalarNode scalar && Ip6.looksLikeV6(scalar.getValue()))
            {
                add(out6, reader.parsed(item, itemPath, Prefix6::parse));
            }
            else
            {
                add(out, reader.parsed(item, itemPath, Prefix::parse));
            }
        }
    }

    private List<HostAgentConfig.ServedVip> servedVips(final ConfigSection section, final String key)
    {
        final List<HostAgentConfig.ServedVip> out = new ArrayList<>();
        final List<Node> items = items(section, key);
        for (int i = 0; i < items.size(); i++)
        {
            final String itemPath = section.child(key) + "[" + i + "]";
            final HostAgentConfig.ServedVip vip = reader.parsed(items.get(i), itemPath, HostAgentConfig.ServedVip::parse);
            if (vip != null && out.contains(vip))
            {
                reader.error(items.get(i), itemPath, "duplicate VIP " + vip);
            }
            else
            {
                add(out, vip);
            }
        }
        return out;
    }

    private static <T> void add(final List<T> list, final T value)
    {
        if (value != null)
        {
            list.add(value);
        }
    }
}
