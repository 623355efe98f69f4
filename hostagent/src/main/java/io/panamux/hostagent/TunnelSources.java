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
    // IPv6: a pool has a handful of MUXes and VIPs, so flat arrays scanned in order (no allocation, no hashing).
    private final long[] muxes6;
    private final Prefix6[] agents6;
    private final long[] servedVips6;
    private final long[] backedVips6;

    /**
     * @param muxes  the MUXes of the pool.
     * @param agents prefixes of hosts whose agents may tunnel here.
     * @param served the VIPs the pool serves.
     * @param backed the VIPs this host backs.
     */
    public TunnelSources(final List<Integer> muxes, final List<Prefix> agents, final List<HostAgentConfig.ServedVip> served,
        final List<HostAgentConfig.ServedVip> backed)
    {
        this(muxes, agents, served, backed, List.of(), List.of());
    }

    /**
     * @param muxes   the MUXes of the pool (IPv4).
     * @param agents  IPv4 prefixes of hosts whose agents may tunnel here.
     * @param served  the VIPs the pool serves (both families).
     * @param backed  the VIPs this host backs (both families).
     * @param muxes6  the MUXes of the pool (IPv6).
     * @param agents6 IPv6 prefixes of hosts whose agents may tunnel here.
     */
    public TunnelSources(final List<Integer> muxes, final List<Prefix> agents, final List<HostAgentConfig.ServedVip> served,
        final List<HostAgentConfig.ServedVip> backed, final List<Ip6> muxes6, final List<Prefix6> agents6)
    {
        muxes.forEach(this.muxes::add);
        this.agents = agents.toArray(new Prefix[0]);
        served.stream().filter(v -> !v.v6()).forEach(v -> servedVips.add(v.key()));
        backed.stream().filter(v -> !v.v6()).forEach(v -> backedVips.add(v.key()));
        this.muxes6 = new long[2 * muxes6.size()];
        for (int i = 0; i < muxes6.size(); i++)
        {
            this.muxes6[2 * i] = muxes6.get(i).hi();
            this.muxes6[2 * i + 1] = muxes6.get(i).lo();
        }
        this.agents6 = agents6.toArray(new Prefix6[0]);
        this.servedVips6 = vips6(served);
        this.backedVips6 = vips6(backed);
    }

    // Three longs per VIP: address high, address low, port << 8 | protocol.
    private static long[] vips6(final List<HostAgentConfig.ServedVip> vips)
    {
        final List<HostAgentConfig.ServedVip> v6 = vips.stream().filter(HostAgentConfig.ServedVip::v6).toList();
        final long[] out = new long[3 * v6.size()];
        for (int i = 0; i < v6.size(); i++)
        {
            out[3 * i] = v6.get(i).address6().hi();
            out[3 * i + 1] = v6.get(i).address6().lo();
            out[3 * i + 2] = (long)v6.get(i).port() << 8 | v6.get(i).protocol();
        }
        return out;
    }

    private static boolean contains6(final long[] vips, final long hi, final long lo, final int port, final int protocol)
    {
        final long portProtocol = (long)port << 8 | protocol;
        for (int i = 0; i < vips.length; i += 3)
        {
            if (vips[i] == hi && vips[i + 1] == lo && vips[i + 2] == portProtocol)
            {
                return true;
            }
        }
        return false;
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
        final List<Prefix6> agents6 = new ArrayList<>(config.pool().agents6());
        config.fastpath().ifPresent(fp -> agents6.addAll(fp.offerTo6()));
        return new TunnelSources(config.pool().muxes(), agents, config.servedVips(), config.backs(), config.pool().muxes6(), agents6);
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

    /** @return whether {@code hi:lo} is a MUX of the pool (IPv6). */
    public boolean isMux6(final long hi, final long lo)
    {
        for (int i = 0; i < muxes6.length; i += 2)
        {
            if (muxes6[i] == hi && muxes6[i + 1] == lo)
            {
                return true;
            }
        }
        return false;
    }

    /** @return whether a tunnel whose IPv6 outer source is {@code hi:lo} may be opened: a MUX or an agent's host. */
    public boolean mayTunnel6(final long hi, final long lo)
    {
        if (isMux6(hi, lo))
        {
            return true;
        }
        for (final Prefix6 p : agents6)
        {
            if (p.contains(hi, lo))
            {
                return true;
            }
        }
        return false;
    }

    /** @return whether the pool serves this IPv6 VIP. */
    public boolean served6(final long hi, final long lo, final int port, final int protocol)
    {
        return contains6(servedVips6, hi, lo, port, protocol);
    }

    /** @return whether this host is a backend of this IPv6 VIP. */
    public boolean backed6(final long hi, final long lo, final int port, final int protocol)
    {
        return contains6(backedVips6, hi, lo, port, protocol);
    }
}
