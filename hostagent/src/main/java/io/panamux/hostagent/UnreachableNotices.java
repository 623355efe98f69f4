package io.panamux.hostagent;

import io.panamux.dpdk.Mbuf;
import io.panamux.dpdk.Memory;
import io.panamux.fastpath.packet.EthernetHeader;
import io.panamux.fastpath.packet.IcmpHeader;
import io.panamux.fastpath.packet.Icmpv6Header;
import io.panamux.fastpath.packet.Ipv4Header;
import io.panamux.fastpath.packet.Ipv6Header;

/**
 * The host agent's reading of ICMP errors from the network (its {@link HostAgent#onNetwork} hands it every frame
 * that is neither a tunnel nor a Fastpath message, when the agent accepts redirects): a "destination unreachable"
 * about a tunnel packet this host sent to a backend sends that backend's redirected flows back to the VIP
 * ({@link Redirects#unreachable}). It only reads the frame, which goes on to the kernel. Agent thread only.
 */
final class UnreachableNotices
{
    private static final int TCP = 6;
    private static final int UDP = 17;
    private static final int ICMP_DEST_UNREACHABLE = 3;
    /**
     * The "destination unreachable" codes that mean the backend cannot be reached (RFC 792, RFC 1122 §3.2.2.1,
     * RFC 1812 §5.2.7.1), one bit per code: net, host, protocol (no IP-in-IP there), network/host unknown,
     * network/host/communication administratively prohibited. Not 4 (fragmentation needed: the path is there,
     * the packet was too big), nor the source-route, TOS and precedence codes.
     */
    private static final int UNREACHABLE_CODES = 1 | 1 << 1 | 1 << 2 | 1 << 6 | 1 << 7 | 1 << 9 | 1 << 10 | 1 << 13;
    private static final int ICMPV6 = 58;
    /**
     * The ICMPv6 "destination unreachable" codes that mean the backend cannot be reached (RFC 4443 §3.1): no
     * route, administratively prohibited, address unreachable, source address failed policy, reject route. Not
     * 2 (beyond the scope of the source address) nor 4 (port unreachable: the tunnel has no port).
     */
    private static final int UNREACHABLE6_CODES = 1 | 1 << 1 | 1 << 3 | 1 << 5 | 1 << 6;

    private final int address;
    private final boolean hasAddress6;
    private final long address6Hi;
    private final long address6Lo;
    private final Redirects redirects;
    private final HostAgentCounters counters;

    /**
     * @param address   this host's IPv4 address (an agent's addresses never change while it runs).
     * @param address6  this host's IPv6 address, or null.
     * @param redirects the redirected flows, which an error about their backend sends back to the VIP.
     * @param counters  counts the errors that were ignored.
     */
    UnreachableNotices(final int address, final Ip6 address6, final Redirects redirects, final HostAgentCounters counters)
    {
        this.address = address;
        this.hasAddress6 = address6 != null;
        this.address6Hi = address6 == null ? 0 : address6.hi();
        this.address6Lo = address6 == null ? 0 : address6.lo();
        this.redirects = redirects;
        this.counters = counters;
    }

    /**
     * An ICMP "destination unreachable" about a tunnel packet this host sent to a backend means the backend
     * went away: its redirected flows go back to the VIP. Only when the code means unreachable and the quote
     * shows a packet this agent sent (outer source this host, IP-in-IP, and the inner 5-tuple a flow
     * redirected to the quoted destination): anyone can send an ICMP error, so an unchecked one would move
     * flows off their tunnel at an outsider's word. The frame still goes to the kernel.
     */
    void notice(final long m)
    {
        final long frame = Mbuf.dataAddress(m);
        final int length = Mbuf.dataLength(m);
        if (hasAddress6 && length >= EthernetHeader.LENGTH + 2 * Ipv6Header.LENGTH + Icmpv6Header.LENGTH
            && Memory.getU16Be(frame + EthernetHeader.ETHER_TYPE_OFFSET) == EthernetHeader.TYPE_IPV6)
        {
            noticeUnreachable6(frame, length);
            return;
        }
        if (length < EthernetHeader.LENGTH + 2 * Ipv4Header.MIN_LENGTH + IcmpHeader.LENGTH
            || Memory.getU16Be(frame + EthernetHeader.ETHER_TYPE_OFFSET) != EthernetHeader.TYPE_IPV4)
        {
            return;
        }
        final long ip = frame + EthernetHeader.LENGTH;
        final int ihl = (Memory.getU8(ip) & 0xF) << 2;
        if (Memory.getU8(ip + Ipv4Header.PROTOCOL_OFFSET) != Ipv4Header.PROTOCOL_ICMP || ihl < Ipv4Header.MIN_LENGTH
            || EthernetHeader.LENGTH + ihl + IcmpHeader.LENGTH + Ipv4Header.MIN_LENGTH > length
            || Memory.getU8(ip + ihl) != ICMP_DEST_UNREACHABLE || Memory.getI32Be(ip + Ipv4Header.DESTINATION_OFFSET) != address)
        {
            return;
        }
        final long quote = ip + ihl + IcmpHeader.LENGTH;
        if (Memory.getU8(quote + Ipv4Header.PROTOCOL_OFFSET) != Ipv4Header.PROTOCOL_IPIP
            || Memory.getI32Be(quote + Ipv4Header.SOURCE_OFFSET) != address)
        {
            return;
        }
        // From here the error is about a tunnel packet from this host: acted on, or counted as ignored.
        final int code = Memory.getU8(ip + ihl + 1);
        final int quoteIhl = (Memory.getU8(quote) & 0xF) << 2;
        final long inner = quote + quoteIhl;
        final long end = frame + length;
        boolean acted = false;
        if (code < 32 && (UNREACHABLE_CODES & (1 << code)) != 0 && quoteIhl >= Ipv4Header.MIN_LENGTH
            && inner + Ipv4Header.MIN_LENGTH <= end && Memory.getU8(inner) >>> 4 == 4)
        {
            final int innerIhl = (Memory.getU8(inner) & 0xF) << 2;
            final int protocol = Memory.getU8(inner + Ipv4Header.PROTOCOL_OFFSET);
            final long ports = inner + innerIhl;
            if (innerIhl >= Ipv4Header.MIN_LENGTH && ports + 4 <= end && (protocol == TCP || protocol == UDP))
            {
                acted = redirects.unreachable(Memory.getI32Be(quote + Ipv4Header.DESTINATION_OFFSET),
                    Memory.getI32Be(inner + Ipv4Header.SOURCE_OFFSET), Memory.getI32Be(inner + Ipv4Header.DESTINATION_OFFSET),
                    Memory.getU16Be(ports), Memory.getU16Be(ports + 2), protocol);
            }
        }
        if (!acted)
        {
            counters.add(HostAgentCounters.UNREACHABLE_IGNORED, 1);
        }
    }

    /**
     * As {@link #notice}, for ICMPv6: a "destination unreachable" to this host's IPv6 address quoting
     * an IPv6-in-IPv6 packet from this host (the tunnel of a redirected IPv6 flow).
     */
    private void noticeUnreachable6(final long frame, final int length)
    {
        final long ip = frame + EthernetHeader.LENGTH;
        final long icmp = ip + Ipv6Header.LENGTH;
        if (Memory.getU8(ip + Ipv6Header.NEXT_HEADER_OFFSET) != ICMPV6 || Memory.getU8(icmp) != Icmpv6Header.TYPE_DESTINATION_UNREACHABLE
            || Memory.getI64Be(ip + Ipv6Header.DESTINATION_OFFSET) != address6Hi
            || Memory.getI64Be(ip + Ipv6Header.DESTINATION_OFFSET + 8) != address6Lo)
        {
            return;
        }
        final long quote = icmp + Icmpv6Header.LENGTH;
        if (Memory.getU8(quote + Ipv6Header.NEXT_HEADER_OFFSET) != Ipv4Header.PROTOCOL_IPV6
            || Memory.getI64Be(quote + Ipv6Header.SOURCE_OFFSET) != address6Hi
            || Memory.getI64Be(quote + Ipv6Header.SOURCE_OFFSET + 8) != address6Lo)
        {
            return;
        }
        final int code = Memory.getU8(icmp + 1);
        final long inner = quote + Ipv6Header.LENGTH;
        final long end = frame + length;
        final int protocol = inner + Ipv6Header.LENGTH <= end ? Memory.getU8(inner + Ipv6Header.NEXT_HEADER_OFFSET) : -1;
        boolean acted = false;
        if (code < 32 && (UNREACHABLE6_CODES & (1 << code)) != 0 && inner + Ipv6Header.LENGTH + 4 <= end && Memory.getU8(inner) >>> 4 == 6
            && (protocol == TCP || protocol == UDP))
        {
            final long ports = inner + Ipv6Header.LENGTH;
            acted = redirects.unreachable6(Memory.getI64Be(quote + Ipv6Header.DESTINATION_OFFSET),
                Memory.getI64Be(quote + Ipv6Header.DESTINATION_OFFSET + 8), Memory.getI64Be(inner + Ipv6Header.SOURCE_OFFSET),
                Memory.getI64Be(inner + Ipv6Header.SOURCE_OFFSET + 8), Memory.getI64Be(inner + Ipv6Header.DESTINATION_OFFSET),
                Memory.getI64Be(inner + Ipv6Header.DESTINATION_OFFSET + 8), Memory.getU16Be(ports), Memory.getU16Be(ports + 2), protocol);
        }
        if (!acted)
        {
            counters.add(HostAgentCounters.UNREACHABLE_IGNORED, 1);
        }
    }
}
