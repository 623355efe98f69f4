package io.panamux.fastpath.packet;

/**
 * What {@link PacketParser} found in one frame: offsets, the flow's addresses and ports, and the flags
 * the worker decides on. Mutable and reused: a worker owns one and parses every packet into it, so the
 * fast path allocates nothing.
 *
 * <p>The parser writes the fields that are valid for what it found and leaves the others as they
 * were: the IPv4 address fields are valid only when {@link #ipVersion} is 4, the IPv6 ones only when
 * it is 6, the fragment id and offset only when {@link #isFragment}, the {@code icmp*} fields only when
 * {@link #icmpError}. After a drop verdict, the fields of the headers parsed before the problem are
 * valid (so a worker may look at the addresses of an ICMP echo to decide whether it is for the MUX).
 *
 * <p><b>ICMP errors.</b> For an ICMP or ICMPv6 error about a VIP's flow, the address, port and protocol
 * fields hold the <em>reversed</em> quoted flow: the quoted packet went VIP to client (from a backend,
 * by direct server return), so {@code src} is the client, {@code dst} the VIP and the ports are swapped,
 * and the error hashes to the same backend as the connection it belongs to. {@link #l3Offset},
 * {@link #l3Length}, {@link #tos} and {@link #ipv4DontFragment} stay those of the outer packet, the one
 * that is forwarded; the error's sender is in {@code icmpSource*}.
 *
 * <p><b>Fragments.</b> A fragmented datagram (IPv4 MF or offset, IPv6 fragment header) has
 * {@link #isFragment} set. The first fragment still has its ports parsed (for the VIP lookup); later
 * fragments have ports 0. All fragments of a datagram, the first included, must be hashed on the
 * 3-tuple (addresses, protocol, ports 0) so that every fragment reaches the same backend whatever the
 * order of arrival, and every MUX agrees: see {@link #hashesOnAddressesOnly()}. An IPv6 later fragment
 * whose fragmentable part starts with a destination options or authentication header (RFC 8200 §4.5:
 * they travel in the first fragment only) does not carry its upper-layer protocol: its {@link #protocol}
 * is that header's number and {@link #upperProtocolUnknown()} is true; the VIP on its address decides it.
 *
 * <p>Not final: a worker's packets of a burst extend it with what its stages decide.
 */
public class PacketInfo
{
    /** Length of the Ethernet header: 14, or 18 with an 802.1Q tag. */
    public int l2Length;
    /** VLAN id of the 802.1Q tag, or -1 when untagged. */
    public int vlanId;
    /** EtherType after any VLAN tag. */
    public int etherType;
    /** 4 or 6. */
    public int ipVersion;
    /** Offset of the IP header from the start of the frame (= {@link #l2Length}). */
    public int l3Offset;
    /** IP total length: header, extension headers and payload, without Ethernet padding. */
    public int l3Length;
    /**
     * Offset of the L4 header from the start of the frame (for an ICMP error, of the outer ICMP header;
     * for a later fragment, of the fragment's data).
     */
    public int l4Offset;
    /**
     * Upper-layer protocol of the flow (after IPv6 extension headers; the quoted one for ICMP errors); for
     * an IPv6 later fragment, the fragment header's next header (see {@link #upperProtocolUnknown()}).
     */
    public int protocol;
    /** IPv4 source address of the flow. */
    public int srcV4;
    /** IPv4 destination address of the flow. */
    public int dstV4;
    /** High 64 bits of the IPv6 source of the flow. */
    public long srcHi;
    /** Low 64 bits of the IPv6 source of the flow. */
    public long srcLo;
    /** High 64 bits of the IPv6 destination of the flow. */
    public long dstHi;
    /** Low 64 bits of the IPv6 destination of the flow. */
    public long dstLo;
    /** Source port of the flow (0 for later fragments). */
    public int srcPort;
    /** Destination port of the flow (0 for later fragments). */
    public int dstPort;
    /** TCP flags byte (CWR..FIN); 0 for UDP, later fragments and ICMP errors. */
    public int tcpFlags;
    /** IPv4 DF bit of the (outer) packet; false for IPv6, which routers never fragment anyway. */
    public boolean ipv4DontFragment;
    /** IPv4 DSCP/ECN byte, or IPv6 traffic class, of the (outer) packet. */
    public int tos;
    /** Part of a fragmented datagram (atomic fragments, offset 0 without MF, are not). */
    public boolean isFragment;
    /** The fragment at offset 0, which carries the L4 header. */
    public boolean isFirstFragment;
    /** Fragment identification (16 bits for IPv4, 32 for IPv6). */
    public int fragmentId;
    /** Fragment offset in bytes. */
    public int fragmentOffset;
    /** An ICMP (types 3, 11, 12) or ICMPv6 (types 1 to 4) error whose quote names a flow. */
    public boolean icmpError;
    /** ICMP type of the error. */
    public int icmpType;
    /** ICMP code of the error. */
    public int icmpCode;
    /** Offset of the quoted IP header from the start of the frame. */
    public int icmpQuoteOffset;
    /** IPv4 source of the error message (the router that reported it). */
    public int icmpSourceV4;
    /** High 64 bits of the IPv6 source of the error message. */
    public long icmpSourceHi;
    /** Low 64 bits of the IPv6 source of the error message. */
    public long icmpSourceLo;

    /** Creates an info in the {@link #reset()} state. */
    public PacketInfo()
    {
        reset();
    }

    /**
     * @return true when the flow hash must ignore the ports: every fragment of a datagram, the first
     * included. ICMP errors are never fragments (fragmented ICMP is dropped).
     */
    public boolean hashesOnAddressesOnly()
    {
        return isFragment;
    }

    /**
     * @return true for an IPv6 later fragment whose upper-layer protocol is not in it: the fragment header
     * names a destination options or authentication header, which only the first fragment holds, so
     * {@link #protocol} is that header's number, not TCP or UDP.
     */
    public boolean upperProtocolUnknown()
    {
        return isFragment && !isFirstFragment && protocol != Ipv4Header.PROTOCOL_TCP && protocol != Ipv4Header.PROTOCOL_UDP;
    }

    /** Clears every field (the parser does not need it; tests and tools use it). */
    public final void reset()
    {
        l2Length = 0;
        vlanId = -1;
        etherType = 0;
        ipVersion = 0;
        l3Offset = 0;
        l3Length = 0;
        l4Offset = 0;
        protocol = 0;
        srcV4 = 0;
        dstV4 = 0;
        srcHi = 0;
        srcLo = 0;
        dstHi = 0;
        dstLo = 0;
        srcPort = 0;
        dstPort = 0;
        tcpFlags = 0;
        ipv4DontFragment = false;
        tos = 0;
        isFragment = false;
        isFirstFragment = false;
        fragmentId = 0;
        fragmentOffset = 0;
        icmpError = false;
        icmpType = 0;
        icmpCode = 0;
        icmpQuoteOffset = 0;
        icmpSourceV4 = 0;
        icmpSourceHi = 0;
        icmpSourceLo = 0;
    }

    /** @return the fields, for test failure messages and debugging (allocates). */
    @Override
    public String toString()
    {
        return "PacketInfo{l2Length=" + l2Length + ", vlanId=" + vlanId + ", etherType=0x" +
            Integer.toHexString(etherType) + ", ipVersion=" + ipVersion + ", l3Offset=" + l3Offset +
            ", l3Length=" + l3Length + ", l4Offset=" + l4Offset + ", protocol=" + protocol +
            ", srcV4=0x" + Integer.toHexString(srcV4) + ", dstV4=0x" + Integer.toHexString(dstV4) +
            ", src=" + Long.toHexString(srcHi) + ":" + Long.toHexString(srcLo) +
            ", dst=" + Long.toHexString(dstHi) + ":" + Long.toHexString(dstLo) +
            ", srcPort=" + srcPort + ", dstPort=" + dstPort + ", tcpFlags=0x" + Integer.toHexString(tcpFlags) +
            ", df=" + ipv4DontFragment + ", tos=" + tos + ", isFragment=" + isFragment +
            ", isFirstFragment=" + isFirstFragment + ", fragmentId=" + fragmentId +
            ", fragmentOffset=" + fragmentOffset + ", icmpError=" + icmpError + ", icmpType=" + icmpType +
            ", icmpCode=" + icmpCode + ", icmpQuoteOffset=" + icmpQuoteOffset + "}";
    }
}
