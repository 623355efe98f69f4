package io.panamux.slowpath.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The {@code router.bgp} section: values, defaults, absence, and bad sections with their exact
 * {@code FILE:LINE: problem}.
 */
class RouterConfigTest
{
    private static final String BASE = """
        mux:
          name: mux-a
          address: 198.18.11.2
        dataplane:
          eal: []
          port: 0
          workers: 1
          flow-table: { capacity: 1024, idle-timeout-seconds: 300 }
          gateway-mac: "02:00:00:00:00:fe"
        vips:
          - address: 192.0.2.10
            port: 80
            protocol: tcp
            backends: [ { address: 10.1.0.1 } ]
        """;
    //  1 mux:          4 dataplane:          10 vips:
    //  3   address                           11   - address: 192.0.2.10 ... 14

    private static final String MINIMAL = BASE + """
        router:
          bgp:
            local-as: 65000
            neighbors: [ { address: 198.18.11.1, as: 65000 } ]
            run-directory: /run/panamux/mux-a
        """;
    // 15 router:
    // 16   bgp:
    // 17     local-as: 65000
    // 18     neighbors: [ { address: 198.18.11.1, as: 65000 } ]
    // 19     run-directory: /run/panamux/mux-a

    @Test
    void absentMeansNoSpeaker()
    {
        assertEquals(Optional.empty(), ConfigLoader.parse(BASE, "mux.yaml").bgp());
        assertEquals(Optional.empty(), ConfigLoader.parse(BASE + "router:\n", "mux.yaml").bgp());
        // An empty bgp (every line commented out) is an empty section, like an empty peers: it lacks its keys.
        assertEquals(List.of("mux.yaml:16: router.bgp: missing required key \"local-as\"",
            "mux.yaml:16: router.bgp: missing required key \"neighbors\"", "mux.yaml:16: router.bgp: missing required key \"run-directory\""),
            assertThrows(ConfigException.class, () -> ConfigLoader.parse(BASE + "router:\n  bgp:\n", "mux.yaml")).errors());
    }

    @Test
    void defaults()
    {
        final MuxConfig config = ConfigLoader.parse(MINIMAL, "mux.yaml");
        final BgpSettings bgp = config.bgp().orElseThrow();

        assertEquals(65000, bgp.localAs());
        assertEquals(IpAddress.parse("198.18.11.2"), bgp.routerId(), "default: mux.address");
        assertEquals(List.of(new BgpSettings.Neighbor(IpAddress.parse("198.18.11.1"), 65000)), bgp.neighbors());
        assertEquals(BgpSettings.DEFAULT_HOLD_SECONDS, bgp.holdSeconds());
        assertEquals(Path.of("/run/panamux/mux-a"), bgp.runDirectory());
        assertEquals(Path.of("/run/panamux/mux-a/bird.ctl"), bgp.socket());
        assertEquals(BgpSettings.DEFAULT_BIRD, bgp.bird());
        assertEquals(BgpSettings.DEFAULT_BIRDC, bgp.birdc());
        assertEquals(null, bgp.bfd(), "no BFD unless asked for");
        assertEquals(new BgpSettings.Bfd(100, 3), ConfigLoader.parse(MINIMAL + "    bfd: {}\n", "mux.yaml").bgp().orElseThrow().bfd());
        assertEquals(List.of(), config.warnings());
    }

    @Test
    void everyKey()
    {
        final BgpSettings bgp = ConfigLoader.parse(BASE + """
            router:
              bgp:
                local-as: 4200000001
                router-id: 198.18.0.99
                neighbors:
                  - { address: 198.18.11.1, as: 65000 }
                  - address: 198.18.12.1
                    as: 0xFFFFFFFF
                hold-seconds: 3
                run-directory: /tmp/mux-a-bgp
                bird: /opt/bird/sbin/bird
                birdc: /opt/bird/sbin/birdc
                next-hop6: "2001:db8:11::2"
                bfd: { interval-ms: 50, multiplier: 4 }
            """, "mux.yaml").bgp().orElseThrow();

        assertEquals(new BgpSettings(4_200_000_001L, IpAddress.parse("198.18.0.99"),
            List.of(new BgpSettings.Neighbor(IpAddress.parse("198.18.11.1"), 65000),
                new BgpSettings.Neighbor(IpAddress.parse("198.18.12.1"), 4_294_967_295L)),
            3, Path.of("/tmp/mux-a-bgp"), "/opt/bird/sbin/bird", "/opt/bird/sbin/birdc", IpAddress.parse("2001:db8:11::2"),
            new BgpSettings.Bfd(50, 4)), bgp);
    }

    @Test
    void anIpv6VipIsAnnouncedWithoutWarning()
    {
        final String yaml = MINIMAL.replace("  address: 198.18.11.2\n", "  address: 198.18.11.2\n  address6: 2001:db8::2\n")
            .replace("    backends: [ { address: 10.1.0.1 } ]\n", """
                    backends: [ { address: 10.1.0.1 } ]
                  - address: 2001:db8::10
                    port: 80
                    protocol: tcp
                    backends: []
                """);

        // The sessions carry an IPv6 channel beside the IPv4 one (issue 13): nothing left out to warn about.
        assertEquals(List.of(), ConfigLoader.parse(yaml, "mux.yaml").warnings());
        assertEquals(null, ConfigLoader.parse(yaml, "mux.yaml").bgp().orElseThrow().nextHop6(), "default: BIRD's address on the link");
    }

    static Stream<Arguments> badSections()
    {
        return Stream.of(
            Arguments.of("router not a mapping", BASE + "router: bgp\n",
                "mux.yaml:15: router: must be a mapping, got \"bgp\""),
            Arguments.of("unknown router key", MINIMAL + "  ospf: {}\n",
                "mux.yaml:20: router: unknown key \"ospf\" (expected one of bgp)"),
            Arguments.of("bgp a list", BASE + "router:\n  bgp: [65000]\n",
                "mux.yaml:16: router.bgp: must be a mapping, got a list"),
            Arguments.of("misspelt bgp key", MINIMAL + "    hold-second: 3\n",
                "mux.yaml:20: router.bgp: unknown key \"hold-second\" (did you mean \"hold-seconds\"?)"),
            Arguments.of("no local AS", MINIMAL.replace("    local-as: 65000\n", ""),
                "mux.yaml:16: router.bgp: missing required key \"local-as\""),
            Arguments.of("AS 0", MINIMAL.replace("local-as: 65000", "local-as: 0"),
                "mux.yaml:17: router.bgp.local-as: must be an AS number between 1 and 4294967295, got \"0\""),
            Arguments.of("AS beyond 32 bits", MINIMAL.replace("local-as: 65000", "local-as: 4294967296"),
                "mux.yaml:17: router.bgp.local-as: must be an AS number between 1 and 4294967295, got \"4294967296\""),
            Arguments.of("AS in asdot", MINIMAL.replace("local-as: 65000", "local-as: 1.10"),
                "mux.yaml:17: router.bgp.local-as: must be an AS number between 1 and 4294967295, got \"1.10\""),
            Arguments.of("router id IPv6", MINIMAL + "    router-id: 2001:db8::1\n",
                "mux.yaml:20: router.bgp.router-id: must be an IPv4 address, got \"2001:db8::1\""),
            Arguments.of("no neighbors key", MINIMAL.replace("    neighbors: [ { address: 198.18.11.1, as: 65000 } ]\n", ""),
                "mux.yaml:16: router.bgp: missing required key \"neighbors\""),
            Arguments.of("no neighbor", MINIMAL.replace("[ { address: 198.18.11.1, as: 65000 } ]", "[]"),
                "mux.yaml:18: router.bgp.neighbors: needs at least one neighbor (a router to announce the VIPs to)"),
            Arguments.of("neighbors a mapping", MINIMAL.replace("[ { address: 198.18.11.1, as: 65000 } ]", "{ address: 198.18.11.1 }"),
                "mux.yaml:18: router.bgp.neighbors: must be a list of neighbors ({ address: IPv4, as: AS }), got a mapping"),
            Arguments.of("neighbor without AS", MINIMAL.replace(", as: 65000 }", " }"),
                "mux.yaml:18: router.bgp.neighbors[0]: missing required key \"as\""),
            Arguments.of("neighbor by name", MINIMAL.replace("address: 198.18.11.1", "address: router-a"),
                "mux.yaml:18: router.bgp.neighbors[0].address: must be an IPv4 address, got \"router-a\" (host names are not resolved)"),
            Arguments.of("neighbor twice", MINIMAL.replace("[ { address: 198.18.11.1, as: 65000 } ]",
                    "[ { address: 198.18.11.1, as: 65000 }, { address: 198.18.11.1, as: 65001 } ]"),
                "mux.yaml:18: router.bgp.neighbors[1].address: duplicate of router.bgp.neighbors[0] (198.18.11.1)"),
            Arguments.of("neighbor is the MUX", MINIMAL.replace("address: 198.18.11.1", "address: 198.18.11.2"),
                "mux.yaml:18: router.bgp.neighbors[0].address: 198.18.11.2 is this MUX's own address; a neighbor is a router in front of it"),
            Arguments.of("neighbor with an unknown key", MINIMAL.replace(", as: 65000 }", ", as: 65000, port: 179 }"),
                "mux.yaml:18: router.bgp.neighbors[0]: unknown key \"port\" (expected one of address, as)"),
            Arguments.of("hold time 0", MINIMAL + "    hold-seconds: 0\n",
                "mux.yaml:20: router.bgp.hold-seconds: must be an integer between 3 and 65535, got \"0\""),
            Arguments.of("hold time beyond 16 bits", MINIMAL + "    hold-seconds: 65536\n",
                "mux.yaml:20: router.bgp.hold-seconds: must be an integer between 3 and 65535, got \"65536\""),
            Arguments.of("no run directory", MINIMAL.replace("    run-directory: /run/panamux/mux-a\n", ""),
                "mux.yaml:16: router.bgp: missing required key \"run-directory\""),
            Arguments.of("relative run directory", MINIMAL.replace("/run/panamux/mux-a", "run/mux-a"),
                "mux.yaml:19: router.bgp.run-directory: must be an absolute path (the MUX may run from any directory), got \"run/mux-a\""),
            Arguments.of("run directory too long for the socket", MINIMAL.replace("/run/panamux/mux-a", "/run/" + "d".repeat(94)),
                "mux.yaml:19: router.bgp.run-directory: is too long: the speaker's control socket bird.ctl in it would have a path of 108 " +
                "bytes, and a Unix socket's may have at most 107"),
            Arguments.of("empty bird", MINIMAL + "    bird: \"\"\n",
                "mux.yaml:20: router.bgp.bird: must not be empty"),
            Arguments.of("BFD interval too short", MINIMAL + "    bfd: { interval-ms: 5 }\n",
                "mux.yaml:20: router.bgp.bfd.interval-ms: must be an integer between 10 and 60000, got \"5\""),
            Arguments.of("BFD unknown key", MINIMAL + "    bfd: { interval: 100 }\n",
                "mux.yaml:20: router.bgp.bfd: unknown key \"interval\" (expected one of interval-ms, multiplier)"),
            Arguments.of("IPv6 next hop IPv4", MINIMAL + "    next-hop6: 198.18.11.2\n",
                "mux.yaml:20: router.bgp.next-hop6: must be an IPv6 address, got \"198.18.11.2\""),
            Arguments.of("birdc a list", MINIMAL + "    birdc: [birdc]\n",
                "mux.yaml:20: router.bgp.birdc: must be a string, got a list"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badSections")
    void reportsFileLineAndProblem(final String what, final String yaml, final String expected)
    {
        final ConfigException ex = assertThrows(ConfigException.class, () -> ConfigLoader.parse(yaml, "mux.yaml"), what);

        assertEquals(List.of(expected), ex.errors(), what);
    }

    @Test
    void everyMistakeOfTheSectionAtOnce()
    {
        final ConfigException ex = assertThrows(ConfigException.class, () -> ConfigLoader.parse(BASE + """
            router:
              bgp:
                local-as: -1
                neighbors: [ { address: 198.18.11.1, as: 70000000000 } ]
                run-directory: relative
            """, "mux.yaml"));

        assertEquals(List.of(
            "mux.yaml:17: router.bgp.local-as: must be an AS number between 1 and 4294967295, got \"-1\"",
            "mux.yaml:18: router.bgp.neighbors[0].as: must be an AS number between 1 and 4294967295, got \"70000000000\"",
            "mux.yaml:19: router.bgp.run-directory: must be an absolute path (the MUX may run from any directory), got \"relative\""),
            ex.errors());
    }
}
