package io.panamux.flow;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MaglevTableTest
{
    private static final long POOL_SEED = 0x5eedL;

    @Test
    void primes()
    {
        assertFalse(MaglevTable.isPrime(-7));
        assertFalse(MaglevTable.isPrime(0));
        assertFalse(MaglevTable.isPrime(1));
        assertTrue(MaglevTable.isPrime(2));
        assertTrue(MaglevTable.isPrime(3));
        assertFalse(MaglevTable.isPrime(4));
        assertFalse(MaglevTable.isPrime(65535));
        assertTrue(MaglevTable.isPrime(65537));
        assertTrue(MaglevTable.isPrime(2147483647));
        assertFalse(MaglevTable.isPrime(2147483645));
        assertFalse(MaglevTable.isPrime(25));
        assertEquals(100003, MaglevTable.smallestPrimeAtLeast(100000));
        assertEquals(2, MaglevTable.smallestPrimeAtLeast(-5));
        assertEquals(65537, MaglevTable.smallestPrimeAtLeast(65537));
    }

    @Test
    void rejectsInvalidInput()
    {
        final long[] keys = { 1, 2, 3 };
        assertThrows(IllegalArgumentException.class, () -> MaglevTable.build(keys, 65536));
        assertThrows(IllegalArgumentException.class, () -> MaglevTable.build(keys, 2));
        assertThrows(IllegalArgumentException.class, () -> MaglevTable.build(keys, new int[]{ 0, 0, 0 }, 7));
        assertThrows(IllegalArgumentException.class, () -> MaglevTable.build(keys, new int[]{ 1, -1, 1 }, 7));
        assertThrows(IllegalArgumentException.class, () -> MaglevTable.build(keys, new int[]{ 1, 1 }, 7));
        assertThrows(IllegalArgumentException.class, () -> MaglevTable.build(new long[]{ 5, 6, 5 }, 7));
        assertThrows(IllegalArgumentException.class, () -> MaglevTable.build(new long[0], 7));
    }

    @Test
    void everySlotHoldsABackendWithPositiveWeight()
    {
        final long[] keys = keys(50, 1);
        final int[] weights = new int[50];
        for (int i = 0; i < weights.length; i++)
        {
            weights[i] = i % 5;
        }
        final int[] table = MaglevTable.build(keys, weights, 65537);
        assertEquals(65537, table.length);
        final int[] counts = counts(table, keys.length);
        for (int i = 0; i < keys.length; i++)
        {
            assertEquals(weights[i] == 0, counts[i] == 0, "backend " + i + " weight " + weights[i]);
        }
    }

    @Test
    void slotCountsAreProportionalToWeightWithinOnePercent()
    {
        // size >= 100 x backends in every case; the smallest shares are near 100 slots where possible
        assertProportional(keys(3, 2), new int[]{ 1, 1, 1 }, 307);
        assertProportional(keys(3, 3), new int[]{ 1, 2, 3 }, 65537);
        assertProportional(keys(10, 4), new int[]{ 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 }, 1009);
        assertProportional(keys(10, 4), new int[]{ 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 }, 5501);
        assertProportional(keys(100, 5), constant(100, 1), 10007);
        assertProportional(keys(100, 6), cycle(100, 1, 2, 5), 65537);
        assertProportional(keys(1000, 7), constant(1000, 1), 100003);
        assertProportional(keys(1000, 8), cycle(1000, 1, 3), 655373);
        assertProportional(keys(2, 9), new int[]{ 1, 1000 }, 65537);
    }

    @Test
    void tableDependsOnlyOnTheSetNotOnTheOrder()
    {
        final SplittableRandom random = new SplittableRandom(17);
        final long[] keys = keys(40, 10);
        final int[] weights = new int[keys.length];
        for (int i = 0; i < weights.length; i++)
        {
            weights[i] = 1 + random.nextInt(4);
        }
        final int[] table = MaglevTable.build(keys, weights, 4099);

        final int[] permutation = new int[keys.length];
        for (int i = 0; i < permutation.length; i++)
        {
            permutation[i] = i;
        }
        for (int round = 0; round < 5; round++)
        {
            for (int i = permutation.length - 1; i > 0; i--)
            {
                final int j = random.nextInt(i + 1);
                final int t = permutation[i];
                permutation[i] = permutation[j];
                permutation[j] = t;
            }
            final long[] shuffledKeys = new long[keys.length];
            final int[] shuffledWeights = new int[keys.length];
            for (int i = 0; i < keys.length; i++)
            {
                shuffledKeys[i] = keys[permutation[i]];
                shuffledWeights[i] = weights[permutation[i]];
            }
            final int[] shuffled = MaglevTable.build(shuffledKeys, shuffledWeights, 4099);
            for (int slot = 0; slot < table.length; slot++)
            {
                assertEquals(keys[table[slot]], shuffledKeys[shuffled[slot]], "slot " + slot);
            }
        }
    }

    @Test
    void zeroWeightIsTheSameAsAbsent()
    {
        final long[] keys = keys(20, 11);
        final int[] weights = constant(20, 1);
        weights[7] = 0;
        final int[] withZero = MaglevTable.build(keys, weights, 1009);

        final long[] without = new long[19];
        for (int i = 0, j = 0; i < 20; i++)
        {
            if (i != 7)
            {
                without[j++] = keys[i];
            }
        }
        final int[] absent = MaglevTable.build(without, 1009);
        for (int slot = 0; slot < 1009; slot++)
        {
            assertEquals(keys[withZero[slot]], without[absent[slot]]);
        }
    }

    /**
     * Every MUX of a pool, in every process and version, must build this exact table from this input.
     * A change here is a protocol change (backend choices would differ between MUXes during an upgrade).
     */
    @Test
    void goldenVector()
    {
        final long[] keys = new long[5];
        for (int i = 0; i < keys.length; i++)
        {
            keys[i] = FlowHash.hashBytes(POOL_SEED, ("10.1.0." + (i + 1)).getBytes(StandardCharsets.US_ASCII));
        }
        final int[] table = MaglevTable.build(keys, new int[]{ 1, 2, 1, 1, 3 }, MaglevTable.DEFAULT_SIZE);

        long digest = 0;
        for (final int backend : table)
        {
            digest = digest * 31 + backend;
        }
        assertEquals(0x3922bf7e42d1856aL, digest);
        assertArrayEquals(new int[]{ 3, 4, 1, 4, 1, 2, 2, 3, 2, 4 }, Arrays.copyOf(table, 10));
        assertArrayEquals(new int[]{ 8192, 16384, 8192, 8192, 24577 }, counts(table, keys.length));
        final long flow = FlowHash.hashV4(POOL_SEED, 0xC0000201, 0xC633640A, 40000, 80, 6);
        assertEquals(4, MaglevTable.lookup(table, flow));
    }

    @Test
    void slotIsUniformOverTheTable()
    {
        final int size = 7;
        assertEquals(0, MaglevTable.slot(0L, size));
        assertEquals(size - 1, MaglevTable.slot(-1L, size));
        assertEquals(3, MaglevTable.slot(Long.MIN_VALUE, size));
    }

    @Test
    void removingOrAddingOneBackendMovesFewSlotsBeyondItsOwn()
    {
        for (final int size : new int[]{ MaglevTable.DEFAULT_SIZE, 655373 })
        {
            measureDisruption(size);
        }
    }

    private static void measureDisruption(final int size)
    {
        System.out.println("Maglev disruption, M=" + size + " (fractions of all slots; own = the backend's share):");
        for (final int n : new int[]{ 3, 10, 100, 1000 })
        {
            final long[] keys = keys(n + 1, 100 + n);
            final long[] base = Arrays.copyOf(keys, n);
            final int[] before = MaglevTable.build(base, size);

            // Remove the middle backend.
            final int removed = n / 2;
            final long[] fewer = new long[n - 1];
            for (int i = 0, j = 0; i < n; i++)
            {
                if (i != removed)
                {
                    fewer[j++] = base[i];
                }
            }
            final int[] afterRemove = MaglevTable.build(fewer, size);
            int owned = 0;
            int changed = 0;
            for (int slot = 0; slot < size; slot++)
            {
                owned += before[slot] == removed ? 1 : 0;
                changed += base[before[slot]] != fewer[afterRemove[slot]] ? 1 : 0;
            }
            final double removeExcess = (changed - owned) / (double)size;

            // Add backend n.
            final int[] afterAdd = MaglevTable.build(keys, size);
            int gained = 0;
            int moved = 0;
            for (int slot = 0; slot < size; slot++)
            {
                gained += afterAdd[slot] == n ? 1 : 0;
                moved += base[before[slot]] != keys[afterAdd[slot]] ? 1 : 0;
            }
            final double addExcess = (moved - gained) / (double)size;

            System.out.printf(
                "  N=%4d  1/N=%.5f  remove: changed %.5f, own %.5f, excess %.5f  add: changed %.5f, new %.5f, excess %.5f%n",
                n, 1.0 / n, changed / (double)size, owned / (double)size, removeExcess,
                moved / (double)size, gained / (double)size, addExcess);

            assertTrue(changed >= owned && moved >= gained);
            // Beyond the backend's own share, at most 1% of all flows move (the paper's M >= 100 N keeps it lower).
            assertTrue(removeExcess <= 0.01, "N=" + n + " removal excess " + removeExcess);
            assertTrue(addExcess <= 0.01, "N=" + n + " addition excess " + addExcess);
        }
    }

    private static void assertProportional(final long[] keys, final int[] weights, final int size)
    {
        final int[] counts = counts(MaglevTable.build(keys, weights, size), keys.length);
        long total = 0;
        for (final int weight : weights)
        {
            total += weight;
        }
        for (int i = 0; i < keys.length; i++)
        {
            // Within one slot of the exact share, which is within 1% for every share of 100 slots or more.
            final double ideal = size * (double)weights[i] / total;
            final String message = "backend " + i + " weight " + weights[i] + ": " + counts[i] + " slots, ideal " + ideal;
            assertTrue(Math.abs(counts[i] - ideal) < 1.0, message);
            if (ideal >= 100)
            {
                assertTrue(Math.abs(counts[i] - ideal) <= 0.01 * ideal, message);
            }
        }
    }

    private static int[] counts(final int[] table, final int backends)
    {
        final int[] counts = new int[backends];
        for (final int backend : table)
        {
            assertTrue(backend >= 0 && backend < backends, "slot holds " + backend);
            counts[backend]++;
        }
        return counts;
    }

    private static long[] keys(final int n, final long seed)
    {
        final long[] keys = new long[n];
        for (int i = 0; i < n; i++)
        {
            keys[i] = FlowHash.hashBytes(seed, ("10." + (i >>> 16) + "." + ((i >>> 8) & 0xFF) + "." + (i & 0xFF))
                .getBytes(StandardCharsets.US_ASCII));
        }
        return keys;
    }

    private static int[] constant(final int n, final int weight)
    {
        final int[] weights = new int[n];
        Arrays.fill(weights, weight);
        return weights;
    }

    private static int[] cycle(final int n, final int... values)
    {
        final int[] weights = new int[n];
        for (int i = 0; i < n; i++)
        {
            weights[i] = values[i % values.length];
        }
        return weights;
    }
}
