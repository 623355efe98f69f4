package io.panamux.perf;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import io.panamux.fastpath.packet.PacketInfo;
import io.panamux.fastpath.snapshot.Backend;
import io.panamux.fastpath.snapshot.ForwardingSnapshot;
import io.panamux.fastpath.snapshot.SnapshotSlot;
import io.panamux.fastpath.snapshot.Vip;
import io.panamux.hostagent.HostAgentConfig;
import io.panamux.hostagent.HostAgentConfigLoader;
import io.panamux.hostagent.Prefix;
import io.panamux.hostagent.SourceSelector;
import io.panamux.slowpath.config.ConfigLoader;
import io.panamux.slowpath.config.MuxConfig;
import io.panamux.slowpath.control.BackendIds;
import io.panamux.slowpath.control.SnapshotPublisher;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The correctness contract between the MUX and the host agent (ARCHITECTURE.md §1 item 6): for the same
 * {@code vips} document, hash seed and table size, the host agent's source-side selection and the MUX's
 * snapshot publisher build byte-identical Maglev tables, so a flow gets the same backend whichever of them
 * chooses. Each side is built from YAML through its own loader, as in production.
 */
class MaglevAgreementTest
{
    private static final long SEED = 0x5eed_0042L;
    private static final int TABLE_SIZE = 4099;

    /** One VIP of the document: "address port protocol encapsulation" and its backends, "address/weight". */
    private record DocVip(String vip, String... backends)
    {
    }

    /** Several VIPs, unequal weights, a backend of weight 0, a backend in two VIPs, a VIP none of whose backends has weight. */
    private static final List<DocVip> DOCUMENT = List.of(
        new DocVip("192.0.2.10 80 tcp ipip", "10.1.0.1/1", "10.1.0.2/3", "10.1.0.3/2", "10.1.0.4/0", "10.1.0.5/1"),
        new DocVip("192.0.2.11 53 udp gre", "10.1.1.9/7", "10.1.0.2/1", "10.1.1.1/5"),
        new DocVip("192.0.2.12 443 tcp gue", "10.1.2.4/1", "10.1.2.3/1", "10.1.2.2/1", "10.1.2.1/1", "10.1.2.5/1", "10.1.2.6/1", "10.1.2.7/1"),
        new DocVip("192.0.2.13 80 tcp ipip", "10.1.3.1/0"));

    /**
     * @param reversed   each VIP's backends listed in reverse order.
     * @param zeroWeight backends given weight 0.
     * @return the document's {@code vips} section, in the schema both the MUX and the host agent read.
     */
    private static String vips(final boolean reversed, final Set<String> zeroWeight)
    {
        final StringBuilder out = new StringBuilder("vips:\n");
        for (final DocVip v : DOCUMENT)
        {
            final String[] f = v.vip().split(" ");
            final List<String> backends = new ArrayList<>(List.of(v.backends()));
            if (reversed)
            {
                Collections.reverse(backends);
            }
            final List<String> items = new ArrayList<>();
            for (final String b : backends)
            {
                final String address = b.substring(0, b.indexOf('/'));
                items.add("{ address: " + address + ", weight: " + (zeroWeight.contains(address) ? "0" : b.substring(b.indexOf('/') + 1)) + " }");
            }
            out.append("  - { address: ").append(f[0]).append(", port: ").append(f[1]).append(", protocol: ").append(f[2])
                .append(", encapsulation: ").append(f[3]).append(", backends: [ ").append(String.join(", ", items)).append(" ] }\n");
        }
        return out.toString();
    }

    private static MuxConfig mux(final String vips)
    {
        return ConfigLoader.parse("""
            mux: { name: m1, address: 10.0.0.10, hash-seed: %d }
            dataplane:
              eal: []
              port: 0
              workers: 1
              gateway-mac: "02:00:00:00:00:fe"
              maglev-table-size: %d
              flow-table: { capacity: 65536, idle-timeout-seconds: 300 }
            """.formatted(SEED, TABLE_SIZE) + vips, "mux.yaml");
    }

    private static HostAgentConfig agent(final String vips)
    {
        return HostAgentConfigLoader.parse("agent.yaml", """
            agent: { name: c1, address: 198.18.2.2 }
            pool: { muxes: [10.0.0.10] }
            dataplane:
              network: "net_af_packet0,iface=eth0"
              host: "net_tap0,iface=pmx0"
              gateway-mac: "02:98:00:00:15:01"
            hash-seed: %d
            maglev-table-size: %d
            """.formatted(SEED, TABLE_SIZE) + vips);
    }

    private static ForwardingSnapshot publish(final MuxConfig config)
    {
        final SnapshotSlot slot = new SnapshotSlot(ForwardingSnapshot.empty(config.mux().hashSeed()));
        new SnapshotPublisher(slot, new BackendIds(600_000_000_000L)).apply(config, 1);
        return slot.current();
    }

    /** The table as backend addresses per slot: comparable whatever order each side lists its backends in. */
    private static String[] slotsByAddress(final Vip vip)
    {
        final String[] out = new String[vip.table().length];
        for (int s = 0; s < out.length; s++)
        {
            out[s] = vip.backends()[vip.table()[s]].text();
        }
        return out;
    }

    private static void assertSameTables(final ForwardingSnapshot muxSnapshot, final SourceSelector agent, final boolean sameOrder)
    {
        assertEquals(DOCUMENT.size(), muxSnapshot.vips().length);
        for (int v = 0; v < muxSnapshot.vips().length; v++)
        {
            final Vip m = muxSnapshot.vips()[v];
            final Vip a = agent.vip(v);
            assertEquals(m.text(), a.text());
            if (sameOrder)
            {
                assertArrayEquals(m.table(), a.table(), m.text() + ": the same table, slot for slot");
            }
            assertArrayEquals(slotsByAddress(m), slotsByAddress(a), m.text() + ": the same backend in every slot");
        }
        // Not a vacuous comparison: the tables have content, and the weights show in them.
        final String[] first = slotsByAddress(muxSnapshot.vips()[0]);
        assertEquals(TABLE_SIZE, first.length);
        final long heavy = Arrays.stream(first).filter("10.1.0.2"::equals).count();
        final long light = Arrays.stream(first).filter("10.1.0.1"::equals).count();
        assertTrue(heavy > 2 * light && light > 0, "weight 3 against 1: " + heavy + " vs " + light);
        assertEquals(0, Arrays.stream(first).filter("10.1.0.4"::equals).count(), "weight 0 takes no slot");
        assertEquals(0, muxSnapshot.vips()[3].table().length, "no backend with weight: no table");
    }

    @Test
    void theHostAgentAndTheMuxBuildTheSameTablesFromTheSameDocument()
    {
        final ForwardingSnapshot snapshot = publish(mux(vips(false, Set.of())));
        final HostAgentConfig config = agent(vips(false, Set.of()));
        try (SourceSelector selector = new SourceSelector(config.vips(), config.hashSeed(), config.maglevTableSize(), config.guePort(), 4096, 300))
        {
            assertSameTables(snapshot, selector, true);
            // And the choice itself: for the same flow, the agent's backend is the one the MUX's table gives.
            final PacketInfo p = new PacketInfo();
            p.ipVersion = 4;
            p.protocol = 6;
            p.srcV4 = 0xc612_0202;
            p.dstV4 = snapshot.vips()[0].v4();
            p.dstPort = 80;
            for (int port = 20000; port < 22000; port++)
            {
                p.srcPort = port;
                final int vip = selector.find(p);
                assertEquals(0, vip);
                final Backend chosen = selector.choose(vip, p, 1);
                assertNotNull(chosen);
                assertEquals(snapshot.vips()[0].backendForNew(selector.hash(p)).text(), chosen.text(), "flow from port " + port);
            }
        }
    }

    @Test
    void listingOrderDoesNotMatter()
    {
        final ForwardingSnapshot snapshot = publish(mux(vips(false, Set.of())));
        final HostAgentConfig config = agent(vips(true, Set.of()));
        assertEquals(DOCUMENT.get(0).backends()[4], Prefix.format(config.vips().get(0).backends().get(0).address()) + "/1",
            "the agent's lists are reversed");
        try (SourceSelector selector = new SourceSelector(config.vips(), config.hashSeed(), config.maglevTableSize(), config.guePort(), 4096, 300))
        {
            assertSameTables(snapshot, selector, false);
        }
    }

    @Test
    void aBackendDrainedOnTheMuxIsABackendOfWeightZeroToTheAgent()
    {
        // ctl backend drain keeps the backend (its flows stay) but gives it no new flows: the same table as a
        // document in which its weight is 0.
        final Set<String> drained = Set.of("10.1.0.2", "10.1.2.3");
        final SnapshotSlot slot = new SnapshotSlot(ForwardingSnapshot.empty(SEED));
        final SnapshotPublisher publisher = new SnapshotPublisher(slot, new BackendIds(600_000_000_000L));
        publisher.apply(mux(vips(false, Set.of())), 1);
        for (final SnapshotPublisher.VipState s : publisher.vips().values())
        {
            final List<SnapshotPublisher.BackendState> next = new ArrayList<>();
            for (final SnapshotPublisher.BackendState b : s.backends())
            {
                next.add(new SnapshotPublisher.BackendState(b.address(), b.weight(), drained.contains(b.address().toString())));
            }
            publisher.changeBackends(s, next, 2);
        }
        final ForwardingSnapshot snapshot = publisher.publish(2);
        final HostAgentConfig config = agent(vips(false, drained));
        try (SourceSelector selector = new SourceSelector(config.vips(), config.hashSeed(), config.maglevTableSize(), config.guePort(), 4096, 300))
        {
            for (int v = 0; v < DOCUMENT.size(); v++)
            {
                final Vip m = snapshot.vips()[v];
                assertArrayEquals(m.table(), selector.vip(v).table(), m.text());
                assertEquals(0, Arrays.stream(slotsByAddress(m)).filter(drained::contains).count(), m.text() + ": a drained backend takes no slot");
            }
            assertEquals(Vip.MODE_STATEFUL, snapshot.vips()[0].mode(), "draining is a backend change");
            assertTrue(snapshot.vips()[0].backends()[1].draining(), "the drained backend is still listed (its flows stay)");
            assertTrue(Arrays.stream(slotsByAddress(snapshot.vips()[0])).anyMatch("10.1.0.3"::equals), "the others share its slots");
        }
    }
}
