package io.panamux.slowpath.config;

import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

import io.panamux.common.config.ConfigSection;
import io.panamux.common.config.NodeReader;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;

/** Reads the {@code peers} section: the flow-ownership protocol between the members of a pool. */
final class PeersReader
{
    static final List<String> KEYS = List.of("listen", "key", "endpoints", "query-timeout-ms", "max-queries-in-flight",
        "learned-batch-interval-ms", "max-learned-flows", "max-message-age-ms");
    private static final Pattern HEX_KEY = Pattern.compile("([0-9a-fA-F]{2})+");

    private PeersReader()
    {
    }

    /** @return the peers section, empty when absent, null when it has errors (reported). */
    static Optional<Peers> read(final ConfigContext context, final ConfigSection top)
    {
        final NodeReader reader = context.reader;
        final List<IpAddress> muxPool = context.muxPool;
        final boolean pooled = muxPool != null && muxPool.size() > 1;
        if (top.value("peers") == null)
        {
            if (pooled)
            {
                context.problems.error(context.muxPoolLine, "mux.pool", "has " + muxPool.size() + " members, so the " +
                    "section peers is required (the flow-ownership protocol between them: listen, key)");
                return null;
            }
            return Optional.empty();
        }
        final ConfigSection section = reader.childSection(top, "peers", false, KEYS);
        if (section == null)
        {
            return null;
        }
        final int errorsBefore = reader.problems().errorCount();

        final Node listenNode = reader.required(section, "listen");
        final HostPort listen = listenNode == null ? null : hostPort(reader, listenNode, section.child("listen"), true);
        final byte[] key = key(context, section);
        final Map<IpAddress, HostPort> endpoints = endpoints(context, section);
        final Integer queryTimeout = reader.integer(section, "query-timeout-ms", false, Peers.DEFAULT_QUERY_TIMEOUT_MS, 1, 1000);
        final Integer inFlight = reader.integer(section, "max-queries-in-flight", false, Peers.DEFAULT_MAX_QUERIES_IN_FLIGHT, 1,
            Peers.MAX_QUERIES_IN_FLIGHT);
        final Integer batchInterval = reader.integer(section, "learned-batch-interval-ms", false,
            Peers.DEFAULT_LEARNED_BATCH_INTERVAL_MS, 0, 1000);
        final Integer maxLearned = reader.integer(section, "max-learned-flows", false, Peers.DEFAULT_MAX_LEARNED_FLOWS, 1,
            Integer.MAX_VALUE);
        final Integer maxAge = reader.integer(section, "max-message-age-ms", false, Peers.DEFAULT_MAX_MESSAGE_AGE_MS, 1, 60_000);

        if (reader.problems().errorCount() != errorsBefore || listen == null || key == null || endpoints == null)
        {
            return null;
        }
        // With a store the members are the live leases in etcd, not mux.pool: peers are used as soon as a second MUX joins.
        if (!pooled && muxPool != null && top.value("store") == null)
        {
            context.problems.warning(top.keyLine("peers"), "peers", "mux.pool has only this MUX, so nothing uses this section");
        }
        return Optional.of(new Peers(listen, key, endpoints, queryTimeout, inFlight, batchInterval, maxLearned, maxAge));
    }

    /** The shared key: never quoted in a message, whatever is wrong with it. */
    private static byte[] key(final ConfigContext context, final ConfigSection peers)
    {
        final NodeReader reader = context.reader;
        if (context.merged && peers.value("key") == null)
        {
            context.problems.documentError(1, "pool.peers-key", "missing: the section peers of " + context.fileName +
                " needs the pool's shared key from the pool document");
            return null;
        }
        final Node node = reader.required(peers, "key");
        return node == null ? null : key(context, node, peers.child("key"));
    }

    /**
     * The pool's shared key ({@code peers.key}, or the document's {@code pool.peers-key}) read from its node: never
     * quoted in a message, whatever is wrong with it.
     *
     * @return the key; null when it is not valid (reported).
     */
    static byte[] key(final ConfigContext context, final Node node, final String path)
    {
        final NodeReader reader = context.reader;
        if (!(node instanceof ScalarNode scalar) || NodeReader.isNull(node))
        {
            reader.error(node, path, "must be a string, got " + (node instanceof ScalarNode ? NodeReader.describe(node) : "a " +
                (node instanceof MappingNode ? "mapping" : "list")));
            return null;
        }
        final String text = scalar.getValue().strip();
        final byte[] key;
        if (text.startsWith("hex:"))
        {
            final String hex = text.substring(4);
            if (!HEX_KEY.matcher(hex).matches())
            {
                reader.error(node, path, "\"hex:\" must be followed by an even number of hex digits (the key is not shown)");
                return null;
            }
            key = new byte[hex.length() / 2];
            for (int i = 0; i < key.length; i++)
            {
                key[i] = (byte)Integer.parseInt(hex, 2 * i, 2 * i + 2, 16);
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
                reader.error(node, path, "\"base64:\" must be followed by standard base64 (the key is not shown)");
                return null;
            }
        }
        else
        {
            reader.error(node, path, "must start with \"hex:\" or \"base64:\" (the key is not shown)");
            return null;
        }
        if (key.length < Peers.MIN_KEY_BYTES)
        {
            reader.error(node, path, "is " + key.length + " bytes; the shared key needs at least " + Peers.MIN_KEY_BYTES +
                " (e.g. \"hex:\" and the output of openssl rand -hex 32)");
            return null;
        }
        return key;
    }

    /** @return the endpoint overrides by pool member; null when there are errors (reported). */
    private static Map<IpAddress, HostPort> endpoints(final ConfigContext context, final ConfigSection peers)
    {
        final NodeReader reader = context.reader;
        final Node node = peers.value("endpoints");
        if (node == null || NodeReader.isNull(node))
        {
            return Map.of();
        }
        final String path = peers.child("endpoints");
        if (!(node instanceof MappingNode mapping))
        {
            reader.error(node, path, "must be a mapping of pool member to \"HOST:PORT\", got " + NodeReader.describe(node));
            return null;
        }
        final Map<IpAddress, HostPort> endpoints = new LinkedHashMap<>();
        boolean valid = true;
        for (final NodeTuple tuple : mapping.getValue())
        {
            final Node keyNode = tuple.getKeyNode();
            final String keyText = keyNode instanceof ScalarNode s ? s.getValue() : "?";
            final IpAddress member = context.address(keyNode, path, ConfigContext.Family.IPV4);
            final HostPort endpoint = hostPort(reader, tuple.getValueNode(), path + "." + keyText, false);
            if (member == null || endpoint == null)
            {
                valid = false;
                continue;
            }
            if (context.muxPool != null && !context.muxPool.contains(member))
            {
                reader.error(keyNode, path, member + " is not a member of mux.pool");
                valid = false;
            }
            else if (member.equals(context.muxAddress))
            {
                reader.error(keyNode, path, member + " is this MUX: its endpoint is peers.listen");
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
    private static HostPort hostPort(final NodeReader reader, final Node node, final String path, final boolean bindAddress)
    {
        final String text = reader.string(node, path);
        if (text == null)
        {
            return null;
        }
        final String[] port = new String[1];
        final IpAddress address = ConfigContext.hostOf(text, port);
        if (address == null || (!bindAddress && address.isUnspecified()))
        {
            reader.error(node, path, "must be \"HOST:PORT\" with HOST a unicast IP literal (names are not resolved; IPv6 in brackets), got " +
                NodeReader.describe(node));
            return null;
        }
        if (!AdminReader.PORT.matcher(port[0]).matches() || Integer.parseInt(port[0]) < 1 || Integer.parseInt(port[0]) > 65535)
        {
            reader.error(node, path, "the port must be an integer between 1 and 65535, got " + NodeReader.describe(node));
            return null;
        }
        return new HostPort(address, Integer.parseInt(port[0]));
    }
}
