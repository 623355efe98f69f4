package io.panamux.fastpath.ring;

import java.nio.ByteBuffer;
import java.util.function.LongConsumer;

import io.panamux.dpdk.Burst;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import static io.panamux.fastpath.ring.FlowRecordDescriptor.*;

/**
 * The control thread's bounded command queue to one worker (the worker is the only writer of its flow
 * table and TX queue, so the control thread asks it). Records as {@link FlowRecordDescriptor}; the worker
 * applies them at the top of its duty cycle.
 *
 * <ul>
 *   <li>{@link #PUT_FLOW}: record (or correct) a flow: the owner's answer, or the local decision after the
 *   owner stayed silent.</li>
 *   <li>{@link #SEND}: send the frame in {@code mbuf} on the worker's TX queue (for devices without a queue
 *   of the control thread's own).</li>
 * </ul>
 */
public final class ControlToWorker
{
    /** Record a flow. */
    public static final int PUT_FLOW = 1;
    /** Send a frame. */
    public static final int SEND = 2;

    private final UnsafeBuffer buffer;
    private final OneToOneRingBuffer ring;

    /** @param capacity bytes of the ring (a power of two). */
    public ControlToWorker(final int capacity)
    {
        this.buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(capacity + RingBufferDescriptor.TRAILER_LENGTH));
        this.ring = new OneToOneRingBuffer(buffer);
    }

    /**
     * Asks the worker to record a flow (control thread).
     *
     * @param v6 IPv6 flow; IPv4 addresses in the low 32 bits of the {@code lo} arguments.
     * @return false when the queue is full.
     */
    public boolean putFlow(final boolean v6, final long srcHi, final long srcLo, final long dstHi, final long dstLo, final int srcPort,
        final int dstPort, final int protocol, final int backendId, final int flags)
    {
        final int index = ring.tryClaim(PUT_FLOW, LENGTH);
        if (index <= 0)
        {
            return false;
        }
        final UnsafeBuffer b = buffer;
        b.putLong(index + MBUF_OFFSET, 0);
        b.putInt(index + BACKEND_OFFSET, backendId);
        b.putShort(index + SRC_PORT_OFFSET, (short)srcPort);
        b.putShort(index + DST_PORT_OFFSET, (short)dstPort);
        b.putByte(index + PROTOCOL_OFFSET, (byte)protocol);
        b.putByte(index + VERSION_OFFSET, (byte)(v6 ? 6 : 4));
        b.putByte(index + FLAGS_OFFSET, (byte)flags);
        b.putLong(index + SRC_HI_OFFSET, srcHi);
        b.putLong(index + SRC_LO_OFFSET, srcLo);
        b.putLong(index + DST_HI_OFFSET, dstHi);
        b.putLong(index + DST_LO_OFFSET, dstLo);
        ring.commit(index);
        return true;
    }

    /** Asks the worker to send a frame (control thread). @return false when the queue is full (caller keeps the mbuf). */
    public boolean send(final long mbuf)
    {
        final int index = ring.tryClaim(SEND, LENGTH);
        if (index <= 0)
        {
            return false;
        }
        buffer.putLong(index + MBUF_OFFSET, mbuf);
        ring.commit(index);
        return true;
    }

    /**
     * Reads every command left without applying it and frees the mbufs of the {@link #SEND}s: the MUX is
     * stopping and the worker, which would have sent them, has stopped. Only once neither the worker nor
     * the control thread runs.
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
            final long m = b.getLong(index + MBUF_OFFSET);
            if (type == SEND && m != 0)
            {
                free.accept(m);
                freed[0]++;
            }
        };
        RingDrain.drain(ring, handler);
        return freed[0];
    }

    /** Applies up to {@code limit} commands with {@code handler} (worker thread). */
    public int drain(final MessageHandler handler, final int limit)
    {
        return ring.read(handler, limit);
    }
}
