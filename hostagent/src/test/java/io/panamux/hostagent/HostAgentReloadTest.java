package io.panamux.hostagent;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** What a reload may change while the agent runs, and what needs a restart ({@link AgentReload#restartNeeded}). */
class HostAgentReloadTest
{
    private static final String BASE = """
        agent: { name: b1, address: 198.18.21.2, address6: "2001:db8:21::2", backs: ["192.0.2.12:80/tcp"] }
        pool: { muxes: [198.18.11.2, "2001:db8:11::2"], vips: ["192.0.2.12:80/tcp"] }
        dataplane:
          network: "net_af_packet0,iface=eth0"
          host: "net_tap0,iface=pmx0"
          gateway-mac: "02:98:00:00:15:01"
        hash-seed: 7
        fastpath: { key: "00112233445566778899aabbccddeeff", offer-to: ["198.18.2.0/24"] }
        vips:
          - { address: "2001:db8:f::13", port: 80, backends: [ { address: "2001:db8:21::2" } ] }
        """;

    private static HostAgentConfig parse(final String text)
    {
        return HostAgentConfigLoader.parse("a.yaml", text);
    }

    @Test
    void thePoolTheVipsTheKeyAndTheOffersMayChange()
    {
        final HostAgentConfig running = parse(BASE);
        final HostAgentConfig next = parse(BASE.replace("muxes: [198.18.11.2,", "muxes: [198.18.11.2, 198.18.12.2,")
            .replace("00112233445566778899aabbccddeeff", "ffeeddccbbaa99887766554433221100")
            .replace("offer-to: [\"198.18.2.0/24\"]", "offer-to: [\"198.18.2.0/24\", \"2001:db8:2::/64\"], lease-seconds: 5")
            .replace("hash-seed: 7", "hash-seed: 8").replace("address: \"2001:db8:21::2\" }", "address: \"2001:db8:22::2\" }"));
        assertNull(AgentReload.restartNeeded(running, next));
        assertNull(AgentReload.restartNeeded(running, running));
    }

    @Test
    void addressesDevicesTableSizesAndTheFastpathPortNeedARestart()
    {
        final HostAgentConfig running = parse(BASE);
        assertEquals("agent.address", AgentReload.restartNeeded(running, parse(BASE.replace("address: 198.18.21.2", "address: 198.18.21.3"))));
        assertEquals("agent.address6", AgentReload.restartNeeded(running, parse(BASE.replace("address6: \"2001:db8:21::2\"",
            "address6: \"2001:db8:21::3\""))));
        assertEquals("dataplane", AgentReload.restartNeeded(running, parse(BASE.replace("iface=pmx0", "iface=pmx1"))));
        assertEquals("dataplane", AgentReload.restartNeeded(running, parse(BASE.replace("dataplane:", "dataplane:\n  mtu: 1400"))));
        assertEquals("flow-table", AgentReload.restartNeeded(running, parse(BASE + "flow-table: { capacity: 4096 }\n")));
        assertEquals("fastpath (on/off, port, accept)", AgentReload.restartNeeded(running, parse(BASE.replace("offer-to:", "port: 7000, offer-to:"))));
        assertEquals("agent.address, dataplane", AgentReload.restartNeeded(running, parse(BASE.replace("address: 198.18.21.2", "address: 198.18.21.3")
            .replace("02:98:00:00:15:01", "02:98:00:00:15:09"))));
    }
}
