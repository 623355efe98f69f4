package io.panamux.fastpath.encap;

import io.panamux.dpdk.Mbuf;
import io.panamux.dpdk.Memory;
import io.panamux.fastpath.packet.Checksum;
import io.panamux.fastpath.packet.DropReason;
import io.panamux.fastpath.packet.EthernetHeader;
import io.panamux.fastpath.packet.IcmpHeader;
import io.panamux.fastpath.packet.Icmpv6Header;
import io.panamux.fastpath.packet.Ipv4Header;
import io.panamux.fastpath.packet.Ipv6Header;
import io.panamux.fastpath.packet.PacketInfo;
import io.panamux.fastpath.packet.VlanTag;

/**
 * Turns a packet that is too big to encapsulate ({@link DropReason#TOO_BIG}) into the ICMP reply that
 * tells its sender the path MTU, in the same mbuf: no allocation, no copy of the quoted bytes. The reply
 * goes back the way the packet came: Ethernet addresses swapped, same VLAN tag if it had one.
 *
 * <pre>
 *  IPv4: | Ethernet | IPv4 20, proto 1, VIP -&gt; client | ICMP 3/4, next-hop MTU | original IP packet,
 *          cut so the reply is at most 576 bytes of IP (RFC 1812 4.3.2.3) |
 *  IPv6: | Ethernet | IPv6 40, next header 58, VIP -&gt; client | ICMPv6 2/0, MTU | original IP packet,
 *          cut so the reply is at most 1280 bytes of IP (RFC 4443 2.4(c)) |
 * </pre>
 *
 * The reply's source is the VIP, the original destination (as Katran does): the client's stack matches
 * the quote to its connection, and the error then looks as if it came from the path to the VIP, which
 * it does. The new headers go in the headroom just before the original IP header, which becomes the
 * quote where it lies; the Ethernet trailer past the quote is cut. TTL / hop limit 64; the IPv4 reply
 * has DSCP CS6 (0xC0) as Linux gives its ICMP errors, no DF, and an identification from this writer's
 * counter.
 *
 * <p>No reply is made (RFC 1122 3.2.2, RFC 4443 2.4(e)) about an ICMP error, a non-first fragment, or a
 * packet whose source is not a unicast address: {@link DropReason#TOO_BIG_NO_REPLY}, the mbuf unchanged.
 *
 * <p>Replies are rate limited (RFC 4443 §2.4(f), RFC 1812 §4.3.2.8) by a token bucket of this writer, that
 * is per worker: at most {@link #DEFAULT_REPLIES_PER_SECOND} a second on average, in bursts of up to
 * {@link #DEFAULT_BURST} (Linux's {@code icmp_msgs_per_sec} and {@code icmp_msgs_burst}). Over the budget:
 * {@link DropReason#TOO_BIG_RATE_LIMITED}, the mbuf unchanged. The bucket is kept as a theoretical arrival
 * time (GCRA): one compare and one add per reply, no division, no allocation.
 * One instance per worker thread.
 */
public final class IcmpTooBigWriter
{
    /** Largest IPv4 reply (IP header included). */
    public static final int IPV4_REPLY_LIMIT = 576;
    /** Largest IPv6 reply (IP header included): the IPv6 minimum MTU. */
    public static final int IPV6_REPLY_LIMIT = 1280;
    /** DSCP/ECN of IPv4 replies: CS6, network control. */
    public static final int IPV4_REPLY_TOS = 0xC0;
    /** TTL / hop limit of replies. */
    public static final int REPLY_TTL = 64;
    /** Replies a second a writer (a worker) sends at most, on average. */
    public static final int DEFAULT_REPLIES_PER_SECOND = 1000;
    /** Replies a writer may send at once after a quiet spell. */
    public static final int DEFAULT_BURST = 50;

    private static final int OK = DropReason.NONE.ordinal();
    private static final int HEADROOM = DropReason.HEADROOM.ordinal();
    private static final int TOO_BIG_NO_REPLY = DropReason.TOO_BIG_NO_REPLY.ordinal();
    private static final int IPV4_PREFIX = Ipv4Header.MIN_LENGTH + IcmpHeader.LENGTH;
    private static final int IPV6_PREFIX = Ipv6Header.LENGTH + Icmpv6Header.LENGTH;

    private static final int RATE_LIMITED = DropReason.TOO_BIG_RATE_LIMITED.ordinal();

    private final long intervalNs;
    private final long toleranceNs;
    private long theoreticalArrivalNs;
    private boolean started;
    private int identification;

    /** Creates a writer with the default budget; one per worker. */
    public IcmpTooBigWriter()
    {
        this(DEFAULT_REPLIES_PER_SECOND, DEFAULT_BURST);
    }

    /**
     * @param repliesPerSecond the average rate of replies allowed (at least 1).
     * @param burst            replies allowed at once (at least 1).
     */
    public IcmpTooBigWriter(final int repliesPerSecond, final int burst)
    {
        if (repliesPerSecond < 1 || burst < 1)
        {
            throw new IllegalArgumentException("rate and burst must be at least 1: " + repliesPerSecond + ", " + burst);
        }
        this.intervalNs = 1_000_000_000L / repliesPerSecond;
        this.toleranceNs = (burst - 1) * intervalNs;
    }

    /**
     * Rewrites the mbuf into a "fragmentation needed" (IPv4, type 3 code 4) or "packet too big"
     * (IPv6, type 2) reply to the packet's sender.
     *
     * @param mbuf       the packet's mbuf (single segment), parsed into {@code info}, not yet changed.
     * @param info       the parser's result for it.
     * @param nextHopMtu the MTU to advertise: {@link TunnelEncapsulator#innerMtu(int, boolean)}.
     * @param nowNs      monotonic time now, for the rate limit.
     * @return 0 when the mbuf now holds the reply, ready to send on the port it came from, or
     * {@link DropReason#TOO_BIG_NO_REPLY}, {@link DropReason#TOO_BIG_RATE_LIMITED} or
     * {@link DropReason#HEADROOM} (the mbuf is unchanged).
     */
    public int write(final long mbuf, final PacketInfo info, final int nextHopMtu, final long nowNs)
    {
        if (info.icmpError || (info.isFragment && !info.isFirstFragment))
        {
            return TOO_BIG_NO_REPLY;
        }
        final boolean v6 = info.ipVersion == 6;
        if (v6 ? !isUnicastV6(info.srcHi, info.srcLo) : !isUnicastV4(info.srcV4))
        {
            return TOO_BIG_NO_REPLY;
        }
        final int prefix = v6 ? IPV6_PREFIX : IPV4_PREFIX;
        if (Mbuf.headroom(mbuf) < prefix)
        {
            return HEADROOM;
        }
        if (!started)
        {
            theoreticalArrivalNs = nowNs;
            started = true;
        }
        if (nowNs - (theoreticalArrivalNs - toleranceNs) < 0)
        {
            return RATE_LIMITED;
        }
        theoreticalArrivalNs = Math.max(theoreticalArrivalNs, nowNs) + intervalNs;

        final long oldFrame = Mbuf.dataAddress(mbuf);
        final int l2Length = info.l3Offset;
        final long clientMac = EthernetHeader.source(oldFrame);
        final long ourMac = EthernetHeader.destination(oldFrame);
        final int tci = l2Length == VlanTag.TAGGED_LENGTH ? VlanTag.tci(oldFrame) : -1;

        final int quoteLength = Math.min(info.l3Length, (v6 ? IPV6_REPLY_LIMIT : IPV4_REPLY_LIMIT) - prefix);
        // The original IP header stays where it is and becomes the quote; new headers go in front of it.
        Mbuf.adjust(mbuf, l2Length);
        Mbuf.length(mbuf, quoteLength);
        final long frame = Mbuf.prepend(mbuf, l2Length + prefix);

        final int etherType = v6 ? EthernetHeader.TYPE_IPV6 : EthernetHeader.TYPE_IPV4;
        if (tci >= 0)
        {
            EthernetHeader.put(frame, clientMac, ourMac, EthernetHeader.TYPE_VLAN);
            Memory.putU16Be(frame + VlanTag.TCI_OFFSET, tci);
            Memory.putU16Be(frame + VlanTag.ETHER_TYPE_OFFSET, etherType);
        }
        else
        {
            EthernetHeader.put(frame, clientMac, ourMac, etherType);
        }

        final long ip = frame + l2Length;
        final int icmpLength = (v6 ? Icmpv6Header.LENGTH : IcmpHeader.LENGTH) + quoteLength;
        if (v6)
        {
            Ipv6Header.put(ip, 0, 0, icmpLength, Ipv4Header.PROTOCOL_ICMPV6, REPLY_TTL,
                info.dstHi, info.dstLo, info.srcHi, info.srcLo);
            final long icmp = ip + Ipv6Header.LENGTH;
            Memory.putI64Be(icmp, ((long)Icmpv6Header.TYPE_PACKET_TOO_BIG << 56) | (nextHopMtu & 0xFFFF_FFFFL));
            final long sum = Checksum.sum(icmp, icmpLength, Checksum.pseudoHeaderV6(
                info.dstHi, info.dstLo, info.srcHi, info.srcLo, Ipv4Header.PROTOCOL_ICMPV6, icmpLength));
            Memory.putU16Be(icmp + Icmpv6Header.CHECKSUM_OFFSET, Checksum.finish(sum));
        }
        else
        {
            Ipv4Header.put(ip, IPV4_REPLY_TOS, Ipv4Header.MIN_LENGTH + icmpLength, identification++, 0, REPLY_TTL,
                Ipv4Header.PROTOCOL_ICMP, info.dstV4, info.srcV4);
            final long icmp = ip + Ipv4Header.MIN_LENGTH;
            Memory.putI64Be(icmp, ((long)IcmpHeader.TYPE_DESTINATION_UNREACHABLE << 56) |
                ((long)IcmpHeader.CODE_FRAGMENTATION_NEEDED << 48) | (nextHopMtu & 0xFFFF));
            Memory.putU16Be(icmp + IcmpHeader.CHECKSUM_OFFSET, Checksum.finish(Checksum.sum(icmp, icmpLength, 0)));
        }
        return OK;
    }

    private static boolean isUnicastV4(final int address)
    {
        final int top = address >>> 24;
        // 0/8 "this network", 127/8 loopback, 224/4 multicast, 240/4 reserved and broadcast.
        return top != 0 && top != 127 && top < 224;
    }

    private static boolean isUnicastV6(final long high, final long low)
    {
        // ff00::/8 multicast, :: unspecified.
        return (high >>> 56) != 0xFF && (high | low) != 0;
    }
}
