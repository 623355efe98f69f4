package io.panamux.flow;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OwnerRingTest
{
    private static final long POOL_SEED = 0x5eedL;
    private static final int FLOWS = 200_000;

    @Test
    void rejectsEmptyAndDuplicateMemberships()
    {
        assertThrows(IllegalArgumentException.class, () -> new OwnerRing(List.of(), POOL_SEED));
        assertThrows(
            IllegalArgumentException.class, () -> new OwnerRing(List.of("10.0.0.1", "10.0.0.2", "10.0.0.1"), POOL_SEED));
    }

    @Test
    void singleMemberOwnsEverything()
    {
        final OwnerRing ring = new OwnerRing(List.of("10.0.0.10"), POOL_SEED);
        final long[] flows = flows(1000, 1);
        for (final long flow : flows)
        {
            assertEquals(0, ring.owner(flow));
        }
    }

    @Test
    void everyMuxAgreesWhateverTheOrderOfItsMemberList()
    {
        final List<String> members = members(7);
        final OwnerRing reference = new OwnerRing(members, POOL_SEED);
        final Random random = new Random(3);
        final long[] flows = flows(FLOWS, 2);
        for (int mux = 0; mux < 5; mux++)
        {
            final List<String> shuffled = new ArrayList<>(members);
            Collections.shuffle(shuffled, random);
            final OwnerRing ring = new OwnerRing(shuffled, POOL_SEED);
            for (final long flow : flows)
            {
                assertEquals(reference.member(reference.owner(flow)), ring.member(ring.owner(flow)));
            }
        }
    }

    @Test
    void membersShareFlowsEvenly()
    {
        for (final int n : new int[]{ 2, 3, 10, 32 })
        {
            final OwnerRing ring = new OwnerRing(members(n), POOL_SEED);
            final int[] counts = new int[n];
            for (final long flow : flows(FLOWS, 3))
            {
                counts[ring.owner(flow)]++;
            }
            for (int i = 0; i < n; i++)
            {
                final double share = counts[i] / (double)FLOWS;
                assertTrue(Math.abs(share - 1.0 / n) < 0.1 / n, "N=" + n + " member " + i + " share " + share);
            }
        }
    }

    @Test
    void removingAMemberMovesOnlyItsFlowsAndAddingOneMovesFlowsOnlyToIt()
    {
        for (final int n : new int[]{ 2, 3, 10, 32 })
        {
            final List<String> members = members(n + 1);
            final List<String> base = members.subList(0, n);
            final OwnerRing before = new OwnerRing(base, POOL_SEED);

            final List<String> fewer = new ArrayList<>(base);
            final String removed = fewer.remove(n / 2);
            final OwnerRing afterRemove = new OwnerRing(fewer, POOL_SEED);
            final OwnerRing afterAdd = new OwnerRing(members, POOL_SEED);

            int moved = 0;
            int gained = 0;
            for (final long flow : flows(FLOWS, 4))
            {
                final String owner = before.member(before.owner(flow));
                final String ownerAfterRemove = afterRemove.member(afterRemove.owner(flow));
                if (owner.equals(removed))
                {
                    moved++;
                }
                else
                {
                    assertEquals(owner, ownerAfterRemove, "a flow of a remaining member moved");
                }

                final String ownerAfterAdd = afterAdd.member(afterAdd.owner(flow));
                if (!ownerAfterAdd.equals(owner))
                {
                    assertEquals(members.get(n), ownerAfterAdd, "a flow moved to an old member");
                    gained++;
                }
            }
            final double movedShare = moved / (double)FLOWS;
            final double gainedShare = gained / (double)FLOWS;
            System.out.printf(
                "OwnerRing N=%2d: removal moved %.4f (1/N=%.4f), addition moved %.4f (1/(N+1)=%.4f)%n",
                n, movedShare, 1.0 / n, gainedShare, 1.0 / (n + 1));
            assertTrue(Math.abs(movedShare - 1.0 / n) < 0.1 / n, "moved " + movedShare);
            assertTrue(Math.abs(gainedShare - 1.0 / (n + 1)) < 0.1 / (n + 1), "gained " + gainedShare);
        }
    }

    @Test
    void seedChangesTheAssignment()
    {
        final List<String> members = members(5);
        final OwnerRing a = new OwnerRing(members, 1L);
        final OwnerRing b = new OwnerRing(members, 2L);
        int same = 0;
        for (final long flow : flows(10_000, 5))
        {
            same += a.owner(flow) == b.owner(flow) ? 1 : 0;
        }
        // Independent assignments agree on about 1/5 of flows.
        assertTrue(same < 2_500, "same owner for " + same + " of 10000 flows");
        assertNotEquals(a.seed(), b.seed());
    }

    /**
     * Every MUX of a pool, in every version, must name the same owner for a flow, or ownership queries go
     * to the wrong peer. A change here is a protocol change.
     */
    @Test
    void goldenVector()
    {
        final OwnerRing ring = new OwnerRing(List.of("10.0.0.10", "10.0.0.11", "10.0.0.12"), POOL_SEED);
        final int[] owners = new int[8];
        for (int i = 0; i < owners.length; i++)
        {
            owners[i] = ring.owner(FlowHash.hashV4(POOL_SEED, 0xC0000200 + i, 0xC633640A, 40000, 80, 6));
        }
        assertArrayEquals(new int[]{ 2, 2, 2, 2, 0, 2, 0, 2 }, owners);
        assertEquals(3, ring.size());
        assertEquals("10.0.0.11", ring.member(1));
    }

    private static List<String> members(final int n)
    {
        final List<String> members = new ArrayList<>();
        for (int i = 0; i < n; i++)
        {
            members.add("10.0." + (i / 250) + "." + (10 + i % 250));
        }
        return members;
    }

    private static long[] flows(final int n, final long seed)
    {
        final SplittableRandom random = new SplittableRandom(seed);
        final long[] flows = new long[n];
        for (int i = 0; i < n; i++)
        {
            flows[i] = FlowHash.hashV4(POOL_SEED, random.nextInt(), 0xC633640A, random.nextInt(65536), 443, 6);
        }
        return flows;
    }
}
