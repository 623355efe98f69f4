package io.panamux.slowpath.control;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

import io.panamux.dpdk.Burst;
import io.panamux.dpdk.Lcore;
import io.panamux.fastpath.ring.ControlToWorker;
import org.agrona.collections.LongArrayQueue;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The MUX's {@link ControlPort}:
 * <ul>
 *   <li>in: the frames the workers hand to the control thread arrive through {@link WorkerRecords} (as
 *       its {@link WorkerRecords.FrameListener}) and wait here, up to {@link #MAX_PENDING}, for
 *       {@link #poll}; more are freed at once (and counted, {@link #overflows});</li>
 *   <li>out: on the control thread's own TX queue when it has one, else handed to a worker
 *       ({@link ControlToWorker#send}, its command ring), which sends the frame on its queue and frees it;</li>
 *   <li>mbufs: from the packet pool ({@code allocator}, {@code freer}); {@link #onStart} registers the
 *       control thread as an lcore so that the pool's per-lcore cache serves it, {@link #onClose} releases
 *       it.</li>
 * </ul>
 * Ownership is {@link ControlPort}'s. Frames still waiting when the MUX stops belong to this port: whoever
 * stops the MUX calls {@link #freePending} once the control thread has stopped. Control thread only, but
 * for {@link #freePending} after it stopped.
 */
public final class DpdkControlPort implements ControlPort, WorkerRecords.FrameListener
{
    /** Frames kept waiting for {@link #poll} at most; more are freed (and counted). */
    public static final int MAX_PENDING = 1024;

    private final ControlToWorker worker;
    private final int port;
    private final int txQueue;
    private final LongSupplier allocator;
    private final LongConsumer freer;
    private final LongArrayQueue pending = new LongArrayQueue(64, 0);
    private final MemorySegment one;
    private long overflows;
    private boolean registered;

    /**
     * @param worker    the command ring of the worker that sends the control thread's frames when it has no
     *                  TX queue of its own.
     * @param port      the port id (used with {@code txQueue}).
     * @param txQueue   the control thread's own TX queue, or -1 to send through {@code worker}.
     * @param allocator gives a fresh mbuf from the packet pool, or 0.
     * @param freer     returns an mbuf to its pool.
     */
    public DpdkControlPort(final ControlToWorker worker, final int port, final int txQueue, final LongSupplier allocator,
        final LongConsumer freer)
    {
        this.worker = worker;
        this.port = port;
        this.txQueue = txQueue;
        this.allocator = allocator;
        this.freer = freer;
        this.one = txQueue < 0 ? null : Arena.global().allocate(JAVA_LONG, 1);
    }

    /**
     * @param pool    the packet pool's address.
     * @param port    the port id.
     * @param txQueue the control thread's own TX queue, or -1 to send through {@code worker}.
     * @param worker  the worker that sends when there is no TX queue of our own.
     * @return a port over the packet pool.
     */
    public static DpdkControlPort onPool(final long pool, final int port, final int txQueue, final ControlToWorker worker)
    {
        return new DpdkControlPort(worker, port, txQueue, () -> Burst.alloc(pool), Burst::free);
    }

    @Override
    public void onFrame(final int from, final long mbuf)
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
    public void onStart()
    {
        if (!registered)
        {
            Lcore.register();
            registered = true;
        }
    }

    @Override
    public void onClose()
    {
        if (registered)
        {
            Lcore.unregister();
            registered = false;
        }
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
        if (txQueue < 0)
        {
            return worker.send(mbuf);
        }
        one.set(JAVA_LONG, 0, mbuf);
        return Burst.tx(port, txQueue, one, 1) == 1;
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
