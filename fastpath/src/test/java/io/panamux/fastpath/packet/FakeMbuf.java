package io.panamux.fastpath.packet;

import io.panamux.dpdk.Mbuf;
import io.panamux.dpdk.MbufDescriptor;
import io.panamux.dpdk.Memory;

import java.lang.foreign.Arena;

/**
 * Test-only {@code struct rte_mbuf} in off-heap memory: the fields {@link Mbuf} reads and writes
 * (buf_addr, data_off, nb_segs, pkt_len, data_len, buf_len) followed by its buffer, so the parser and
 * encapsulators run over native memory exactly as over a DPDK mbuf.
 */
public final class FakeMbuf
{
    /** Buffer bytes after the headroom. */
    public static final int DATA_ROOM = 2048;
    /** DPDK's default headroom. */
    public static final int DEFAULT_HEADROOM = 128;

    private FakeMbuf()
    {
    }

    /**
     * @param arena    where to allocate.
     * @param frame    the frame to put at the data start.
     * @param headroom bytes free in front of the frame.
     * @return the mbuf's address.
     */
    public static long create(final Arena arena, final byte[] frame, final int headroom)
    {
        final int bufferLength = headroom + DATA_ROOM;
        final long mbuf = arena.allocate(MbufDescriptor.SIZEOF + bufferLength, 64).address();
        final long buffer = mbuf + MbufDescriptor.SIZEOF;
        // Stale bytes that are visibly not part of any packet.
        Memory.fill(buffer, bufferLength, (byte)0xA5);
        Memory.putI64(mbuf + MbufDescriptor.BUF_ADDR_OFFSET, buffer);
        Memory.putU16(mbuf + MbufDescriptor.DATA_OFF_OFFSET, headroom);
        Memory.putU16(mbuf + MbufDescriptor.NB_SEGS_OFFSET, 1);
        Memory.putU16(mbuf + MbufDescriptor.BUF_LEN_OFFSET, bufferLength);
        Memory.putI32(mbuf + MbufDescriptor.PKT_LEN_OFFSET, frame.length);
        Memory.putU16(mbuf + MbufDescriptor.DATA_LEN_OFFSET, frame.length);
        Memory.copyFromArray(frame, 0, buffer + headroom, frame.length);
        return mbuf;
    }

    /** @return a mbuf with the default headroom. */
    public static long create(final Arena arena, final byte[] frame)
    {
        return create(arena, frame, DEFAULT_HEADROOM);
    }

    /** @return a copy of the mbuf's data (after checking pkt_len agrees with data_len). */
    public static byte[] data(final long mbuf)
    {
        final int length = Mbuf.dataLength(mbuf);
        if (Mbuf.packetLength(mbuf) != length)
        {
            throw new AssertionError("pkt_len " + Mbuf.packetLength(mbuf) + " != data_len " + length);
        }
        final byte[] bytes = new byte[length];
        Memory.copyToArray(Mbuf.dataAddress(mbuf), bytes, 0, length);
        return bytes;
    }
}
