package io.panamux.hostagent;

import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The decapsulator and the neighbour responder against frames made by scapy
 * ({@code src/test/python/make_decap_vectors.py}): tunnels over IPv6 (IPv6-in-IPv6, IPv4-in-IPv6, GRE and GUE
 * over IPv6) and IPv4, extension headers before the tunnel header, every row of RFC 6040, sources that may
 * and may not tunnel, malformed packets, ARP requests and neighbour solicitations. The expected frames are
 * scapy's too; nothing is shared with the code under test. Needs {@code /usr/bin/python3} with scapy (CI
 * installs python3-scapy): without it this test fails, it does not skip.
 */
class DecapsulatorScapyTest
{
    private static final String PYTHON = "/usr/bin/python3";
    private static final HexFormat HEX = HexFormat.of();
    private static final Map<String, Integer> VERDICTS = Map.of(
        "DECAPSULATED", Decapsulator.DECAPSULATED, "NOT_A_TUNNEL", Decapsulator.NOT_A_TUNNEL, "MALFORMED", Decapsulator.MALFORMED,
        "FRAGMENT", Decapsulator.FRAGMENT, "REFUSED_SOURCE", Decapsulator.REFUSED_SOURCE, "ECN_DROP", Decapsulator.ECN_DROP,
        "EXTENSION_DROP", Decapsulator.EXTENSION_DROP);

    @TempDir
    static Path directory;

    private static JsonNode vectors;

    @BeforeAll
    static void makeVectors() throws Exception
    {
        final Path script = Path.of(System.getProperty("basedir", "."), "src/test/python/make_decap_vectors.py");
        assertTrue(Files.isRegularFile(script), script.toString());
        assertTrue(Files.isExecutable(Path.of(PYTHON)), PYTHON + " is needed (with python3-scapy)");
        final Path json = directory.resolve("decap-vectors.json");
        final Process process = new ProcessBuilder(PYTHON, script.toString(), json.toString()).redirectErrorStream(true).start();
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), "scapy timed out");
        assertEquals(0, process.exitValue(), output);
        vectors = new ObjectMapper().readTree(json.toFile());
    }

    @Test
    void everyScapyTunnelFrameGetsItsVerdictAndDecapsulatesToScapysInnerFrame()
    {
        final Decapsulator decapsulator = new Decapsulator(Prefix.parseAddress("198.18.21.2"), Ip6.parse("2001:db8:21::2"), 6080,
            new TunnelSources(List.of(Prefix.parseAddress("198.18.11.2")), List.of(Prefix.parse("198.18.2.0/24")), List.of(), List.of(),
                List.of(Ip6.parse("2001:db8:11::2")), List.of(Prefix6.parse("2001:db8:2::/64"))));
        int checked = 0;
        final Map<Integer, Integer> byVerdict = new java.util.TreeMap<>();
        try (Arena arena = Arena.ofConfined())
        {
            for (final JsonNode v : vectors.get("decap"))
            {
                final String name = v.get("name").asText();
                final byte[] input = HEX.parseHex(v.get("input").asText());
                final long m = TestFrames.mbuf(arena, input);
                final int expected = VERDICTS.get(v.get("verdict").asText());
                assertEquals(expected, decapsulator.decapsulate(m), name);
                byVerdict.merge(expected, 1, Integer::sum);
                if (expected == Decapsulator.DECAPSULATED)
                {
                    assertArrayEquals(HEX.parseHex(v.get("output").asText()), TestFrames.data(m), name);
                    final String source = v.get("outer_source").asText();
                    if (Ip6.looksLikeV6(source))
                    {
                        assertEquals(6, decapsulator.outerVersion(), name);
                        assertEquals(Ip6.parse(source), new Ip6(decapsulator.outerSource6Hi(), decapsulator.outerSource6Lo()), name);
                    }
                    else
                    {
                        assertEquals(4, decapsulator.outerVersion(), name);
                        assertEquals(Prefix.parseAddress(source), decapsulator.outerSource(), name);
                    }
                }
                else
                {
                    assertArrayEquals(input, TestFrames.data(m), name + ": a frame not decapsulated is unchanged");
                }
                checked++;
            }
        }
        assertTrue(checked > 60, "vectors: " + checked);
        // Every verdict is exercised: a generator that stopped making some kind would pass silently otherwise.
        assertEquals(VERDICTS.size(), byVerdict.size(), byVerdict.toString());
    }

    @Test
    void arpRequestsAndNeighbourSolicitationsForThisHostAreAnsweredAsScapyAnswersThem()
    {
        final NeighbourResponder responder = new NeighbourResponder(TestFrames.HOST_MAC, Prefix.parseAddress("198.18.21.2"),
            Ip6.parse("2001:db8:21::2"));
        int answered = 0;
        try (Arena arena = Arena.ofConfined())
        {
            for (final JsonNode v : vectors.get("neighbours"))
            {
                final String name = v.get("name").asText();
                final byte[] input = HEX.parseHex(v.get("input").asText());
                final long m = TestFrames.mbuf(arena, input);
                if (v.get("answer").isNull())
                {
                    assertEquals(NeighbourResponder.NOT_MINE, responder.answer(m), name);
                    assertArrayEquals(input, TestFrames.data(m), name + ": left unchanged");
                }
                else
                {
                    assertEquals(NeighbourResponder.ANSWERED, responder.answer(m), name);
                    assertArrayEquals(HEX.parseHex(v.get("answer").asText()), TestFrames.data(m), name);
                    answered++;
                }
            }
        }
        assertEquals(3, answered);
    }
}
