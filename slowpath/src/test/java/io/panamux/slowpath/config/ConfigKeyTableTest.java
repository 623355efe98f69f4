package io.panamux.slowpath.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The key table in {@link ConfigLoader}'s Javadoc is what the section readers accept: every mapping's keys,
 * no more, no fewer. A key added to a reader without its line in the table (or the reverse) fails here.
 */
class ConfigKeyTableTest
{
    /** A key line of the table: indentation, an optional list dash, the key. Descriptions start further right. */
    private static final Pattern KEY_LINE = Pattern.compile("^( *)(- )?([a-z0-9][a-z0-9-]*):( |$)");
    private static final int MAX_KEY_COLUMN = 20;

    private record Level(int column, String path)
    {
    }

    @Test
    void theJavadocTableListsExactlyTheKeysTheReadersAccept() throws IOException
    {
        final Map<String, Set<String>> documented = documentedKeys();
        final Map<String, Set<String>> accepted = new TreeMap<>();
        ConfigParser.KEYS.forEach((path, keys) -> accepted.put(path, new HashSet<>(keys)));
        // peers.endpoints maps pool members (not keys) to endpoints: no fixed keys to list.
        for (final String path : accepted.keySet())
        {
            assertEquals(accepted.get(path), documented.get(path), "the keys of " + (path.isEmpty() ? "the top" : path));
        }
        assertEquals(accepted.keySet(), new TreeMap<>(documented).keySet(), "the mappings with keys");
    }

    @Test
    void aKeyOnlyInTheTableIsFound()
    {
        final Map<String, Set<String>> documented = keysOf(List.of(
            "mux:                           required",
            "  name: STRING                 required",
            "vips:",
            "  - address: IPv4              required",
            "    backends:",
            "      - weight: INTEGER        default 1",
            "                                continued: a description, not a key"));
        assertEquals(Map.of("", Set.of("mux", "vips"), "mux", Set.of("name"), "vips[]", Set.of("address", "backends"),
            "vips[].backends[]", Set.of("weight")), documented);
    }

    private static Map<String, Set<String>> documentedKeys() throws IOException
    {
        final String source = Files.readString(Path.of("src/main/java/io/panamux/slowpath/config/ConfigLoader.java"));
        final int start = source.indexOf("<pre>");
        final int end = source.indexOf("</pre>", start);
        assertTrue(start > 0 && end > start, "ConfigLoader's Javadoc has its key table in <pre>");
        return keysOf(source.substring(start + "<pre>".length(), end).lines()
            .map(line -> line.replaceFirst("^ *\\* ?", ""))
            .toList());
    }

    private static Map<String, Set<String>> keysOf(final List<String> lines)
    {
        final Map<String, Set<String>> keys = new LinkedHashMap<>();
        final Deque<Level> levels = new ArrayDeque<>();
        for (final String line : lines)
        {
            final Matcher key = KEY_LINE.matcher(line);
            if (!key.find() || key.start(3) > MAX_KEY_COLUMN)
            {
                continue;
            }
            final int indent = key.group(1).length();
            final boolean item = key.group(2) != null;
            while (!levels.isEmpty() && levels.peek().column() >= indent)
            {
                levels.pop();
            }
            String parent = levels.isEmpty() ? "" : levels.peek().path();
            if (item)
            {
                // "- key:" opens an item of the list its parent key holds; its other keys align with key.
                parent = parent + "[]";
                levels.push(new Level(indent, parent));
            }
            final int column = key.start(3);
            keys.computeIfAbsent(parent, p -> new HashSet<>()).add(key.group(3));
            levels.push(new Level(column, parent.isEmpty() ? key.group(3) : parent + "." + key.group(3)));
        }
        return keys;
    }
}
