package io.panamux.hostagent;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.panamux.fastpath.encap.TunnelEncapsulator;

import static io.panamux.hostagent.TestFrames.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HostAgentConfigLoaderTest
{
    private static final String MINIMAL = """
        agent: { name: b1, address: 198.18.21.2 }
        pool: { muxes: [198.18.11.2] }
        dataplane:
          network: "net_af_packet0,iface=eth0"
          host: "net_tap0,iface=pmx0"
          gateway-mac: "02:98:00:00:15:01"
        """;

    @Test
    void readsAWholeFileAndFillsDefaults()
    {
        final HostAgentConfig c = HostAgentConfigLoader.parse("a.yaml", MINIMAL.replace("pool: { muxes: [198.18.11.2] }", """
            pool:
              muxes: [198.18.11.2, "198.18.12.2"]
              agents: ["198.18.3.0/24"]
              vips: ["192.0.2.12:80/tcp", "192.0.2.14:53/udp"]""").replace("address: 198.18.21.2 }",
            "address: 198.18.21.2, backs: [\"192.0.2.12:80/tcp\"] }") + """
            hash-seed: 0x1234
            fastpath:
              key: "00112233445566778899aabbccddeeff"
              offer-to: ["198.18.2.0/24", "198.18.3.7"]
            vips:
              - address: 192.0.2.13
                port: 80
                protocol: tcp
                encapsulation: gue
                backends: [ { address: 198.18.21.2, weight: 2 }, { address: 198.18.22.2 } ]
            """);
        assertEquals("b1", c.name());
        assertEquals(ip("198.18.21.2"), c.address());
        assertEquals(0x0298_0000_1501L, c.gatewayMac());
        assertEquals(1500, c.mtu());
        assertEquals(0x1234, c.hashSeed());
        assertEquals(65537, c.maglevTableSize());
        assertEquals(TunnelEncapsulator.DEFAULT_GUE_PORT, c.guePort());
        final HostAgentConfig.Fastpath fp = c.fastpath().orElseThrow();
        assertEquals(HostAgentConfig.DEFAULT_FASTPATH_PORT, fp.port());
        assertTrue(fp.accept());
        assertEquals(List.of(Prefix.parse("198.18.2.0/24"), Prefix.parse("198.18.3.7/32")), fp.offerTo());
        assertEquals(1, c.vips().size());
        assertEquals("192.0.2.13:80/tcp", c.vips().get(0).key());
        assertEquals(TunnelEncapsulator.GUE, c.vips().get(0).encapsulation());
        assertEquals(List.of(new HostAgentConfig.SourceBackend(ip("198.18.21.2"), 2), new HostAgentConfig.SourceBackend(ip("198.18.22.2"), 1)),
            c.vips().get(0).backends());
        assertFalse(HostAgentConfigLoader.parse("b.yaml", MINIMAL).fastpath().isPresent());
        assertEquals(List.of(ip("198.18.11.2"), ip("198.18.12.2")), c.pool().muxes());
        assertEquals(List.of(Prefix.parse("198.18.3.0/24")), c.pool().agents());
        assertEquals(List.of(new HostAgentConfig.ServedVip(ip("192.0.2.12"), 80, 6), new HostAgentConfig.ServedVip(ip("192.0.2.14"), 53, 17)),
            c.pool().vips());
        assertEquals(List.of(new HostAgentConfig.ServedVip(ip("192.0.2.12"), 80, 6)), c.backs());
        assertEquals("[192.0.2.12:80/tcp, 192.0.2.14:53/udp, 192.0.2.13:80/tcp]", c.servedVips().toString(), "pool.vips and vips");
    }

    @Test
    void eachMistakeIsNamedWithTheFileTheLineAndTheKey()
    {
        final String[][] cases = {
            {MINIMAL + "colour: blue\n", "a.yaml:7: unknown key \"colour\" (expected one of agent, pool,"},
            {MINIMAL.replace("198.18.21.2", "198.18.021.2"), "a.yaml:1: agent.address: '198.18.021.2' is not an IPv4 address"},
            {MINIMAL.replace("  gateway-mac: \"02:98:00:00:15:01\"\n", ""), "a.yaml:3: dataplane: missing required key \"gateway-mac\""},
            {MINIMAL.replace("02:98:00:00:15:01", "03:98:00:00:15:01"), "a.yaml:6: dataplane.gateway-mac: must be a unicast MAC address (a next hop), got \"03:98:00:00:15:01\""},
            {MINIMAL + "fastpath: { key: \"0011\" }\n", "a.yaml:7: fastpath.key: must be at least 16 bytes"},
            {MINIMAL + "fastpath: { key: \"zz112233445566778899aabbccddeeff\" }\n", "a.yaml:7: fastpath.key: must be hexadecimal"},
            {MINIMAL + "fastpath: { key: \"00112233445566778899aabbccddeeff\", offer-to: [\"198.18.2.1/24\"] }\n",
                "a.yaml:7: fastpath.offer-to[0]: 198.18.2.1/24 has host bits set"},
            {MINIMAL + "vips: [ { address: 192.0.2.1, port: 80, backends: [ { address: 10.0.0.1 } ] } ]\n",
                "a.yaml:1: hash-seed: is required with vips: the MUX pool's seed"},
            {MINIMAL + "vips: [ { address: 192.0.2.1, port: 80, protocol: sctp, backends: [ { address: 10.0.0.1 } ] } ]\n",
                "a.yaml:7: vips[0].protocol: must be one of tcp, udp, got \"sctp\""},
            {MINIMAL + "vips: [ { address: 192.0.2.1, port: 80, backends: [] } ]\n", "a.yaml:7: vips[0].backends: must be a non-empty list"},
            {MINIMAL + "vips: [ { address: 192.0.2.1, port: 80, backends: [ { address: 10.0.0.1 }, { address: 10.0.0.1 } ] } ]\n",
                "a.yaml:7: vips[0].backends[1].address: duplicate backend 10.0.0.1"},
            {MINIMAL.replace("dataplane:", "dataplane:\n  mtu: 100000"), "a.yaml:4: dataplane.mtu: must be an integer between 576 and 9000, got \"100000\""},
            {MINIMAL + "maglev-table-size: 65536\n", "a.yaml:7: maglev-table-size: must be a prime (Maglev's permutations need it), got \"65536\""},
            {MINIMAL.replace("pool: { muxes: [198.18.11.2] }\n", ""), "a.yaml:1: missing required key \"pool\""},
            {MINIMAL.replace("muxes: [198.18.11.2]", "muxes: []"), "a.yaml:2: pool.muxes: is required: the address of every MUX"},
            {MINIMAL.replace("muxes: [198.18.11.2]", "muxes: [mux-a]"), "a.yaml:2: pool.muxes[0]: 'mux-a' is not an IPv4 address"},
            {MINIMAL.replace("muxes: [198.18.11.2]", "muxes: [198.18.11.2], vips: [\"192.0.2.1:80\"]"),
                "a.yaml:2: pool.vips[0]: '192.0.2.1:80' is not a VIP like 192.0.2.10:80/tcp"},
            {MINIMAL.replace("muxes: [198.18.11.2]", "muxes: [198.18.11.2], vips: [\"192.0.2.1:80/sctp\"]"),
                "a.yaml:2: pool.vips[0]: '192.0.2.1:80/sctp': the protocol must be tcp or udp"},
            {MINIMAL.replace("muxes: [198.18.11.2]", "muxes: [198.18.11.2], agents: [\"198.18.2.1/24\"]"),
                "a.yaml:2: pool.agents[0]: 198.18.2.1/24 has host bits set"},
            {MINIMAL.replace("address: 198.18.21.2 }", "address: 198.18.21.2, backs: [\"192.0.2.1:0/tcp\"] }"),
                "a.yaml:1: agent.backs[0]: '192.0.2.1:0/tcp': the port must be between 1 and 65535"},
            {MINIMAL + "fastpath: { key: \"00112233445566778899aabbccddeeff\", accept: false, offer-to: [\"198.18.2.0/24\"] }\n",
                "a.yaml:1: agent.backs: is required with fastpath.offer-to"},
            {MINIMAL + "fastpath: { key: \"00112233445566778899aabbccddeeff\" }\n", "a.yaml:2: pool.vips: is required with fastpath.accept"},
            {MINIMAL.replace("muxes: [198.18.11.2]", "muxes: [198.18.11.2, \"2001:db8:11::2\"]"),
                "a.yaml:1: agent.address6: is required with IPv6 addresses in pool"},
            {MINIMAL.replace("address: 198.18.21.2 }", "address: 198.18.21.2, address6: \"2001:db8::zz\" }"),
                "a.yaml:1: agent.address6: '2001:db8::zz' is not an IPv6 address"},
            {MINIMAL.replace("muxes: [198.18.11.2]", "muxes: [198.18.11.2], vips: [\"2001:db8::10:80/tcp\"]"),
                "a.yaml:2: pool.vips[0]: '2001:db8::10:80/tcp': an IPv6 VIP is written in brackets"},
            {MINIMAL + "hash-seed: 1\nvips:\n  - address: \"2001:db8:f::10\"\n    port: 80\n    backends:\n      - { address: \"2001:db8:21::2\" }\n",
                "a.yaml:9: vips[0]: agent.address6 is required for an IPv6 VIP or backend"},
            {MINIMAL.replace("address: 198.18.21.2 }", "address: 198.18.21.2, address6: \"2001:db8:21::2\" }")
                + "fastpath:\n  key: \"00112233445566778899aabbccddeeff\"\n  offer-to:\n    - \"198.18.2.0/24\"\n    - \"2001:db8:2::1/64\"\n",
                "a.yaml:11: fastpath.offer-to[1]: 2001:db8:2::1/64 has host bits set"},
        };
        final List<String> wrong = new ArrayList<>();
        for (final String[] c : cases)
        {
            final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HostAgentConfigLoader.parse("a.yaml", c[0]));
            if (!e.getMessage().startsWith(c[1]) || e.getMessage().contains("\n"))
            {
                wrong.add("expected '" + c[1] + "' alone but got '" + e.getMessage() + "'");
            }
        }
        assertEquals(List.of(), wrong);
    }

    @Test
    void everyMistakeIsReportedInLineOrderAndNothingIsApplied()
    {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HostAgentConfigLoader.parse("a.yaml", """
            agent: { name: b1, address: 198.18.21.2, answer-neighbours: yes }
            pool: { muxes: [198.18.11.2, 198.18.300.2] }
            dataplane:
              network: "net_af_packet0,iface=eth0"
              gateway-mac: "02:98:00:00:15:01"
              mtu: 01500
            flow-table: { capacity: 10, idle-timeout-second: 5 }
            hash-seed: -1
            """));
        assertEquals(List.of(
            "a.yaml:1: agent.answer-neighbours: must be true or false, got \"yes\"",
            "a.yaml:2: pool.muxes[1]: '198.18.300.2' is not an IPv4 address",
            "a.yaml:3: dataplane: missing required key \"host\"",
            "a.yaml:6: dataplane.mtu: must be an integer between 576 and 9000, got \"01500\" (leading zeros are not allowed: YAML 1.1 reads "
                + "them as octal)",
            "a.yaml:7: flow-table: unknown key \"idle-timeout-second\" (did you mean \"idle-timeout-seconds\"?)",
            "a.yaml:7: flow-table.capacity: must be an integer between 1024 and 67108864, got \"10\"",
            "a.yaml:8: hash-seed: must be an integer between 0 and 0xffffffffffffffff (decimal or 0x hex), got \"-1\""),
            List.of(e.getMessage().split("\n")));
    }

    @Test
    void textThatIsNoYamlOrEmptyIsNamedWithItsLine()
    {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> HostAgentConfigLoader.parse("a.yaml", MINIMAL + "vips: [\n"))
            .getMessage().startsWith("a.yaml:8: YAML syntax error: "));
        assertEquals("a.yaml:1: the file is empty: it needs at least the sections agent, pool and dataplane",
            assertThrows(IllegalArgumentException.class, () -> HostAgentConfigLoader.parse("a.yaml", "# nothing\n")).getMessage());
    }

    @Test
    void readsIpv6AddressesPrefixesAndVips()
    {
        final HostAgentConfig c = HostAgentConfigLoader.parse("a.yaml", MINIMAL.replace("address: 198.18.21.2 }",
            "address: 198.18.21.2, address6: \"2001:db8:21::2\", backs: [\"[2001:db8:f::10]:80/tcp\"], answer-neighbours: false }")
            .replace("muxes: [198.18.11.2]", "muxes: [198.18.11.2, \"2001:db8:11::2\"], agents: [\"2001:db8:3::/64\"], "
                + "vips: [\"[2001:db8:f::12]:53/udp\"]") + """
            hash-seed: 7
            fastpath:
              key: "00112233445566778899aabbccddeeff"
              offer-to: ["198.18.2.0/24", "2001:db8:2::/64"]
            vips:
              - address: "2001:db8:f::13"
                port: 80
                backends: [ { address: "2001:db8:21::2" }, { address: 198.18.22.2, weight: 3 } ]
            """);
        assertEquals(Ip6.parse("2001:db8:21::2"), c.address6());
        assertFalse(c.answerNeighbours());
        assertEquals(List.of(Ip6.parse("2001:db8:11::2")), c.pool().muxes6());
        assertEquals(List.of(ip("198.18.11.2")), c.pool().muxes());
        assertEquals(List.of(Prefix6.parse("2001:db8:3::/64")), c.pool().agents6());
        assertEquals(List.of(Prefix6.parse("2001:db8:2::/64")), c.fastpath().orElseThrow().offerTo6());
        assertEquals("[[2001:db8:f::10]:80/tcp]", c.backs().toString());
        assertEquals("[[2001:db8:f::12]:53/udp, [2001:db8:f::13]:80/tcp]", c.servedVips().toString());
        assertEquals(List.of(new HostAgentConfig.SourceBackend(0, 1, Ip6.parse("2001:db8:21::2")),
            new HostAgentConfig.SourceBackend(ip("198.18.22.2"), 3)), c.vips().get(0).backends());
        final TunnelSources sources = TunnelSources.of(c);
        final Ip6 mux6 = Ip6.parse("2001:db8:11::2");
        assertTrue(sources.isMux6(mux6.hi(), mux6.lo()));
        assertTrue(sources.mayTunnel6(Ip6.parse("2001:db8:2::99").hi(), Ip6.parse("2001:db8:2::99").lo()), "offer-to hosts may tunnel");
        assertFalse(sources.mayTunnel6(Ip6.parse("2001:db8:4::1").hi(), Ip6.parse("2001:db8:4::1").lo()));
        final Ip6 vip = Ip6.parse("2001:db8:f::10");
        assertTrue(sources.backed6(vip.hi(), vip.lo(), 80, 6));
        assertFalse(sources.backed6(vip.hi(), vip.lo(), 81, 6));
        assertTrue(sources.served6(Ip6.parse("2001:db8:f::13").hi(), Ip6.parse("2001:db8:f::13").lo(), 80, 6), "vips: are served");
    }
}
