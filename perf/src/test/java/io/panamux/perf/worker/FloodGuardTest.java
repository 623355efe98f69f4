package io.panamux.perf.worker;

import java.util.ArrayList;
import java.util.List;

import io.panamux.dpdk.PacketPool;
import io.panamux.dpdk.RingPorts;
import io.panamux.fastpath.WorkerCounters;
import io.panamux.perf.traffic.ClientFrames;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 9 item 11: the SYN-flood guard ({@code dataplane.flow-table.new-flows-per-second}). An
 * {@code always} VIP with 500 established (recorded) connections in a 4096-entry table takes a flood of
 * 40000 SYNs of new 5-tuples, all within one second: with the guard (1000 per second) the flood is
 * forwarded by Maglev alone, none of the established flows is evicted and each keeps its backend; without
 * it ({@code 0}) the same flood evicts them (the detector of this test).
 */
class FloodGuardTest
{
    private static final String CONFIG = """
        mux:
          name: mux-flood
          address: 10.0.0.10
          hash-seed: 0x5eed
        dataplane:
          eal: []
          port: 0
          workers: 1
          gateway-mac: "02:00:00:00:00:fe"
          flow-table: { capacity: 4096, idle-timeout-seconds: 300, new-flows-per-second: %d }
          maglev-table-size: 1009
        vips:
          - address: 192.0.2.10
            port: 80
            protocol: tcp
            flow-tracking: always
            backends:
              - { address: 10.1.0.1, weight: 1 }
              - { address: 10.1.0.2, weight: 1 }
              - { address: 10.1.0.3, weight: 1 }
        """;
    private static final int VIP = 0xC000020A;
    private static final int CLIENT = 0xC6336407;
    private static final int FLOODER = 0xCB007100;
    private static final int ESTABLISHED = 500;
    private static final int FLOOD = 40_000;

    private static RingRig rig;
    private static PacketPool pool;
    private static RingPorts rings;

    @BeforeAll
    static void startDpdk()
    {
        rig = RingRig.open("flood", 4095, 64, 1024, 512);
        pool = rig.pool();
        rings = rig.rings();
    }

    @AfterAll
    static void stopDpdk()
    {
        rig.close();
    }

    private record Outcome(long hits, long evictions, long unrecorded, int moved, long forwarded)
    {
    }

    private static Outcome establishedThenFlood(final int limit)
    {
        try (SteppedMux m = new SteppedMux(CONFIG.formatted(limit), pool, rings.a(), rings.b()))
        {
            m.sendTcp(CLIENT, VIP, 10_000, ESTABLISHED, ClientFrames.SYN);
            m.step();
            final List<Integer> first = m.received();
            assertEquals(ESTABLISHED, first.size());
            assertEquals(ESTABLISHED, m.flows.size(), "the established connections are recorded");
            m.clock.advance(SteppedMux.SECOND);

            // The flood: SYNs of new 5-tuples (from many sources), all in one second.
            long forwarded = 0;
            for (int sent = 0; sent < FLOOD; sent += 1000)
            {
                m.sendTcp(FLOODER + sent / 1000, VIP, 1024, 1000, ClientFrames.SYN);
                m.step();
                forwarded += m.received().size();
            }
            final long hitsBefore = m.counters.get(WorkerCounters.FLOW_HITS);
            m.sendTcp(CLIENT, VIP, 10_000, ESTABLISHED, ClientFrames.ACK);
            m.step();
            final List<Integer> after = m.received();
            assertEquals(ESTABLISHED, after.size());
            int moved = 0;
            for (int i = 0; i < ESTABLISHED; i++)
            {
                moved += first.get(i).equals(after.get(i)) ? 0 : 1;
            }
            return new Outcome(m.counters.get(WorkerCounters.FLOW_HITS) - hitsBefore, m.counters.get(WorkerCounters.FLOW_EVICTIONS),
                m.counters.get(WorkerCounters.FLOWS_UNRECORDED_FLOOD), moved, forwarded);
        }
    }

    @Test
    void aFloodOfNewFlowsOverTheLimitIsForwardedUnrecordedAndEvictsNoEstablishedFlow()
    {
        final Outcome guarded = establishedThenFlood(1000);
        assertEquals(FLOOD, guarded.forwarded(), "every flood packet forwarded (by Maglev)");
        assertEquals(0, guarded.evictions(), "no flow evicted");
        assertEquals(ESTABLISHED, guarded.hits(), "every established connection still recorded");
        assertEquals(0, guarded.moved(), "and on its backend");
        assertEquals(FLOOD - (1000 - 0), guarded.unrecorded(), "beyond 1000 new flows in the second: unrecorded, counted");

        final Outcome unguarded = establishedThenFlood(0);
        assertTrue(unguarded.evictions() > 0 && unguarded.hits() < ESTABLISHED,
            "without the guard the flood evicts established flows: " + unguarded);
        assertEquals(0, unguarded.unrecorded());
    }

    @Test
    void theLimitIsPerSecond()
    {
        try (SteppedMux m = new SteppedMux(CONFIG.formatted(100), pool, rings.a(), rings.b()))
        {
            final List<Long> unrecorded = new ArrayList<>();
            for (int second = 0; second < 3; second++)
            {
                m.sendTcp(FLOODER + second, VIP, 1024, 300, ClientFrames.SYN);
                m.step();
                assertEquals(300, m.received().size());
                unrecorded.add(m.counters.get(WorkerCounters.FLOWS_UNRECORDED_FLOOD));
                m.clock.advance(SteppedMux.SECOND);
            }
            assertEquals(List.of(200L, 400L, 600L), unrecorded, "100 recorded each second, the rest not");
            assertEquals(300, m.flows.size());
        }
    }
}
