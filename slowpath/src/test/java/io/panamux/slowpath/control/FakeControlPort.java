package io.panamux.slowpath.control;

import java.lang.foreign.Arena;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import io.panamux.dpdk.Mbuf;
import io.panamux.dpdk.Memory;
import io.panamux.fastpath.packet.FakeMbuf;

/**
 * The tests' {@link ControlPort}: mbufs are fastpath's {@link FakeMbuf}s ({@code struct rte_mbuf}-shaped
 * blocks of off-heap memory, the buffer filled with 0xA5 so that a byte read before it is written shows),
 * frames sent are copied out and kept, and ownership is checked as {@link ControlPort} states it: every mbuf
 * the code under test gets (polled, allocated, or {@linkplain #handOver handed over} as a worker would) must
 * come back exactly once, sent or freed; sending or freeing one it does not own fails at once.
 */
public final class FakeControlPort implements ControlPort
{
    /** Headroom of every mbuf. */
    public static final int HEADROOM = FakeMbuf.DEFAULT_HEADROOM;
    /** Bytes after the headroom. */
    public static final int DATA_ROOM = FakeMbuf.DATA_ROOM;

    private final Arena arena = Arena.ofAuto();
    private final ArrayDeque<Long> inbound = new ArrayDeque<>();
    private final List<byte[]> sent = new ArrayList<>();
    private final List<Long> sentMbufs = new ArrayList<>();
    private final Set<Long> outstanding = new HashSet<>();
    private int freed;
    private boolean started;
    private boolean refuseSends;
    private boolean poolEmpty;

    /**
     * @param frame the frame's bytes.
     * @return an mbuf holding {@code frame}, owned by the test (not counted as outstanding).
     */
    public long mbuf(final byte[] frame)
    {
        return FakeMbuf.create(arena, frame, HEADROOM);
    }

    /**
     * @param frame the frame's bytes.
     * @return an mbuf holding {@code frame} that the code under test now owns (as one a worker hands over).
     */
    public long handOver(final byte[] frame)
    {
        final long m = mbuf(frame);
        outstanding.add(m);
        return m;
    }

    /** @param frame a frame for the next {@link #poll}. */
    public void receive(final byte[] frame)
    {
        inbound.add(mbuf(frame));
    }

    /** @return the frames sent so far, in order. */
    public List<byte[]> sent()
    {
        return sent;
    }

    /**
     * @param i the index of a frame sent.
     * @return the data address of the {@code i}-th frame sent (its mbuf stays readable).
     */
    public long sentAddress(final int i)
    {
        return Mbuf.dataAddress(sentMbufs.get(i));
    }

    /** @return the mbufs the code under test owns now (none when it is done). */
    public Set<Long> outstanding()
    {
        return outstanding;
    }

    /** @return how many mbufs were freed. */
    public int freed()
    {
        return freed;
    }

    /** @return whether {@link #onStart} was called. */
    public boolean started()
    {
        return started;
    }

    /** @param refuse whether {@link #send} refuses (as a full ring or TX queue does). */
    public void refuseSends(final boolean refuse)
    {
        this.refuseSends = refuse;
    }

    /** @param empty whether {@link #allocate} finds the pool empty. */
    public void poolEmpty(final boolean empty)
    {
        this.poolEmpty = empty;
    }

    @Override
    public void onStart()
    {
        started = true;
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
            throw new AssertionError("sent mbuf 0x" + Long.toHexString(mbuf) + " it does not own");
        }
        if (refuseSends)
        {
            return false;
        }
        final byte[] bytes = new byte[Mbuf.dataLength(mbuf)];
        Memory.copyToArray(Mbuf.dataAddress(mbuf), bytes, 0, bytes.length);
        sent.add(bytes);
        sentMbufs.add(mbuf);
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
        return handOver(new byte[0]);
    }

    @Override
    public void free(final long mbuf)
    {
        if (!outstanding.remove(mbuf))
        {
            throw new AssertionError("freed mbuf 0x" + Long.toHexString(mbuf) + " it does not own (or twice)");
        }
        freed++;
    }
}
