package io.panamux.slowpath.peer;

import java.util.List;

import io.panamux.fastpath.ring.ControlToWorker;
import io.panamux.fastpath.snapshot.Backend;
import io.panamux.fastpath.snapshot.ForwardingSnapshot;
import io.panamux.fastpath.snapshot.SnapshotSlot;
import io.panamux.fastpath.snapshot.Vip;
import io.panamux.flow.FlowTable;
import io.panamux.flow.OwnerRing;
import io.panamux.slowpath.config.IpAddress;
import io.panamux.slowpath.peer.PeerEndpoint.Peer;

/**
 * What the roles of {@link FlowOwnership} share, in one place: the peer endpoint (its socket and its one send
 * buffer), the counters, the owner's store, the snapshots, the workers' flow tables (read only) and command
 * queues, and the time of the current duty cycle. It also holds the lookups every role makes: the peer that
 * owns a flow (with the ring's members resolved to peers once per ring), a flow's VIP, a VIP's backend by
 * address, and recording a flow in a worker's table.
 *
 * <p>Who writes what: {@link FlowOwnership} sets {@link #nowNs} at the start of each duty cycle and forgets the
 * resolved peers when the members change ({@link #forgetPeers}); the store is written by the owner
 * ({@link FlowOwner}: learned and decided flows) and read by the ring follower ({@link RingFollower}); the
 * send buffer is filled and sent within one call, never across calls. Control thread only.
 */
final class PoolContext
{
    final PeerEndpoint endpoint;
    final PeerCounters counters;
    final OwnerStore store;
    final SnapshotSlot snapshots;
    final List<FlowTable> tables;
    final List<ControlToWorker> commands;
    /** The time of the current duty cycle (messages read in it are handled at this time). */
    long nowNs;
    private OwnerRing ring;
    private Peer[] peerOfMember = new Peer[0];

    PoolContext(final PeerEndpoint endpoint, final PeerCounters counters, final OwnerStore store, final SnapshotSlot snapshots,
        final List<FlowTable> tables, final List<ControlToWorker> commands)
    {
        this.endpoint = endpoint;
        this.counters = counters;
        this.store = store;
        this.snapshots = snapshots;
        this.tables = List.copyOf(tables);
        this.commands = List.copyOf(commands);
    }

    /** The peers changed (objects may differ under the same ring): members are resolved again on next use. */
    void forgetPeers()
    {
        ring = null;
    }

    /** @return the peer that owns the flow, or null when this MUX owns it (or the pool has no other member it knows). */
    Peer ownerOf(final ForwardingSnapshot snap, final long hash)
    {
        final OwnerRing owners = snap.owners();
        if (owners == null)
        {
            return null;
        }
        if (owners != ring)
        {
            ring = owners;
            final Peer[] byMember = new Peer[owners.size()];
            for (int i = 0; i < byMember.length; i++)
            {
                byMember[i] = endpoint.peer(IpAddress.parse(owners.member(i)));
            }
            peerOfMember = byMember;
        }
        final int owner = owners.owner(hash);
        return owner == snap.self() ? null : peerOfMember[owner];
    }

    /** Records the flow in a worker's table (flags 0); a full command queue is counted and leaves it pending. */
    void putFlow(final int worker, final PeerFlow f, final int backendId)
    {
        if (!commands.get(worker).putFlow(f.v6(), f.srcHi(), f.srcLo(), f.dstHi(), f.dstLo(), f.srcPort(), f.dstPort(), f.protocol(),
            backendId, 0))
        {
            // The worker's flow stays pending: its next packet asks again.
            counters.add(PeerCounters.COMMANDS_FULL, 1);
        }
    }

    static Vip vipOf(final ForwardingSnapshot snap, final PeerFlow f)
    {
        final int index = f.v6() ? snap.vipTable().findV6(f.dstHi(), f.dstLo(), f.dstPort(), f.protocol())
            : snap.vipTable().findV4(f.dstV4(), f.dstPort(), f.protocol());
        return index >= 0 ? snap.vips()[index] : null;
    }

    static Backend byAddress(final Vip vip, final IpAddress address)
    {
        for (final Backend b : vip.backends())
        {
            if (PeerFlow.hasAddress(b, address))
            {
                return b;
            }
        }
        return null;
    }
}
