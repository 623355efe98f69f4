package io.panamux.slowpath.config;

import java.util.List;
import java.util.Map;

/**
 * Who is in the MUX pool, for flow ownership. Every MUX of a pool must see the same members, or their owner
 * choices differ and connections break under ECMP. The members come from the configuration
 * ({@link StaticPoolMembership}) or from the pool's store, where each live MUX holds a key under a lease
 * ({@code io.panamux.slowpath.pool.EtcdPoolMembership}, ARCHITECTURE.md §7); the control thread follows a
 * dynamic membership with {@code io.panamux.slowpath.peer.PoolRing}.
 */
public interface PoolMembership
{
    /**
     * The members now, in canonical order (ascending {@link IpAddress#compareTo}), so that MUXes that agree
     * on the set also agree on the list, whatever order a file wrote it in. A dynamic implementation may
     * return a different list on a later call; callers compare lists to notice a change.
     *
     * @return the members, never empty, no duplicates, immutable.
     */
    List<IpAddress> members();

    /**
     * Where members' peer messages go, for the members whose endpoint the membership knows (a store's members
     * announce theirs); the others use the {@code peers} section's ({@link Peers#endpointOf}).
     *
     * @return endpoints by member, possibly empty, immutable.
     */
    default Map<IpAddress, HostPort> peerEndpoints()
    {
        return Map.of();
    }

    /** @return whether {@link #members()} may change while the MUX runs (then flow ownership runs even while it is alone). */
    default boolean dynamic()
    {
        return false;
    }
}
