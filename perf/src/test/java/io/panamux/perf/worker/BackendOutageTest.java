package io.panamux.perf.worker;

import java.util.ArrayList;
import java.util.List;

import io.panamux.dpdk.PacketPool;
import io.panamux.dpdk.RingPorts;
import io.panamux.fastpath.WorkerCounters;
import io.panamux.fastpath.snapshot.ForwardingSnapshot;
import io.panamux.fastpath.snapshot.Vip;
import io.panamux.flow.FlowHash;
import io.panamux.flow.MaglevTable;
import io.panamux.perf.traffic.ClientFrames;
import io.panamux.slowpath.config.IpAddress;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 9 item 1: a VIP whose backends were all drained, or all unhealthy, gets a backend again, and
 * mid-connection packets of connections the MUX never recorded arrive. The snapshots are the ones the real
 * control plane publishes; the worker must forward every such packet to a backend that serves it, count no
 * error and leave no mbuf out. When the outage lasted past the stateful phase, the previous table is the
 * empty table of the outage. When the changes come within one phase, the previous table stays the one from
 * before the first of them, and the connections older than the phase stay on their drained backends, which
 * still serve them.
 */
class BackendOutageTest
{
    private static final String CONFIG = """
        mux:
          name: mux-outage
          address: 10.0.0.10
          hash-seed: 0x5eed
        dataplane:
          eal: []
          port: 0
          workers: 1
          gateway-mac: "02:00:00:00:00:fe"
          flow-table: { capacity: 16384, idle-timeout-seconds: 300 }
          maglev-table-size: 1009
        vips:
          - address: 192.0.2.10
            port: 80
            protocol: tcp
            health-check: { type: tcp, port: 8080 }
            backends:
              - { address: 10.1.0.1, weight: 1 }
              - { address: 10.1.0.2, weight: 1 }
        """;
    private static final String WEB = "192.0.2.10:80/tcp";
    private static final int VIP = 0xC000020A;
    private static final int CLIENT = 0xC6336407;

    private static RingRig rig;
    private static PacketPool pool;
    private static RingPorts rings;

    @BeforeAll
    static void startDpdk()
    {
        rig = RingRig.open("outage", 4095, 64, 1024, 512);
        pool = rig.pool();
        rings = rig.rings();
    }

    @AfterAll
    static void stopDpdk()
    {
        rig.close();
    }

    private static SteppedMux mux()
    {
        return new SteppedMux(CONFIG, pool, rings.a(), rings.b());
    }

    /** Sends 199 ACKs of unrecorded connections; @return where they went. */
    private static List<Integer> unrecordedAcks(final SteppedMux m, final int firstPort)
    {
        final long before = pool.inUse();
        m.sendTcp(CLIENT, VIP, firstPort, 199, ClientFrames.ACK);
        m.step();
        final List<Integer> out = m.received();
        assertEquals(before, pool.inUse(), "every mbuf back in the pool (forwarded or dropped)");
        return out;
    }

    @Test
    void bothBackendsDrainedThenAThirdAddedForwardsUnrecordedConnectionsToIt() throws Exception
    {
        try (SteppedMux m = mux())
        {
            m.changes.drain(WEB, "10.1.0.1", m.now());
            m.changes.drain(WEB, "10.1.0.2", m.now());
            assertEquals(0, m.slot.current().vips()[0].table().length, "no backend takes new flows");
            m.advance(SteppedMux.PHASE_NS + 2 * SteppedMux.SECOND);
            assertEquals(Vip.MODE_STATELESS, m.slot.current().vips()[0].mode(), "the drains' phase ended");
            m.changes.add(WEB, "10.1.0.3", 1, m.now());
            final Vip vip = m.slot.current().vips()[0];
            assertEquals(Vip.MODE_STATEFUL, vip.mode());
            assertEquals(0, vip.previousTable().length, "the previous table is the empty one of the drain");

            final List<Integer> out = unrecordedAcks(m, 20_000);

            assertEquals(199, out.size(), "every packet forwarded");
            assertTrue(out.stream().allMatch(d -> d == IpAddress.parse("10.1.0.3").ipv4()), "to the only backend taking flows: " + out);
            assertEquals(0, m.counters.get(WorkerCounters.WORKER_ERRORS));
            assertEquals(199, m.counters.get(WorkerCounters.TX_PACKETS));
        }
    }

    /** The same three changes within one stateful phase: the connections from before it stay where they were. */
    @Test
    void bothBackendsDrainedAndAThirdAddedInOnePhaseKeepsOlderConnectionsOnTheDrainedOnes() throws Exception
    {
        try (SteppedMux m = mux())
        {
            final Vip stable = m.slot.current().vips()[0];
            m.changes.drain(WEB, "10.1.0.1", m.now());
            m.changes.drain(WEB, "10.1.0.2", m.now());
            m.changes.add(WEB, "10.1.0.3", 1, m.now());
            final Vip vip = m.slot.current().vips()[0];
            assertEquals(Vip.MODE_STATEFUL, vip.mode());
            assertArrayEquals(stable.table(), vip.previousTable(), "the table from before the first drain");

            final List<Integer> out = unrecordedAcks(m, 20_000);

            final List<Integer> expected = new ArrayList<>();
            final ForwardingSnapshot s = m.slot.current();
            for (int port = 20_000; port < 20_199; port++)
            {
                final long hash = FlowHash.hashV4(s.hashSeed(), CLIENT, VIP, port, 80, 6);
                expected.add(stable.backends()[MaglevTable.lookup(stable.table(), hash)].v4());
            }
            assertEquals(199, out.size(), "every packet forwarded");
            assertEquals(expected, out, "each on the backend it had before the drains");
            assertTrue(out.contains(IpAddress.parse("10.1.0.1").ipv4()) && out.contains(IpAddress.parse("10.1.0.2").ipv4()), out.toString());
            assertEquals(0, m.counters.get(WorkerCounters.WORKER_ERRORS));
        }
    }

    @Test
    void everyBackendUnhealthyThenOneRecoversForwardsUnrecordedConnectionsToIt() throws Exception
    {
        try (SteppedMux m = mux())
        {
            m.changes.healthChanged(WEB, IpAddress.parse("10.1.0.1"), false, m.now());
            m.changes.healthChanged(WEB, IpAddress.parse("10.1.0.2"), false, m.now());
            assertEquals(0, m.slot.current().vips()[0].table().length, "every backend down");
            final List<Integer> down = unrecordedAcks(m, 30_000);
            assertEquals(0, down.size(), "nothing to forward to while every backend is down");

            m.changes.healthChanged(WEB, IpAddress.parse("10.1.0.2"), true, m.now());
            final List<Integer> out = unrecordedAcks(m, 31_000);
            assertEquals(199, out.size(), "every packet forwarded once a backend is back");
            assertTrue(out.stream().allMatch(d -> d == IpAddress.parse("10.1.0.2").ipv4()), "to the recovered backend: " + out);

            m.changes.healthChanged(WEB, IpAddress.parse("10.1.0.1"), true, m.now());
            final List<Integer> both = unrecordedAcks(m, 32_000);
            assertEquals(199, both.size(), "and when the second is back too");
            assertEquals(0, m.counters.get(WorkerCounters.WORKER_ERRORS));
        }
    }

    /**
     * One backend drained by the operator, the other fails its health check (no backend takes flows: the
     * empty table is published, not a bypass, since the drained one is still present), then recovers after the
     * phase ended: the previous table is the empty one.
     */
    @Test
    void oneBackendDrainedTheOtherUnhealthyThenRecoveredForwardsUnrecordedConnections() throws Exception
    {
        try (SteppedMux m = mux())
        {
            m.changes.drain(WEB, "10.1.0.1", m.now());
            m.changes.healthChanged(WEB, IpAddress.parse("10.1.0.2"), false, m.now());
            assertEquals(0, m.slot.current().vips()[0].table().length, "no backend takes flows");
            m.advance(SteppedMux.PHASE_NS + 2 * SteppedMux.SECOND);
            assertEquals(Vip.MODE_STATELESS, m.slot.current().vips()[0].mode(), "the outage lasted past the phase");
            m.changes.healthChanged(WEB, IpAddress.parse("10.1.0.2"), true, m.now());
            final Vip vip = m.slot.current().vips()[0];
            assertEquals(Vip.MODE_STATEFUL, vip.mode());
            assertEquals(0, vip.previousTable().length, "the previous table is the empty one of the outage");

            final List<Integer> out = unrecordedAcks(m, 40_000);

            assertEquals(199, out.size(), "every packet forwarded");
            assertTrue(out.stream().allMatch(d -> d == IpAddress.parse("10.1.0.2").ipv4()), "to the recovered backend: " + out);
            assertEquals(0, m.counters.get(WorkerCounters.WORKER_ERRORS));
        }
    }
}
