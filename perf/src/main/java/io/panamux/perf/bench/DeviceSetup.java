package io.panamux.perf.bench;

import java.util.List;

/**
 * The virtual device and packet pool a throughput figure is measured on, described once so that the
 * Java loop and {@code dpdk-testpmd} get the same: a {@code net_null} port with {@code queues} queue
 * pairs of {@code frameLength}-byte packets, one pool of {@code poolSize} mbufs with a per-lcore cache
 * of {@code poolCache} and {@code dataRoom} bytes of data room, {@code descriptors} per queue and
 * bursts of {@code burst}.
 *
 * @param queues      queue pairs: one per forwarding core.
 * @param frameLength the device's packet size ({@code net_null}'s {@code size}).
 * @param poolSize    mbufs in the pool.
 * @param poolCache   per-lcore cache of the pool.
 * @param dataRoom    data room per mbuf (headroom included).
 * @param descriptors RX and TX descriptors per queue.
 * @param burst       packets per RX/TX burst.
 */
public record DeviceSetup(int queues, int frameLength, int poolSize, int poolCache, int dataRoom, int descriptors, int burst)
{
    /** DPDK's default: 2048 bytes of data plus 128 of headroom, as the MUX's pool. */
    public static final int DATA_ROOM = 2176;
    /** The MUX's pool cache ({@code Mux.POOL_CACHE}). */
    public static final int POOL_CACHE = 256;
    /** The MUX's descriptors per queue ({@code Mux.DESCRIPTORS}). */
    public static final int DESCRIPTORS = 1024;
    /** Burst of DPDK's examples and of the MUX. */
    public static final int BURST = 32;

    /**
     * The device of the pipeline scenarios: {@code net_null}, 64-byte frames, and a pool sized as the MUX
     * sizes its own for that many workers.
     */
    public static DeviceSetup nullDevice(final int queues)
    {
        final int perQueue = 2 * DESCRIPTORS + 4 * BURST + POOL_CACHE;
        int size = 1024;
        while (size - 1 < queues * perQueue + 2048)
        {
            size <<= 1;
        }
        return new DeviceSetup(queues, 64, size - 1, POOL_CACHE, DATA_ROOM, DESCRIPTORS, BURST);
    }

    /** @return the {@code --vdev} argument of this device for testpmd. */
    public String testpmdVdev()
    {
        return "net_null0,size=" + frameLength;
    }

    /** @return testpmd's application arguments for io forwarding on this device and pool. */
    public List<String> testpmdArguments()
    {
        return List.of("--forward-mode=io", "--nb-cores=" + queues, "--rxq=" + queues, "--txq=" + queues, "--burst=" + burst,
            "--total-num-mbufs=" + poolSize, "--mbcache=" + poolCache, "--mbuf-size=" + dataRoom, "--rxd=" + descriptors,
            "--txd=" + descriptors, "--port-topology=loop");
    }

    /** @return a one-line description for reports. */
    public String describe()
    {
        return "net_null (size=" + frameLength + "), " + queues + " queue pair(s), pool " + poolSize + " mbufs (cache " + poolCache
            + ", data room " + dataRoom + "), " + descriptors + " descriptors, burst " + burst;
    }
}
