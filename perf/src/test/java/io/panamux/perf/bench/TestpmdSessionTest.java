package io.panamux.perf.bench;

import java.util.List;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TestpmdSessionTest
{
    /** What dpdk-testpmd 22.11.11 printed on "stop" after io forwarding on net_null with --record-core-cycles. */
    private static final String STOP_OUTPUT = """
        testpmd> stop
        Telling cores to stop...
        Waiting for lcores to finish...

          ---------------------- Forward statistics for port 0  ----------------------
          RX-packets: 946496         RX-dropped: 0             RX-total: 946496
          TX-packets: 946496         TX-dropped: 0             TX-total: 946496
          ----------------------------------------------------------------------------

          +++++++++++++++ Accumulated forward statistics for all ports+++++++++++++++
          RX-packets: 946497         RX-dropped: 3             RX-total: 946500
          TX-packets: 946490         TX-dropped: 7             TX-total: 946497
          ++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++

          CPU cycles/packet=250.27 (total cycles=236876406 / total io packets=946496) at 2600 MHz Clock

        Done.
        """;

    @Test
    void readsTheAccumulatedCountsAndTheBusyCycles()
    {
        final TestpmdSession.Window w = TestpmdSession.parse(List.of(STOP_OUTPUT.split("\n")), 2.0);
        assertEquals(946497, w.rxPackets(), "the accumulated block, not the per-port one");
        assertEquals(3, w.rxDropped());
        assertEquals(946490, w.txPackets());
        assertEquals(7, w.txDropped());
        assertEquals(236876406L, w.busyCycles());
        assertEquals(946496, w.cyclePackets());
        assertEquals(2600, w.tscMhz());
        assertEquals(236876406.0 / 946496, w.cyclesPerPacket(), 1e-9);
        assertEquals(946497 / 2.0 / 1e6, w.wallMpps(), 1e-12);
    }

    @Test
    void withoutCyclesTheCyclesPerPacketIsUnknown()
    {
        final String noCycles = STOP_OUTPUT.replaceAll("(?m)^.*CPU cycles.*$", "");
        final TestpmdSession.Window w = TestpmdSession.parse(List.of(noCycles.split("\n")), 1.0);
        assertTrue(Double.isNaN(w.cyclesPerPacket()));
        assertEquals(946497, w.rxPackets());
    }

    @Test
    void refusesOutputWithoutStatistics()
    {
        assertThrows(IllegalStateException.class, () -> TestpmdSession.parse(List.of("testpmd> stop", "Done."), 1.0));
    }
}
