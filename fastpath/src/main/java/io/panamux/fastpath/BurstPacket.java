package io.panamux.fastpath;

import io.panamux.fastpath.packet.PacketInfo;

/**
 * One packet of the burst a worker is forwarding: what the parser found in it, and what the worker's stages
 * decided about it, in one object. The stages read a packet's values from here rather than from an array per
 * value: one reference per packet instead of eight arrays, each of which C2 held in a register or reloaded
 * (with the arrays, {@code forwardBurst} spilled and reloaded them around the tunnel header).
 *
 * <p>The worker owns one per packet of a burst and reuses them: the fast path allocates nothing.
 */
final class BurstPacket extends PacketInfo
{
    /** The mbuf. */
    long mbuf;
    /** 0 to forward, or the {@code DropReason} ordinal (or ARP: to the control thread). */
    int verdict;
    /** Index of its VIP in the snapshot, when {@link #verdict} is 0. */
    int vip;
    /** Stage one's Maglev choice: an index into the VIP's backends, {@code BY_FLOW_TABLE} or {@code NONE}. */
    int choice;
    /** The flow's hash with the pool's seed. */
    long hash;
    /** The flow's hash with the flow table's seed (its buckets), for a VIP that records flows. */
    long placement;
    /**
     * Where its flow is in its first bucket ({@code FlowTable.probeFirstV4}, found a group ahead of use), -1 when
     * it is not there or was not looked for, {@code PROBE} until it is.
     */
    long hint;
}
