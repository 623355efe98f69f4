package io.panamux.dpdk;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * The per-burst downcalls of the fast path: RX/TX bursts, mbuf bulk alloc/free, prefetch, TSC. All go
 * through the shim's wrappers of DPDK's {@code static inline} functions and are bound once as
 * critical downcalls: they are short, never block and never call back (DPDK-FFM.md, "Cost of a
 * downcall"). This is the single place where that choice (shim versus {@code rte_eth_fp_ops}) is made.
 *
 * <p>Burst arrays are native segments of {@code struct rte_mbuf *}; single mbufs are passed as
 * {@code long} addresses (a pointer and a 64-bit integer travel in the same register on the platforms
 * DPDK supports for panamux: x86_64 and aarch64).
 */
public final class Burst
{
    private static final MethodHandle RX_BURST = Dpdk.criticalDowncall("pmx_rx_burst",
        FunctionDescriptor.of(JAVA_SHORT, JAVA_SHORT, JAVA_SHORT, ADDRESS, JAVA_SHORT));
    private static final MethodHandle TX_BURST = Dpdk.criticalDowncall("pmx_tx_burst",
        FunctionDescriptor.of(JAVA_SHORT, JAVA_SHORT, JAVA_SHORT, ADDRESS, JAVA_SHORT));
    private static final MethodHandle ALLOC_BULK = Dpdk.criticalDowncall("pmx_pktmbuf_alloc_bulk",
        FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS, JAVA_INT));
    private static final MethodHandle ALLOC = Dpdk.criticalDowncall("pmx_pktmbuf_alloc",
        FunctionDescriptor.of(JAVA_LONG, JAVA_LONG));
    private static final MethodHandle FREE = Dpdk.criticalDowncall("pmx_pktmbuf_free",
        FunctionDescriptor.ofVoid(JAVA_LONG));
    private static final MethodHandle FREE_TAIL = Dpdk.criticalDowncall("pmx_pktmbuf_free_tail",
        FunctionDescriptor.ofVoid(ADDRESS, JAVA_SHORT, JAVA_SHORT));
    private static final MethodHandle PREFETCH = Dpdk.criticalDowncall("pmx_prefetch_burst",
        FunctionDescriptor.ofVoid(ADDRESS, JAVA_SHORT));
    // The array of addresses as a plain address, so that a caller can pass any part of it.
    private static final MethodHandle PREFETCH_LINES = Dpdk.criticalDowncall("pmx_prefetch_lines",
        FunctionDescriptor.ofVoid(JAVA_LONG, JAVA_SHORT));
    private static final MethodHandle RDTSC = Dpdk.criticalDowncall("pmx_rdtsc", FunctionDescriptor.of(JAVA_LONG));
    private static final MethodHandle TSC_HZ = Dpdk.downcall("pmx_tsc_hz", FunctionDescriptor.of(JAVA_LONG));

    private Burst()
    {
    }

    /**
     * Receives up to {@code n} packets.
     *
     * @param pkts native array of at least {@code n} mbuf pointers.
     * @return the number of packets received, 0..n.
     */
    public static int rx(final int port, final int queue, final MemorySegment pkts, final int n)
    {
        try
        {
            return (short)RX_BURST.invokeExact((short)port, (short)queue, pkts, (short)n) & 0xFFFF;
        }
        catch (final Throwable t)
        {
            throw Dpdk.rethrow(t);
        }
    }

    /**
     * Hands up to {@code n} packets to the port; the caller still owns (and must send again or free)
     * those at index {@code >=} the returned count.
     *
     * @return the number of packets accepted.
     */
    public static int tx(final int port, final int queue, final MemorySegment pkts, final int n)
    {
        try
        {
            return (short)TX_BURST.invokeExact((short)port, (short)queue, pkts, (short)n) & 0xFFFF;
        }
        catch (final Throwable t)
        {
            throw Dpdk.rethrow(t);
        }
    }

    /**
     * Allocates {@code n} mbufs, all or none, reset to an empty packet with default headroom.
     *
     * @return true when all {@code n} were allocated into {@code pkts}.
     */
    public static boolean allocBulk(final long pool, final MemorySegment pkts, final int n)
    {
        try
        {
            return (int)ALLOC_BULK.invokeExact(pool, pkts, n) == 0;
        }
        catch (final Throwable t)
        {
            throw Dpdk.rethrow(t);
        }
    }

    /** @return a reset mbuf, or 0 when the pool is empty. */
    public static long alloc(final long pool)
    {
        try
        {
            return (long)ALLOC.invokeExact(pool);
        }
        catch (final Throwable t)
        {
            throw Dpdk.rethrow(t);
        }
    }

    /** Returns one mbuf (all its segments) to its pool. */
    public static void free(final long mbuf)
    {
        try
        {
            FREE.invokeExact(mbuf);
        }
        catch (final Throwable t)
        {
            throw Dpdk.rethrow(t);
        }
    }

    /** Frees {@code pkts[from..n)} in one call: the unsent tail of a TX burst. */
    public static void freeTail(final MemorySegment pkts, final int from, final int n)
    {
        try
        {
            FREE_TAIL.invokeExact(pkts, (short)from, (short)n);
        }
        catch (final Throwable t)
        {
            throw Dpdk.rethrow(t);
        }
    }

    /** Prefetches the first data cache line of {@code pkts[0..n)}. */
    public static void prefetch(final MemorySegment pkts, final int n)
    {
        try
        {
            PREFETCH.invokeExact(pkts, (short)n);
        }
        catch (final Throwable t)
        {
            throw Dpdk.rethrow(t);
        }
    }

    /**
     * Prefetches the memory at each of the {@code n} addresses in the native array of 64-bit addresses at
     * {@code addresses} (memory the caller owns, {@code 8 * n} bytes): 256 bytes from each, e.g. the
     * flow-table buckets of a group of packets.
     */
    public static void prefetchLines(final long addresses, final int n)
    {
        try
        {
            PREFETCH_LINES.invokeExact(addresses, (short)n);
        }
        catch (final Throwable t)
        {
            throw Dpdk.rethrow(t);
        }
    }

    /** @return the CPU's time-stamp counter. */
    public static long rdtsc()
    {
        try
        {
            return (long)RDTSC.invokeExact();
        }
        catch (final Throwable t)
        {
            throw Dpdk.rethrow(t);
        }
    }

    /** @return TSC ticks per second as measured by EAL (valid after EAL init). */
    public static long tscHz()
    {
        try
        {
            return (long)TSC_HZ.invokeExact();
        }
        catch (final Throwable t)
        {
            throw Dpdk.rethrow(t);
        }
    }
}
