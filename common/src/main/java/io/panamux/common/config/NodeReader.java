package io.panamux.common.config;

import java.math.BigInteger;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.function.Function;
import java.util.regex.Pattern;

import io.panamux.common.net.MacAddress;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Reads values out of a composed SnakeYAML node tree and reports what is wrong to a {@link ConfigProblems}:
 * mappings with allowed keys, strings, integers in a range, booleans, names of a fixed set, MAC addresses,
 * paths and lists. Scalars are read from their text (YAML 1.1's octal, sexagesimal and yes/no never apply).
 * <p>
 * Every method reports and returns null (or what it says) when the value is not valid, so that a caller reads
 * the whole of a section and builds its record only when {@link ConfigProblems#errorCount()} did not grow.
 */
public final class NodeReader
{
    private static final Pattern DECIMAL = Pattern.compile("[-+]?(0|[1-9][0-9]*)");
    private static final Pattern HEX = Pattern.compile("0[xX][0-9a-fA-F]+");
    private static final Pattern LEADING_ZERO = Pattern.compile("[-+]?0[0-9]+");
    private static final int MAX_QUOTED = 60;
    private static final BigInteger MAX_UNSIGNED_64 = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

    private final ConfigProblems problems;

    /**
     * @param problems where the problems go.
     */
    public NodeReader(final ConfigProblems problems)
    {
        this.problems = problems;
    }

    /** @return where the problems go. */
    public ConfigProblems problems()
    {
        return problems;
    }

    /** Reports an error at a node. */
    public void error(final Node node, final String path, final String problem)
    {
        problems.error(node, path, problem);
    }

    /** Reports a warning at a node. */
    public void warning(final Node node, final String path, final String problem)
    {
        problems.warning(node, path, problem);
    }

    // ---- mappings and keys --------------------------------------------------------------------------------

    /**
     * @return the mapping under {@code parent}'s {@code key}; null when absent (reported when required) or not a
     *         valid mapping (reported).
     */
    public ConfigSection childSection(final ConfigSection parent, final String key, final boolean required, final List<String> keys)
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
     * Checks that {@code node} is a mapping with string keys, each allowed and given once; an empty value is an
     * empty mapping. Reports and returns null when it is no mapping; an unknown or repeated key is reported
     * and left out.
     *
     * @param line the line a missing key of this mapping is blamed on.
     */
    public ConfigSection section(final Node node, final String path, final int line, final List<String> keys)
    {
        if (isNull(node))
        {
            return new ConfigSection(path, line, Map.of());
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
                error(keyNode, path, "duplicate key " + quote(key) + " (first at line " + ConfigProblems.line(first.getKeyNode()) + ")");
            }
        }
        return new ConfigSection(path, line, entries);
    }

    /** @return the value of a key, or null when it is absent (reported as missing). */
    public Node required(final ConfigSection section, final String key)
    {
        final Node node = section.value(key);
        if (node == null)
        {
            missing(section, key);
        }
        return node;
    }

    /** Reports a required key that is absent. */
    public void missing(final ConfigSection section, final String key)
    {
        problems.error(section.line(), section.path(), "missing required key " + quote(key));
    }

    /** Reports a key that is absent and required because of another, saying why. */
    public void missingWhy(final ConfigSection section, final String key, final String why)
    {
        problems.error(section.line(), section.path(), "missing required key " + quote(key) + " (" + why + ")");
    }

    // ---- lists and scalars --------------------------------------------------------------------------------

    /**
     * @param expected what the value should be, e.g. {@code "a list of strings"}.
     * @return the items of a list, an empty value as none; null (reported) when {@code node} is no list.
     */
    public List<Node> sequence(final Node node, final String path, final String expected)
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

    /** @return a scalar's text, or null (reported) when the node is no string. */
    public String string(final Node node, final String path)
    {
        if (!(node instanceof ScalarNode scalar) || isNull(node))
        {
            error(node, path, "must be a string, got " + describe(node));
            return null;
        }
        return scalar.getValue();
    }

    /** @return the key's text, null when absent (reported when required) or empty (reported). */
    public String nonEmptyString(final ConfigSection section, final String key, final boolean required)
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
    public Boolean bool(final ConfigSection section, final String key)
    {
        return bool(section, key, false);
    }

    /**
     * @return the value of a {@code true}/{@code false} key, {@code defaultValue} when absent, null when it is
     *         neither (reported).
     */
    public Boolean bool(final ConfigSection section, final String key, final boolean defaultValue)
    {
        final Node node = section.value(key);
        if (node == null)
        {
            return defaultValue;
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
    public Integer integer(
        final ConfigSection section,
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

    /**
     * An unsigned 64-bit integer (a hash seed), decimal or 0x hex.
     *
     * @return its bits as a long; null (reported) when it is no integer in 0..2^64-1.
     */
    public Long unsigned64(final Node node, final String path)
    {
        final BigInteger value = integer(node);
        if (value == null || value.signum() < 0 || value.compareTo(MAX_UNSIGNED_64) > 0)
        {
            error(node, path, "must be an integer between 0 and 0xffffffffffffffff (decimal or 0x hex), got " + describe(node) +
                leadingZeroHint(node));
            return null;
        }
        return value.longValue();
    }

    /**
     * @param names the allowed names for the message, e.g. {@code "tcp, udp"}.
     * @return the value {@code byName} gives the key's text, {@code defaultValue} when the key is absent and not
     *         required, or null (reported) when absent and required or {@code byName} gives null.
     */
    public <T> T choice(
        final ConfigSection section,
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

    /**
     * A MAC address of a next hop: six colon-separated hex octets, unicast.
     *
     * @return the address ({@link MacAddress}'s long); null (reported) when not valid.
     */
    public Long unicastMac(final Node node, final String path)
    {
        final String text = string(node, path);
        if (text == null)
        {
            return null;
        }
        final long mac;
        try
        {
            mac = MacAddress.parse(text);
        }
        catch (final IllegalArgumentException e)
        {
            error(node, path, "must be a MAC address like \"02:00:00:00:00:fe\", got " + describe(node));
            return null;
        }
        if (!MacAddress.isUnicast(mac))
        {
            error(node, path, "must be a unicast MAC address (a next hop), got " + describe(node));
            return null;
        }
        return mac;
    }

    /** @return an optional MAC key: empty when absent, null (reported) when not valid. */
    public OptionalLong unicastMac(final ConfigSection section, final String key)
    {
        final Node node = section.value(key);
        if (node == null)
        {
            return OptionalLong.empty();
        }
        final Long mac = unicastMac(node, section.child(key));
        return mac == null ? null : OptionalLong.of(mac);
    }

    /**
     * @param parse reads the text and throws {@link IllegalArgumentException} with what is wrong.
     * @return what {@code parse} makes of a string node; null (reported as {@code path: its message}) when it throws.
     */
    public <T> T parsed(final Node node, final String path, final Function<String, T> parse)
    {
        final String text = string(node, path);
        if (text == null)
        {
            return null;
        }
        try
        {
            return parse.apply(text);
        }
        catch (final IllegalArgumentException e)
        {
            error(node, path, e.getMessage());
            return null;
        }
    }

    /** @return an absolute path; null when absent (reported when required) or not such a path (reported). */
    public Path absolutePath(final ConfigSection section, final String key, final boolean required)
    {
        final String text = nonEmptyString(section, key, required);
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

    // ---- text of nodes ------------------------------------------------------------------------------------

    /** @return the integer a scalar spells in decimal or 0x hex, or null. */
    public static BigInteger integer(final Node node)
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

    /** @return a hint to add to a message about an integer with a leading zero; empty otherwise. */
    public static String leadingZeroHint(final Node node)
    {
        return node instanceof ScalarNode scalar && LEADING_ZERO.matcher(scalar.getValue()).matches() ?
            " (leading zeros are not allowed: YAML 1.1 reads them as octal)" : "";
    }

    /** @return whether a node is YAML's null (an empty value, {@code ~}, {@code null}). */
    public static boolean isNull(final Node node)
    {
        return node instanceof ScalarNode && Tag.NULL.equals(node.getTag());
    }

    /** @return what a node holds, for "got ..." in a message. */
    public static String describe(final Node node)
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

    /** @return the text in double quotes, escaped and cut to a readable length. */
    public static String quote(final String text)
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
