package io.panamux.slowpath.arp;

import java.io.PrintStream;
import java.util.function.LongConsumer;

import io.panamux.common.net.MacAddress;
import io.panamux.dpdk.Mbuf;
import io.panamux.slowpath.config.IpAddress;
import io.panamux.slowpath.control.ControlAgent;
import io.panamux.slowpath.control.ControlPort;
import io.panamux.sys.LineRateLimit;

/**
 * The MUX's ARP on the data port (ARCHITECTURE.md §3 "answers ARP"), a control-thread duty over a
 * {@link ControlPort}:
 * <ul>
 *   <li>answers requests for {@code mux.address} (in place, in the request's own mbuf, keeping its VLAN
 *       tag), and, if asked to, announces that address once with a gratuitous ARP when it starts;</li>
 *   <li>when a gateway is to be resolved ({@code dataplane.gateway} without {@code gateway-mac}), asks
 *       who has it every {@code retryNs} until it is known, then again every {@code refreshNs}; learns its
 *       MAC from any ARP frame the gateway sends (reply, request or gratuitous), and publishes every new
 *       MAC to the workers' encapsulators through {@code gatewayMacSink} (their setter is safe from the
 *       control thread). A MAC once known stays in use while a refresh goes unanswered: a silent gateway
 *       is better tried than certainly dropped.</li>
 * </ul>
 * Other frames are freed. Control thread only.
 */
public final class ArpEndpoint implements ControlAgent.Duty
{
    /** Frames handled per duty cycle at most. */
    private static final int POLL_LIMIT = 32;

    private final ControlPort io;
    private final long portMac;
    private final int muxIp;
    private final int gatewayIp;
    private final boolean resolve;
    private final LongConsumer gatewayMacSink;
    private final long retryNs;
    private final long refreshNs;
    private final PrintStream log;
    private final boolean announce;
    private final ControlPort.PacketHandler handler = this::onFrame;
    /** ARP replies are packets anyone on the segment can send: a gateway that "moves" is logged at a bounded rate. */
    private final LineRateLimit moveLines = new LineRateLimit(5, 10_000_000_000L);

    private long nowNs;
    private long gatewayMac;
    private long nextQueryNs;
    private boolean announced;
    private long requestsAnswered;
    private long queriesSent;
    private long framesIgnored;
    private long sendFailures;

    /**
     * @param io             packet I/O of the control thread.
     * @param portMac        the data port's MAC.
     * @param muxAddress     {@code mux.address}: the address answered for.
     * @param gateway        the gateway to resolve, or null when its MAC is configured.
     * @param gatewayMacSink receives each newly learnt gateway MAC.
     * @param retryNs        time between requests while the gateway is unresolved.
     * @param refreshNs      time after which a resolved gateway is asked again.
     * @param log            where a learnt or changed gateway MAC is reported, or null.
     * @param announce       whether to send a gratuitous ARP for {@code muxAddress} when it starts.
     */
    public ArpEndpoint(final ControlPort io, final long portMac, final IpAddress muxAddress, final IpAddress gateway,
        final LongConsumer gatewayMacSink, final long retryNs, final long refreshNs, final PrintStream log, final boolean announce)
    {
        this.announce = announce;
        this.io = io;
        this.portMac = portMac;
        this.muxIp = muxAddress.ipv4();
        this.resolve = gateway != null;
        this.gatewayIp = gateway == null ? 0 : gateway.ipv4();
        this.gatewayMacSink = gatewayMacSink;
        this.retryNs = retryNs;
        this.refreshNs = refreshNs;
        this.log = log;
    }

    @Override
    public int doWork(final long nowNs)
    {
        this.nowNs = nowNs;
        int work = 0;
        if (!announced)
        {
            announced = true;
            nextQueryNs = nowNs;
            if (announce)
            {
                // Gratuitous ARP: the router learns (or updates) the MUX's MAC at once.
                work += sendFrame(ArpFrame.BROADCAST, ArpFrame.REQUEST, muxIp, 0, muxIp) ? 1 : 0;
            }
        }
        work += io.poll(handler, POLL_LIMIT);
        if (resolve && nowNs - nextQueryNs >= 0)
        {
            queriesSent++;
            sendFrame(ArpFrame.BROADCAST, ArpFrame.REQUEST, muxIp, 0, gatewayIp);
            // Unanswered, it is asked again after retryNs; an answer moves the next question to refreshNs.
            nextQueryNs = nowNs + retryNs;
            work++;
        }
        return work;
    }

    private void onFrame(final long mbuf)
    {
        final long frame = Mbuf.dataAddress(mbuf);
        final int offset = ArpFrame.arpOffset(frame, Mbuf.dataLength(mbuf));
        if (offset < 0)
        {
            framesIgnored++;
            io.free(mbuf);
            return;
        }
        final long arp = frame + offset;
        final int operation = ArpFrame.operation(arp);
        final int senderIp = ArpFrame.senderIp(arp);
        final long senderMac = ArpFrame.senderMac(arp);
        if (resolve && senderIp == gatewayIp && ArpFrame.isUnicast(senderMac))
        {
            learn(senderMac);
        }
        if (operation == ArpFrame.REQUEST && ArpFrame.targetIp(arp) == muxIp && senderIp != muxIp && ArpFrame.isUnicast(senderMac))
        {
            ArpFrame.turnIntoReply(frame, offset, portMac, muxIp);
            requestsAnswered++;
            if (!io.send(mbuf))
            {
                sendFailures++;
                io.free(mbuf);
            }
            return;
        }
        framesIgnored += operation == ArpFrame.REPLY || operation == ArpFrame.REQUEST ? 0 : 1;
        io.free(mbuf);
    }

    private void learn(final long mac)
    {
        // Answered: the next question is a refresh, not a retry.
        nextQueryNs = nowNs + refreshNs;
        if (mac != gatewayMac)
        {
            if (log != null && moveLines.permit(nowNs))
            {
                log.println("panamux: gateway " + IpAddress.ofIpv4(gatewayIp) + " is at " + MacAddress.format(mac) +
                    (gatewayMac == 0 ? "" : " (was " + MacAddress.format(gatewayMac) + ")") + moveLines.suppressedNote());
            }
            gatewayMac = mac;
            gatewayMacSink.accept(mac);
        }
    }

    private boolean sendFrame(final long ethDestination, final int operation, final int senderIp, final long targetMac, final int targetIp)
    {
        final long mbuf = io.allocate();
        if (mbuf == 0)
        {
            sendFailures++;
            return false;
        }
        final int length = ArpFrame.write(Mbuf.dataAddress(mbuf), ethDestination, operation, portMac, senderIp, targetMac, targetIp);
        Mbuf.length(mbuf, length);
        if (!io.send(mbuf))
        {
            sendFailures++;
            io.free(mbuf);
            return false;
        }
        return true;
    }

    /** @return the gateway's MAC as last learnt, 0 while unknown. */
    public long gatewayMac()
    {
        return gatewayMac;
    }

    /** @return requests for the MUX's address answered. */
    public long requestsAnswered()
    {
        return requestsAnswered;
    }

    /** @return who-has requests sent for the gateway. */
    public long queriesSent()
    {
        return queriesSent;
    }

    /** @return frames freed without an answer because they were not ARP for IPv4 over Ethernet. */
    public long framesIgnored()
    {
        return framesIgnored;
    }

    /** @return frames that could not be allocated or queued. */
    public long sendFailures()
    {
        return sendFailures;
    }
}
