package io.panamux.slowpath.peer;

import java.util.ArrayList;
import java.util.List;

import io.panamux.fastpath.WorkerAgent;
import io.panamux.fastpath.snapshot.Backend;
import io.panamux.fastpath.snapshot.ForwardingSnapshot;
import io.panamux.fastpath.snapshot.Vip;
import io.panamux.flow.FlowTable;
import io.panamux.flow.FlowVisitor;
import io.panamux.flow.OwnerRing;
import io.panamux.slowpath.config.IpAddress;
import io.panamux.slowpath.peer.PeerEndpoint.Peer;

/**
 * {@link FlowOwnership}'s "When the pool changes": when the snapshot's owner ring changes, walks the workers'
 * flow tables a slice per duty cycle ({@link FlowOwnership#RESCAN_BUCKETS_PER_CYCLE}) and reports again, to
 * the new owner ({@link LearnedBatches}), every flow of a VIP in its stateful phase whose owner is no longer
 * the one it had under the rings in force before; and it hands the flows of the owner's store (learned from
 * peers, or decided) whose owner is now another member to that member. A ring rebuilt for the same members (a
 * republished pool) changes no owner and starts nothing. Control thread only.
 */
final class RingFollower
{
    /** Store entries handed to their new owner per duty cycle after a ring change. */
    private static final int HANDOVERS_PER_CYCLE = 2048;

    private final PoolContext pool;
    private final LearnedBatches batches;
    /** The ring (and self index) the last rescan was started for: a different one in the snapshot starts another. */
    private OwnerRing knownRing;
    private int knownSelf;
    /** The rings in force before the change being rescanned (null: this MUX was alone, so it owned everything). */
    private final List<OwnerRing> rescanFrom = new ArrayList<>();
    private final List<Integer> rescanFromSelf = new ArrayList<>();
    private int rescanTable = -1;
    private int rescanBucket;
    private List<PeerFlow> handovers = List.of();
    private int handoverIndex;
    private final FlowVisitor rescanVisitor = new FlowVisitor()
    {
        @Override
        public void onV4(final int srcAddr, final int dstAddr, final int srcPort, final int dstPort, final int protocol, final int backendId,
            final int lastSeen, final int flags)
        {
            reReport(PeerFlow.v4(srcAddr, dstAddr, srcPort, dstPort, protocol), backendId, flags);
        }

        @Override
        public void onV6(final long srcHi, final long srcLo, final long dstHi, final long dstLo, final int srcPort, final int dstPort,
            final int protocol, final int backendId, final int lastSeen, final int flags)
        {
            reReport(new PeerFlow(6, protocol, srcPort, dstPort, srcHi, srcLo, dstHi, dstLo), backendId, flags);
        }
    };

    /**
     * @param pool    the shared state; the ring in its current snapshot is the one known at start.
     * @param batches where flows reported again go.
     */
    RingFollower(final PoolContext pool, final LearnedBatches batches)
    {
        this.pool = pool;
        this.batches = batches;
        final ForwardingSnapshot snap = pool.snapshots.current();
        this.knownRing = snap.owners();
        this.knownSelf = snap.self();
    }

    /** @return whether flows are being reported again after a ring change. */
    boolean rescanning()
    {
        return rescanTable >= 0;
    }

    /** Starts (or restarts) a rescan when the snapshot's ring changed, and walks one slice of it. */
    int followRing()
    {
        final ForwardingSnapshot snap = pool.snapshots.current();
        if (snap.owners() != knownRing && sameMembers(snap.owners(), knownRing) && snap.self() == knownSelf)
        {
            // Rebuilt for the same members (a republished pool): every owner is the same.
            knownRing = snap.owners();
        }
        if (snap.owners() != knownRing || snap.self() != knownSelf)
        {
            // A change during a rescan restarts it, comparing with every ring since the last complete one:
            // reporting a flow twice to the same owner is harmless, missing one is not.
            rescanFrom.add(knownRing);
            rescanFromSelf.add(knownSelf);
            knownRing = snap.owners();
            knownSelf = snap.self();
            pool.counters.add(PeerCounters.RING_CHANGES, 1);
            rescanTable = 0;
            rescanBucket = 0;
            // The store is a LinkedHashMap reordered by every get: walk a copy of its keys.
            handovers = pool.store.flows();
            handoverIndex = 0;
        }
        if (rescanTable < 0)
        {
            return 0;
        }
        int work = 0;
        final int end = Math.min(handovers.size(), handoverIndex + HANDOVERS_PER_CYCLE);
        for (; handoverIndex < end; handoverIndex++)
        {
            work++;
            handOver(snap, handovers.get(handoverIndex));
        }
        if (handoverIndex < handovers.size())
        {
            return work;
        }
        if (rescanTable < pool.tables.size())
        {
            final FlowTable t = pool.tables.get(rescanTable);
            t.forEachInBuckets(rescanVisitor, rescanBucket, FlowOwnership.RESCAN_BUCKETS_PER_CYCLE);
            rescanBucket += FlowOwnership.RESCAN_BUCKETS_PER_CYCLE;
            if (rescanBucket >= t.bucketCount())
            {
                rescanTable++;
                rescanBucket = 0;
            }
            return work + 1;
        }
        rescanTable = -1;
        rescanFrom.clear();
        rescanFromSelf.clear();
        handovers = List.of();
        return work + 1;
    }

    private static boolean sameMembers(final OwnerRing a, final OwnerRing b)
    {
        return a != null && b != null && a.seed() == b.seed() && a.members().equals(b.members());
    }

    /** A flow of this MUX's tables, during a rescan: reported to its new owner when its owner changed. */
    private void reReport(final PeerFlow flow, final int backendId, final int flags)
    {
        if ((flags & WorkerAgent.FLAG_PENDING) != 0)
        {
            return;
        }
        final ForwardingSnapshot snap = pool.snapshots.current();
        final Vip vip = PoolContext.vipOf(snap, flow);
        final Backend backend = snap.backend(backendId);
        if (vip == null || vip.mode() != Vip.MODE_STATEFUL || backend == null || backend.vipIndex() != vip.index())
        {
            return;
        }
        final long hash = flow.hash(snap.hashSeed());
        final Peer owner = pool.ownerOf(snap, hash);
        if (owner == null || !ownerChanged(owner.address().toString(), hash))
        {
            return;
        }
        batches.queue(owner, flow, PeerFlow.addressOf(backend), pool.nowNs);
        pool.counters.add(PeerCounters.FLOWS_REPORTED_AGAIN, 1);
    }

    /** A flow of the store, during a rescan: given to its new owner when that is another member. */
    private void handOver(final ForwardingSnapshot snap, final PeerFlow flow)
    {
        final IpAddress backend = pool.store.peek(flow);
        if (backend == null)
        {
            return;
        }
        final Peer owner = pool.ownerOf(snap, flow.hash(snap.hashSeed()));
        if (owner != null)
        {
            batches.queue(owner, flow, backend, pool.nowNs);
            pool.counters.add(PeerCounters.STORE_HANDED_OVER, 1);
        }
    }

    /** @return whether {@code owner} differs from the flow's owner under any ring in force before the change. */
    private boolean ownerChanged(final String owner, final long hash)
    {
        for (int i = 0; i < rescanFrom.size(); i++)
        {
            final OwnerRing before = rescanFrom.get(i);
            final String was = before == null ? pool.endpoint.self().toString() : before.member(before.owner(hash));
            if (!was.equals(owner))
            {
                return true;
            }
        }
        return false;
    }
}
