package io.panamux.fastpath.snapshot;

import java.nio.ByteBuffer;

import org.junit.jupiter.api.Test;

import io.panamux.flow.FlowHash;
import io.panamux.flow.MaglevTable;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class MaglevBackendsTest
{
    private static final long SEED = 0x5eed;
    private static final int SIZE = 1031;

    private static Backend v4(final int address, final int weight, final boolean draining)
    {
        return new Backend(0, 0, false, address, 0, 0, weight, draining, "v4");
    }

    private static Backend v6(final long hi, final long lo, final int weight)
    {
        return new Backend(0, 0, true, 0, hi, lo, weight, false, "v6");
    }

    @Test
    void keysAreTheSeededHashOfTheAddressBytesInNetworkOrder()
    {
        assertEquals(FlowHash.hashBytes(SEED, new byte[] {10, 1, 0, 2}), MaglevBackends.key(SEED, v4(0x0a01_0002, 1, false)));
        final byte[] v6 = ByteBuffer.allocate(16).putLong(0x2001_0db8_0000_0001L).putLong(0x2L).array();
        assertEquals(FlowHash.hashBytes(SEED, v6), MaglevBackends.key(SEED, v6(0x2001_0db8_0000_0001L, 0x2L, 1)));
        assertNotEquals(MaglevBackends.keyV4(SEED, 0x0a01_0002), MaglevBackends.keyV4(SEED + 1, 0x0a01_0002), "the pool's seed counts");
    }

    @Test
    void aDrainingBackendWeighsNothingAndNoWeightGivesNoTable()
    {
        final Backend a = v4(0x0a01_0001, 1, false);
        final Backend b = v4(0x0a01_0002, 3, false);
        final Backend c = v6(0x2001_0db8_0000_0001L, 0x3L, 2);
        final int[] withDrained = MaglevBackends.table(SEED, new Backend[] {a, v4(0x0a01_0002, 3, true), c}, SIZE);
        final int[] withZero = MaglevBackends.table(SEED, new Backend[] {a, v4(0x0a01_0002, 0, false), c}, SIZE);
        assertArrayEquals(withZero, withDrained);
        assertEquals(0, java.util.Arrays.stream(withDrained).filter(i -> i == 1).count());
        final int[] all = MaglevBackends.table(SEED, new Backend[] {a, b, c}, SIZE);
        assertArrayEquals(MaglevTable.build(new long[] {MaglevBackends.key(SEED, a), MaglevBackends.key(SEED, b), MaglevBackends.key(SEED, c)},
            new int[] {1, 3, 2}, SIZE), all);
        assertEquals(0, MaglevBackends.table(SEED, new Backend[] {v4(1, 0, false), v4(2, 5, true)}, SIZE).length);
        assertEquals(0, MaglevBackends.table(SEED, new Backend[0], SIZE).length);
        assertThrows(IllegalArgumentException.class, () -> MaglevBackends.table(SEED, new Backend[] {a, a}, SIZE), "one address twice");
    }
}
