package io.panamux.fastpath.snapshot;

import java.nio.ByteBuffer;

import io.panamux.flow.FlowHash;
import io.panamux.flow.MaglevTable;

/**
 * The one place that turns a VIP's {@link Backend}s into its Maglev table: the MUX's snapshot publisher
 * and the host agent's source-side selection both call it, so that a host agent choosing at the source
 * and every MUX of the pool give a flow the same backend (ARCHITECTURE.md §1 item 6). What every process
 * must compute alike is all here:
 * <ul>
 *   <li>a backend's Maglev identity, {@link #key}: {@link FlowHash#hashBytes} with the pool's hash seed over
 *   the address bytes in network order (4 for IPv4, 16 for IPv6), never its position in a list, so the
 *   order backends are listed in does not matter;</li>
 *   <li>its Maglev weight: {@link Backend#weight()}, or 0 when it is {@link Backend#draining()} (it keeps its
 *   flows but takes no new ones, and the table is exactly as if it were absent);</li>
 *   <li>no table ({@code int[0]}) when no backend has weight: {@link Vip#backendForNew} then gives none.</li>
 * </ul>
 * Built off the fast path (allocates).
 */
public final class MaglevBackends
{
    private MaglevBackends()
    {
    }

    /**
     * @param hashSeed the pool's hash seed.
     * @param backends a VIP's backends, draining ones included, in any order; addresses distinct.
     * @param size     the Maglev table size (the pool's {@code maglev-table-size}), a prime.
     * @return the table: slot to index into {@code backends}; empty when none takes new flows.
     * @throws IllegalArgumentException as {@link MaglevTable#build(long[], int[], int)} (size not prime or too
     *                                  small, two backends with the same address).
     */
    public static int[] table(final long hashSeed, final Backend[] backends, final int size)
    {
        final long[] keys = new long[backends.length];
        final int[] weights = new int[backends.length];
        boolean anyWeight = false;
        for (int i = 0; i < backends.length; i++)
        {
            final Backend b = backends[i];
            keys[i] = key(hashSeed, b);
            weights[i] = b.draining() ? 0 : b.weight();
            anyWeight |= weights[i] > 0;
        }
        return anyWeight ? MaglevTable.build(keys, weights, size) : new int[0];
    }

    /**
     * @param hashSeed the pool's hash seed.
     * @param backend  a backend.
     * @return its Maglev identity: the same in every process of the pool.
     */
    public static long key(final long hashSeed, final Backend backend)
    {
        return backend.v6() ? keyV6(hashSeed, backend.v6Hi(), backend.v6Lo()) : keyV4(hashSeed, backend.v4());
    }

    /**
     * @param hashSeed the pool's hash seed.
     * @param address  an IPv4 backend address (big-endian int).
     * @return its Maglev identity.
     */
    public static long keyV4(final long hashSeed, final int address)
    {
        return FlowHash.hashBytes(hashSeed, ByteBuffer.allocate(4).putInt(address).array());
    }

    /**
     * @param hashSeed the pool's hash seed.
     * @param high     the IPv6 address's first 64 bits.
     * @param low      its last 64 bits.
     * @return its Maglev identity.
     */
    public static long keyV6(final long hashSeed, final long high, final long low)
    {
        return FlowHash.hashBytes(hashSeed, ByteBuffer.allocate(16).putLong(high).putLong(low).array());
    }
}
