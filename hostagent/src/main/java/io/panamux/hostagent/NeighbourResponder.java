package io.panamux.hostagent;

import io.panamux.dpdk.Mbuf;
import io.panamux.dpdk.Memory;
import io.panamux.fastpath.packet.Checksum;
import io.panamux.fastpath.packet.EthernetHeader;
import io.panamux.fastpath.packet.Icmpv6Header;
import io.panamux.fastpath.packet.Ipv6Header;

/**
 * Answers, on the network side, ARP requests for this host's IPv4 address (RFC 826) and neighbour
 * solicitations for its IPv6 address (RFC 4861 §7.2.4), from the host port's MAC: the router must reach the
 * host's address whether or not the kernel behind the host port can answer (its device down or not yet
 * configured, ARP off, IPv6 disabled on it, or a host port that is no kernel device at all). The request is
 * turned into the answer in place; what is not a request for one of these addresses is left alone.
 *
 * <p>A solicitation is answered only when it is well formed as RFC 4861 §7.1.1 asks (hop limit 255, code 0,
 * valid checksum, at least 24 bytes): the hop limit proves it was sent on this link. Duplicate address
 * detection probes (unspecified source) are left to the kernel. Hot path: no allocation.
 */
public final class NeighbourResponder
{
    /** The frame is now the answer: send it back to the network. */
    public static final int ANSWERED = 0;
    /** Not a request for this host's addresses; the frame is unchanged. */
    public static final int NOT_MINE = 1;

    private static final int ARP_LENGTH = 28;
    private static final int ARP_REQUEST = 1;
    private static final int ARP_REPLY = 2;
    private static final int ICMPV6 = 58;
    private static final int NEIGHBOR_ADVERTISEMENT = 136;
    private static final int NS_LENGTH = 24;
    /** Advertisement (24 bytes) and a target link-layer address option (8). */
    private static final int NA_LENGTH = 32;
    private static final int OPTION_TARGET_LINK_LAYER = 2;
    /** Solicited and override (RFC 4861 §7.2.4). */
    private static final int NA_FLAGS = 0x6000_0000;

    private final long mac;
    private final int address;
    private final boolean hasAddress6;
    private final long address6Hi;
    private final long address6Lo;

    /**
     * @param mac      the MAC to answer with (the host port's: where the host's traffic goes).
     * @param address  this host's IPv4 address.
     * @param address6 this host's IPv6 address, or null.
     */
    public NeighbourResponder(final long mac, final int address, final Ip6 address6)
    {
        this.mac = mac;
        this.address = address;
        this.hasAddress6 = address6 != null;
        this.address6Hi = address6 == null ? 0 : address6.hi();
        this.address6Lo = address6 == null ? 0 : address6.lo();
    }

    /**
     * @param mbuf a single-segment frame from the network.
     * @return {@link #ANSWERED} (the mbuf holds the answer) or {@link #NOT_MINE}.
     */
    public int answer(final long mbuf)
    {
        final long frame = Mbuf.dataAddress(mbuf);
        final int length = Mbuf.dataLength(mbuf);
        if (length < EthernetHeader.LENGTH + ARP_LENGTH)
        {
            return NOT_MINE;
        }
        final int type = Memory.getU16Be(frame + EthernetHeader.ETHER_TYPE_OFFSET);
        if (type == EthernetHeader.TYPE_ARP)
        {
            return arp(frame);
        }
        return type == EthernetHeader.TYPE_IPV6 && hasAddress6 ? solicitation(mbuf, frame, length) : NOT_MINE;
    }

    private int arp(final long frame)
    {
        final long arp = frame + EthernetHeader.LENGTH;
        final int senderIp = Memory.getI32Be(arp + 14);
        if (Memory.getU16Be(arp) != 1 || Memory.getU16Be(arp + 2) != EthernetHeader.TYPE_IPV4 || Memory.getU8(arp + 4) != 6
            || Memory.getU8(arp + 5) != 4 || Memory.getU16Be(arp + 6) != ARP_REQUEST || Memory.getI32Be(arp + 24) != address
            || senderIp == address || senderIp == 0)
        {
            // Not a request for this host, or a probe/announcement (sender 0 or this address): the kernel's.
            return NOT_MINE;
        }
        final long senderMac = getMac(arp + 8);
        putMac(arp + 18, senderMac);
        Memory.putI32Be(arp + 24, senderIp);
        putMac(arp + 8, mac);
        Memory.putI32Be(arp + 14, address);
        Memory.putU16Be(arp + 6, ARP_REPLY);
        putMac(frame + EthernetHeader.DESTINATION_OFFSET, senderMac);
        putMac(frame + EthernetHeader.SOURCE_OFFSET, mac);
        return ANSWERED;
    }

    private int solicitation(final long mbuf, final long frame, final int length)
    {
        final long ip = frame + EthernetHeader.LENGTH;
        if (length < EthernetHeader.LENGTH + Ipv6Header.LENGTH + NS_LENGTH || (Memory.getU8(ip) >>> 4) != 6
            || Memory.getU8(ip + Ipv6Header.NEXT_HEADER_OFFSET) != ICMPV6 || Memory.getU8(ip + Ipv6Header.HOP_LIMIT_OFFSET) != 255)
        {
            return NOT_MINE;
        }
        final long icmp = ip + Ipv6Header.LENGTH;
        final int icmpLength = Memory.getU16Be(ip + Ipv6Header.PAYLOAD_LENGTH_OFFSET);
        if (Memory.getU8(icmp) != Icmpv6Header.TYPE_NEIGHBOR_SOLICITATION || Memory.getU8(icmp + 1) != 0 || icmpLength < NS_LENGTH
            || EthernetHeader.LENGTH + Ipv6Header.LENGTH + icmpLength > length
            || Memory.getI64Be(icmp + 8) != address6Hi || Memory.getI64Be(icmp + 16) != address6Lo)
        {
            return NOT_MINE;
        }
        final long srcHi = Memory.getI64Be(ip + Ipv6Header.SOURCE_OFFSET);
        final long srcLo = Memory.getI64Be(ip + Ipv6Header.SOURCE_OFFSET + 8);
        if ((srcHi | srcLo) == 0)
        {
            // Duplicate address detection: the kernel defends its address (or learns it is taken).
            return NOT_MINE;
        }
        final long sum = Checksum.sum(icmp, icmpLength, Checksum.pseudoHeaderV6(srcHi, srcLo, Memory.getI64Be(ip + Ipv6Header.DESTINATION_OFFSET),
            Memory.getI64Be(ip + Ipv6Header.DESTINATION_OFFSET + 8), ICMPV6, icmpLength));
        if (Checksum.fold(sum) != 0xFFFF || EthernetHeader.LENGTH + Ipv6Header.LENGTH + NA_LENGTH > length + Mbuf.tailroom(mbuf))
        {
            return NOT_MINE;
        }
        final long requesterMac = getMac(frame + EthernetHeader.SOURCE_OFFSET);
        putMac(frame + EthernetHeader.DESTINATION_OFFSET, requesterMac);
        putMac(frame + EthernetHeader.SOURCE_OFFSET, mac);
        Ipv6Header.put(ip, 0, 0, NA_LENGTH, ICMPV6, 255, address6Hi, address6Lo, srcHi, srcLo);
        Memory.putU8(icmp, NEIGHBOR_ADVERTISEMENT);
        Memory.putU8(icmp + 1, 0);
        Memory.putU16Be(icmp + Icmpv6Header.CHECKSUM_OFFSET, 0);
        Memory.putI32Be(icmp + 4, NA_FLAGS);
        Memory.putI64Be(icmp + 8, address6Hi);
        Memory.putI64Be(icmp + 16, address6Lo);
        Memory.putU8(icmp + 24, OPTION_TARGET_LINK_LAYER);
        Memory.putU8(icmp + 25, 1);
        putMac(icmp + 26, mac);
        Memory.putU16Be(icmp + Icmpv6Header.CHECKSUM_OFFSET, Checksum.finish(Checksum.sum(icmp, NA_LENGTH,
            Checksum.pseudoHeaderV6(address6Hi, address6Lo, srcHi, srcLo, ICMPV6, NA_LENGTH))));
        Mbuf.length(mbuf, EthernetHeader.LENGTH + Ipv6Header.LENGTH + NA_LENGTH);
        return ANSWERED;
    }

    private static long getMac(final long at)
    {
        return ((long)Memory.getU16Be(at) << 32) | (Memory.getI32Be(at + 2) & 0xFFFF_FFFFL);
    }

    private static void putMac(final long at, final long value)
    {
        Memory.putU16Be(at, (int)(value >>> 32) & 0xFFFF);
        Memory.putI32Be(at + 2, (int)value);
    }
}
