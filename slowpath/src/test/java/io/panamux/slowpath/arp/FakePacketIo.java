package io.panamux.slowpath.arp;

import java.lang.foreign.Arena;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import io.panamux.dpdk.Mbuf;
import io.panamux.dpdk.MbufDescriptor;
import io.panamux.dpdk.Memory;

/**
 * A {@link ControlPacketIo} over fake mbufs in off-heap memory ({@code struct rte_mbuf} fields that
 * {@link Mbuf} reads, then the buffer), which tracks ownership: every mbuf handed out must come back
 * exactly once, sent or freed.
 */
final class FakePacketIo implements ControlPacketIo
{
    static final int HEADROOM = 128;
    static final int DATA_ROOM = 2048;

    private final Arena arena = Arena.ofConfined();
    private final ArrayDeque<Long> inbound = new ArrayDeque<>();
    final List<byte[]> sent = new ArrayList<>();
    final Set<Long> outstanding = new HashSet<>();
    int freed;
    boolean refuseSends;
    boolean poolEmpty;

    long mbuf(final byte[] frame)
    {
        final int bufferLength = HEADROOM + DATA_ROOM;
        final long m = arena.allocate(MbufDescriptor.SIZEOF + bufferLength, 64).address();
        final long buffer = m + MbufDescriptor.SIZEOF;
        Memory.fill(buffer, bufferLength, (byte)0xA5);
        Memory.putI64(m + MbufDescriptor.BUF_ADDR_OFFSET, buffer);
        Memory.putU16(m + MbufDescriptor.DATA_OFF_OFFSET, HEADROOM);
        Memory.putU16(m + MbufDescriptor.NB_SEGS_OFFSET, 1);
        Memory.putU16(m + MbufDescriptor.BUF_LEN_OFFSET, bufferLength);
        Memory.putI32(m + MbufDescriptor.PKT_LEN_OFFSET, frame.length);
        Memory.putU16(m + MbufDescriptor.DATA_LEN_OFFSET, frame.length);
        Memory.copyFromArray(frame, 0, buffer + HEADROOM, frame.length);
        return m;
    }

    void receive(final byte[] frame)
    {
        inbound.add(mbuf(frame));
    }

    @Override
    public int poll(final PacketHandler handler, final int limit)
    {
        int n = 0;
        while (n < limit && !inbound.isEmpty())
        {
            final long m = inbound.poll();
            outstanding.add(m);
            handler.onPacket(m);
            n++;
        }
        return n;
    }

    @Override
    public boolean send(final long mbuf)
    {
        if (!outstanding.contains(mbuf))
        {
            throw new AssertionError("sent an mbuf it does not own");
        }
        if (refuseSends)
        {
            return false;
        }
        final byte[] bytes = new byte[Mbuf.dataLength(mbuf)];
        Memory.copyToArray(Mbuf.dataAddress(mbuf), bytes, 0, bytes.length);
        sent.add(bytes);
        outstanding.remove(mbuf);
        return true;
    }

    @Override
    public long allocate()
    {
        if (poolEmpty)
        {
            return 0;
        }
        final long m = mbuf(new byte[0]);
        outstanding.add(m);
        return m;
    }

    @Override
    public void free(final long mbuf)
    {
        if (!outstanding.remove(mbuf))
        {
            throw new AssertionError("freed an mbuf it does not own (or twice)");
        }
        freed++;
    }

    void close()
    {
        arena.close();
    }
}
