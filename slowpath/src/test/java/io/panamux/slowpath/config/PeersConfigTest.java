package io.panamux.slowpath.config;

import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code peers:} section: values, defaults, the rule that a pool of several MUXes needs it, and bad
 * sections with their exact {@code FILE:LINE: problem}, none of which ever shows the key.
 */
class PeersConfigTest
{
    private static final String KEY_HEX = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    private static final String POOLED = """
        mux:
          name: mux-a
          address: 10.0.0.10
          pool: [10.0.0.10, 10.0.0.11, 10.0.0.12]
        dataplane:
          eal: []
          port: 0
          workers: 1
          flow-table: { capacity: 1024, idle-timeout-seconds: 300 }
          gateway-mac: "02:00:00:00:00:fe"
        peers:
          listen: "127.0.0.1:9470"
          key: "hex:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
        """;
    //  1 mux:            5 dataplane:          11 peers:
    //  4   pool: [...]                         12   listen: "127.0.0.1:9470"
    //                                          13   key: "hex:..."

    @Test
    void defaultsAndDefaultEndpoints()
    {
        final Peers peers = ConfigLoader.parse(POOLED, "mux.yaml").peers().orElseThrow();

        assertEquals(new HostPort(IpAddress.parse("127.0.0.1"), 9470), peers.listen());
        assertArrayEquals(HexFormat.of().parseHex(KEY_HEX), peers.key());
        assertEquals(Map.of(), peers.endpoints());
        assertEquals(Peers.DEFAULT_QUERY_TIMEOUT_MS, peers.queryTimeoutMs());
        assertEquals(Peers.DEFAULT_MAX_QUERIES_IN_FLIGHT, peers.maxQueriesInFlight());
        assertEquals(Peers.DEFAULT_LEARNED_BATCH_INTERVAL_MS, peers.learnedBatchIntervalMs());
        assertEquals(Peers.DEFAULT_MAX_LEARNED_FLOWS, peers.maxLearnedFlows());
        assertEquals(Peers.DEFAULT_MAX_MESSAGE_AGE_MS, peers.maxMessageAgeMs());
        assertEquals("10.0.0.11:9470", peers.endpointOf(IpAddress.parse("10.0.0.11")).toString());
    }

    @Test
    void everyKeyAndEndpointOverrides()
    {
        final MuxConfig config = ConfigLoader.parse(POOLED.replace("  key: \"hex:" + KEY_HEX + "\"\n", """
              key: "base64:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIj"
              endpoints:
                10.0.0.11: "127.0.0.1:9471"
                10.0.0.12: "[::1]:9472"
              query-timeout-ms: 3
              max-queries-in-flight: 64
              learned-batch-interval-ms: 0
              max-learned-flows: 1000
              max-message-age-ms: 500
            """), "mux.yaml");
        final Peers peers = config.peers().orElseThrow();

        assertEquals(36, peers.key().length);
        assertEquals(35, peers.key()[35]);
        assertEquals("127.0.0.1:9471", peers.endpointOf(IpAddress.parse("10.0.0.11")).toString());
        assertEquals("[::1]:9472", peers.endpointOf(IpAddress.parse("10.0.0.12")).toString());
        assertEquals(9472, peers.endpointOf(IpAddress.parse("10.0.0.12")).toSocketAddress().getPort());
        assertEquals(3, peers.queryTimeoutMs());
        assertEquals(64, peers.maxQueriesInFlight());
        assertEquals(0, peers.learnedBatchIntervalMs());
        assertEquals(1000, peers.maxLearnedFlows());
        assertEquals(500, peers.maxMessageAgeMs());
        assertEquals(List.of(), config.warnings());
    }

    @Test
    void neverPrintsTheKeyAndComparesItByContent()
    {
        final Peers a = ConfigLoader.parse(POOLED, "mux.yaml").peers().orElseThrow();
        final Peers b = ConfigLoader.parse(POOLED, "other.yaml").peers().orElseThrow();

        assertFalse(a.toString().contains("0001020304"), a.toString());
        assertTrue(a.toString().contains("<redacted 32 bytes>"), a.toString());
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        a.key()[0] = 99;
        assertEquals(0, a.key()[0], "the record hands out copies of its key");
    }

    @Test
    void aMuxAloneNeedsNoPeersAndIsWarnedWhenItHasSome()
    {
        final String alone = POOLED.replace("  pool: [10.0.0.10, 10.0.0.11, 10.0.0.12]\n", "");

        final MuxConfig withPeers = ConfigLoader.parse(alone, "mux.yaml");
        final MuxConfig without = ConfigLoader.parse(alone.substring(0, alone.indexOf("peers:")), "mux.yaml");

        assertEquals(List.of("mux.yaml:10: peers: mux.pool has only this MUX, so nothing uses this section"), withPeers.warnings());
        assertEquals(Optional.empty(), without.peers());
        assertEquals(List.of(), without.warnings());
    }

    static Stream<Arguments> badSections()
    {
        return Stream.of(
            Arguments.of("pool without peers", POOLED.substring(0, POOLED.indexOf("peers:")),
                "mux.yaml:4: mux.pool: has 3 members, so the section peers is required (the flow-ownership protocol between them: listen, key)"),
            Arguments.of("peers not a mapping", POOLED.substring(0, POOLED.indexOf("peers:")) + "peers: [a]\n",
                "mux.yaml:11: peers: must be a mapping, got a list"),
            Arguments.of("missing key", POOLED.replace("  key: \"hex:" + KEY_HEX + "\"\n", ""),
                "mux.yaml:11: peers: missing required key \"key\""),
            Arguments.of("missing listen", POOLED.replace("  listen: \"127.0.0.1:9470\"\n", ""),
                "mux.yaml:11: peers: missing required key \"listen\""),
            Arguments.of("key without a prefix", POOLED.replace("hex:" + KEY_HEX, KEY_HEX),
                "mux.yaml:13: peers.key: must start with \"hex:\" or \"base64:\" (the key is not shown)"),
            Arguments.of("key of odd hex length", POOLED.replace(KEY_HEX, KEY_HEX + "f"),
                "mux.yaml:13: peers.key: \"hex:\" must be followed by an even number of hex digits (the key is not shown)"),
            Arguments.of("key with a non-hex digit", POOLED.replace(KEY_HEX, KEY_HEX.replace('a', 'g')),
                "mux.yaml:13: peers.key: \"hex:\" must be followed by an even number of hex digits (the key is not shown)"),
            Arguments.of("key not base64", POOLED.replace("hex:" + KEY_HEX, "base64:" + KEY_HEX + "!"),
                "mux.yaml:13: peers.key: \"base64:\" must be followed by standard base64 (the key is not shown)"),
            Arguments.of("key too short", POOLED.replace(KEY_HEX, KEY_HEX.substring(0, 62)),
                "mux.yaml:13: peers.key: is 31 bytes; the shared key needs at least 32 (e.g. \"hex:\" and the output of openssl rand -hex 32)"),
            Arguments.of("key is a mapping", POOLED.replace("\"hex:" + KEY_HEX + "\"", "{ hex: " + KEY_HEX + " }"),
                "mux.yaml:13: peers.key: must be a string, got a mapping"),
            Arguments.of("listen on a name", POOLED.replace("127.0.0.1:9470", "mux-a:9470"),
                "mux.yaml:12: peers.listen: must be \"HOST:PORT\" with HOST a unicast IP literal (names are not resolved; IPv6 in brackets), " +
                "got \"mux-a:9470\""),
            Arguments.of("listen port 0", POOLED.replace("127.0.0.1:9470", "127.0.0.1:0"),
                "mux.yaml:12: peers.listen: the port must be an integer between 1 and 65535, got \"127.0.0.1:0\""),
            Arguments.of("endpoint of a stranger", POOLED + "  endpoints: { 10.0.0.99: \"127.0.0.1:1\" }\n",
                "mux.yaml:14: peers.endpoints: 10.0.0.99 is not a member of mux.pool"),
            Arguments.of("endpoint of this MUX", POOLED + "  endpoints: { 10.0.0.10: \"127.0.0.1:1\" }\n",
                "mux.yaml:14: peers.endpoints: 10.0.0.10 is this MUX: its endpoint is peers.listen"),
            Arguments.of("endpoint on the unspecified address", POOLED + "  endpoints: { 10.0.0.11: \"0.0.0.0:9470\" }\n",
                "mux.yaml:14: peers.endpoints.10.0.0.11: must be \"HOST:PORT\" with HOST a unicast IP literal (names are not resolved; " +
                "IPv6 in brackets), got \"0.0.0.0:9470\""),
            Arguments.of("endpoints a list", POOLED + "  endpoints: [\"127.0.0.1:1\"]\n",
                "mux.yaml:14: peers.endpoints: must be a mapping of pool member to \"HOST:PORT\", got a list"),
            Arguments.of("query timeout of 0", POOLED + "  query-timeout-ms: 0\n",
                "mux.yaml:14: peers.query-timeout-ms: must be an integer between 1 and 1000, got \"0\""),
            Arguments.of("no query in flight", POOLED + "  max-queries-in-flight: 0\n",
                "mux.yaml:14: peers.max-queries-in-flight: must be an integer between 1 and 1048576, got \"0\""),
            Arguments.of("message age of a day", POOLED + "  max-message-age-ms: 86400000\n",
                "mux.yaml:14: peers.max-message-age-ms: must be an integer between 1 and 60000, got \"86400000\""),
            Arguments.of("misspelt key", POOLED + "  query-timout-ms: 5\n",
                "mux.yaml:14: peers: unknown key \"query-timout-ms\" (did you mean \"query-timeout-ms\"?)"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badSections")
    void reportsFileLineAndProblemWithoutTheKey(final String what, final String yaml, final String expected)
    {
        final ConfigException ex = assertThrows(ConfigException.class, () -> ConfigLoader.parse(yaml, "mux.yaml"), what);

        assertEquals(List.of(expected), ex.errors(), what);
        assertFalse(ex.getMessage().contains(KEY_HEX.substring(0, 20)), "the key is never shown: " + ex.getMessage());
    }
}
