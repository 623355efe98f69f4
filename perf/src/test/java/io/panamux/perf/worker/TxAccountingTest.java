package io.panamux.perf.worker;

import io.panamux.dpdk.PacketPool;
import io.panamux.dpdk.RingPorts;
import io.panamux.fastpath.WorkerCounters;
import io.panamux.fastpath.packet.DropReason;
import io.panamux.perf.traffic.ClientFrames;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Issue 9 item 10: {@code tx_packets}, {@code tx_bytes} and the per-backend packets count what the driver
 * accepted. The worker's TX queue is a 64-entry ring nobody reads (63 places): of 96 packets offered, 63
 * are accepted and 33 refused, counted once as {@code tx_full}.
 */
class TxAccountingTest
{
    private static final String CONFIG = """
        mux:
          name: mux-tx
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
            backends:
              - { address: 10.1.0.1, weight: 1 }
              - { address: 10.1.0.2, weight: 1 }
        """;
    private static final int VIP = 0xC000020A;
    private static final int CLIENT = 0xC6336407;

    private static RingRig rig;
    private static PacketPool pool;
    private static RingPorts rings;

    @BeforeAll
    static void startDpdk()
    {
        rig = RingRig.open("txacct", 2047, 32, 64, 64);
        pool = rig.pool();
        rings = rig.rings();
    }

    @AfterAll
    static void stopDpdk()
    {
        rig.close();
    }

    @Test
    void onlyWhatTheDriverAcceptedIsCountedAsSent()
    {
        try (SteppedMux m = new SteppedMux(CONFIG, pool, rings.a(), rings.b()))
        {
            final int length = ClientFrames.minimumLength(false, ClientFrames.TCP) + 20;
            for (int chunk = 0; chunk < 3; chunk++)
            {
                // The client does not read: the MUX's TX ring fills.
                m.sendTcp(CLIENT, VIP, 1000 + 32 * chunk, 32, ClientFrames.SYN);
                m.step();
            }
            final WorkerCounters c = m.counters;
            final long backendPackets = c.backendPackets(m.slot.current().vips()[0].backends()[0].id())
                + c.backendPackets(m.slot.current().vips()[0].backends()[1].id());
            final int received = m.received().size();

            assertEquals(96, c.get(WorkerCounters.RX_PACKETS));
            assertEquals(63, received, "the ring holds 63");
            assertEquals(63, c.get(WorkerCounters.TX_PACKETS), "tx_packets: accepted only");
            assertEquals(63, backendPackets, "backend_packets: accepted only");
            assertEquals(63L * length, c.get(WorkerCounters.TX_BYTES), "tx_bytes: accepted only (IPIP frames of " + length + " bytes)");
            assertEquals(33, c.drops(DropReason.TX_FULL.ordinal()), "the refused, once");
            assertEquals(c.get(WorkerCounters.RX_PACKETS), c.get(WorkerCounters.TX_PACKETS) + c.totalDrops(), "rx = tx + drops");
        }
    }
}
