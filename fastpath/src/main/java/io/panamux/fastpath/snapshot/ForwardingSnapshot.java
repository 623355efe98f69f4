package io.panamux.fastpath.snapshot;

import io.panamux.flow.OwnerRing;

/**
 * Everything a worker needs to forward, as one immutable, versioned value (ARCHITECTURE.md §3): the VIP
 * table, every VIP's backends and Maglev tables, the pool-wide hash seed, the encapsulation settings and
 * the next hop's MAC (so that a new gateway MAC reaches a worker as every other change does, with no field
 * of the worker written from the control thread).
 * Built by the control thread, published through a {@link SnapshotSlot}, read by each worker once per
 * burst. Never changed after publication.
 *
 * @param version       increases with every publication.
 * @param hashSeed      the pool-wide seed of the flow hash used for backend choice.
 * @param tableSize     Maglev table size M (prime), the same for every VIP.
 * @param vips          VIPs by index.
 * @param vipTable      lookup of VIPs by address, port and protocol.
 * @param backendsById  backend by stable id (null where an id is unused), for flow-table hits.
 * @param owners        the owner of every flow over the MUX pool, or null when this MUX is alone.
 * @param self          this MUX's index in {@code owners}.
 * @param nextHopMac    the MAC encapsulated packets are sent to (the gateway's, configured or learnt by ARP),
 *                      or 0 while it is unknown: they are then dropped as {@code no_next_hop}.
 */
public record ForwardingSnapshot(long version, long hashSeed, int tableSize, Vip[] vips, VipTable vipTable, Backend[] backendsById,
    OwnerRing owners, int self, long nextHopMac)
{
    /** An empty snapshot: no VIPs; everything is dropped as not for a VIP. */
    public static ForwardingSnapshot empty(final long hashSeed)
    {
        return new ForwardingSnapshot(0, hashSeed, 65537, new Vip[0], new VipTable(new Vip[0]), new Backend[0], null, 0, 0);
    }

    /** @return whether another MUX of the pool owns the flow with this hash. */
    public boolean ownedElsewhere(final long hash)
    {
        return owners != null && owners.owner(hash) != self;
    }

    /** @return the backend with stable id {@code id}, or null when it is not in this snapshot. */
    public Backend backend(final int id)
    {
        return id >= 0 && id < backendsById.length ? backendsById[id] : null;
    }
}
