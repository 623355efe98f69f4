package io.panamux.dpdk;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Two ethdev ports wired back to back through {@code rte_ring}s ({@code rte_eth_from_rings}): what
 * one sends on queue q the other receives on queue q. In-process traffic for the demo, tests and the
 * perf harness: a generator on one port drives the MUX on the other, which sends back to the
 * generator.
 */
public final class RingPorts implements AutoCloseable
{
    private static final MethodHandle RING_CREATE = Dpdk.downcall("rte_ring_create",
        FunctionDescriptor.of(JAVA_LONG, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle RING_FREE = Dpdk.downcall("rte_ring_free", FunctionDescriptor.ofVoid(JAVA_LONG));
    private static final MethodHandle FROM_RINGS = Dpdk.downcall("rte_eth_from_rings",
        FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
    private static final int RING_F_SP_ENQ = 1;
    private static final int RING_F_SC_DEQ = 2;

    private final EthPort a;
    private final EthPort b;
    private final long[] rings;

    private RingPorts(final EthPort a, final EthPort b, final long[] rings)
    {
        this.a = a;
        this.b = b;
        this.rings = rings;
    }

    /**
     * Creates ports {@code name + "_a"} and {@code name + "_b"} with {@code queues} queue pairs, each
     * direction of each queue an SP/SC ring of {@code ringSize} (a power of two) entries.
     */
    public static RingPorts create(final String name, final int queues, final int ringSize)
    {
        final long[] rings = new long[2 * queues];
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment ab = arena.allocate(ADDRESS, queues);
            final MemorySegment ba = arena.allocate(ADDRESS, queues);
            for (int q = 0; q < queues; q++)
            {
                rings[2 * q] = ring(arena, name + "ab" + q, ringSize);
                rings[2 * q + 1] = ring(arena, name + "ba" + q, ringSize);
                ab.setAtIndex(ADDRESS, q, MemorySegment.ofAddress(rings[2 * q]));
                ba.setAtIndex(ADDRESS, q, MemorySegment.ofAddress(rings[2 * q + 1]));
            }
            // Port a receives from b->a and sends on a->b; port b the reverse.
            final int pa = (int)FROM_RINGS.invokeExact(arena.allocateFrom(name + "_a"), ba, queues, ab, queues, Eal.socketId());
            if (pa < 0)
            {
                throw new DpdkException("rte_eth_from_rings(" + name + "_a)", Lcore.errno());
            }
            final int pb = (int)FROM_RINGS.invokeExact(arena.allocateFrom(name + "_b"), ab, queues, ba, queues, Eal.socketId());
            if (pb < 0)
            {
                throw new DpdkException("rte_eth_from_rings(" + name + "_b)", Lcore.errno());
            }
            return new RingPorts(new EthPort(pa), new EthPort(pb), rings);
        }
        catch (final Throwable t)
        {
            throw Dpdk.rethrow(t);
        }
    }

    private static long ring(final Arena arena, final String name, final int size) throws Throwable
    {
        final long r = (long)RING_CREATE.invokeExact(arena.allocateFrom(name), size, Eal.socketId(), RING_F_SP_ENQ | RING_F_SC_DEQ);
        if (r == 0)
        {
            throw new DpdkException("rte_ring_create(" + name + ", " + size + ")", Lcore.errno());
        }
        return r;
    }

    /** @return the first port (the traffic generator's side, by convention). */
    public EthPort a()
    {
        return a;
    }

    /** @return the second port (the MUX's side, by convention). */
    public EthPort b()
    {
        return b;
    }

    /** Frees the rings; both ports must be stopped and closed first, and the rings drained. */
    @Override
    public void close()
    {
        for (final long r : rings)
        {
            try
            {
                RING_FREE.invokeExact(r);
            }
            catch (final Throwable t)
            {
                throw Dpdk.rethrow(t);
            }
        }
    }
}
