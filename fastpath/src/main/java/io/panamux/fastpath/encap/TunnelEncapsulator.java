package io.panamux.fastpath.encap;

import io.panamux.dpdk.MbufDescriptor;
import io.panamux.dpdk.Memory;
import io.panamux.fastpath.packet.Checksum;
import io.panamux.fastpath.packet.DropReason;
import io.panamux.fastpath.packet.EthernetHeader;
import io.panamux.fastpath.packet.Ipv4Header;
import io.panamux.fastpath.packet.Ipv6Header;
import io.panamux.fastpath.packet.PacketInfo;
import io.panamux.fastpath.packet.UdpHeader;

/**
 * Encapsulates a parsed packet, in place, towards a backend: the original Ethernet header (and any
 * VLAN tag and Ethernet padding) is stripped, and a new Ethernet header and the outer tunnel headers
 * are written into the mbuf headroom in front of the inner IP packet, which is left byte for byte as
 * it arrived.
 *
 * <pre>
 *  IPIP  | Ethernet 14 | outer IPv4 20 / IPv6 40, protocol 4 or 41 | inner IP packet |
 *  GRE   | Ethernet 14 | outer IPv4 / IPv6, protocol 47 | GRE 4 (0x0800 / 0x86DD) | inner IP packet |
 *  GUE   | Ethernet 14 | outer IPv4 / IPv6, protocol 17 | UDP 8 (dport = GUE port) | inner IP packet |
 * </pre>
 *
 * GUE is variant 1 (draft-ietf-intarea-gue): no GUE header, the inner IP header follows UDP directly
 * and its version nibble (0100 or 0110) is what tells the decapsulator the variant. The UDP source
 * port comes from the flow hash (49152 to 65535) so that ECMP on the way to the backend spreads
 * flows; the UDP checksum is 0 over IPv4 (RFC 768) and computed over IPv6 (RFC 8200 forbids 0 there).
 *
 * <p>Outer header fields: source = the MUX's address, destination = the backend; TTL / hop limit 64;
 * DSCP/ECN copied from the inner header (RFC 6040 normal mode); over IPv4, DF copied from the inner
 * IPv4 header (always set for an inner IPv6 packet, which may not be fragmented) and the
 * identification from a counter of this encapsulator; over IPv6, the flow label from the flow hash.
 * The Ethernet header goes to the gateway's MAC from the port's MAC, untagged.
 *
 * <p>Too big: when the inner packet plus the tunnel overhead exceeds the port MTU, nothing is
 * changed and {@link DropReason#TOO_BIG} is returned if the packet may not be fragmented (IPv4 DF, or
 * IPv6): the worker then turns the mbuf into a reply with {@link IcmpTooBigWriter}, advertising
 * {@link #innerMtu(int, boolean)}. An IPv4 packet without DF gets {@link DropReason#TOO_BIG_NO_DF}: the
 * MUX never fragments, it counts and drops.
 *
 * <p>One instance per thread: every method, {@link #gatewayMac(long)} included, is called by the thread that
 * owns it (the identification counter is not shared). A worker takes a new gateway MAC from its snapshot
 * ({@link io.panamux.fastpath.snapshot.ForwardingSnapshot#nextHopMac()}).
 */
public final class TunnelEncapsulator
{
    /** IP in IP: protocol 4, or 41 for an inner IPv6 packet. */
    public static final int IPIP = 0;
    /** GRE (RFC 2784), protocol 47. */
    public static final int GRE = 1;
    /** GUE variant 1 over UDP, protocol 17. */
    public static final int GUE = 2;
    /** The GUE UDP destination port when the configuration names none. */
    public static final int DEFAULT_GUE_PORT = 6080;
    /** TTL / hop limit of outer headers. */
    public static final int OUTER_TTL = 64;

    private static final int OK = DropReason.NONE.ordinal();
    private static final int TOO_BIG = DropReason.TOO_BIG.ordinal();
    private static final int TOO_BIG_NO_DF = DropReason.TOO_BIG_NO_DF.ordinal();
    private static final int HEADROOM = DropReason.HEADROOM.ordinal();
    private static final int NO_NEXT_HOP = DropReason.NO_NEXT_HOP.ordinal();

    private final long portMac;
    private final int muxAddressV4;
    private final long muxAddressV6Hi;
    private final long muxAddressV6Lo;
    private final int portMtu;
    private long gatewayMac;
    private int identification;

    /**
     * @param portMac        the MAC of the port the packets leave by (source of the new Ethernet header).
     * @param gatewayMac     the next hop's MAC, or 0 while ARP has not resolved it.
     * @param muxAddressV4   outer IPv4 source.
     * @param muxAddressV6Hi high 64 bits of the outer IPv6 source.
     * @param muxAddressV6Lo low 64 bits of the outer IPv6 source.
     * @param portMtu        the port's IP MTU (largest outer IP packet), e.g. 1500.
     */
    public TunnelEncapsulator(
        final long portMac,
        final long gatewayMac,
        final int muxAddressV4,
        final long muxAddressV6Hi,
        final long muxAddressV6Lo,
        final int portMtu)
    {
        this.portMac = portMac;
        this.gatewayMac = gatewayMac;
        this.muxAddressV4 = muxAddressV4;
        this.muxAddressV6Hi = muxAddressV6Hi;
        this.muxAddressV6Lo = muxAddressV6Lo;
        this.portMtu = portMtu;
    }

    /**
     * Changes the next hop's MAC (ARP may change it at run time); owner thread only, seen by the next
     * {@link #encapsulate} call.
     *
     * @param mac the gateway's MAC, or 0 to hold packets back with {@link DropReason#NO_NEXT_HOP}.
     */
    public void gatewayMac(final long mac)
    {
        gatewayMac = mac;
    }

    /** @return the gateway's MAC in use (0 when unresolved). */
    public long gatewayMac()
    {
        return gatewayMac;
    }

    /**
     * @param type     {@link #IPIP}, {@link #GRE} or {@link #GUE}.
     * @param outerV6  true for an outer IPv6 header (IPv6 backend).
     * @return the bytes the outer IP header (and GRE or UDP) adds, not counting Ethernet.
     */
    public int overhead(final int type, final boolean outerV6)
    {
        return (outerV6 ? Ipv6Header.LENGTH : Ipv4Header.MIN_LENGTH) + tunnelHeaderLength(type);
    }

    /**
     * @param type    the encapsulation.
     * @param outerV6 true for an outer IPv6 header.
     * @return the largest inner IP packet that fits the port MTU: the MTU to advertise in too-big replies.
     */
    public int innerMtu(final int type, final boolean outerV6)
    {
        return portMtu - overhead(type, outerV6);
    }

    /** @return the port's IP MTU. */
    public int portMtu()
    {
        return portMtu;
    }

    /**
     * Encapsulates the parsed packet in {@code mbuf} towards a backend. On success the mbuf holds the
     * new frame, ready to send; on any other verdict it is unchanged.
     *
     * @param mbuf     the packet's {@code struct rte_mbuf} (single segment), parsed into {@code info}.
     * @param info     the parser's result for this packet.
     * @param type     {@link #IPIP}, {@link #GRE} or {@link #GUE}.
     * @param guePort  the UDP destination port with {@link #GUE}: the VIP's
     *                 ({@link io.panamux.fastpath.snapshot.Vip#guePort()}); ignored otherwise.
     * @param outerV6  true for an outer IPv6 header (the backend is IPv6).
     * @param dstV4    the backend's IPv4 address (when {@code !outerV6}).
     * @param dstV6Hi  high 64 bits of the backend's IPv6 address (when {@code outerV6}).
     * @param dstV6Lo  low 64 bits of the backend's IPv6 address (when {@code outerV6}).
     * @param flowHash the flow's hash, for the GUE source port and the IPv6 flow label.
     * @return 0 on success, or a {@link DropReason} ordinal: {@code TOO_BIG}, {@code TOO_BIG_NO_DF},
     * {@code HEADROOM} or {@code NO_NEXT_HOP}.
     */
    public int encapsulate(
        final long mbuf,
        final PacketInfo info,
        final int type,
        final int guePort,
        final boolean outerV6,
        final int dstV4,
        final long dstV6Hi,
        final long dstV6Lo,
        final long flowHash)
    {
        // The common packet (outer IPv4, fits the MTU, next hop known, room in the headroom) here, in few
        // enough bytes of bytecode to stay under C2's hot-method inlining limit (FreqInlineSize, 325; checked
        // by HotMethodSizeTest) so that it is compiled into the worker's loop; every other packet goes
        // through encapsulateCompletely, which also says why one is refused.
        final int tunnelHeaderLength = tunnelHeaderLength(type);
        final int innerLength = info.l3Length;
        final int prependLength = EthernetHeader.LENGTH + Ipv4Header.MIN_LENGTH + tunnelHeaderLength;
        final int headroom = Memory.getU16(mbuf + MbufDescriptor.DATA_OFF_OFFSET);
        final long gateway = gatewayMac;
        if (outerV6 || innerLength + Ipv4Header.MIN_LENGTH + tunnelHeaderLength > portMtu || gateway == 0
            || headroom + info.l3Offset < prependLength || (Memory.CHECKS && (type < IPIP || type > GUE)))
        {
            return encapsulateCompletely(mbuf, info, type, guePort, outerV6, dstV4, dstV6Hi, dstV6Lo, flowHash);
        }
        // As encapsulateCompletely does it.
        final int dataOffset = headroom + info.l3Offset - prependLength;
        final int frameLength = prependLength + innerLength;
        Memory.putU16(mbuf + MbufDescriptor.DATA_OFF_OFFSET, dataOffset);
        Memory.putU16(mbuf + MbufDescriptor.DATA_LEN_OFFSET, frameLength);
        Memory.putI32(mbuf + MbufDescriptor.PKT_LEN_OFFSET, frameLength);
        final long frame = Memory.getI64(mbuf + MbufDescriptor.BUF_ADDR_OFFSET) + dataOffset;
        final boolean innerV6 = info.ipVersion == 6;
        EthernetHeader.put(frame, gateway, portMac, EthernetHeader.TYPE_IPV4);
        Ipv4Header.put(frame + EthernetHeader.LENGTH, info.tos, Ipv4Header.MIN_LENGTH + tunnelHeaderLength + innerLength, identification++,
            innerV6 || info.ipv4DontFragment ? Ipv4Header.FLAG_DONT_FRAGMENT : 0, OUTER_TTL, outerProtocol(type, innerV6),
            muxAddressV4, dstV4);
        tunnelHeader(frame + EthernetHeader.LENGTH + Ipv4Header.MIN_LENGTH, type, guePort, innerV6, innerLength, flowHash);
        return OK;
    }

    private static int outerProtocol(final int type, final boolean innerV6)
    {
        return type == GRE ? Ipv4Header.PROTOCOL_GRE : type == GUE ? Ipv4Header.PROTOCOL_UDP
            : innerV6 ? Ipv4Header.PROTOCOL_IPV6 : Ipv4Header.PROTOCOL_IPIP;
    }

    /** The GRE or GUE header (none for IPIP) at {@code tunnel}, after an outer IPv4 header. */
    private static void tunnelHeader(final long tunnel, final int type, final int guePort, final boolean innerV6, final int innerLength,
        final long flowHash)
    {
        if (type == GRE)
        {
            GreHeader.put(tunnel, innerV6 ? EthernetHeader.TYPE_IPV6 : EthernetHeader.TYPE_IPV4);
        }
        else if (type == GUE)
        {
            UdpHeader.put(tunnel, sourcePort(flowHash), guePort, UdpHeader.LENGTH + innerLength, 0);
        }
    }

    /** {@link #encapsulate} for any packet (an outer IPv6 header, a refusal and its reason). */
    private int encapsulateCompletely(
        final long mbuf,
        final PacketInfo info,
        final int type,
        final int guePort,
        final boolean outerV6,
        final int dstV4,
        final long dstV6Hi,
        final long dstV6Lo,
        final long flowHash)
    {
        if (Memory.CHECKS && (type < IPIP || type > GUE))
        {
            throw new IllegalArgumentException("encapsulation type " + type);
        }

        final int tunnelHeaderLength = tunnelHeaderLength(type);
        final int outerIpLength = outerV6 ? Ipv6Header.LENGTH : Ipv4Header.MIN_LENGTH;
        final int innerLength = info.l3Length;
        final boolean innerV6 = info.ipVersion == 6;
        if (innerLength + outerIpLength + tunnelHeaderLength > portMtu)
        {
            return innerV6 || info.ipv4DontFragment ? TOO_BIG : TOO_BIG_NO_DF;
        }
        final long gateway = gatewayMac;
        if (gateway == 0)
        {
            return NO_NEXT_HOP;
        }
        final int l2Length = info.l3Offset;
        final int prependLength = EthernetHeader.LENGTH + outerIpLength + tunnelHeaderLength;
        final int headroom = Memory.getU16(mbuf + MbufDescriptor.DATA_OFF_OFFSET);
        if (headroom + l2Length < prependLength)
        {
            return HEADROOM;
        }

        // What Mbuf.adjust(l2Length), Mbuf.length(innerLength) and Mbuf.prepend(prependLength) do, in one
        // step (two loads, three stores instead of a chain of dependent ones): the old L2 header and any
        // Ethernet padding go, the new headers go in front of the inner packet, which does not move.
        final int dataOffset = headroom + l2Length - prependLength;
        final int frameLength = prependLength + innerLength;
        Memory.putU16(mbuf + MbufDescriptor.DATA_OFF_OFFSET, dataOffset);
        Memory.putU16(mbuf + MbufDescriptor.DATA_LEN_OFFSET, frameLength);
        Memory.putI32(mbuf + MbufDescriptor.PKT_LEN_OFFSET, frameLength);
        final long frame = Memory.getI64(mbuf + MbufDescriptor.BUF_ADDR_OFFSET) + dataOffset;

        final int innerEtherType = innerV6 ? EthernetHeader.TYPE_IPV6 : EthernetHeader.TYPE_IPV4;
        final int protocol = switch (type)
        {
            case GRE -> Ipv4Header.PROTOCOL_GRE;
            case GUE -> Ipv4Header.PROTOCOL_UDP;
            default -> innerV6 ? Ipv4Header.PROTOCOL_IPV6 : Ipv4Header.PROTOCOL_IPIP;
        };
        final long outer = frame + EthernetHeader.LENGTH;
        final int tos = info.tos;
        if (outerV6)
        {
            EthernetHeader.put(frame, gateway, portMac, EthernetHeader.TYPE_IPV6);
            Ipv6Header.put(outer, tos, flowLabel(flowHash), tunnelHeaderLength + innerLength, protocol,
                OUTER_TTL, muxAddressV6Hi, muxAddressV6Lo, dstV6Hi, dstV6Lo);
        }
        else
        {
            EthernetHeader.put(frame, gateway, portMac, EthernetHeader.TYPE_IPV4);
            final int fragmentField = innerV6 || info.ipv4DontFragment ? Ipv4Header.FLAG_DONT_FRAGMENT : 0;
            Ipv4Header.put(outer, tos, outerIpLength + tunnelHeaderLength + innerLength, identification++,
                fragmentField, OUTER_TTL, protocol, muxAddressV4, dstV4);
        }

        final long tunnel = outer + outerIpLength;
        if (type == GRE)
        {
            GreHeader.put(tunnel, innerEtherType);
        }
        else if (type == GUE)
        {
            final int udpLength = UdpHeader.LENGTH + innerLength;
            UdpHeader.put(tunnel, sourcePort(flowHash), guePort, udpLength, 0);
            if (outerV6)
            {
                final long sum = Checksum.sum(tunnel, udpLength, Checksum.pseudoHeaderV6(
                    muxAddressV6Hi, muxAddressV6Lo, dstV6Hi, dstV6Lo, Ipv4Header.PROTOCOL_UDP, udpLength));
                Memory.putU16Be(tunnel + UdpHeader.CHECKSUM_OFFSET, Checksum.finishUdp(sum));
            }
        }
        return OK;
    }

    /**
     * @param flowHash the flow's hash.
     * @return the GUE UDP source port for it, in the dynamic range 49152 to 65535 (RFC 8086 style).
     */
    public static int sourcePort(final long flowHash)
    {
        final long mixed = flowHash ^ (flowHash >>> 32);
        return 0xC000 | (int)((mixed ^ (mixed >>> 14)) & 0x3FFF);
    }

    /**
     * @param flowHash the flow's hash.
     * @return the outer IPv6 flow label for it (20 bits, RFC 6438).
     */
    public static int flowLabel(final long flowHash)
    {
        final long mixed = flowHash ^ (flowHash >>> 32);
        return (int)((mixed ^ (mixed >>> 20)) & 0xFFFFF);
    }

    private static int tunnelHeaderLength(final int type)
    {
        return type == GRE ? GreHeader.LENGTH : (type == GUE ? UdpHeader.LENGTH : 0);
    }
}
