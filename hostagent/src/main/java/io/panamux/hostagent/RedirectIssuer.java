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
 * its source is inside one of the {@code offer-to} prefixes (hosts that run an agent), it is IPv4 TCP or UDP,
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
    private final Prefix[] offerTo;
    private final TunnelSources sources;
    private final HostAgentCounters counters;
    private final int resendMillis;
    private final int leaseMillis;

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
        if (inner.ipVersion != 4 || inner.isFragment || inner.icmpError || (inner.protocol != TCP && inner.protocol != UDP)
            || outerSource == inner.srcV4 || (inner.protocol == TCP && (inner.tcpFlags & TCP_FIN_RST) != 0) || !offered(inner.srcV4))
        {
            return false;
        }
        if (!sources.isMux(outerSource) || !sources.backed(inner.dstV4, inner.dstPort, inner.protocol))
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
