package io.panamux.fastpath.ring;

import java.nio.ByteBuffer;
import java.util.function.LongConsumer;

import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import io.panamux.dpdk.Burst;
import io.panamux.fastpath.packet.PacketInfo;

/**
 * One worker's ring to the control thread: binary {@link FlowRecordDescriptor} records written in place,
 * never blocking, never allocating. When the ring is full the call returns false, the worker counts it
 * ({@code ring_full}) and decides locally.
 *
 * <ul>
 *   <li>{@link #TO_CONTROL}: a frame for the control thread (ARP, packets for the MUX itself); the mbuf is
 *   the control thread's from then on.</li>
 *   <li>{@link #OWNER_QUERY}: a mid-connection packet of a flow the worker does not know, in a VIP's stateful
 *   phase, whose owner is another MUX: the control thread forwards it to the owner and asks for the flow's
 *   state; the mbuf goes with it. {@code backendId} is the worker's provisional choice (the previous
 *   table's, rule 2), used when the owner is silent.</li>
 *   <li>{@link #FLOW_LEARNED}: the worker recorded a flow in a stateful phase; the control thread tells the
 *   flow's owner (batched). No mbuf.</li>
 * </ul>
 */
public final class WorkerToControl
{
    /** A frame for the control thread. */
    public static final int TO_CONTROL = 1;
    /** A packet of an unknown flow, for its owner. */
    public static final int OWNER_QUERY = 2;
    /** A flow recorded in a stateful phase. */
    public static final int FLOW_LEARNED = 3;

    private final UnsafeBuffer buffer;
    private final OneToOneRingBuffer ring;

    /** @param capacity bytes of the ring (a power of two; each record takes 72 with its header). */
    public WorkerToControl(final int capacity)
    {
        this.buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(capacity + RingBufferDescriptor.TRAILER_LENGTH));
        this.ring = new OneToOneRingBuffer(buffer);
    }

    /** @return the ring, for the control thread to read. */
    public OneToOneRingBuffer ring()
    {
        return ring;
    }

    /**
     * Reads every record left and frees the mbufs they carry (frames, owner queries): the MUX is stopping
     * and the control thread, which owned them, has stopped. Only once neither the worker nor the control
     * thread runs.
     *
     * @return the mbufs freed.
     */
    public int freeAll()
    {
        return freeAll(Burst::free);
    }

    /**
     * {@link #freeAll()} with {@code free} in place of {@code rte_pktmbuf_free} (tests).
     *
     * @return the mbufs handed to {@code free}.
     */
    public int freeAll(final LongConsumer free)
    {
        final int[] freed = {0};
        final MessageHandler handler = (type, b, index, length) ->
        {
            final long m = b.getLong(index + FlowRecordDescriptor.MBUF_OFFSET);
            if (m != 0)
            {
                free.accept(m);
                freed[0]++;
            }
        };
        RingDrain.drain(ring, handler);
        return freed[0];
    }

    /** Hands a frame to the control thread. @return false when the ring is full (the caller keeps the mbuf). */
    public boolean toControl(final long mbuf)
    {
        final int index = ring.tryClaim(TO_CONTROL, FlowRecordDescriptor.LENGTH);
        if (index <= 0)
        {
            return false;
        }
        buffer.putLong(index + FlowRecordDescriptor.MBUF_OFFSET, mbuf);
        ring.commit(index);
        return true;
    }

    /**
     * Hands a packet of an unknown flow to the control thread for its owner.
     *
     * @return false when the ring is full (the caller keeps the mbuf).
     */
    public boolean ownerQuery(final long mbuf, final PacketInfo info, final long hash, final int vipIndex, final int provisionalBackend)
    {
        return put(OWNER_QUERY, mbuf, info, hash, vipIndex, provisionalBackend);
    }

    /** Reports a recorded flow. @return false when the ring is full. */
    public boolean flowLearned(final PacketInfo info, final long hash, final int vipIndex, final int backendId)
    {
        return put(FLOW_LEARNED, 0, info, hash, vipIndex, backendId);
    }

    private boolean put(final int type, final long mbuf, final PacketInfo info, final long hash, final int vipIndex, final int backendId)
    {
        final int index = ring.tryClaim(type, FlowRecordDescriptor.LENGTH);
        if (index <= 0)
        {
            return false;
        }
        final UnsafeBuffer b = buffer;
        b.putLong(index + FlowRecordDescriptor.MBUF_OFFSET, mbuf);
        b.putLong(index + FlowRecordDescriptor.HASH_OFFSET, hash);
        b.putInt(index + FlowRecordDescriptor.VIP_OFFSET, vipIndex);
        b.putInt(index + FlowRecordDescriptor.BACKEND_OFFSET, backendId);
        b.putByte(index + FlowRecordDescriptor.FLAGS_OFFSET, (byte)0);
        FlowRecordDescriptor.putFlow(b, index, info);
        ring.commit(index);
        return true;
    }
}
