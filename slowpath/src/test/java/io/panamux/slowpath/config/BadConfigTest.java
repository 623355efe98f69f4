package io.panamux.slowpath.config;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * A table of broken configurations, each a one-line edit of {@link #BASE} (or a whole text), and the exact
 * {@code FILE:LINE: problem} it must produce.
 */
class BadConfigTest
{
    private static final String FILE = "mux.yaml";
    /** A machine of 8 GiB with a 512 MiB heap, so that the size rows do not depend on the one running them. */
    private static final MachineLimits LIMITS = new MachineLimits(8L << 30, 512L << 20);

    /** A valid configuration; the line numbers in the table refer to it. */
    private static final String BASE = """
        mux:
          name: mux-a
          address: 10.0.0.10
          pool: [10.0.0.10, 10.0.0.11]
        dataplane:
          eal: ["--no-huge"]
          port: 0
          workers: 1
          flow-table: { capacity: 1024, idle-timeout-seconds: 300 }
          gateway: 10.0.0.1
        vips:
          - address: 192.0.2.10
            port: 80
            protocol: tcp
            backends:
              - { address: 10.1.0.1, weight: 1 }
              - address: 10.1.0.2
        admin:
          listen: "127.0.0.1:9480"
        peers:
          listen: "10.0.0.10:9470"
          key: "hex:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
        """;
    //  1 mux:
    //  2   name: mux-a
    //  3   address: 10.0.0.10
    //  4   pool: [10.0.0.10, 10.0.0.11]
    //  5 dataplane:
    //  6   eal: ["--no-huge"]
    //  7   port: 0
    //  8   workers: 1
    //  9   flow-table: { capacity: 1024, idle-timeout-seconds: 300 }
    // 10   gateway: 10.0.0.1
    // 11 vips:
    // 12   - address: 192.0.2.10
    // 13     port: 80
    // 14     protocol: tcp
    // 15     backends:
    // 16       - { address: 10.1.0.1, weight: 1 }
    // 17       - address: 10.1.0.2
    // 18 admin:
    // 19   listen: "127.0.0.1:9480"
    // 20 peers:
    // 21   listen: "10.0.0.10:9470"
    // 22   key: "hex:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

    static Stream<Arguments> badConfigurations()
    {
        return Stream.of(
            // YAML syntax
            bad("indentation broken",
                edit("  address: 10.0.0.10", " address: 10.0.0.10"),
                "mux.yaml:3: YAML syntax error: expected <block end>, but found '<block mapping start>' " +
                "(while parsing a block mapping at line 1)"),
            bad("tab used for indentation",
                edit("  workers: 1", "\tworkers: 1"),
                "mux.yaml:8: YAML syntax error: found character '\\t(TAB)' that cannot start any token. " +
                "(Do not use \\t(TAB) for indentation)"),
            bad("flow mapping not closed",
                edit("  flow-table: { capacity: 1024, idle-timeout-seconds: 300 }",
                    "  flow-table: { capacity: 1024, idle-timeout-seconds: 300"),
                "mux.yaml:10: YAML syntax error: expected ',' or '}', but got : " +
                "(while parsing a flow mapping at line 9)"),
            bad("two documents",
                BASE + "---\nmux: {}\n",
                "mux.yaml:23: YAML syntax error: expected a single document in the stream, but found another document"),
            bad("control character",
                edit("  name: mux-a", "  name: mux-\u0001"),
                "mux.yaml:2: YAML syntax error: character U+0001 is not allowed"),
            bad("empty file",
                "# nothing but a comment\n",
                "mux.yaml:1: the file is empty: it needs at least the sections mux and dataplane"),

            // structure: unknown, duplicate and missing keys, wrong shapes
            bad("unknown top-level section",
                BASE + "extras: []\n",
                "mux.yaml:23: unknown key \"extras\" (expected one of mux, dataplane, vips, admin, peers, router, store)"),
            bad("misspelt key",
                edit("      - address: 10.1.0.2", "      - address: 10.1.0.2\n        wieght: 2"),
                "mux.yaml:18: vips[0].backends[1]: unknown key \"wieght\" (did you mean \"weight\"?)"),
            bad("camel-case key",
                edit("  workers: 1", "  workers: 1\n  burstSize: 64"),
                "mux.yaml:9: dataplane: unknown key \"burstSize\" (did you mean \"burst-size\"?)"),
            bad("duplicate key",
                edit("    port: 80", "    port: 80\n    port: 81"),
                "mux.yaml:14: vips[0]: duplicate key \"port\" (first at line 13)"),
            bad("merge key",
                edit("  name: mux-a", "  name: mux-a\n  <<: {}"),
                "mux.yaml:3: mux: merge keys (<<) are not supported"),
            bad("missing mux.address",
                edit("  address: 10.0.0.10\n", ""),
                "mux.yaml:1: mux: missing required key \"address\""),
            bad("missing dataplane section",
                """
                mux:
                  name: mux-a
                  address: 10.0.0.10
                """,
                "mux.yaml:1: missing required key \"dataplane\""),
            bad("flow-table not a mapping",
                edit("  flow-table: { capacity: 1024, idle-timeout-seconds: 300 }", "  flow-table: 1024"),
                "mux.yaml:9: dataplane.flow-table: must be a mapping, got \"1024\""),
            bad("missing protocol",
                edit("    protocol: tcp\n", ""),
                "mux.yaml:12: vips[0]: missing required key \"protocol\""),
            bad("top level is a list",
                "- mux\n- dataplane\n",
                "mux.yaml:1: the configuration must be a mapping of the sections mux, dataplane, vips, admin, peers, router, store, got a list"),
            bad("section is a scalar",
                edit("admin:\n  listen: \"127.0.0.1:9480\"", "admin: on"),
                "mux.yaml:18: admin: must be a mapping, got \"on\""),
            bad("vips is a mapping",
                BASE.substring(0, BASE.indexOf("vips:")) + "vips: { address: 192.0.2.10 }\n" + BASE.substring(BASE.indexOf("admin:")),
                "mux.yaml:11: vips: must be a list of VIPs, got a mapping"),
            bad("eal argument is a mapping",
                edit("  eal: [\"--no-huge\"]", "  eal: [\"--no-huge\", {m: 512}]"),
                "mux.yaml:6: dataplane.eal[1]: must be a string, got a mapping"),

            // types and ranges
            bad("weight not an integer",
                edit("      - { address: 10.1.0.1, weight: 1 }", "      - { address: 10.1.0.1, weight: heavy }"),
                "mux.yaml:16: vips[0].backends[0].weight: must be an integer >= 0, got \"heavy\""),
            bad("negative weight",
                edit("      - { address: 10.1.0.1, weight: 1 }", "      - { address: 10.1.0.1, weight: -1 }"),
                "mux.yaml:16: vips[0].backends[0].weight: must be an integer >= 0, got \"-1\""),
            bad("workers zero",
                edit("  workers: 1", "  workers: 0"),
                "mux.yaml:8: dataplane.workers: must be an integer between 1 and 127, got \"0\""),
            bad("workers above the lcore limit",
                edit("  workers: 1", "  workers: 128"),
                "mux.yaml:8: dataplane.workers: must be an integer between 1 and 127, got \"128\""),
            bad("workers a list",
                edit("  workers: 1", "  workers: [1]"),
                "mux.yaml:8: dataplane.workers: must be an integer between 1 and 127, got a list"),
            bad("dpdk port beyond RTE_MAX_ETHPORTS",
                edit("  port: 0", "  port: 32"),
                "mux.yaml:7: dataplane.port: must be an integer between 0 and 31, got \"32\""),
            bad("vip port zero",
                edit("    port: 80", "    port: 0"),
                "mux.yaml:13: vips[0].port: must be an integer between 1 and 65535, got \"0\""),
            bad("vip port octal-looking",
                edit("    port: 80", "    port: 080"),
                "mux.yaml:13: vips[0].port: must be an integer between 1 and 65535, got \"080\" " +
                "(leading zeros are not allowed: YAML 1.1 reads them as octal)"),
            bad("vip port empty",
                edit("    port: 80", "    port:"),
                "mux.yaml:13: vips[0].port: must be an integer between 1 and 65535, got an empty value"),
            bad("protocol unknown",
                edit("    protocol: tcp", "    protocol: sctp"),
                "mux.yaml:14: vips[0].protocol: must be one of tcp, udp, got \"sctp\""),
            bad("encapsulation unknown",
                edit("    protocol: tcp", "    protocol: tcp\n    encapsulation: vxlan"),
                "mux.yaml:15: vips[0].encapsulation: must be one of ipip, gre, gue, got \"vxlan\""),
            bad("flow-tracking YAML 1.1 boolean",
                edit("    protocol: tcp", "    protocol: tcp\n    flow-tracking: on"),
                "mux.yaml:15: vips[0].flow-tracking: must be one of on-change, always, got \"on\""),
            bad("flow-table capacity zero",
                edit("  flow-table: { capacity: 1024, idle-timeout-seconds: 300 }",
                    "  flow-table: { capacity: 0, idle-timeout-seconds: 300 }"),
                "mux.yaml:9: dataplane.flow-table.capacity: must be an integer between 1 and 1073741824, got \"0\""),
            bad("flow-table new-flow limit negative",
                edit("  flow-table: { capacity: 1024, idle-timeout-seconds: 300 }",
                    "  flow-table: { capacity: 1024, idle-timeout-seconds: 300, new-flows-per-second: -1 }"),
                "mux.yaml:9: dataplane.flow-table.new-flows-per-second: must be an integer >= 0, got \"-1\""),
            bad("flow-table capacity above the table's limit (2^30)",
                edit("  flow-table: { capacity: 1024, idle-timeout-seconds: 300 }",
                    "  flow-table: { capacity: 2147483647, idle-timeout-seconds: 300 }"),
                "mux.yaml:9: dataplane.flow-table.capacity: must be an integer between 1 and 1073741824, got \"2147483647\""),
            bad("flow-table capacity beyond the machine's memory",
                edit("  flow-table: { capacity: 1024, idle-timeout-seconds: 300 }",
                    "  flow-table: { capacity: 1073741824, idle-timeout-seconds: 300 }"),
                "mux.yaml:9: dataplane.flow-table.capacity: 1073741824 flows take 32.0 GiB of flow tables (1 worker(s), 32 bytes a " +
                "flow, each table rounded up to a power of two), more than the 7.5 GiB this process can have besides its Java heap " +
                "(memory 8.0 GiB, heap up to 512.0 MiB)"),
            bad("flow-table capacity beyond the machine's memory, shared by 4 workers",
                edit("  workers: 1", "  workers: 4").replace("capacity: 1024,", "capacity: 300000000,"),
                "mux.yaml:9: dataplane.flow-table.capacity: 300000000 flows take 16.0 GiB of flow tables (4 worker(s), 32 bytes a " +
                "flow, each table rounded up to a power of two), more than the 7.5 GiB this process can have besides its Java heap " +
                "(memory 8.0 GiB, heap up to 512.0 MiB)"),
            bad("maglev table above a Java array's length",
                edit("  workers: 1", "  workers: 1\n  maglev-table-size: 2147483647"),
                "mux.yaml:9: dataplane.maglev-table-size: must be an integer between 2 and 2147483639, got \"2147483647\""),
            bad("maglev table beyond the heap",
                edit("  workers: 1", "  workers: 1\n  maglev-table-size: 1000000007"),
                "mux.yaml:9: dataplane.maglev-table-size: Maglev tables of 1000000007 entries for 1 VIP(s) take up to 11.2 GiB of " +
                "Java heap (4 bytes an entry, two tables a VIP during a change, one more being built), more than half the heap this " +
                "JVM can have (512.0 MiB; -Xmx in JAVA_OPTS gives more)"),
            bad("maglev table size not prime",
                edit("  workers: 1", "  workers: 1\n  maglev-table-size: 65536"),
                "mux.yaml:9: dataplane.maglev-table-size: must be a prime (Maglev's permutations need it), got \"65536\""),
            bad("maglev table smaller than a VIP's backends",
                edit("  workers: 1", "  workers: 1\n  maglev-table-size: 2")
                    .replace("      - address: 10.1.0.2", "      - address: 10.1.0.2\n      - address: 10.1.0.3"),
                "mux.yaml:16: vips[0].backends: 3 backends but dataplane.maglev-table-size is 2; " +
                "the Maglev table needs at least one entry per backend"),
            bad("hash seed negative",
                edit("  name: mux-a", "  name: mux-a\n  hash-seed: -1"),
                "mux.yaml:3: mux.hash-seed: must be an integer between 0 and 0xffffffffffffffff (decimal or 0x hex), " +
                "got \"-1\""),
            bad("hash seed above 64 bits",
                edit("  name: mux-a", "  name: mux-a\n  hash-seed: 0x10000000000000000"),
                "mux.yaml:3: mux.hash-seed: must be an integer between 0 and 0xffffffffffffffff (decimal or 0x hex), " +
                "got \"0x10000000000000000\""),
            bad("mtu below the IPv4 minimum",
                edit("  workers: 1", "  workers: 1\n  mtu: 67"),
                "mux.yaml:9: dataplane.mtu: must be an integer between 68 and 65535, got \"67\""),
            bad("burst size zero",
                edit("  workers: 1", "  workers: 1\n  burst-size: 0"),
                "mux.yaml:9: dataplane.burst-size: must be an integer between 1 and 65535, got \"0\""),
            bad("gue port out of range",
                edit("    protocol: tcp", "    protocol: tcp\n    encapsulation: gue\n    gue-port: 70000"),
                "mux.yaml:16: vips[0].gue-port: must be an integer between 1 and 65535, got \"70000\""),
            bad("empty name",
                edit("  name: mux-a", "  name: \"\""),
                "mux.yaml:2: mux.name: must not be empty"),

            // addresses
            bad("IPv4 octet out of range",
                edit("  address: 10.0.0.10", "  address: 10.0.0.300"),
                "mux.yaml:3: mux.address: must be an IPv4 address, got \"10.0.0.300\""),
            bad("IPv4 short form",
                edit("      - address: 10.1.0.2", "      - address: 10.1"),
                "mux.yaml:17: vips[0].backends[1].address: must be an IPv4 or IPv6 address, got \"10.1\""),
            bad("mux.address given as IPv6",
                edit("  address: 10.0.0.10", "  address: 2001:db8::10"),
                "mux.yaml:3: mux.address: must be an IPv4 address, got \"2001:db8::10\""),
            bad("host name instead of a literal",
                edit("  - address: 192.0.2.10", "  - address: www.example.com"),
                "mux.yaml:12: vips[0].address: must be an IPv4 or IPv6 address, got \"www.example.com\" " +
                "(host names are not resolved)"),
            bad("IPv4-mapped IPv6",
                edit("  - address: 192.0.2.10", "  - address: \"::ffff:192.0.2.10\""),
                "mux.yaml:12: vips[0].address: must be an IPv4 or IPv6 address, got \"::ffff:192.0.2.10\" " +
                "(an IPv4-mapped IPv6 address: write it as the IPv4 address 192.0.2.10)"),
            bad("multicast VIP",
                edit("  - address: 192.0.2.10", "  - address: 239.1.1.1"),
                "mux.yaml:12: vips[0].address: must be a unicast address, got \"239.1.1.1\""),
            bad("VIP is the MUX's own address",
                edit("  - address: 192.0.2.10", "  - address: 10.0.0.10"),
                "mux.yaml:12: vips[0].address: 10.0.0.10 is the MUX's own address; a VIP needs an address of its own"),
            bad("IPv6 backend without mux.address6",
                edit("      - address: 10.1.0.2", "      - address: 2001:db8::2"),
                "mux.yaml:17: vips[0].backends[1].address: an IPv6 backend needs mux.address6 " +
                "(the outer source address towards it)"),
            bad("address6 is IPv4",
                edit("  name: mux-a", "  name: mux-a\n  address6: 10.0.0.10"),
                "mux.yaml:3: mux.address6: must be an IPv6 address, got \"10.0.0.10\""),
            bad("pool without this MUX",
                edit("  pool: [10.0.0.10, 10.0.0.11]", "  pool: [10.0.0.11, 10.0.0.12]"),
                "mux.yaml:4: mux.pool: must contain mux.address 10.0.0.10 (this MUX owns flows only as a member of its pool)"),
            bad("pool member twice",
                edit("  pool: [10.0.0.10, 10.0.0.11]", "  pool:\n    - 10.0.0.10\n    - 10.0.0.11\n    - 10.0.0.10"),
                "mux.yaml:7: mux.pool[2]: duplicate of mux.pool[0] (10.0.0.10)"),
            bad("duplicate VIP",
                edit("admin:", """
                      - address: 192.0.2.10
                        port: 80
                        protocol: tcp
                        backends: []
                    admin:"""),
                "mux.yaml:18: vips[1]: duplicate of vips[0] (192.0.2.10:80/tcp)"),
            bad("duplicate backend",
                edit("      - address: 10.1.0.2", "      - address: 10.1.0.1"),
                "mux.yaml:17: vips[0].backends[1].address: duplicate of vips[0].backends[0] (10.1.0.1)"),

            // dataplane.gateway-mac
            bad("gateway MAC with five octets",
                edit("  workers: 1", "  workers: 1\n  gateway-mac: \"02:00:00:00:fe\""),
                "mux.yaml:9: dataplane.gateway-mac: must be a MAC address like \"02:00:00:00:00:fe\", got \"02:00:00:00:fe\""),
            bad("gateway MAC multicast",
                edit("  workers: 1", "  workers: 1\n  gateway-mac: 01:00:5e:00:00:01"),
                "mux.yaml:9: dataplane.gateway-mac: must be a unicast MAC address (a next hop), got \"01:00:5e:00:00:01\""),

            // admin
            bad("admin on a public address without a token",
                edit("  listen: \"127.0.0.1:9480\"", "  listen: \"0.0.0.0:9480\""),
                "mux.yaml:19: admin.listen: \"0.0.0.0:9480\" is not a loopback address, so admin.token is required " +
                "(without one, anyone who can reach the port could change backends)"),
            bad("admin listen on a host name",
                edit("  listen: \"127.0.0.1:9480\"", "  listen: \"localhost:9480\""),
                "mux.yaml:19: admin.listen: the host must be an IP literal (names are not resolved; IPv6 in brackets), " +
                "got \"localhost:9480\""),
            bad("admin listen without a port",
                edit("  listen: \"127.0.0.1:9480\"", "  listen: 127.0.0.1"),
                "mux.yaml:19: admin.listen: must be \"HOST:PORT\", e.g. \"127.0.0.1:9480\", got \"127.0.0.1\""),
            bad("admin listen port too large",
                edit("  listen: \"127.0.0.1:9480\"", "  listen: \"127.0.0.1:94800\""),
                "mux.yaml:19: admin.listen: the port must be an integer between 0 and 65535, got \"127.0.0.1:94800\""),
            bad("admin token empty",
                edit("  listen: \"127.0.0.1:9480\"", "  listen: \"127.0.0.1:9480\"\n  token: \"\""),
                "mux.yaml:20: admin.token: must not be empty"));
    }

    @Test
    void baseIsValid()
    {
        final MuxConfig config = ConfigLoader.parse(BASE, FILE);

        assertEquals(2, config.vips().get(0).backends().size());
        assertEquals(List.of(), config.warnings().stream().filter(w -> !w.contains("Maglev")).toList());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badConfigurations")
    void reportsFileLineAndProblem(final String what, final String yaml, final String expected)
    {
        final ConfigException ex = assertThrows(ConfigException.class, () -> ConfigLoader.parse(yaml, FILE, LIMITS), what);

        assertEquals(expected, ex.getMessage(), what);
        assertEquals(List.of(expected), ex.errors(), what);
        assertNoYamlTypes(ex);
    }

    @Test
    void collectsEveryErrorInLineOrder()
    {
        final String yaml = BASE
            .replace("  listen: \"127.0.0.1:9480\"", "  listen: \"0.0.0.0:9480\"")
            .replace("    protocol: tcp", "    protocol: icmp")
            .replace("  workers: 1", "  workers: many")
            .replace("  address: 10.0.0.10", "  address: mux-a.example");

        final ConfigException ex = assertThrows(ConfigException.class, () -> ConfigLoader.parse(yaml, FILE));

        assertEquals(List.of(
            "mux.yaml:3: mux.address: must be an IPv4 address, got \"mux-a.example\" (host names are not resolved)",
            "mux.yaml:8: dataplane.workers: must be an integer between 1 and 127, got \"many\"",
            "mux.yaml:14: vips[0].protocol: must be one of tcp, udp, got \"icmp\"",
            "mux.yaml:19: admin.listen: \"0.0.0.0:9480\" is not a loopback address, so admin.token is required " +
            "(without one, anyone who can reach the port could change backends)"), ex.errors());
        assertEquals(String.join("\n", ex.errors()), ex.getMessage());
    }

    @Test
    void neverLeaksParserExceptionTypes()
    {
        final List<String> texts = new ArrayList<>();
        badConfigurations().forEach(arguments -> texts.add((String)arguments.get()[1]));
        texts.add("a: &x [*x]\n");
        texts.add("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n");
        texts.add("a: !!python/object:os.system [ls]\n");
        texts.add("\"unterminated\n");

        for (final String text : texts)
        {
            final ConfigException ex = assertThrows(ConfigException.class, () -> ConfigLoader.parse(text, FILE, LIMITS), text);
            assertFalse(ex.getMessage().isEmpty());
            for (final String error : ex.errors())
            {
                assertTrueStartsWithFileAndLine(error);
            }
            assertNoYamlTypes(ex);
        }
    }

    private static void assertTrueStartsWithFileAndLine(final String error)
    {
        if (!error.matches("mux\\.yaml:[1-9][0-9]*: .+"))
        {
            throw new AssertionError("not FILE:LINE: problem: " + error);
        }
    }

    private static void assertNoYamlTypes(final Throwable thrown)
    {
        assertEquals(ConfigException.class, thrown.getClass());
        assertNull(thrown.getCause(), "a ConfigException carries no cause");
        assertEquals(0, thrown.getSuppressed().length);
        assertFalse(thrown.getMessage().contains("org.yaml"), thrown.getMessage());
    }

    private static Arguments bad(final String what, final String yaml, final String expected)
    {
        return Arguments.of(what, yaml, expected);
    }

    /** @return {@link #BASE} with {@code existing} (which must appear exactly once) replaced. */
    private static String edit(final String existing, final String replacement)
    {
        final int at = BASE.indexOf(existing);
        if (at < 0 || BASE.indexOf(existing, at + 1) >= 0)
        {
            throw new IllegalArgumentException("not exactly once in BASE: " + existing);
        }
        return BASE.substring(0, at) + replacement + BASE.substring(at + existing.length());
    }
}
