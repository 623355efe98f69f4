package io.panamux.flow;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;

/**
 * The deterministic owner MUX of every flow, over the pool's membership: rendezvous (highest random
 * weight) hashing, tabulated over {@value #SLOTS} slots so that {@link #owner(long)} is one multiplication
 * and one array read.
 *
 * <p>Each member is identified by {@code key = FlowHash.hashBytes(seed, utf8(member))}, never by its
 * position in the list. Slot {@code s} belongs to the member with the highest score
 * {@code mix(key ^ P0, hashLong(seed ^ SLOT_SALT, s))} (unsigned; ties to the smaller key). A flow's slot
 * is the top 16 bits of {@code mix(flowHash ^ seed ^ P4, P5)}, which decorrelates it from the flow's
 * Maglev slot (both are taken from the same pool-seeded flow hash).
 *
 * <p>Properties, tested in {@code OwnerRingTest}: every MUX that builds a ring from the same set of members
 * and seed, in any order, computes the same owner; removing a member moves exactly the flows it owned
 * (about 1/N) and no others; adding one moves only flows to the new member.
 *
 * <p>Immutable, safe to share between threads once published.
 */
public final class OwnerRing
{
    /** Number of slots in the tabulated ring. */
    public static final int SLOTS = 1 << 16;

    /** Salt of the per-slot hash, so slot hashes differ from member keys under the same seed. */
    static final long SLOT_SALT = 0x6f776e6572736c74L;

    private final List<String> members;
    private final long seed;
    private final char[] owners;

    /**
     * Builds the ring.
     *
     * @param members the pool's member identities (for example their addresses), distinct, 1 to 65535.
     * @param seed    the pool's hash seed, the same on every MUX.
     * @throws IllegalArgumentException if the list is empty, too long, or has duplicates.
     */
    public OwnerRing(final List<String> members, final long seed)
    {
        if (members.isEmpty() || members.size() > Character.MAX_VALUE)
        {
            throw new IllegalArgumentException("pool must have 1 to 65535 members: " + members.size());
        }
        if (new HashSet<>(members).size() != members.size())
        {
            throw new IllegalArgumentException("duplicate pool member in " + members);
        }

        this.members = List.copyOf(new ArrayList<>(members));
        this.seed = seed;

        final int count = members.size();
        final long[] keys = new long[count];
        for (int i = 0; i < count; i++)
        {
            keys[i] = FlowHash.hashBytes(seed, members.get(i).getBytes(StandardCharsets.UTF_8));
        }

        owners = new char[SLOTS];
        for (int slot = 0; slot < SLOTS; slot++)
        {
            final long slotHash = FlowHash.hashLong(seed ^ SLOT_SALT, slot);
            int best = 0;
            long bestScore = score(keys[0], slotHash);
            for (int i = 1; i < count; i++)
            {
                final long score = score(keys[i], slotHash);
                final int byScore = Long.compareUnsigned(score, bestScore);
                if (byScore > 0 || (byScore == 0 && wins(members, keys, i, best)))
                {
                    best = i;
                    bestScore = score;
                }
            }
            owners[slot] = (char)best;
        }
    }

    /**
     * The owner of a flow: allocation-free.
     *
     * @param flowHash the flow's {@link FlowHash} with the pool's hash seed.
     * @return the owner's index in the member list given to the constructor.
     */
    public int owner(final long flowHash)
    {
        return owners[slot(flowHash)];
    }

    /**
     * @param index a member index, as returned by {@link #owner(long)}.
     * @return the member's identity.
     */
    public String member(final int index)
    {
        return members.get(index);
    }

    /**
     * @return the members, in the order given to the constructor.
     */
    public List<String> members()
    {
        return members;
    }

    /**
     * @return the number of members.
     */
    public int size()
    {
        return members.size();
    }

    /**
     * @return the seed this ring was built with.
     */
    public long seed()
    {
        return seed;
    }

    int slot(final long flowHash)
    {
        return (int)(FlowHash.mix(flowHash ^ seed ^ FlowHash.P4, FlowHash.P5) >>> 48);
    }

    private static long score(final long memberKey, final long slotHash)
    {
        return FlowHash.mix(memberKey ^ FlowHash.P0, slotHash);
    }

    /** Tie-break of equal scores, independent of list order: smaller key, then smaller identity. */
    private static boolean wins(final List<String> members, final long[] keys, final int challenger, final int holder)
    {
        final int byKey = Long.compareUnsigned(keys[challenger], keys[holder]);
        return byKey < 0 || (byKey == 0 && members.get(challenger).compareTo(members.get(holder)) < 0);
    }
}
