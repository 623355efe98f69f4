package io.panamux.slowpath.config;

import java.util.List;

/**
 * Who is in the MUX pool, for flow ownership. Every MUX of a pool must see the same members, or their owner
 * choices differ and connections break under ECMP. Today the members come from the configuration
 * ({@link StaticPoolMembership}); a distributed store (membership from leases) can implement this
 * interface later without changing its callers.
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
}
