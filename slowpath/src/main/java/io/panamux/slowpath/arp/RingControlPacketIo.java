package io.panamux.slowpath.arp;

import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

import io.panamux.fastpath.ring.ControlToWorker;
import io.panamux.slowpath.control.WorkerRecords;
import org.agrona.collections.LongArrayQueue;

/**
 * {@link ControlPacketIo} over the fast path's rings: the frames the workers hand to the control thread
 * arrive through {@link WorkerRecords} (as its {@link WorkerRecords.FrameListener}) and wait here, up to
 * {@link #MAX_PENDING}, for {@link #poll}; frames are sent by a worker ({@link ControlToWorker#send}, worker
 * 0's command ring), so the control thread needs no TX queue of its own. Control thread only.
 */
public final class RingControlPacketIo implements ControlPacketIo, WorkerRecords.FrameListener
{
    /** Frames kept waiting for {@link #poll} at most; more are freed (and counted). */
    public static final int MAX_PENDING = 1024;

    private final ControlToWorker sender;
    private final LongSupplier allocator;
    private final LongConsumer freer;
    private final LongArrayQueue pending = new LongArrayQueue(64, 0);
    private long overflows;

    /**
     * @param sender    the command ring of the worker that sends the control thread's frames.
     * @param allocator gives a fresh mbuf from the packet pool, or 0.
     * @param freer     returns an mbuf to its pool.
     */
    public RingControlPacketIo(final ControlToWorker sender, final LongSupplier allocator, final LongConsumer freer)
    {
        this.sender = sender;
        this.allocator = allocator;
        this.freer = freer;
    }

    @Override
    public void onFrame(final int worker, final long mbuf)
    {
        if (pending.size() >= MAX_PENDING)
        {
            overflows++;
            freer.accept(mbuf);
            return;
        }
        pending.offerLong(mbuf);
    }

    @Override
    public int poll(final PacketHandler handler, final int limit)
    {
        int n = 0;
        while (n < limit && !pending.isEmpty())
        {
            handler.onPacket(pending.pollLong());
            n++;
        }
        return n;
    }

    @Override
    public boolean send(final long mbuf)
    {
        return sender.send(mbuf);
    }

    @Override
    public long allocate()
    {
        return allocator.getAsLong();
    }

    @Override
    public void free(final long mbuf)
    {
        freer.accept(mbuf);
    }

    /**
     * Frees the frames still waiting for {@link #poll}: the MUX is stopping and the control thread, which
     * would have answered them, has stopped.
     *
     * @return the frames freed.
     */
    public int freePending()
    {
        int n = 0;
        while (!pending.isEmpty())
        {
            freer.accept(pending.pollLong());
            n++;
        }
        return n;
    }

    /** @return frames freed because too many were waiting. */
    public long overflows()
    {
        return overflows;
    }
}
