package io.panamux.perf.worker;

import io.panamux.dpdk.Eal;
import io.panamux.dpdk.EthPort;
import io.panamux.dpdk.Lcore;
import io.panamux.dpdk.PacketPool;
import io.panamux.dpdk.RingPorts;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The DPDK side of a {@link SteppedMux} test: EAL (once per JVM), this thread registered as an lcore, a pool,
 * and a started {@code net_ring} port pair (one queue each way, the client on {@code a}, the MUX on {@code b}).
 * {@link #close()} stops everything and fails the test when an mbuf is not back in the pool.
 *
 * @param pool  the mbufs of both ports.
 * @param rings the port pair.
 */
record RingRig(PacketPool pool, RingPorts rings)
{
    /**
     * Opens the rig; {@code name} must be unique in the JVM (it names the pool and the ports).
     *
     * @param mbufs       pool size.
     * @param cache       per-lcore cache of the pool.
     * @param ringSize    entries of each ring (a power of two).
     * @param descriptors RX and TX descriptors of each port.
     */
    static RingRig open(final String name, final int mbufs, final int cache, final int ringSize, final int descriptors)
    {
        Eal.ensureInitialised(Eal.virtualDeviceArgs(512));
        Lcore.register();
        final PacketPool pool = PacketPool.create(name + "_pool", mbufs, cache, PacketPool.DEFAULT_DATA_ROOM, 0);
        final RingPorts rings = RingPorts.create(name, 1, ringSize);
        for (final EthPort p : new EthPort[] {rings.a(), rings.b()})
        {
            p.configure(1, 1, 0);
            p.setupRxQueue(0, descriptors, pool);
            p.setupTxQueue(0, descriptors);
            p.start();
        }
        return new RingRig(pool, rings);
    }

    /** Stops and closes both ports, frees the rings, checks that no mbuf leaked, frees the pool. */
    void close()
    {
        for (final EthPort p : new EthPort[] {rings.a(), rings.b()})
        {
            p.stop();
            p.close();
        }
        rings.close();
        assertEquals(0, pool.inUse(), "mbufs leaked");
        pool.close();
        Lcore.unregister();
    }
}
