package io.panamux.perf.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import io.panamux.dpdk.Burst;
import io.panamux.dpdk.Mbuf;
import io.panamux.dpdk.Memory;
import io.panamux.perf.traffic.ClientFrames;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Feeds a MUX worker that polls a {@code net_null} port with real client frames, from the worker's own
 * thread, between its polls, outside the cycles the harness counts for the worker.
 *
 * <h2>How it works</h2>
 * {@code net_null}'s RX allocates mbufs from the queue's pool and sets their lengths, but never writes
 * their data; its TX frees them. With a per-lcore mempool cache, which is last in, first out, the mbufs
 * the next RX burst gets are exactly the ones last put in the cache. So before each worker poll, on the
 * worker's lcore, {@link #refill()} takes a burst from the pool, writes the next client frames into it
 * (Ethernet, IPv4, TCP with valid checksums, chosen by a {@link FlowPlan}) and puts the burst back: the
 * worker's RX burst then returns those frames, and the MUX parses, looks up, encapsulates and sends them
 * as it would a NIC's. The cache stays between its size and its flush threshold because every burst
 * taken is returned, so the frames are never flushed to the common pool in between.
 *
 * <p>The device cost the worker pays is therefore exactly {@code net_null}'s (allocate on RX, free on
 * TX, per-lcore cache), the same as {@code dpdk-testpmd --forward-mode=io} on the same device with the
 * same pool. The frames are in the core's cache when the worker reads them (written a moment before),
 * as in testpmd's loop the mbufs are: a NIC's DMA would leave them in the last-level cache instead.
 *
 * <p>If the cache were ever not in that state the worker would see stale frames: they are still frames
 * the MUX parses (headers it wrote over an old frame), and they are counted by its drop counters, which
 * the harness reports; a run with drops says so.
 */
public final class FrameReplay
{
    private final FlowPlan plan;
    private final int[] vipAddress;
    private final int[] vipPort;
    private final int protocol;
    private final int frameLength;
    private final long dstMac;
    private final long srcMac;
    private final long pool;
    private final int burst;
    private final MemorySegment mbufs;
    private final long mbufsAddress;
    private int sequence;
    private long frames;
    private long allocFailures;

    /**
     * @param plan        which flow each frame belongs to.
     * @param vipAddress  IPv4 VIP addresses (big-endian ints); a flow goes to {@code flowId mod count}.
     * @param vipPort     the VIPs' ports, same order.
     * @param protocol    6 (TCP) or 17 (UDP).
     * @param frameLength frame length, the {@code net_null} device's {@code size}.
     * @param dstMac      destination MAC (the MUX port's).
     * @param srcMac      source MAC (the "router").
     * @param pool        the worker's RX pool ({@code struct rte_mempool *}).
     * @param burst       frames per refill: the worker's RX burst.
     */
    public FrameReplay(final FlowPlan plan, final int[] vipAddress, final int[] vipPort, final int protocol, final int frameLength,
        final long dstMac, final long srcMac, final long pool, final int burst)
    {
        if (vipAddress.length == 0 || vipAddress.length != vipPort.length)
        {
            throw new IllegalArgumentException("one port per VIP address, at least one VIP");
        }
        if (frameLength < ClientFrames.minimumLength(false, protocol))
        {
            throw new IllegalArgumentException("frame length " + frameLength + " below the headers");
        }
        this.plan = plan;
        this.vipAddress = vipAddress.clone();
        this.vipPort = vipPort.clone();
        this.protocol = protocol;
        this.frameLength = frameLength;
        this.dstMac = dstMac;
        this.srcMac = srcMac;
        this.pool = pool;
        this.burst = burst;
        // Global arena: lives as long as the process, no liveness check per access.
        this.mbufs = Arena.global().allocate(JAVA_LONG, burst);
        this.mbufsAddress = mbufs.address();
    }

    /**
     * Writes the next burst of frames into the mbufs the next RX burst of the calling lcore will get.
     *
     * @return frames written (0 when the pool had no burst to lend).
     */
    public int refill()
    {
        if (!Burst.allocBulk(pool, mbufs, burst))
        {
            allocFailures++;
            return 0;
        }
        for (int i = 0; i < burst; i++)
        {
            final long m = Memory.getI64(mbufsAddress + 8L * i);
            write(m);
        }
        Burst.freeTail(mbufs, 0, burst);
        frames += burst;
        return burst;
    }

    /** Writes the next frame of the plan into {@code m} (also used to write capture files). */
    public void write(final long m)
    {
        plan.next();
        final long flow = plan.flowId();
        final int target = (int)(flow % vipAddress.length);
        final int flags = protocol == ClientFrames.TCP
            ? (plan.opening() ? ClientFrames.SYN : ClientFrames.ACK | ClientFrames.PSH) : 0;
        Mbuf.length(m, frameLength);
        ClientFrames.ipv4(Mbuf.dataAddress(m), frameLength, dstMac, srcMac, FlowPlan.sourceAddress(flow), vipAddress[target], protocol,
            FlowPlan.sourcePort(flow), vipPort[target], flags, sequence++, 0);
    }

    /** @return frames written so far (the worker's thread, or after it stopped). */
    public long frames()
    {
        return frames;
    }

    /** @return refills skipped because the pool was empty. */
    public long allocFailures()
    {
        return allocFailures;
    }

    /** @return the plan. */
    public FlowPlan plan()
    {
        return plan;
    }
}
