package io.panamux.slowpath.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import io.panamux.common.config.YamlText;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Reads the YAML configuration file of ARCHITECTURE.md §5 into a validated {@link MuxConfig}.
 * <p>
 * The text is composed into SnakeYAML's node tree, never bound to objects, so that every value keeps its
 * line for the error messages and no YAML tag can instantiate anything. Scalars are read from their text:
 * {@code 0755} is not silently octal and {@code 02:00:00:00:00:fe} is not a sexagesimal number. Every error
 * is collected (see {@link ConfigException}); loading is pure and returns a configuration only when there is
 * none.
 *
 * <h2>Keys, types and defaults</h2>
 * <pre>
 * mux:                           required
 *   name: STRING                 required, not empty
 *   address: IPv4                required, unicast
 *   address6: IPv6               required only when a backend is IPv6
 *   pool: [IPv4, ...]            default [address]; no duplicates; must contain address
 *   hash-seed: INTEGER           0..2^64-1, decimal or 0x hex; default: derived from peers.key, else made at
 *                                first start and kept in FILE.hash-seed (HashSeed)
 * dataplane:                     required
 *   eal: [STRING, ...]           required (may be [])
 *   port: INTEGER                required, 0..31
 *   workers: INTEGER             1..127; default 1
 *   gateway-mac: "xx:xx:xx:xx:xx:xx"   unicast; default none (resolve by ARP)
 *   gateway: IPv4                the next hop resolved by ARP; required when gateway-mac is absent
 *   flow-table:                  default { capacity: 1048576, idle-timeout-seconds: 300 }
 *     capacity: INTEGER          1..2^30; default 1048576 (shared out between the workers); the tables (32
 *                                bytes a flow, rounded up to a power of two per worker) must fit in the
 *                                memory the process can have besides its heap (MachineLimits)
 *     idle-timeout-seconds: INTEGER   1..2^31-1; default 300
 *     new-flows-per-second: INTEGER   0..2^31-1, per worker; default 125000 (0: no limit). SYN-flood guard:
 *                                new flows beyond it in a second are forwarded by Maglev alone, not recorded
 *                                (flows_unrecorded_flood), so recorded flows are not evicted by the flood
 *   maglev-table-size: INTEGER   prime, &gt;= the backends of every VIP, &lt;= 2^31-9; default 65537; 4 bytes
 *                                an entry, (2 * VIPs + 1) tables at most half the Java heap
 *   mtu: INTEGER                 68..65535; default none (the port's)
 *   burst-size: INTEGER          1..512; default 32
 *   gue-port: INTEGER            1..65535; default 6080
 * vips:                          default []
 *   - address: IPv4 | IPv6       required, unicast, not the MUX's own
 *     port: INTEGER              required, 1..65535
 *     protocol: tcp | udp        required
 *     encapsulation: ipip | gre | gue    default ipip
 *     flow-tracking: on-change | always  default on-change
 *     gue-port: INTEGER          1..65535; default dataplane.gue-port (a warning unless gue); with a store,
 *                                the pool document's pool.gue-port, default 6080, on every node
 *     backends:                  required (may be [])
 *       - address: IPv4 | IPv6   required, unicast, once per VIP; IPv6 needs mux.address6
 *         weight: INTEGER        0..2^31-1; default 1
 *         drain: true | false    default false; true: no new flows (ctl backend drain in a pool on etcd)
 *     health-check:              default none (backends always healthy)
 *       type: tcp | http         required
 *       port: INTEGER            1..65535; default the VIP's port
 *       path: STRING             http: starts with /, no spaces; default /
 *       expect-status: INTEGER   http: 100..599; default 200
 *       interval-ms: INTEGER     100..3600000; default 2000
 *       timeout-ms: INTEGER      1..interval-ms; default min(1000, interval-ms)
 *       rise: INTEGER            1..100; default 2 (good checks to return)
 *       fall: INTEGER            1..100; default 3 (failed checks to leave)
 *       hold-down-ms: INTEGER    0..3600000; default 3000: how long no backend may be healthy before the
 *                                VIP is withdrawn from the router (announced again when one is)
 *       through-tunnel: BOOLEAN  default false: true sends the check as data goes, its TCP connection (and,
 *                                http, its GET with Host VIP:port) to VIP:port encapsulated to the backend,
 *                                from mux.address (address6 for an IPv6 VIP), answered by the backend
 *                                directly; a broken tunnel fails it
 * admin:                         default { listen: "127.0.0.1:9480" }
 *   listen: "HOST:PORT"          HOST an IP literal ([v6] in brackets), PORT 0..65535
 *   token: STRING                required when listen is not loopback
 * peers:                         required when mux.pool has more than one member (see Peers)
 *   listen: "HOST:PORT"          UDP; HOST an IP literal (may be 0.0.0.0), PORT 1..65535
 *   key: "hex:..." | "base64:..."   the pool's shared HMAC key, at least 32 bytes; never shown in messages
 *   endpoints: { MEMBER: "HOST:PORT", ... }   per other pool member; default MEMBER:(listen port)
 *   query-timeout-ms: INTEGER    1..1000; default 5
 *   max-queries-in-flight: INTEGER   1..1048576; default 1024
 *   learned-batch-interval-ms: INTEGER   0..1000; default 10
 *   max-learned-flows: INTEGER   1..2^31-1; default 1048576
 *   max-message-age-ms: INTEGER  1..60000; default 2000
 * router:                        default none: the MUX tells no router anything (it logs what it would)
 *   bgp:                         the BGP speaker the MUX runs (BIRD 2; see BgpSettings)
 *     local-as: INTEGER          required, 1..4294967295
 *     router-id: IPv4            default mux.address
 *     neighbors:                 required, at least one
 *       - address: IPv4          required, unicast, once, not this MUX's
 *         as: INTEGER            required, 1..4294967295
 *     hold-seconds: INTEGER      3..65535; default 9
 *     run-directory: PATH        required, absolute; its bird.ctl path at most 107 bytes
 *     bird: PATH                 default /usr/sbin/bird
 *     birdc: PATH                default /usr/sbin/birdc
 *     next-hop6: IPv6            next hop of the IPv6 VIPs (sent over the same sessions); default BIRD's
 *                                IPv6 address on the link to each neighbor
 *     bfd:                       default none; BFD with every neighbor (the router must run it too)
 *       interval-ms: INTEGER     10..60000; default 100 (transmit and receive interval)
 *       multiplier: INTEGER      1..255; default 3 (missed packets before the session is down)
 * store:                         default none: everything comes from this file
 *   etcd:                        the pool's document and members in etcd (StoreSettings, ARCHITECTURE.md §7);
 *                                with it, vips, mux.pool, mux.hash-seed, dataplane.maglev-table-size and
 *                                peers.key are not allowed here: they are in the document (loadMerged)
 *     endpoints: [URL, ...]      required, at least one, each http://HOST:PORT or https://HOST:PORT
 *     prefix: STRING             required, /..., not ending in /; the pool's keys are under it
 *     lease-seconds: INTEGER     2..3600; default 5 (this MUX's membership lease)
 *     cache-file: PATH           absolute; default none; the last applied document, used when etcd is
 *                                unreachable at start
 *     tls:                       default none; required with an https:// endpoint
 *       ca: PATH                 required, absolute
 *       cert: PATH               absolute, with key: the client certificate
 *       key: PATH                absolute, with cert
 *     username: STRING           with password: etcd's authentication
 *     password: STRING           with username
 * </pre>
 * Integers are decimal (or {@code 0x} hex) without leading zeros; unknown and duplicate keys are errors, as
 * are two VIPs with the same address, port and protocol. An empty value ({@code vips:} with every entry
 * commented out) is an empty list or section.
 */
public final class ConfigLoader
{
    private ConfigLoader()
    {
    }

    /**
     * Reads and validates a configuration file (UTF-8).
     *
     * @param file the file; errors name it as {@code file.toString()}.
     * @return the configuration.
     * @throws ConfigException when the file cannot be read ({@code FILE: problem}) or is not valid
     *                         ({@code FILE:LINE: problem} for each error).
     */
    public static MuxConfig load(final Path file)
    {
        final String fileName = file.toString();
        final byte[] bytes;
        try
        {
            bytes = Files.readAllBytes(file);
        }
        catch (final NoSuchFileException ex)
        {
            throw new ConfigException(fileName + ": cannot read: no such file");
        }
        catch (final IOException ex)
        {
            throw new ConfigException(fileName + ": cannot read: " + ex);
        }
        final MuxConfig config = parse(decodeUtf8(bytes, fileName), fileName, MachineLimits.current());
        if (config.store().isPresent())
        {
            // Its VIPs and pool-wide settings are in etcd: this file alone is not the MUX's configuration.
            throw new ConfigException(fileName + ":1: store: this file takes its pool from etcd (" + config.store().get().configKey() +
                "); load it merged with the pool document (ConfigLoader.loadMerged), as panamux run does");
        }
        final Mux mux = config.mux();
        if (mux.hashSeedSource() != HashSeed.Source.DEFAULT)
        {
            return config;
        }
        // Neither mux.hash-seed nor peers.key: a seed of this MUX's own, made once and kept beside the file.
        final Mux seeded = new Mux(mux.name(), mux.address(), mux.address6(), mux.pool(), HashSeed.loadOrCreate(HashSeed.fileFor(file)),
            HashSeed.Source.GENERATED);
        return new MuxConfig(seeded, config.dataplane(), config.vips(), config.admin(), config.peers(), config.bgp(), config.store(),
            config.warnings());
    }

    /**
     * Parses and validates configuration text.
     *
     * @param text     the YAML text.
     * @param fileName the name errors give, e.g. {@code mux.yaml}.
     * @return the configuration.
     * @throws ConfigException when the text is not valid, with one {@code FILE:LINE: problem} per error.
     */
    public static MuxConfig parse(final String text, final String fileName)
    {
        return parse(text, fileName, MachineLimits.current());
    }

    /**
     * Parses and validates configuration text against given limits (a test's, or another machine's).
     *
     * @param text     the YAML text.
     * @param fileName the name errors give, e.g. {@code mux.yaml}.
     * @param limits   the memory and heap the sizes must fit in.
     * @return the configuration.
     * @throws ConfigException when the text is not valid, with one {@code FILE:LINE: problem} per error.
     */
    public static MuxConfig parse(final String text, final String fileName, final MachineLimits limits)
    {
        final Node root = compose(text, fileName);
        if (root == null)
        {
            throw new ConfigException(fileName + ":1: the file is empty: it needs at least the sections mux and dataplane");
        }
        return new ConfigParser(fileName, limits).parse(root);
    }

    /**
     * Reads a MUX's file that has a {@code store} section and merges it with its pool's document
     * (ARCHITECTURE.md §7): the document's VIPs and pool-wide settings, the file's node-local ones, validated
     * together exactly as one file is.
     *
     * @param file         the MUX's file (UTF-8); its errors name it.
     * @param document     the pool document's text (UTF-8 YAML: {@code vips}, {@code pool}); empty for none.
     * @param documentName the name the document's errors give, e.g. {@code etcd:/panamux/pools/a/config@7}.
     * @return the configuration.
     * @throws ConfigException when either cannot be read or the merge is not valid; each error names its source.
     */
    public static MuxConfig loadMerged(final Path file, final String document, final String documentName)
    {
        return merge(read(file), file.toString(), document, documentName, MachineLimits.current());
    }

    /**
     * Merges a MUX's file text with its pool's document text and validates the whole.
     *
     * @param local        the MUX's file.
     * @param fileName     the name its errors give.
     * @param document     the pool document; empty for none.
     * @param documentName the name the document's errors give.
     * @param limits       the memory and heap the sizes must fit in.
     * @return the configuration.
     * @throws ConfigException when the merge is not valid; each error names its source.
     */
    public static MuxConfig merge(final String local, final String fileName, final String document, final String documentName,
        final MachineLimits limits)
    {
        final Node localRoot = compose(stripBom(local), fileName);
        if (localRoot == null)
        {
            throw new ConfigException(fileName + ":1: the file is empty: it needs at least the sections mux, dataplane and store");
        }
        final Node documentRoot = compose(stripBom(document), documentName);
        final Set<Node> documentNodes = Collections.newSetFromMap(new IdentityHashMap<>());
        collect(documentRoot, documentNodes);
        return new ConfigParser(fileName, limits, documentNodes, documentName).parseMerged(localRoot, documentRoot);
    }

    /**
     * Reads only the {@code store} section of a MUX's file (to know where its pool is before the merge).
     *
     * @param file the MUX's file.
     * @return its store settings; empty when the file has no {@code store} section (a pool kept in files).
     * @throws ConfigException when the file cannot be read, is no YAML mapping, or its store section is not valid.
     */
    public static Optional<StoreSettings> storeOf(final Path file)
    {
        final String fileName = file.toString();
        final Node root = compose(stripBom(read(file)), fileName);
        if (!(root instanceof MappingNode mapping))
        {
            return Optional.empty();
        }
        for (final NodeTuple tuple : mapping.getValue())
        {
            if (tuple.getKeyNode() instanceof ScalarNode key && "store".equals(key.getValue()))
            {
                // Through the parser, so the section's errors read as every other's.
                final MappingNode only = new MappingNode(mapping.getTag(),
                    List.of(tuple), mapping.getFlowStyle());
                return new ConfigParser(fileName, MachineLimits.current()).storeOnly(only);
            }
        }
        return Optional.empty();
    }

    private static void collect(final Node node, final Set<Node> into)
    {
        if (node == null || !into.add(node))
        {
            return;
        }
        if (node instanceof MappingNode mapping)
        {
            for (final NodeTuple tuple : mapping.getValue())
            {
                collect(tuple.getKeyNode(), into);
                collect(tuple.getValueNode(), into);
            }
        }
        else if (node instanceof SequenceNode sequence)
        {
            for (final Node item : sequence.getValue())
            {
                collect(item, into);
            }
        }
    }

    private static String stripBom(final String text)
    {
        return YamlText.stripBom(text);
    }

    private static String read(final Path file)
    {
        final String fileName = file.toString();
        try
        {
            return decodeUtf8(Files.readAllBytes(file), fileName);
        }
        catch (final NoSuchFileException ex)
        {
            throw new ConfigException(fileName + ": cannot read: no such file");
        }
        catch (final IOException ex)
        {
            throw new ConfigException(fileName + ": cannot read: " + ex);
        }
    }

    private static Node compose(final String text, final String fileName)
    {
        try
        {
            return YamlText.compose(text, fileName);
        }
        // The kit's message is FILE:LINE: problem; callers see only ConfigException, without a cause.
        catch (final IllegalArgumentException ex)
        {
            throw new ConfigException(ex.getMessage());
        }
    }

    private static String decodeUtf8(final byte[] bytes, final String fileName)
    {
        try
        {
            return YamlText.decodeUtf8(bytes, fileName);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new ConfigException(ex.getMessage());
        }
    }
}
