package io.panamux.hostagent;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.panamux.flow.FlowHash;
import io.panamux.flow.MaglevTable;
import io.panamux.fastpath.encap.TunnelEncapsulator;
import io.panamux.fastpath.packet.PacketInfo;
import io.panamux.fastpath.snapshot.Backend;

import static io.panamux.hostagent.TestFrames.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SourceSelectorTest
{
    private static final long SEED = 0x5eed;
    private static final int VIP = ip("192.0.2.13");
    private static final int[] BACKENDS = {ip("198.18.21.2"), ip("198.18.22.2"), ip("198.18.23.2")};
    /** The agent's {@code dataplane.gue-port} (unused: the VIPs here go IP-in-IP). */
    private static final int GUE_PORT = TunnelEncapsulator.DEFAULT_GUE_PORT;

    private static PacketInfo flow(final int srcPort)
    {
        final PacketInfo p = new PacketInfo();
        p.ipVersion = 4;
        p.protocol = 6;
        p.srcV4 = ip("198.18.2.2");
        p.dstV4 = VIP;
        p.srcPort = srcPort;
        p.dstPort = 80;
        return p;
    }

    private static HostAgentConfig.SourceVip vip(final int... weights)
    {
        return new HostAgentConfig.SourceVip(VIP, 80, 6, TunnelEncapsulator.IPIP, List.of(
            new HostAgentConfig.SourceBackend(BACKENDS[0], weights[0]), new HostAgentConfig.SourceBackend(BACKENDS[1], weights[1]),
            new HostAgentConfig.SourceBackend(BACKENDS[2], weights[2])));
    }

    @Test
    void choosesWhatTheMuxTablesGiveForTheSameFlow()
    {
        // The MUX's recipe (SnapshotPublisher): key = hashBytes(seed, address bytes), weighted Maglev of size M,
        // slot = lookup(table, hashV4(seed, 5-tuple)).
        final long[] keys = new long[3];
        for (int i = 0; i < 3; i++)
        {
            keys[i] = FlowHash.hashBytes(SEED, ByteBuffer.allocate(4).putInt(BACKENDS[i]).array());
        }
        final int[] table = MaglevTable.build(keys, new int[] {1, 2, 1}, MaglevTable.DEFAULT_SIZE);
        try (SourceSelector selector = new SourceSelector(List.of(vip(1, 2, 1)), SEED, MaglevTable.DEFAULT_SIZE, GUE_PORT, 8192, 300))
        {
            final Map<Integer, Integer> spread = new HashMap<>();
            for (int port = 30000; port < 33000; port++)
            {
                final PacketInfo p = flow(port);
                final int vip = selector.find(p);
                assertEquals(0, vip);
                final Backend b = selector.choose(vip, p, 1);
                final int expected = BACKENDS[MaglevTable.lookup(table, FlowHash.hashV4(SEED, p.srcV4, p.dstV4, port, 80, 6))];
                assertEquals(expected, b.v4(), "flow from port " + port);
                spread.merge(b.v4(), 1, Integer::sum);
            }
            assertTrue(spread.get(BACKENDS[1]) > spread.get(BACKENDS[0]) * 3 / 2, "weight 2 takes about twice the flows: " + spread);
            assertEquals(3000, selector.flowCount(), "every flow is recorded");
        }
    }

    @Test
    void aRecordedFlowKeepsItsBackendAndABackendOfWeightZeroTakesNoNewFlow()
    {
        try (SourceSelector selector = new SourceSelector(List.of(vip(1, 0, 1)), SEED, 4099, GUE_PORT, 4096, 300))
        {
            for (int port = 1000; port < 3000; port++)
            {
                final PacketInfo p = flow(port);
                final Backend first = selector.choose(0, p, 1);
                assertTrue(selector.chosenNew());
                assertTrue(first.v4() != BACKENDS[1], "weight 0: no new flows");
                assertEquals(first, selector.choose(0, p, 2));
                assertFalse(selector.chosenNew(), "the second packet finds the flow");
            }
        }
        try (SourceSelector none = new SourceSelector(List.of(vip(0, 0, 0)), SEED, 4099, GUE_PORT, 4096, 300))
        {
            assertNull(none.choose(0, flow(1), 1), "no backend takes flows");
        }
    }

    @Test
    void onlyWholeIpv4PacketsToTheVipsPortAndProtocolAreSelected()
    {
        try (SourceSelector selector = new SourceSelector(List.of(vip(1, 1, 1)), SEED, 4099, GUE_PORT, 4096, 300))
        {
            final PacketInfo p = flow(1234);
            p.dstPort = 443;
            assertEquals(-1, selector.find(p));
            p.dstPort = 80;
            p.protocol = 17;
            assertEquals(-1, selector.find(p));
            p.protocol = 6;
            p.isFragment = true;
            assertEquals(-1, selector.find(p), "fragments go to the MUX, which hashes them on their 3-tuple");
            p.isFragment = false;
            p.dstV4 = ip("192.0.2.14");
            assertEquals(-1, selector.find(p));
        }
    }

    /**
     * The agent's per-packet selection allocates nothing, for known flows and new ones, and after tables were installed
     * (a reload) as before.
     */
    @Test
    void findingAndChoosingAllocateNothing()
    {
        final com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean)java.lang.management.ManagementFactory.getThreadMXBean();
        final long tid = Thread.currentThread().threadId();
        try (SourceSelector selector = new SourceSelector(List.of(vip(1, 1, 1)), SEED, 4099, GUE_PORT, 1 << 16, 300))
        {
            selector.install(SourceSelector.Tables.build(List.of(vip(1, 1, 1)), List.of(vip(1, 2, 1)), SEED, 4099, GUE_PORT,
                new io.panamux.slowpath.control.BackendIds(0), 0));
            final PacketInfo p = flow(1);
            final int client = p.srcV4;
            long allocated = Long.MAX_VALUE;
            long chosen = 0;
            // Warm-up until C2 has compiled the loop, as WorkerAgentTest's steady-loop check does.
            for (int round = 0; round < 8 && allocated != 0; round++)
            {
                final long before = threads.getThreadAllocatedBytes(tid);
                chosen = 0;
                for (int i = 0; i < 200_000; i++)
                {
                    // Even packets: 10,000 flows that the first round records and the later ones find; odd ones: new
                    // flows every round (another source address).
                    p.srcPort = 10000 + i % 20_000;
                    p.srcV4 = client + (i & 1) * (round + 1);
                    final int vip = selector.find(p);
                    chosen += selector.choose(vip, p, 1 + round).v4() != 0 ? 1 : 0;
                }
                allocated = threads.getThreadAllocatedBytes(tid) - before;
            }
            assertEquals(200_000, chosen);
            assertEquals(0, allocated, "bytes allocated by find and choose");
        }
    }
}
