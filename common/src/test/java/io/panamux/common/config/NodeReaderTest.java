package io.panamux.common.config;

import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NodeReaderTest
{
    private static final List<String> KEYS = List.of("port", "mac", "on", "mode", "items");

    @Test
    void readsValidValues()
    {
        final ConfigProblems problems = new ConfigProblems("a.yaml");
        final NodeReader reader = new NodeReader(problems);
        final ConfigSection section = reader.section(YamlText.compose("""
            port: 0x10
            mac: "02:00:00:00:00:fe"
            on: true
            mode: b
            items: [x, y]
            """, "a.yaml"), "", 1, KEYS);
        assertEquals(16, reader.integer(section, "port", true, null, 1, 65535));
        assertEquals(0x0200_0000_00feL, reader.unicastMac(section, "mac").getAsLong());
        assertTrue(reader.bool(section, "on"));
        assertEquals("B", reader.choice(section, "mode", true, null, n -> "b".equals(n) ? "B" : null, "b"));
        assertEquals(2, reader.sequence(section.value("items"), "items", "a list").size());
        assertFalse(problems.hasErrors());
    }

    @Test
    void reportsEveryProblemWithItsLineInLineOrder()
    {
        final ConfigProblems problems = new ConfigProblems("a.yaml");
        final NodeReader reader = new NodeReader(problems);
        final ConfigSection section = reader.section(YamlText.compose("""
            prot: 1
            mac: "03:00:00:00:00:fe"
            on: yes
            mode: c
            items: x
            port: 010
            """, "a.yaml"), "", 1, KEYS);
        // Read out of order: the problems still come in line order.
        assertNull(reader.integer(section, "port", true, null, 1, 65535));
        assertNull(reader.sequence(section.value("items"), "items", "a list"));
        assertNull(reader.choice(section, "mode", true, null, n -> "b".equals(n) ? "B" : null, "b"));
        assertNull(reader.bool(section, "on"));
        assertNull(reader.unicastMac(section, "mac"));
        assertEquals(List.of(
            "a.yaml:1: unknown key \"prot\" (did you mean \"port\"?)",
            "a.yaml:2: mac: must be a unicast MAC address (a next hop), got \"03:00:00:00:00:fe\"",
            "a.yaml:3: on: must be true or false, got \"yes\"",
            "a.yaml:4: mode: must be one of b, got \"c\"",
            "a.yaml:5: items: must be a list, got \"x\"",
            "a.yaml:6: port: must be an integer between 1 and 65535, got \"010\" (leading zeros are not allowed: YAML 1.1 reads them as octal)"),
            problems.errors());
    }

    @Test
    void aMissingKeyIsBlamedOnItsSectionAndADocumentsProblemsComeLast()
    {
        final Node document = YamlText.compose("b: 1\n", "doc");
        final ConfigProblems problems = new ConfigProblems("a.yaml", Set.of(document, ((MappingNode)document).getValue().get(0).getValueNode()),
            "doc", path -> "pool." + path, path -> false);
        final NodeReader reader = new NodeReader(problems);
        final ConfigSection fromDocument = reader.section(document, "", 1, List.of("b"));
        final ConfigSection top = reader.section(YamlText.compose("x:\n  y: 1\n", "a.yaml"), "", 1, List.of("x"));
        assertNull(reader.integer(fromDocument, "b", true, null, 2, 3));
        assertNull(reader.childSection(reader.childSection(top, "x", true, List.of("y", "z")), "z", true, List.of()));
        assertEquals(List.of("a.yaml:1: x: missing required key \"z\"", "doc:1: pool.b: must be an integer between 2 and 3, got \"1\""),
            problems.errors());
    }

    @Test
    void textThatIsNoYamlIsOneProblemWithItsLine()
    {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> YamlText.compose("a: 1\nb: [\n", "a.yaml"));
        assertTrue(e.getMessage().startsWith("a.yaml:3: YAML syntax error: "), e.getMessage());
        assertEquals("a.yaml:2: not UTF-8 text (byte 5)", assertThrows(IllegalArgumentException.class,
            () -> YamlText.decodeUtf8(new byte[] {'a', ':', ' ', '1', '\n', (byte)0xff}, "a.yaml")).getMessage());
    }
}
