package io.panamux.slowpath.config;

import java.util.List;

import io.panamux.common.config.ConfigProblems;
import io.panamux.common.config.ConfigSection;
import io.panamux.common.config.NodeReader;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;

/**
 * What the section readers of one {@link ConfigParser} run share: the node reader and its problems, the
 * machine's limits, and the values of one section that another checks against (null when absent or not
 * valid). The readers run in the order of {@link ConfigParser#parse}, so each sees what the earlier ones read.
 */
final class ConfigContext
{
    /** Which address family a key takes. */
    enum Family
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

    final NodeReader reader;
    final ConfigProblems problems;
    final MachineLimits limits;
    /** The MUX's file's name, and whether it is merged with a pool document (named otherwise). */
    final String fileName;
    final boolean merged;

    IpAddress muxAddress;
    List<IpAddress> muxPool;
    int muxPoolLine = 1;
    IpAddress muxAddress6;
    boolean address6Failed;
    Integer maglevTableSize;
    Node maglevTableSizeNode;
    int dataplaneLine = 1;
    Integer workerCount;
    int globalGuePort = Dataplane.DEFAULT_GUE_PORT;
    /**
     * Merged with a pool document: the GUE port of its VIPs that name none, {@code pool.gue-port} or the default,
     * whatever this node's {@code dataplane.gue-port}; null otherwise (and when not valid, reported).
     */
    Integer documentGuePort;
    /**
     * The pool document's {@code pool.peers-key} when this MUX's file has no {@code peers} section to take it: the
     * pool's seed derives from it all the same ({@link HashSeed#forPool}); null otherwise.
     */
    Node documentPeersKey;

    ConfigContext(final ConfigProblems problems, final MachineLimits limits, final String fileName, final boolean merged)
    {
        this.problems = problems;
        this.reader = new NodeReader(problems);
        this.limits = limits;
        this.fileName = fileName;
        this.merged = merged;
    }

    /** @return the address of a key, null when absent (reported when required) or not valid (reported). */
    IpAddress address(final ConfigSection section, final String key, final Family family, final boolean required)
    {
        final Node node = required ? reader.required(section, key) : section.value(key);
        return node == null ? null : address(node, section.child(key), family);
    }

    /** @return a unicast address of {@code family}; null (reported) otherwise. */
    IpAddress address(final Node node, final String path, final Family family)
    {
        final String text = node instanceof ScalarNode scalar && !NodeReader.isNull(node) ? scalar.getValue() : null;
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
            reader.error(node, path, "must be " + family.description + ", got " + NodeReader.describe(node) + hint);
            return null;
        }
        if (address.isUnspecified() || address.isMulticastOrBroadcast())
        {
            reader.error(node, path, "must be a unicast address, got " + NodeReader.describe(node));
            return null;
        }
        return address;
    }

    /**
     * Splits {@code "HOST:PORT"} with HOST an IP literal (IPv6 in brackets).
     *
     * @return the host's address, or null when the text has no colon, HOST is no such literal, or it is
     *         multicast or broadcast; the port's text is in {@code port[0]}.
     */
    static IpAddress hostOf(final String text, final String[] port)
    {
        final int colon = text.lastIndexOf(':');
        if (colon < 0)
        {
            return null;
        }
        port[0] = text.substring(colon + 1);
        String host = text.substring(0, colon);
        final boolean bracketed = host.startsWith("[") && host.endsWith("]");
        if (bracketed)
        {
            host = host.substring(1, host.length() - 1);
        }
        try
        {
            final IpAddress address = IpAddress.parse(host);
            return address.ipv6() != bracketed || address.isMulticastOrBroadcast() ? null : address;
        }
        catch (final IllegalArgumentException notLiteral)
        {
            return null;
        }
    }

    private static boolean hostNameLike(final String text)
    {
        return text.indexOf(':') < 0 && !text.isEmpty() && text.chars().anyMatch(Character::isLetter) &&
            text.chars().allMatch(c -> Character.isLetterOrDigit(c) || c == '.' || c == '-');
    }
}
