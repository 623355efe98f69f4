package io.panamux.fastpath.packet;

import io.panamux.dpdk.Memory;

/**
 * Parses a frame in place, at an absolute address, into a {@link PacketInfo}: Ethernet II with at most
 * one 802.1Q tag, IPv4 (options skipped) or IPv6 (hop-by-hop, routing, destination options, fragment and
 * authentication headers walked), then TCP, UDP, or an ICMP/ICMPv6 error whose quote is reversed into the client to
 * VIP flow it belongs to (see {@link PacketInfo}).
 *
 * <p>Every length is checked before the bytes it covers are read, so no input reads outside
 * {@code [address, address + length)}. The verdict is {@link #OK} (0) or a {@link DropReason} ordinal:
 * one reason per malformed shape, and reasons for what is well formed but not forwarded (non-IP,
 * QinQ, other protocols, ICMP that is not an error). {@link DropReason#ARP} is a verdict, not a drop.
 * Ethernet padding after the IP packet is normal; {@link PacketInfo#l3Length} excludes it.
 *
 * <p>What is not checked, on purpose: the IPv4 header checksum and L4 checksums (the backend's stack
 * checks the inner packet, which the MUX forwards unchanged; a bad outer checksum would have been
 * dropped by the NIC or a router), TTL, and IPv4 option contents.
 *
 * <p>Hot path: straight-line code, no allocation, no exception, no virtual call. The common IPv4 and
 * IPv6 TCP/UDP cases read each header with a few wide loads; IPv6 extension headers and ICMP errors
 * leave the common path for their own methods.
 */
public final class PacketParser
{
    /** Verdict of a packet to forward: {@link DropReason#NONE}'s ordinal. */
    public static final int OK = 0;
    /** Most IPv6 extension headers walked before giving up (a bound on the work per packet). */
    public static final int MAX_IPV6_EXTENSIONS = 8;

    private static final int ARP = DropReason.ARP.ordinal();
    private static final int TRUNCATED_ETHERNET = DropReason.TRUNCATED_ETHERNET.ordinal();
    private static final int TRUNCATED_VLAN = DropReason.TRUNCATED_VLAN.ordinal();
    private static final int MULTIPLE_VLAN = DropReason.MULTIPLE_VLAN.ordinal();
    private static final int NON_IP = DropReason.NON_IP.ordinal();
    private static final int IPV4_TRUNCATED = DropReason.IPV4_TRUNCATED.ordinal();
    private static final int IPV4_BAD_VERSION = DropReason.IPV4_BAD_VERSION.ordinal();
    private static final int IPV4_BAD_IHL = DropReason.IPV4_BAD_IHL.ordinal();
    private static final int IPV4_LENGTH_BELOW_HEADER = DropReason.IPV4_LENGTH_BELOW_HEADER.ordinal();
    private static final int IPV4_LENGTH_BEYOND_FRAME = DropReason.IPV4_LENGTH_BEYOND_FRAME.ordinal();
    private static final int IPV6_TRUNCATED = DropReason.IPV6_TRUNCATED.ordinal();
    private static final int IPV6_BAD_VERSION = DropReason.IPV6_BAD_VERSION.ordinal();
    private static final int IPV6_LENGTH_BEYOND_FRAME = DropReason.IPV6_LENGTH_BEYOND_FRAME.ordinal();
    private static final int IPV6_TRUNCATED_EXTENSION = DropReason.IPV6_TRUNCATED_EXTENSION.ordinal();
    private static final int IPV6_MISPLACED_HOP_BY_HOP = DropReason.IPV6_MISPLACED_HOP_BY_HOP.ordinal();
    private static final int IPV6_EXTENSION_CHAIN_TOO_LONG = DropReason.IPV6_EXTENSION_CHAIN_TOO_LONG.ordinal();
    private static final int UNSUPPORTED_PROTOCOL = DropReason.UNSUPPORTED_PROTOCOL.ordinal();
    private static final int TCP_TRUNCATED = DropReason.TCP_TRUNCATED.ordinal();
    private static final int TCP_BAD_DATA_OFFSET = DropReason.TCP_BAD_DATA_OFFSET.ordinal();
    private static final int UDP_TRUNCATED = DropReason.UDP_TRUNCATED.ordinal();
    private static final int UDP_BAD_LENGTH = DropReason.UDP_BAD_LENGTH.ordinal();
    private static final int ICMP_TRUNCATED = DropReason.ICMP_TRUNCATED.ordinal();
    private static final int ICMP_NOT_ERROR = DropReason.ICMP_NOT_ERROR.ordinal();
    private static final int ICMPV6_NEIGHBOR_DISCOVERY = DropReason.ICMPV6_NEIGHBOR_DISCOVERY.ordinal();
    private static final int ICMP_FRAGMENTED = DropReason.ICMP_FRAGMENTED.ordinal();
    private static final int ICMP_QUOTE_TRUNCATED = DropReason.ICMP_QUOTE_TRUNCATED.ordinal();
    private static final int ICMP_QUOTE_BAD_HEADER = DropReason.ICMP_QUOTE_BAD_HEADER.ordinal();
    private static final int ICMP_QUOTE_UNSUPPORTED_PROTOCOL = DropReason.ICMP_QUOTE_UNSUPPORTED_PROTOCOL.ordinal();
    private static final int ICMP_QUOTE_FRAGMENT = DropReason.ICMP_QUOTE_FRAGMENT.ordinal();
    private static final int ICMP_QUOTE_MISMATCH = DropReason.ICMP_QUOTE_MISMATCH.ordinal();

    private static final int TCP = Ipv4Header.PROTOCOL_TCP;
    private static final int UDP = Ipv4Header.PROTOCOL_UDP;
    private static final int ICMP = Ipv4Header.PROTOCOL_ICMP;
    private static final int ICMPV6 = Ipv4Header.PROTOCOL_ICMPV6;

    /** Creates a parser; it holds no state, one per worker is as good as one per process. */
    public PacketParser()
    {
    }

    /**
     * Parses the frame {@code [address, address + length)}.
     *
     * @param address absolute address of the first byte of the Ethernet header.
     * @param length  bytes of the frame (the mbuf's data length).
     * @param info    filled with what was found (see {@link PacketInfo} for which fields are valid).
     * @return {@link #OK} to forward, or a {@link DropReason} ordinal.
     */
    public int parse(final long address, final int length, final PacketInfo info)
    {
        if (length < EthernetHeader.LENGTH)
        {
            return TRUNCATED_ETHERNET;
        }

        int etherType = Memory.getU16Be(address + EthernetHeader.ETHER_TYPE_OFFSET);
        int l2Length = EthernetHeader.LENGTH;
        int vlanId = -1;
        if (etherType == EthernetHeader.TYPE_VLAN)
        {
            if (length < VlanTag.TAGGED_LENGTH)
            {
                return TRUNCATED_VLAN;
            }
            final int tciAndType = Memory.getI32Be(address + VlanTag.TCI_OFFSET);
            vlanId = (tciAndType >>> 16) & VlanTag.VLAN_ID_MASK;
            etherType = tciAndType & 0xFFFF;
            l2Length = VlanTag.TAGGED_LENGTH;
            if (isVlanTpid(etherType))
            {
                return MULTIPLE_VLAN;
            }
        }
        else if (etherType == EthernetHeader.TYPE_QINQ || etherType == EthernetHeader.TYPE_QINQ_LEGACY)
        {
            return MULTIPLE_VLAN;
        }

        info.l2Length = l2Length;
        info.vlanId = vlanId;
        info.etherType = etherType;

        if (etherType == EthernetHeader.TYPE_IPV4)
        {
            return parseIpv4(address, length, l2Length, info);
        }
        if (etherType == EthernetHeader.TYPE_IPV6)
        {
            return parseIpv6(address, length, l2Length, info);
        }
        return etherType == EthernetHeader.TYPE_ARP ? ARP : NON_IP;
    }

    private static boolean isVlanTpid(final int etherType)
    {
        return etherType == EthernetHeader.TYPE_VLAN || etherType == EthernetHeader.TYPE_QINQ ||
            etherType == EthernetHeader.TYPE_QINQ_LEGACY;
    }

    private static int parseIpv4(final long address, final int length, final int l3Offset, final PacketInfo info)
    {
        // The common packet (no options, not a fragment, TCP or UDP, lengths that fit) here, in few enough
        // bytes of bytecode to stay under C2's hot-method inlining limit (FreqInlineSize, 325; checked by
        // HotMethodSizeTest) so that it is compiled into the worker's loop; every other packet goes through
        // the complete parse.
        final int available = length - l3Offset;
        if (available >= Ipv4Header.MIN_LENGTH)
        {
            final long ip = address + l3Offset;
            final long word0 = Memory.getI64Be(ip);
            final int totalLength = (int)(word0 >>> 32) & 0xFFFF;
            final long word1 = Memory.getI64Be(ip + Ipv4Header.TTL_OFFSET);
            final int protocol = (int)(word1 >>> 48) & 0xFF;
            if ((int)(word0 >>> 56) == 0x45 && (word0 & (Ipv4Header.FLAG_MORE_FRAGMENTS | Ipv4Header.FRAGMENT_OFFSET_MASK)) == 0
                && totalLength >= Ipv4Header.MIN_LENGTH && totalLength <= available && (protocol == TCP || protocol == UDP))
            {
                final int l4Offset = l3Offset + Ipv4Header.MIN_LENGTH;
                info.ipVersion = 4;
                info.l3Offset = l3Offset;
                info.l3Length = totalLength;
                info.tos = (int)(word0 >>> 48) & 0xFF;
                info.ipv4DontFragment = (word0 & Ipv4Header.FLAG_DONT_FRAGMENT) != 0;
                info.srcV4 = (int)word1;
                info.dstV4 = Memory.getI32Be(ip + Ipv4Header.DESTINATION_OFFSET);
                info.l4Offset = l4Offset;
                info.protocol = protocol;
                info.icmpError = false;
                info.isFragment = false;
                info.isFirstFragment = false;
                final int l4Length = totalLength - Ipv4Header.MIN_LENGTH;
                return protocol == TCP ? parseTcp(address + l4Offset, l4Length, info) : parseUdp(address + l4Offset, l4Length, false, info);
            }
        }
        return parseIpv4Completely(address, length, l3Offset, info);
    }

    /** {@link #parseIpv4} for any packet: options, fragments, ICMP, other protocols, every malformation. */
    private static int parseIpv4Completely(final long address, final int length, final int l3Offset, final PacketInfo info)
    {
        final int available = length - l3Offset;
        if (available < Ipv4Header.MIN_LENGTH)
        {
            return IPV4_TRUNCATED;
        }

        final long ip = address + l3Offset;
        // Three loads for the whole fixed header: version..fragment, ttl..source, destination.
        final long word0 = Memory.getI64Be(ip);
        final long word1 = Memory.getI64Be(ip + Ipv4Header.TTL_OFFSET);
        final int versionIhl = (int)(word0 >>> 56);
        if ((versionIhl >>> 4) != 4)
        {
            return IPV4_BAD_VERSION;
        }
        final int headerLength = (versionIhl & 0xF) << 2;
        if (headerLength < Ipv4Header.MIN_LENGTH)
        {
            return IPV4_BAD_IHL;
        }
        if (headerLength > available)
        {
            return IPV4_TRUNCATED;
        }
        final int totalLength = (int)(word0 >>> 32) & 0xFFFF;
        if (totalLength < headerLength)
        {
            return IPV4_LENGTH_BELOW_HEADER;
        }
        if (totalLength > available)
        {
            return IPV4_LENGTH_BEYOND_FRAME;
        }

        final int fragmentField = (int)word0 & 0xFFFF;
        final int protocol = (int)(word1 >>> 48) & 0xFF;
        final int source = (int)word1;
        final int l4Offset = l3Offset + headerLength;
        info.ipVersion = 4;
        info.l3Offset = l3Offset;
        info.l3Length = totalLength;
        info.tos = (int)(word0 >>> 48) & 0xFF;
        info.ipv4DontFragment = (fragmentField & Ipv4Header.FLAG_DONT_FRAGMENT) != 0;
        info.srcV4 = source;
        info.dstV4 = Memory.getI32Be(ip + Ipv4Header.DESTINATION_OFFSET);
        info.l4Offset = l4Offset;
        info.protocol = protocol;
        info.icmpError = false;

        final int fragmentOffset = (fragmentField & Ipv4Header.FRAGMENT_OFFSET_MASK) << 3;
        final boolean fragment = (fragmentField & (Ipv4Header.FLAG_MORE_FRAGMENTS | Ipv4Header.FRAGMENT_OFFSET_MASK)) != 0;
        info.isFragment = fragment;
        info.isFirstFragment = fragment && fragmentOffset == 0;
        if (fragment)
        {
            info.fragmentId = (int)(word0 >>> 16) & 0xFFFF;
            info.fragmentOffset = fragmentOffset;
            if (fragmentOffset != 0)
            {
                return laterFragment(protocol, ICMP, info);
            }
        }

        final int l4Length = totalLength - headerLength;
        if (protocol == TCP)
        {
            return parseTcp(address + l4Offset, l4Length, info);
        }
        if (protocol == UDP)
        {
            return parseUdp(address + l4Offset, l4Length, fragment, info);
        }
        if (protocol == ICMP)
        {
            return fragment ? ICMP_FRAGMENTED : parseIcmpError(address, l4Offset, l4Length, source, info);
        }
        return UNSUPPORTED_PROTOCOL;
    }

    private static int parseIpv6(final long address, final int length, final int l3Offset, final PacketInfo info)
    {
        final int available = length - l3Offset;
        if (available < Ipv6Header.LENGTH)
        {
            return IPV6_TRUNCATED;
        }

        final long ip = address + l3Offset;
        final long word0 = Memory.getI64Be(ip);
        if ((word0 >>> 60) != 6)
        {
            return IPV6_BAD_VERSION;
        }
        final int l3Length = Ipv6Header.LENGTH + ((int)(word0 >>> 16) & 0xFFFF);
        if (l3Length > available)
        {
            return IPV6_LENGTH_BEYOND_FRAME;
        }

        info.ipVersion = 6;
        info.l3Offset = l3Offset;
        info.l3Length = l3Length;
        info.tos = (int)(word0 >>> 52) & 0xFF;
        info.ipv4DontFragment = false;
        info.srcHi = Memory.getI64Be(ip + Ipv6Header.SOURCE_OFFSET);
        info.srcLo = Memory.getI64Be(ip + Ipv6Header.SOURCE_OFFSET + 8);
        info.dstHi = Memory.getI64Be(ip + Ipv6Header.DESTINATION_OFFSET);
        info.dstLo = Memory.getI64Be(ip + Ipv6Header.DESTINATION_OFFSET + 8);
        info.icmpError = false;
        info.isFragment = false;
        info.isFirstFragment = false;

        int protocol = (int)(word0 >>> 8) & 0xFF;
        int headerLength = Ipv6Header.LENGTH;
        if (Ipv6Header.isExtension(protocol))
        {
            final int walked = walkExtensions(ip, l3Length, protocol, info);
            if (walked < 0)
            {
                return -walked;
            }
            headerLength = walked >>> 8;
            protocol = walked & 0xFF;
        }

        final int l4Offset = l3Offset + headerLength;
        info.l4Offset = l4Offset;
        info.protocol = protocol;
        if (info.isFragment && info.fragmentOffset != 0)
        {
            if (protocol == Ipv6Header.NEXT_DESTINATION_OPTIONS || protocol == Ipv6Header.NEXT_AUTHENTICATION)
            {
                // RFC 8200 §4.5: these start the fragmentable part, so they and the upper-layer header are in
                // the first fragment only; what follows here is data. The VIP decides the protocol
                // (PacketInfo.upperProtocolUnknown).
                info.srcPort = 0;
                info.dstPort = 0;
                info.tcpFlags = 0;
                return OK;
            }
            return laterFragment(protocol, ICMPV6, info);
        }

        final int l4Length = l3Length - headerLength;
        if (protocol == TCP)
        {
            return parseTcp(address + l4Offset, l4Length, info);
        }
        if (protocol == UDP)
        {
            return parseUdp(address + l4Offset, l4Length, info.isFragment, info);
        }
        if (protocol == ICMPV6)
        {
            return info.isFragment ? ICMP_FRAGMENTED : parseIcmpv6Error(address, l4Offset, l4Length, info);
        }
        return UNSUPPORTED_PROTOCOL;
    }

    private static int laterFragment(final int protocol, final int icmpProtocol, final PacketInfo info)
    {
        // No L4 header in a later fragment: the flow is the 3-tuple.
        info.srcPort = 0;
        info.dstPort = 0;
        info.tcpFlags = 0;
        if (protocol == TCP || protocol == UDP)
        {
            return OK;
        }
        return protocol == icmpProtocol ? ICMP_FRAGMENTED : UNSUPPORTED_PROTOCOL;
    }

    /**
     * Walks IPv6 extension headers from the one named by {@code nextHeader}.
     *
     * @param ip         the IPv6 header.
     * @param limit      bytes from {@code ip} that may be read (the IP packet, or what a quote holds).
     * @param nextHeader the fixed header's next header, an extension header.
     * @param info       where the fragment fields go, or null when walking a quote.
     * @return {@code offset << 8 | protocol} of the upper-layer header, or {@code -reason}.
     */
    private static int walkExtensions(final long ip, final int limit, final int nextHeader, final PacketInfo info)
    {
        int offset = Ipv6Header.LENGTH;
        int header = nextHeader;
        int count = 0;
        while (Ipv6Header.isExtension(header))
        {
            if (header == Ipv6Header.NEXT_HOP_BY_HOP && count != 0)
            {
                return -IPV6_MISPLACED_HOP_BY_HOP;
            }
            if (++count > MAX_IPV6_EXTENSIONS)
            {
                return -IPV6_EXTENSION_CHAIN_TOO_LONG;
            }
            if (offset + Ipv6Header.EXTENSION_MIN_LENGTH > limit)
            {
                return -IPV6_TRUNCATED_EXTENSION;
            }
            final long extension = ip + offset;
            final int next = Memory.getU8(extension + Ipv6Header.EXTENSION_NEXT_HEADER_OFFSET);
            if (header == Ipv6Header.NEXT_FRAGMENT)
            {
                final int field = Memory.getU16Be(extension + Ipv6Header.FRAGMENT_OFFSET_FLAGS_OFFSET);
                final int fragmentOffset = field & Ipv6Header.FRAGMENT_OFFSET_MASK;
                offset += Ipv6Header.EXTENSION_MIN_LENGTH;
                // Offset 0 without M is an atomic fragment (RFC 6946): a whole datagram.
                if (fragmentOffset != 0 || (field & Ipv6Header.FRAGMENT_MORE) != 0)
                {
                    if (info == null)
                    {
                        if (fragmentOffset != 0)
                        {
                            return -ICMP_QUOTE_FRAGMENT;
                        }
                    }
                    else
                    {
                        info.isFragment = true;
                        info.isFirstFragment = fragmentOffset == 0;
                        info.fragmentId = Memory.getI32Be(extension + Ipv6Header.FRAGMENT_IDENTIFICATION_OFFSET);
                        info.fragmentOffset = fragmentOffset;
                        if (fragmentOffset != 0)
                        {
                            // The rest is fragment data, not headers.
                            return (offset << 8) | next;
                        }
                    }
                }
            }
            else
            {
                final int lengthField = Memory.getU8(extension + Ipv6Header.EXTENSION_LENGTH_OFFSET);
                final int extensionLength = header == Ipv6Header.NEXT_AUTHENTICATION ? (lengthField + 2) << 2 : (lengthField + 1) << 3;
                if (offset + extensionLength > limit)
                {
                    return -IPV6_TRUNCATED_EXTENSION;
                }
                offset += extensionLength;
            }
            header = next;
        }
        return (offset << 8) | header;
    }

    private static int parseTcp(final long tcp, final int l4Length, final PacketInfo info)
    {
        if (l4Length < TcpHeader.MIN_LENGTH)
        {
            return TCP_TRUNCATED;
        }
        final int ports = Memory.getI32Be(tcp);
        final int offsetAndFlags = Memory.getU16Be(tcp + TcpHeader.DATA_OFFSET_OFFSET);
        final int headerLength = (offsetAndFlags >>> 12) << 2;
        if (headerLength < TcpHeader.MIN_LENGTH)
        {
            return TCP_BAD_DATA_OFFSET;
        }
        if (headerLength > l4Length)
        {
            return TCP_TRUNCATED;
        }
        info.srcPort = ports >>> 16;
        info.dstPort = ports & 0xFFFF;
        info.tcpFlags = offsetAndFlags & 0xFF;
        return OK;
    }

    private static int parseUdp(final long udp, final int l4Length, final boolean fragment, final PacketInfo info)
    {
        if (l4Length < UdpHeader.LENGTH)
        {
            return UDP_TRUNCATED;
        }
        final long header = Memory.getI64Be(udp);
        // The length of a fragmented datagram covers all fragments, not this one.
        final int udpLength = (int)(header >>> 16) & 0xFFFF;
        if (!fragment && (udpLength < UdpHeader.LENGTH || udpLength > l4Length))
        {
            return UDP_BAD_LENGTH;
        }
        info.srcPort = (int)(header >>> 48) & 0xFFFF;
        info.dstPort = (int)(header >>> 32) & 0xFFFF;
        info.tcpFlags = 0;
        return OK;
    }

    private static int parseIcmpError(
        final long address, final int l4Offset, final int l4Length, final int outerSource, final PacketInfo info)
    {
        if (l4Length < IcmpHeader.LENGTH)
        {
            return ICMP_TRUNCATED;
        }
        final long icmp = address + l4Offset;
        final int type = IcmpHeader.type(icmp);
        if (!IcmpHeader.isError(type))
        {
            return ICMP_NOT_ERROR;
        }

        final int quoteOffset = l4Offset + IcmpHeader.LENGTH;
        final int quoted = l4Length - IcmpHeader.LENGTH;
        if (quoted < Ipv4Header.MIN_LENGTH)
        {
            return ICMP_QUOTE_TRUNCATED;
        }
        final long quote = address + quoteOffset;
        final int versionIhl = Memory.getU8(quote);
        final int headerLength = (versionIhl & 0xF) << 2;
        if ((versionIhl >>> 4) != 4 || headerLength < Ipv4Header.MIN_LENGTH)
        {
            return ICMP_QUOTE_BAD_HEADER;
        }
        if (headerLength + IcmpHeader.QUOTED_L4_LENGTH > quoted)
        {
            return ICMP_QUOTE_TRUNCATED;
        }
        final int protocol = Ipv4Header.protocol(quote);
        if (protocol != TCP && protocol != UDP)
        {
            return ICMP_QUOTE_UNSUPPORTED_PROTOCOL;
        }
        if ((Ipv4Header.fragmentField(quote) & Ipv4Header.FRAGMENT_OFFSET_MASK) != 0)
        {
            return ICMP_QUOTE_FRAGMENT;
        }
        final int quotedSource = Ipv4Header.source(quote);
        // The error goes back to the quoted packet's sender: that must be where it is addressed, the VIP.
        if (quotedSource != info.dstV4)
        {
            return ICMP_QUOTE_MISMATCH;
        }

        final int ports = Memory.getI32Be(quote + headerLength);
        info.icmpSourceV4 = outerSource;
        info.srcV4 = Ipv4Header.destination(quote);
        info.dstV4 = quotedSource;
        info.srcPort = ports & 0xFFFF;
        info.dstPort = ports >>> 16;
        info.protocol = protocol;
        info.tcpFlags = 0;
        info.icmpError = true;
        info.icmpType = type;
        info.icmpCode = IcmpHeader.code(icmp);
        info.icmpQuoteOffset = quoteOffset;
        return OK;
    }

    private static int parseIcmpv6Error(
        final long address, final int l4Offset, final int l4Length, final PacketInfo info)
    {
        if (l4Length < Icmpv6Header.LENGTH)
        {
            return ICMP_TRUNCATED;
        }
        final long icmp = address + l4Offset;
        final int type = Icmpv6Header.type(icmp);
        if (!Icmpv6Header.isError(type))
        {
            return Icmpv6Header.isNeighborDiscovery(type) ? ICMPV6_NEIGHBOR_DISCOVERY : ICMP_NOT_ERROR;
        }

        final int quoteOffset = l4Offset + Icmpv6Header.LENGTH;
        final int quoted = l4Length - Icmpv6Header.LENGTH;
        if (quoted < Ipv6Header.LENGTH)
        {
            return ICMP_QUOTE_TRUNCATED;
        }
        final long quote = address + quoteOffset;
        if (Ipv6Header.version(quote) != 6)
        {
            return ICMP_QUOTE_BAD_HEADER;
        }
        int protocol = Ipv6Header.nextHeader(quote);
        int headerLength = Ipv6Header.LENGTH;
        if (Ipv6Header.isExtension(protocol))
        {
            final int walked = walkExtensions(quote, quoted, protocol, null);
            if (walked < 0)
            {
                if (walked == -IPV6_TRUNCATED_EXTENSION)
                {
                    return ICMP_QUOTE_TRUNCATED;
                }
                return walked == -ICMP_QUOTE_FRAGMENT ? ICMP_QUOTE_FRAGMENT : ICMP_QUOTE_BAD_HEADER;
            }
            headerLength = walked >>> 8;
            protocol = walked & 0xFF;
        }
        if (headerLength + IcmpHeader.QUOTED_L4_LENGTH > quoted)
        {
            return ICMP_QUOTE_TRUNCATED;
        }
        if (protocol != TCP && protocol != UDP)
        {
            return ICMP_QUOTE_UNSUPPORTED_PROTOCOL;
        }
        final long quotedSourceHi = Ipv6Header.sourceHigh(quote);
        final long quotedSourceLo = Ipv6Header.sourceLow(quote);
        if (quotedSourceHi != info.dstHi || quotedSourceLo != info.dstLo)
        {
            return ICMP_QUOTE_MISMATCH;
        }

        final int ports = Memory.getI32Be(quote + headerLength);
        info.icmpSourceHi = info.srcHi;
        info.icmpSourceLo = info.srcLo;
        info.srcHi = Ipv6Header.destinationHigh(quote);
        info.srcLo = Ipv6Header.destinationLow(quote);
        info.srcPort = ports & 0xFFFF;
        info.dstPort = ports >>> 16;
        info.protocol = protocol;
        info.tcpFlags = 0;
        info.icmpError = true;
        info.icmpType = type;
        info.icmpCode = Icmpv6Header.code(icmp);
        info.icmpQuoteOffset = quoteOffset;
        return OK;
    }
}
