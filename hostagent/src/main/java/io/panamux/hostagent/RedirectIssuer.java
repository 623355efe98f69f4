package io.panamux.hostagent;

import java.util.List;

import io.panamux.flow.FlowTable;
import io.panamux.flow.FlowVisitor;
import io.panamux.fastpath.packet.PacketInfo;

/**
 * The destination side of Fastpath: decides, for each packet that reached this backend through a MUX,
 * whether to tell the client's agent to send the rest of the flow here directly (ARCHITECTURE.md §1 item 5).
 *
 * <p>A flow is offered a redirect when its first packet arrives through a MUX of the pool (the outer source
 * is one of {@code pool.muxes}, and not the inner source), to a VIP this host backs ({@code agent.backs}),
 * its source is inside one of the {@code offer-to} prefixes (hosts that run an agent), it is TCP or UDP (IPv4 or IPv6),
 * not a fragment, and not a TCP FIN or RST (a closing flow gains nothing). The first two conditions keep an
 * outsider, who can send this host tunnel packets with any inner addresses, from making it sign a redirect
 * that steers a client host's traffic for some other destination here ({@code redirects_not_offered}). If packets of the
 * flow keep coming through a MUX (the redirect was lost, or refused), it is offered again, at most once per
 * {@code resend} interval. The flows offered are remembered (idle for the lease, they are forgotten), so that
 * the agent can revoke them all when it stops.
 *
 * <p>Agent thread only. Time is in milliseconds since the agent started.
 */
public final class RedirectIssuer implements AutoCloseable
{
    private static final int TCP = 6;
    private static final int UDP = 17;
    private static final int TCP_FIN_RST = 0x05;

    private final FlowTable offered;
    private Prefix[] offerTo;
    private Prefix6[] offerTo6;
    private TunnelSources sources;
    private final HostAgentCounters counters;
    private int resendMillis;
    private int leaseMillis;

    /**
     * @param capacity     flows remembered.
     * @param offerTo      prefixes of hosts that run an agent.
     * @param resendMillis interval between offers for a flow that keeps coming through a MUX.
     * @param leaseMillis  an offered flow idle this long is forgotten.
     * @param sources      the pool's MUXes and the VIPs this host backs.
     * @param counters     where flows refused an offer are counted.
     */
    public RedirectIssuer(final int capacity, final List<Prefix> offerTo, final int resendMillis, final int leaseMillis,
        final TunnelSources sources, final HostAgentCounters counters)
    {
        this(capacity, offerTo, List.of(), resendMillis, leaseMillis, sources, counters);
    }

    /**
     * @param capacity     flows remembered.
     * @param offerTo      IPv4 prefixes of hosts that run an agent.
     * @param offerTo6     IPv6 prefixes of hosts that run an agent.
     * @param resendMillis interval between offers for a flow that keeps coming through a MUX.
     * @param leaseMillis  an offered flow idle this long is forgotten.
     * @param sources      the pool's MUXes and the VIPs this host backs.
     * @param counters     where flows refused an offer are counted.
     */
    public RedirectIssuer(final int capacity, final List<Prefix> offerTo, final List<Prefix6> offerTo6, final int resendMillis,
        final int leaseMillis, final TunnelSources sources, final HostAgentCounters counters)
    {
        this.offerTo6 = offerTo6.toArray(new Prefix6[0]);
        this.sources = sources;
        this.counters = counters;
        this.offered = new FlowTable(capacity);
        this.offerTo = offerTo.toArray(new Prefix[0]);
        this.resendMillis = resendMillis;
        this.leaseMillis = leaseMillis;
    }

    /**
     * @param inner       the decapsulated packet, parsed.
     * @param outerSource the tunnel's source.
     * @param nowMillis   the agent's clock.
     * @return whether a redirect for this flow should be sent now (it is then recorded as sent).
     */
    public boolean due(final PacketInfo inner, final int outerSource, final int nowMillis)
    {
        return due(inner, sources.isMux(outerSource), inner.ipVersion == 4 && outerSource == inner.srcV4, nowMillis);
    }

    /**
     * @param inner     the decapsulated packet (IPv4 or IPv6), parsed.
     * @param fromMux   whether the tunnel's outer source is a MUX of the pool (of either family).
     * @param direct    whether the tunnel came from the flow's own source (its agent: already direct).
     * @param nowMillis the agent's clock.
     * @return whether a redirect for this flow should be sent now (it is then recorded as sent).
     */
    public boolean due(final PacketInfo inner, final boolean fromMux, final boolean direct, final int nowMillis)
    {
        if (inner.ipVersion == 6)
        {
            return due6(inner, fromMux, direct, nowMillis);
        }
        if (inner.ipVersion != 4 || inner.isFragment || inner.icmpError || (inner.protocol != TCP && inner.protocol != UDP)
            || direct || (inner.protocol == TCP && (inner.tcpFlags & TCP_FIN_RST) != 0) || !offered(inner.srcV4))
        {
            return false;
        }
        if (!fromMux || !sources.backed(inner.dstV4, inner.dstPort, inner.protocol))
        {
            counters.add(HostAgentCounters.REDIRECTS_NOT_OFFERED, 1);
            return false;
        }
        final long value = offered.findV4(inner.srcV4, inner.dstV4, inner.srcPort, inner.dstPort, inner.protocol, nowMillis);
        if (value != FlowTable.MISSING && nowMillis - FlowTable.backendId(value) < resendMillis)
        {
            return false;
        }
        // The time of the offer goes where a backend id would: this table only needs when.
        offered.putV4(inner.srcV4, inner.dstV4, inner.srcPort, inner.dstPort, inner.protocol, nowMillis, 0, nowMillis);
        return true;
    }

    /**
     * A reloaded configuration (agent thread): the flows offered are still remembered (and revoked at stop).
     *
     * @param offerTo      IPv4 prefixes of hosts that run an agent.
     * @param offerTo6     IPv6 prefixes of hosts that run an agent.
     * @param resendMillis interval between offers for a flow that keeps coming through a MUX.
     * @param leaseMillis  an offered flow idle this long is forgotten.
     * @param sources      the pool's MUXes and the VIPs this host backs.
     */
    public void reconfigure(final List<Prefix> offerTo, final List<Prefix6> offerTo6, final int resendMillis, final int leaseMillis,
        final TunnelSources sources)
    {
        this.offerTo = offerTo.toArray(new Prefix[0]);
        this.offerTo6 = offerTo6.toArray(new Prefix6[0]);
        this.resendMillis = resendMillis;
        this.leaseMillis = leaseMillis;
        this.sources = sources;
    }

    private boolean due6(final PacketInfo inner, final boolean fromMux, final boolean direct, final int nowMillis)
    {
        if (inner.isFragment || inner.icmpError || (inner.protocol != TCP && inner.protocol != UDP) || direct
            || (inner.protocol == TCP && (inner.tcpFlags & TCP_FIN_RST) != 0) || !offered6(inner.srcHi, inner.srcLo))
        {
            return false;
        }
        if (!fromMux || !sources.backed6(inner.dstHi, inner.dstLo, inner.dstPort, inner.protocol))
        {
            counters.add(HostAgentCounters.REDIRECTS_NOT_OFFERED, 1);
            return false;
        }
        final long value = offered.findV6(inner.srcHi, inner.srcLo, inner.dstHi, inner.dstLo, inner.srcPort, inner.dstPort, inner.protocol,
            nowMillis);
        if (value != FlowTable.MISSING && nowMillis - FlowTable.backendId(value) < resendMillis)
        {
            return false;
        }
        offered.putV6(inner.srcHi, inner.srcLo, inner.dstHi, inner.dstLo, inner.srcPort, inner.dstPort, inner.protocol, nowMillis, 0,
            nowMillis);
        return true;
    }

    private boolean offered6(final long hi, final long lo)
    {
        for (final Prefix6 p : offerTo6)
        {
            if (p.contains(hi, lo))
            {
                return true;
            }
        }
        return false;
    }

    private boolean offered(final int source)
    {
        for (final Prefix p : offerTo)
        {
            if (p.contains(source))
            {
                return true;
            }
        }
        return false;
    }

    /** Forgets flows idle for the lease, a few buckets per call. */
    public void expire(final int nowMillis)
    {
        offered.expire(nowMillis, leaseMillis, 64);
    }

    /**
     * Visits the flows offered and not yet forgotten (to revoke them).
     *
     * @param visitor receives each flow.
     * @param limit   most flows visited.
     * @return flows visited.
     */
    public int forEach(final FlowVisitor visitor, final int limit)
    {
        return offered.forEach(visitor, limit);
    }

    /** @return flows remembered. */
    public long size()
    {
        return offered.size();
    }

    @Override
    public void close()
    {
        offered.close();
    }
}
