package io.panamux.slowpath.peer;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import io.panamux.dpdk.Mbuf;
import io.panamux.dpdk.MbufDescriptor;
import io.panamux.dpdk.Memory;

/**
 * Test-only {@link PacketPath}: mbufs are {@code struct rte_mbuf}-shaped blocks of off-heap memory (the
 * fields {@link Mbuf} reads), frames sent are copied out and kept, and every mbuf is accounted for: given
 * out by the test or allocated, then freed or sent exactly once.
 */
final class FakePacketPath implements PacketPath
{
    static final int HEADROOM = 128;
    static final int DATA_ROOM = 2048;

    private final Arena arena = Arena.ofAuto();
    private final Set<Long> live = new HashSet<>();
    final List<byte[]> sent = new ArrayList<>();
    int allocated;
    int freed;
    boolean started;
    boolean empty;

    /** @return an mbuf holding {@code frame}, as a worker would hand one over. */
    long mbufWith(final byte[] frame)
    {
        final long m = raw();
        Memory.copyFromArray(frame, 0, Mbuf.dataAddress(m), frame.length);
        Mbuf.length(m, frame.length);
        return m;
    }

    private long raw()
    {
        final int bufferLength = HEADROOM + DATA_ROOM;
        final long m = arena.allocate(MbufDescriptor.SIZEOF + bufferLength, 64).address();
        Memory.putI64(m + MbufDescriptor.BUF_ADDR_OFFSET, m + MbufDescriptor.SIZEOF);
        Memory.putU16(m + MbufDescriptor.DATA_OFF_OFFSET, HEADROOM);
        Memory.putU16(m + MbufDescriptor.NB_SEGS_OFFSET, 1);
        Memory.putU16(m + MbufDescriptor.BUF_LEN_OFFSET, bufferLength);
        Memory.putI32(m + MbufDescriptor.PKT_LEN_OFFSET, 0);
        Memory.putU16(m + MbufDescriptor.DATA_LEN_OFFSET, 0);
        live.add(m);
        return m;
    }

    @Override
    public void onStart()
    {
        started = true;
    }

    @Override
    public long allocate()
    {
        if (empty)
        {
            return 0;
        }
        allocated++;
        return raw();
    }

    @Override
    public void free(final long mbuf)
    {
        release(mbuf);
        freed++;
    }

    @Override
    public boolean send(final long mbuf)
    {
        final int length = Mbuf.dataLength(mbuf);
        final byte[] frame = new byte[length];
        Memory.copyToArray(Mbuf.dataAddress(mbuf), frame, 0, length);
        sent.add(frame);
        release(mbuf);
        return true;
    }

    private void release(final long mbuf)
    {
        if (!live.remove(mbuf))
        {
            throw new AssertionError("mbuf 0x" + Long.toHexString(mbuf) + " released twice or never given out");
        }
    }

    /** @return mbufs given out and not yet freed or sent. */
    int inUse()
    {
        return live.size();
    }
}
