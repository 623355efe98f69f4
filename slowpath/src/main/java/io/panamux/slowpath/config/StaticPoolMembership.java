package io.panamux.slowpath.config;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * A pool whose members are fixed: those of the configuration's {@code mux.pool}.
 */
public final class StaticPoolMembership implements PoolMembership
{
    private final List<IpAddress> members;

    /**
     * @param members the pool, in any order.
     * @throws IllegalArgumentException when {@code members} is empty or names an address twice.
     */
    public StaticPoolMembership(final Collection<IpAddress> members)
    {
        final List<IpAddress> sorted = new ArrayList<>(members);
        sorted.sort(null);
        if (sorted.isEmpty())
        {
            throw new IllegalArgumentException("a pool has at least one member");
        }
        for (int i = 1; i < sorted.size(); i++)
        {
            if (sorted.get(i).equals(sorted.get(i - 1)))
            {
                throw new IllegalArgumentException("pool member " + sorted.get(i) + " appears twice");
            }
        }
        this.members = List.copyOf(sorted);
    }

    /**
     * @param config a loaded configuration.
     * @return the membership of its {@code mux.pool}.
     */
    public static StaticPoolMembership fromConfig(final MuxConfig config)
    {
        return new StaticPoolMembership(config.mux().pool());
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public List<IpAddress> members()
    {
        return members;
    }

    /** @return the members, for logs. */
    @Override
    public String toString()
    {
        return "StaticPoolMembership" + members;
    }
}
