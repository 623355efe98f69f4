package io.panamux.slowpath.peer;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import io.panamux.dpdk.Burst;
import io.panamux.dpdk.Lcore;
import io.panamux.fastpath.ring.ControlToWorker;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The control thread's packets on DPDK: mbufs from the MUX's packet pool (the thread registers as an
 * lcore first, so the pool's per-lcore cache is used and the calls are legal), sent on the control
 * thread's own TX queue when the port has one, else handed to a worker ({@link ControlToWorker#SEND}),
 * which sends them on its queue.
 */
public final class DpdkPacketPath implements PacketPath
{
    private final long pool;
    private final int port;
    private final int txQueue;
    private final ControlToWorker worker;
    private final MemorySegment one = Arena.global().allocate(JAVA_LONG, 1);
    private boolean registered;

    /**
     * @param pool    the packet pool's address.
     * @param port    the port id.
     * @param txQueue the control thread's TX queue, or -1 to send through {@code worker}.
     * @param worker  the worker that sends when there is no TX queue of our own.
     */
    public DpdkPacketPath(final long pool, final int port, final int txQueue, final ControlToWorker worker)
    {
        this.pool = pool;
        this.port = port;
        this.txQueue = txQueue;
        this.worker = worker;
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
    public long allocate()
    {
        return Burst.alloc(pool);
    }

    @Override
    public void free(final long mbuf)
    {
        Burst.free(mbuf);
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
    public void onClose()
    {
        if (registered)
        {
            Lcore.unregister();
            registered = false;
        }
    }
}
