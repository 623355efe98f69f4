package io.panamux.perf.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import io.panamux.dpdk.Mbuf;
import io.panamux.dpdk.Memory;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The frames the replay writes, checked byte by byte against the plan with an independent checksum
 * computation, in a fake mbuf (only the struct fields {@code Mbuf} reads and writes).
 */
class FrameReplayTest
{
    private static final int HEADROOM = 128;
    private static final int DATA_ROOM = 2176;

    @Test
    void writesTheNextFlowOfThePlanAsAValidTcpFrame()
    {
        try (Arena arena = Arena.ofConfined())
        {
            final long m = fakeMbuf(arena);
            final int[] vips = {0xC000_020A, 0xC000_020B};
            final int[] ports = {80, 443};
            final FlowPlan plan = new FlowPlan(3, 0, 1, 0);
            final FrameReplay replay = new FrameReplay(plan, vips, ports, 6, 64, 0x02_00_00_00_00_01L, 0x02_00_00_00_00_FEL, 0, 32);
            for (int i = 0; i < 5; i++)
            {
                replay.write(m);
                final long flow = i % 3;
                final long a = Mbuf.dataAddress(m);
                assertEquals(64, Mbuf.dataLength(m));
                assertEquals(64, Mbuf.packetLength(m));
                assertEquals(0x0200_0000_0001L, (long)Memory.getU16Be(a) << 32 | (Memory.getI32Be(a + 2) & 0xFFFF_FFFFL), "dst MAC");
                assertEquals(0x0800, Memory.getU16Be(a + 12));
                final long ip = a + 14;
                assertEquals(0x45, Memory.getU8(ip));
                assertEquals(50, Memory.getU16Be(ip + 2), "IP total length of a 64-byte frame");
                assertEquals(6, Memory.getU8(ip + 9));
                assertEquals(FlowPlan.sourceAddress(flow), Memory.getI32Be(ip + 12));
                assertEquals(vips[(int)(flow % 2)], Memory.getI32Be(ip + 16));
                assertEquals(0, onesComplement(ip, 20, 0), "IPv4 header checksum");
                final long tcp = ip + 20;
                assertEquals(FlowPlan.sourcePort(flow), Memory.getU16Be(tcp));
                assertEquals(ports[(int)(flow % 2)], Memory.getU16Be(tcp + 2));
                assertEquals(0x18, Memory.getU8(tcp + 13), "an established flow sends ACK|PSH");
                final long pseudo = (Memory.getU16Be(ip + 12) + Memory.getU16Be(ip + 14) + Memory.getU16Be(ip + 16) + Memory.getU16Be(ip + 18)
                    + 6 + 30);
                assertEquals(0, onesComplement(tcp, 30, pseudo), "TCP checksum");
            }
        }
    }

    @Test
    void aNewFlowIsASyn()
    {
        try (Arena arena = Arena.ofConfined())
        {
            final long m = fakeMbuf(arena);
            final FrameReplay replay = new FrameReplay(new FlowPlan(0, 1, 1, 77), new int[] {0xC000_020A}, new int[] {80}, 6, 64, 1, 2, 0, 32);
            replay.write(m);
            final long tcp = Mbuf.dataAddress(m) + 34;
            assertEquals(0x02, Memory.getU8(tcp + 13));
            assertEquals(FlowPlan.sourceAddress(77), Memory.getI32Be(Mbuf.dataAddress(m) + 26));
        }
    }

    private static long fakeMbuf(final Arena arena)
    {
        final MemorySegment s = arena.allocate(128 + DATA_ROOM, 64);
        final long m = s.address();
        Memory.putI64(m, m + 128);
        Memory.putU16(m + 16, HEADROOM);
        Memory.putU16(m + 20, 1);
        Memory.putU16(m + 54, DATA_ROOM);
        return m;
    }

    /** RFC 1071 sum folded and complemented: 0 when the checksum inside the range is right. */
    private static int onesComplement(final long a, final int length, final long initial)
    {
        long sum = initial;
        for (int i = 0; i + 1 < length; i += 2)
        {
            sum += Memory.getU16Be(a + i);
        }
        if ((length & 1) != 0)
        {
            sum += Memory.getU8(a + length - 1) << 8;
        }
        while ((sum >>> 16) != 0)
        {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int)(~sum & 0xFFFF);
    }
}
