package io.panamux.slowpath.router;

import java.util.List;

import io.panamux.slowpath.config.IpAddress;

/**
 * Tells several {@link RouterControl}s the same instructions, in the order given: the MUX's log
 * ({@link InProcessRouterControl}) and its BGP speaker, so that the log shows every instruction the
 * speaker was given.
 */
public final class CompositeRouterControl implements RouterControl
{
    private final List<RouterControl> routers;

    /** @param routers told in this order. */
    public CompositeRouterControl(final List<RouterControl> routers)
    {
        this.routers = List.copyOf(routers);
    }

    @Override
    public void announce(final String vipKey, final IpAddress vip)
    {
        for (final RouterControl r : routers)
        {
            r.announce(vipKey, vip);
        }
    }

    @Override
    public void withdraw(final String vipKey, final IpAddress vip)
    {
        for (final RouterControl r : routers)
        {
            r.withdraw(vipKey, vip);
        }
    }

    @Override
    public void routeDirect(final String vipKey, final IpAddress vip, final IpAddress backend)
    {
        for (final RouterControl r : routers)
        {
            r.routeDirect(vipKey, vip, backend);
        }
    }

    @Override
    public void routeToPool(final String vipKey, final IpAddress vip)
    {
        for (final RouterControl r : routers)
        {
            r.routeToPool(vipKey, vip);
        }
    }
}
