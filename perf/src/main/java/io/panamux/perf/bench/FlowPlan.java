package io.panamux.perf.bench;

/**
 * Which client flow each generated packet belongs to, and whether it opens a connection: the traffic
 * shape of a pipeline scenario, independent of how frames reach the MUX.
 *
 * <p>A plan has {@code liveFlows} established flows, visited in turn (flow 0, 1, ... F-1, 0, ...), so
 * that after one full cycle every live flow has been seen and the flow table holds all of them; with
 * probability {@code newFlowRatio} a packet instead opens a brand-new connection (a TCP SYN on a flow
 * id never used before). A plan with no live flows and a ratio of 1 is a SYN flood: every packet is a
 * new 5-tuple.
 *
 * <p>A flow id maps to a client 5-tuple without tables: source address {@code 10.0.0.0/8} plus the low
 * 24 bits, source port {@code 1024 + (id >>> 24) mod 64512}, so ids up to about 10<sup>12</sup> are
 * distinct 5-tuples. Allocation-free: {@link #next()} updates the fields read by the frame writer.
 */
public final class FlowPlan
{
    /** Clients are in 10.0.0.0/8. */
    public static final int CLIENT_NETWORK = 0x0A00_0000;
    /** Lowest client source port. */
    public static final int FIRST_PORT = 1024;
    private static final int PORTS = 64512;

    private final long liveFlows;
    private final long newFlowThreshold;
    private final boolean everyPacketNew;
    private long cursor;
    private long nextNew;
    private long rng;

    private long flowId;
    private boolean opening;
    private long newFlows;

    /**
     * @param liveFlows    established flows visited in turn (0 when every packet is new).
     * @param newFlowRatio probability, 0..1, that a packet opens a new connection instead.
     * @param seed         seed of the new-flow draws, so a run repeats.
     * @param firstNewId   first id given to new connections (ids of live flows are {@code 0..liveFlows-1};
     *                     workers of one run use disjoint ranges).
     */
    public FlowPlan(final long liveFlows, final double newFlowRatio, final long seed, final long firstNewId)
    {
        if (liveFlows < 0 || newFlowRatio < 0 || newFlowRatio > 1 || (liveFlows == 0 && newFlowRatio < 1))
        {
            throw new IllegalArgumentException("a plan needs live flows, or a new-flow ratio of 1: " + liveFlows + ", " + newFlowRatio);
        }
        this.liveFlows = liveFlows;
        this.everyPacketNew = newFlowRatio >= 1;
        this.newFlowThreshold = (long)(newFlowRatio * (1L << 53));
        this.rng = seed | 1;
        this.nextNew = Math.max(firstNewId, liveFlows);
    }

    /** Chooses the flow of the next packet; read it with {@link #flowId()} and {@link #opening()}. */
    public void next()
    {
        if (everyPacketNew || (newFlowThreshold > 0 && (random() >>> 10) < newFlowThreshold))
        {
            flowId = nextNew++;
            opening = true;
            newFlows++;
            return;
        }
        flowId = cursor;
        cursor = cursor + 1 == liveFlows ? 0 : cursor + 1;
        opening = false;
    }

    /** @return the flow id of the current packet. */
    public long flowId()
    {
        return flowId;
    }

    /** @return true when the current packet opens a new connection (a SYN on a new 5-tuple). */
    public boolean opening()
    {
        return opening;
    }

    /** @return new connections opened so far. */
    public long newFlows()
    {
        return newFlows;
    }

    /** @return the number of established flows the plan cycles through. */
    public long liveFlows()
    {
        return liveFlows;
    }

    /** @return the client IPv4 address of a flow (big-endian int). */
    public static int sourceAddress(final long flowId)
    {
        return CLIENT_NETWORK | (int)(flowId & 0xFF_FFFF);
    }

    /** @return the client port of a flow. */
    public static int sourcePort(final long flowId)
    {
        return FIRST_PORT + (int)((flowId >>> 24) % PORTS);
    }

    /** @return 63 uniformly random bits (so {@code >>> 10} leaves 53, the scale of {@code newFlowThreshold}). */
    private long random()
    {
        // xorshift64*, as the traffic generator: cheap and repeatable.
        long x = rng;
        x ^= x >>> 12;
        x ^= x << 25;
        x ^= x >>> 27;
        rng = x;
        return (x * 0x2545F4914F6CDD1DL) >>> 1;
    }
}
