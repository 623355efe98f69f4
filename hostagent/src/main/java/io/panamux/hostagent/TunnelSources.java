package io.panamux.hostagent;

import java.util.ArrayList;
import java.util.List;

import org.agrona.collections.IntHashSet;
import org.agrona.collections.LongHashSet;

/**
 * Who may tunnel to this host and for what, from the {@code pool} section of the agent's file: the MUXes of
 * the pool (their tunnels may be offered a redirect), the hosts whose agents may tunnel here directly
 * (Fastpath, source-side selection), the VIPs the pool serves and the VIPs this host backs. Read on the hot
 * path without allocation; immutable after construction.
 */
public final class TunnelSources
{
    private final IntHashSet muxes = new IntHashSet();
    private final Prefix[] agents;
    private final LongHashSet servedVips = new LongHashSet();
    private final LongHashSet backedVips = new LongHashSet();

    /**
     * @param muxes  the MUXes of the pool.
     * @param agents prefixes of hosts whose agents may tunnel here.
     * @param served the VIPs the pool serves.
     * @param backed the VIPs this host backs.
     */
    public TunnelSources(final List<Integer> muxes, final List<Prefix> agents, final List<HostAgentConfig.ServedVip> served,
        final List<HostAgentConfig.ServedVip> backed)
    {
        muxes.forEach(this.muxes::add);
        this.agents = agents.toArray(new Prefix[0]);
        served.forEach(v -> servedVips.add(v.key()));
        backed.forEach(v -> backedVips.add(v.key()));
    }

    /**
     * @param config the agent's configuration: {@code pool.muxes}, {@code pool.agents} and
     *               {@code fastpath.offer-to}, {@code pool.vips} and {@code vips}, {@code agent.backs}.
     * @return who may tunnel to this host and for what.
     */
    public static TunnelSources of(final HostAgentConfig config)
    {
        final List<Prefix> agents = new ArrayList<>(config.pool().agents());
        config.fastpath().ifPresent(fp -> agents.addAll(fp.offerTo()));
        return new TunnelSources(config.pool().muxes(), agents, config.servedVips(), config.backs());
    }

    /** @return whether {@code address} is a MUX of the pool. */
    public boolean isMux(final int address)
    {
        return muxes.contains(address);
    }

    /** @return whether a tunnel whose outer source is {@code address} may be opened: a MUX or an agent's host. */
    public boolean mayTunnel(final int address)
    {
        if (muxes.contains(address))
        {
            return true;
        }
        for (final Prefix p : agents)
        {
            if (p.contains(address))
            {
                return true;
            }
        }
        return false;
    }

    /** @return whether the pool serves this VIP (a redirect may be accepted for a flow to it). */
    public boolean served(final int address, final int port, final int protocol)
    {
        return servedVips.contains(HostAgentConfig.ServedVip.key(address, port, protocol));
    }

    /** @return whether this host is a backend of this VIP (a flow to it may be offered a redirect). */
    public boolean backed(final int address, final int port, final int protocol)
    {
        return backedVips.contains(HostAgentConfig.ServedVip.key(address, port, protocol));
    }
}
