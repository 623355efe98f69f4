package io.panamux.common.config;

import java.util.Map;

import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;

/**
 * A mapping whose keys were checked ({@link NodeReader#section}): the entries by key, the path messages name
 * and the line to blame for a key that is missing (the line of the key that holds the mapping).
 *
 * @param path    the mapping's path, e.g. {@code vips[0].health-check}; empty for the top.
 * @param line    the line a missing key is blamed on.
 * @param entries the allowed keys given, each once, in the file's order.
 */
public record ConfigSection(String path, int line, Map<String, NodeTuple> entries)
{
    /**
     * @param key a key.
     * @return its value, or null when the key is absent.
     */
    public Node value(final String key)
    {
        final NodeTuple tuple = entries.get(key);
        return tuple == null ? null : tuple.getValueNode();
    }

    /**
     * @param key a key that is present.
     * @return the line of the key.
     */
    public int keyLine(final String key)
    {
        return ConfigProblems.line(entries.get(key).getKeyNode());
    }

    /**
     * @param key a key.
     * @return the path of its value, for messages.
     */
    public String child(final String key)
    {
        return path.isEmpty() ? key : path + "." + key;
    }
}
