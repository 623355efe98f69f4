package io.panamux.flow;

import java.util.Arrays;

/**
 * Builder of Maglev lookup tables (Eisenbud et al., "Maglev: A Fast and Reliable Software Network Load
 * Balancer", NSDI 2016, section 3.4), the consistent hash that lets every MUX of a pool pick the same
 * backend for a flow without sharing state.
 *
 * <p>The table is a flat {@code int[]} of prime size M (default {@value #DEFAULT_SIZE}) whose entries are
 * indices into the caller's backend arrays. It is built off the fast path, published in an immutable
 * snapshot, and read per packet with {@link #lookup(int[], long)}.
 *
 * <p>Each backend is identified by a stable 64-bit key (for example {@link FlowHash#hashBytes} of its
 * address with the pool's hash seed), never by its position in a list, so that every process builds the
 * same table from the same set in any order:
 * <ul>
 *   <li>{@code offset = hashLong(OFFSET_SEED, key) mod M} and
 *   {@code skip = hashLong(SKIP_SEED, key) mod (M - 1) + 1} (unsigned remainders) define the backend's
 *   preference list {@code (offset + j * skip) mod M}, a permutation of all slots because M is prime;</li>
 *   <li>backends take turns in the ascending unsigned order of their keys, each claiming the next free slot
 *   of its own preference list;</li>
 *   <li>weights: at every turn a backend adds its weight to a credit and claims a slot only when the credit
 *   reaches the largest weight (then pays that much), so heavier backends claim more often; each backend
 *   also stops at its quota, {@code M * weight / totalWeight} apportioned by largest remainder (ties to the
 *   smaller key), so its slot count is within one slot of exact proportion. Weight 0 gives no slots and
 *   leaves the table exactly as if the backend were absent.</li>
 * </ul>
 * A flow's slot is {@code hi64(flowHash * M)} (unsigned), see {@link #slot(long, int)}: one multiplication,
 * no division, and also part of what every MUX must compute alike.
 */
public final class MaglevTable
{
    /** Default table size, the prime the Maglev paper uses. */
    public static final int DEFAULT_SIZE = 65537;

    /** Seed of the hash that gives a backend's first preferred slot. */
    static final long OFFSET_SEED = 0x6d61676c65766f66L;
    /** Seed of the hash that gives a backend's step through the table. */
    static final long SKIP_SEED = 0x6d61676c65767370L;

    private MaglevTable()
    {
    }

    /**
     * Builds a table where all backends have the same weight.
     *
     * @param backendKeys stable identity of each backend (distinct).
     * @param size        table size, a prime at least {@code backendKeys.length}.
     * @return the table: {@code size} indices into {@code backendKeys}.
     * @throws IllegalArgumentException as {@link #build(long[], int[], int)}.
     */
    public static int[] build(final long[] backendKeys, final int size)
    {
        final int[] weights = new int[backendKeys.length];
        Arrays.fill(weights, 1);
        return build(backendKeys, weights, size);
    }

    /**
     * Builds a weighted Maglev table.
     *
     * @param backendKeys stable identity of each backend; keys must be distinct.
     * @param weights     weight of each backend, {@code >= 0}; 0 means no slots (drained or removed).
     * @param size        table size M: a prime, at least the number of backends.
     * @return the table: {@code size} indices into {@code backendKeys} / {@code weights}.
     * @throws IllegalArgumentException if the arrays differ in length, {@code size} is not prime or is
     *                                  smaller than the number of backends, a weight is negative, no weight
     *                                  is positive, or two keys are equal.
     */
    public static int[] build(final long[] backendKeys, final int[] weights, final int size)
    {
        final int count = validate(backendKeys, weights, size);
        final int[] order = takingOrder(backendKeys, weights, count);
        final int[] quota = quotas(weights, order, size);

        int maxWeight = 0;
        for (final int backend : order)
        {
            maxWeight = Math.max(maxWeight, weights[backend]);
        }

        final int[] next = new int[count];
        final int[] skip = new int[count];
        final int[] taken = new int[count];
        final long[] credit = new long[count];
        for (int i = 0; i < count; i++)
        {
            final long key = backendKeys[order[i]];
            next[i] = (int)Long.remainderUnsigned(FlowHash.hashLong(OFFSET_SEED, key), size);
            skip[i] = (int)Long.remainderUnsigned(FlowHash.hashLong(SKIP_SEED, key), size - 1) + 1;
        }

        final int[] table = new int[size];
        Arrays.fill(table, -1);
        int filled = 0;
        while (filled < size)
        {
            for (int i = 0; i < count && filled < size; i++)
            {
                if (taken[i] == quota[i])
                {
                    continue;
                }

                credit[i] += weights[order[i]];
                if (credit[i] < maxWeight)
                {
                    continue;
                }
                credit[i] -= maxWeight;

                // The preference list is a full permutation (size is prime) and a free slot exists.
                int candidate = next[i];
                while (table[candidate] >= 0)
                {
                    candidate += skip[i];
                    if (candidate >= size)
                    {
                        candidate -= size;
                    }
                }
                table[candidate] = order[i];
                taken[i]++;
                filled++;

                candidate += skip[i];
                next[i] = candidate >= size ? candidate - size : candidate;
            }
        }

        return table;
    }

    /**
     * The slot of a flow in a table of {@code size} entries: the high 64 bits of the unsigned product
     * {@code flowHash * size}, uniform over {@code [0, size)} for a uniform hash.
     *
     * @param flowHash the flow's {@link FlowHash} with the pool's hash seed.
     * @param size     table size.
     * @return the slot index.
     */
    public static int slot(final long flowHash, final int size)
    {
        return (int)Math.unsignedMultiplyHigh(flowHash, size);
    }

    /**
     * The backend of a flow: allocation-free, for the fast path.
     *
     * @param table    a table from {@link #build}.
     * @param flowHash the flow's {@link FlowHash} with the pool's hash seed.
     * @return the backend index stored in the flow's slot.
     */
    public static int lookup(final int[] table, final long flowHash)
    {
        return table[slot(flowHash, table.length)];
    }

    /**
     * Primality by trial division (table sizes are at most a few million).
     *
     * @param n the candidate.
     * @return whether {@code n} is prime.
     */
    public static boolean isPrime(final int n)
    {
        if (n < 2)
        {
            return false;
        }
        if (n % 2 == 0)
        {
            return n == 2;
        }
        for (long d = 3; d * d <= n; d += 2)
        {
            if (n % d == 0)
            {
                return false;
            }
        }
        return true;
    }

    /**
     * The smallest prime at least {@code n}, to size a table from a backend count (the paper suggests
     * {@code M >= 100 * N} for balance within 1%).
     *
     * @param n lower bound, {@code <= 2147483629} (the largest int prime).
     * @return the smallest prime {@code >= n}.
     */
    public static int smallestPrimeAtLeast(final int n)
    {
        if (n > 2147483629)
        {
            throw new IllegalArgumentException("no int prime >= " + n);
        }
        int candidate = Math.max(2, n);
        while (!isPrime(candidate))
        {
            candidate++;
        }
        return candidate;
    }

    private static int validate(final long[] backendKeys, final int[] weights, final int size)
    {
        if (backendKeys.length != weights.length)
        {
            throw new IllegalArgumentException(
                "backendKeys.length=" + backendKeys.length + " != weights.length=" + weights.length);
        }
        if (!isPrime(size))
        {
            throw new IllegalArgumentException("Maglev table size must be prime: " + size);
        }
        if (size < backendKeys.length)
        {
            throw new IllegalArgumentException(
                "Maglev table size " + size + " is smaller than the number of backends " + backendKeys.length);
        }

        int positive = 0;
        for (int i = 0; i < weights.length; i++)
        {
            if (weights[i] < 0)
            {
                throw new IllegalArgumentException("negative weight " + weights[i] + " at index " + i);
            }
            if (weights[i] > 0)
            {
                positive++;
            }
        }
        if (positive == 0)
        {
            throw new IllegalArgumentException("no backend has a positive weight");
        }

        final long[] sorted = backendKeys.clone();
        Arrays.sort(sorted);
        for (int i = 1; i < sorted.length; i++)
        {
            if (sorted[i] == sorted[i - 1])
            {
                throw new IllegalArgumentException("duplicate backend key " + Long.toHexString(sorted[i]));
            }
        }

        return positive;
    }

    /** Indices of the backends with a positive weight, in ascending unsigned order of their keys. */
    private static int[] takingOrder(final long[] backendKeys, final int[] weights, final int count)
    {
        final Integer[] positive = new Integer[count];
        int n = 0;
        for (int i = 0; i < weights.length; i++)
        {
            if (weights[i] > 0)
            {
                positive[n++] = i;
            }
        }
        Arrays.sort(positive, (a, b) -> Long.compareUnsigned(backendKeys[a], backendKeys[b]));

        final int[] order = new int[count];
        for (int i = 0; i < count; i++)
        {
            order[i] = positive[i];
        }
        return order;
    }

    /** Slots per backend (by taking position), apportioned by largest remainder. */
    private static int[] quotas(final int[] weights, final int[] order, final int size)
    {
        final int count = order.length;
        long totalWeight = 0;
        for (final int backend : order)
        {
            totalWeight += weights[backend];
        }

        final int[] quota = new int[count];
        final long[] remainder = new long[count];
        long assigned = 0;
        for (int i = 0; i < count; i++)
        {
            final long share = (long)size * weights[order[i]];
            quota[i] = (int)(share / totalWeight);
            remainder[i] = share % totalWeight;
            assigned += quota[i];
        }

        for (long left = size - assigned; left > 0; left--)
        {
            int best = -1;
            for (int i = 0; i < count; i++)
            {
                if (remainder[i] >= 0 && (best < 0 || remainder[i] > remainder[best]))
                {
                    best = i;
                }
            }
            quota[best]++;
            remainder[best] = -1;
        }
        return quota;
    }
}
