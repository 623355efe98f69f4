package io.panamux.slowpath.control;

import java.util.ArrayList;
import java.util.List;

import io.panamux.fastpath.ring.ControlToWorker;
import io.panamux.fastpath.ring.FlowRecordDescriptor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The MUX's control port without a TX queue of its own: frames from the workers wait in order (bounded),
 * sends become SEND commands on the worker's ring, allocation and freeing go to the pool functions given,
 * and frames still waiting at stop are freed by {@link DpdkControlPort#freePending}.
 */
class DpdkControlPortTest
{
    private final ControlToWorker ring = new ControlToWorker(4096);
    private final List<Long> freed = new ArrayList<>();
    private long nextMbuf = 0x1000;
    private final DpdkControlPort io = new DpdkControlPort(ring, 0, -1, () -> nextMbuf++, freed::add);

    @Test
    void framesArePolledInArrivalOrderAndBounded()
    {
        io.onFrame(0, 0xA);
        io.onFrame(1, 0xB);
        io.onFrame(0, 0xC);
        final List<Long> got = new ArrayList<>();

        assertEquals(2, io.poll(got::add, 2));
        assertEquals(1, io.poll(got::add, 10));
        assertEquals(0, io.poll(got::add, 10));
        assertEquals(List.of(0xAL, 0xBL, 0xCL), got);

        for (int i = 0; i < DpdkControlPort.MAX_PENDING + 3; i++)
        {
            io.onFrame(0, 0x100 + i);
        }
        assertEquals(3, io.overflows());
        assertEquals(List.of((long)0x100 + DpdkControlPort.MAX_PENDING, (long)0x101 + DpdkControlPort.MAX_PENDING,
            (long)0x102 + DpdkControlPort.MAX_PENDING), freed, "the newest frames beyond the bound are freed");
    }

    @Test
    void sendsBecomeSendCommandsOnTheWorkersRing()
    {
        final long m = io.allocate();
        assertEquals(0x1000, m);
        assertTrue(io.send(m));

        final List<Long> sent = new ArrayList<>();
        final int n = ring.drain((type, buffer, index, length) ->
        {
            assertEquals(ControlToWorker.SEND, type);
            sent.add(buffer.getLong(index + FlowRecordDescriptor.MBUF_OFFSET));
        }, 10);
        assertEquals(1, n);
        assertEquals(List.of(0x1000L), sent);

        io.free(0x77);
        assertEquals(List.of(0x77L), freed);
    }

    @Test
    void aFullRingRefusesTheFrameAndTheCallerKeepsIt()
    {
        int accepted = 0;
        while (io.send(0x42) && accepted < 10_000)
        {
            accepted++;
        }
        assertTrue(accepted > 10 && accepted < 10_000, "the ring filled after " + accepted);
        assertFalse(io.send(0x43));
        assertEquals(List.of(), freed, "nothing freed on its behalf");
    }

    @Test
    void framesStillWaitingAtStopAreFreedOnceByFreePending()
    {
        io.onFrame(0, 0xA);
        io.onFrame(1, 0xB);
        io.onFrame(0, 0xC);
        final List<Long> got = new ArrayList<>();
        assertEquals(1, io.poll(got::add, 1));

        assertEquals(2, io.freePending());
        assertEquals(List.of(0xBL, 0xCL), freed, "the frames not polled, the polled one is the handler's");
        assertEquals(0, io.freePending());
        assertEquals(0, io.poll(got::add, 10));
        assertEquals(List.of(0xAL), got);
    }
}
