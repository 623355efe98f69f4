package io.panamux.dpdk;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * A DPDK packet mempool ({@code rte_pktmbuf_pool_create}): fixed-size mbufs with a per-lcore cache.
 * {@link #inUse()} counts mbufs not back in the pool (per-lcore caches count as available), which is
 * how panamux proves it leaks none.
 */
public final class PacketPool implements AutoCloseable
{
    /** RTE_MBUF_DEFAULT_BUF_SIZE: 2048 data bytes plus 128 of headroom. */
    public static final int DEFAULT_DATA_ROOM = 2176;

    private static final MethodHandle POOL_CREATE = Dpdk.downcall("rte_pktmbuf_pool_create",
        FunctionDescriptor.of(JAVA_LONG, ADDRESS, JAVA_INT, JAVA_INT, JAVA_SHORT, JAVA_SHORT, JAVA_INT));
    private static final MethodHandle POOL_FREE = Dpdk.downcall("rte_mempool_free", FunctionDescriptor.ofVoid(JAVA_LONG));
    private static final MethodHandle AVAIL = Dpdk.downcall("rte_mempool_avail_count", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
    private static final MethodHandle IN_USE = Dpdk.downcall("rte_mempool_in_use_count", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));

    private final String name;
    private final long address;
    private final int size;
    private boolean closed;

    private PacketPool(final String name, final long address, final int size)
    {
        this.name = name;
        this.address = address;
        this.size = size;
    }

    /**
     * Creates a pool.
     *
     * @param name      unique name (at most 25 characters).
     * @param size      number of mbufs (best a power of two minus one).
     * @param cacheSize per-lcore cache (at most 512, and at most size / 1.5).
     * @param dataRoom  data room per mbuf, headroom included.
     * @param socket    NUMA socket.
     */
    public static PacketPool create(final String name, final int size, final int cacheSize, final int dataRoom, final int socket)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final long mp = (long)POOL_CREATE.invokeExact(arena.allocateFrom(name), size, cacheSize, (short)0,
                (short)dataRoom, socket);
            if (mp == 0)
            {
                throw new DpdkException("rte_pktmbuf_pool_create(" + name + ", " + size + " mbufs)", Lcore.errno());
            }
            return new PacketPool(name, mp, size);
        }
        catch (final Throwable t)
        {
            throw Dpdk.rethrow(t);
        }
    }

    /** @return the address of the {@code struct rte_mempool}. */
    public long address()
    {
        return address;
    }

    /** @return the pool's name. */
    public String name()
    {
        return name;
    }

    /** @return the number of mbufs the pool was created with. */
    public int size()
    {
        return size;
    }

    /** @return mbufs available (in the ring and the per-lcore caches). */
    public int available()
    {
        try
        {
            return (int)AVAIL.invokeExact(address);
        }
        catch (final Throwable t)
        {
            throw Dpdk.rethrow(t);
        }
    }

    /** @return mbufs taken from the pool and not returned. */
    public int inUse()
    {
        try
        {
            return (int)IN_USE.invokeExact(address);
        }
        catch (final Throwable t)
        {
            throw Dpdk.rethrow(t);
        }
    }

    /** Frees the pool; every mbuf must be back (ports using it stopped and closed). */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        try
        {
            POOL_FREE.invokeExact(address);
        }
        catch (final Throwable t)
        {
            throw Dpdk.rethrow(t);
        }
    }

    /** @return a native array for {@code n} mbuf pointers, owned by {@code arena}. */
    public static MemorySegment burstArray(final Arena arena, final int n)
    {
        return arena.allocate(ADDRESS, n);
    }
}
