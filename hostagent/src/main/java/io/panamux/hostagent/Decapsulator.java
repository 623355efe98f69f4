package io.panamux.hostagent;

import io.panamux.dpdk.Mbuf;
import io.panamux.dpdk.Memory;
import io.panamux.fastpath.encap.GreHeader;
import io.panamux.fastpath.packet.Checksum;
import io.panamux.fastpath.packet.EthernetHeader;
import io.panamux.fastpath.packet.Ipv4Header;
import io.panamux.fastpath.packet.Ipv6Header;
import io.panamux.fastpath.packet.UdpHeader;

/**
 * Takes the tunnel headers off a frame addressed to this host, in place, leaving an ordinary Ethernet frame
 * of the inner packet for the host's kernel: the inverse of the MUX's {@code TunnelEncapsulator}.
 *
 * <pre>
 *  in:   | Ethernet 14 | outer IPv4 (to this host), protocol 4 / 41 | inner IP packet |
 *        | Ethernet 14 | outer IPv4, protocol 47 | GRE 4..16 (0x0800 / 0x86DD) | inner IP packet |
 *        | Ethernet 14 | outer IPv4, protocol 17 | UDP 8 (dport = GUE port) | inner IP packet |
 *  out:  | Ethernet 14 (same addresses, inner EtherType) | inner IP packet |
 * </pre>
 *
 * The Ethernet addresses are kept: the frame was addressed to this host's MAC, which is what the kernel
 * expects. The inner packet does not move; the 12 address bytes are copied to just before it and the mbuf's
 * data start is moved forward, so nothing is copied but the header. Ethernet padding after the inner packet
 * is cut.
 *
 * <p>ECN follows RFC 6040's decapsulation table (§4.2, normal mode), applied whole ({@link #ecnAfter}): the
 * outer codepoint reaches the inner header where it says more (CE over an ECN-capable packet, ECT(1) over
 * ECT(0)), and a CE mark over a packet that is not ECN-capable cannot be passed on, so the packet is dropped
 * ({@link #ECN_DROP}): delivering it would hide the congestion from the sender.
 *
 * <p>Only tunnels from a source the agent expects are opened ({@link TunnelSources#mayTunnel}: a MUX of the
 * pool or a host that runs an agent); others are {@link #REFUSED_SOURCE}, so an outsider cannot hand the
 * kernel inner packets with any source it likes. What is not a tunnel to this host (another destination,
 * another protocol, a UDP port other than GUE's) is left alone ({@link #NOT_A_TUNNEL}). A tunnel packet that is cut short, fragmented outside, or whose
 * inner header is not IPv4/IPv6 of a consistent length is {@link #MALFORMED} or {@link #FRAGMENT}: the
 * caller drops it (the kernel here could not take it either). Hot path: no allocation, no exception.
 */
public final class Decapsulator
{
    /** The mbuf now holds the inner packet behind an Ethernet header. */
    public static final int DECAPSULATED = 0;
    /** Not a tunnel packet for this host; the mbuf is unchanged. */
    public static final int NOT_A_TUNNEL = 1;
    /** A tunnel packet for this host that cannot be decapsulated; the mbuf is unchanged. */
    public static final int MALFORMED = 2;
    /** A fragment of a tunnel packet (the agent does not reassemble); the mbuf is unchanged. */
    public static final int FRAGMENT = 3;
    /** A tunnel packet for this host from a source that may not tunnel to it; the mbuf is unchanged. */
    public static final int REFUSED_SOURCE = 4;
    /** Outer CE over an inner packet that is not ECN-capable: RFC 6040 says drop; the mbuf is unchanged. */
    public static final int ECN_DROP = 5;

    private static final int GRE_CHECKSUM = 0x8000;
    private static final int GRE_ROUTING = 0x4000;
    private static final int GRE_KEY = 0x2000;
    private static final int GRE_SEQUENCE = 0x1000;
    private static final int GRE_VERSION = 0x0007;
    private static final int ECN_MASK = 0x03;
    private static final int DROP = -1;
    /**
     * RFC 6040 Figure 4, indexed {@code inner << 2 | outer} (0 Not-ECT, 1 ECT(1), 2 ECT(0), 3 CE): the inner
     * codepoint to forward, or {@link #DROP}.
     */
    private static final int[] ECN_TABLE = {
        // outer:  Not-ECT  ECT(1)  ECT(0)  CE
        /* Not-ECT */ 0, 0, 0, DROP,
        /* ECT(1)  */ 1, 1, 1, 3,
        /* ECT(0)  */ 2, 1, 2, 3,
        /* CE      */ 3, 3, 3, 3,
    };

    private final int hostAddress;
    private final int guePort;
    private final TunnelSources sources;
    private int outerSource;
    private int innerVersion;

    /**
     * @param hostAddress this host's IPv4 address: only tunnels addressed to it are opened.
     * @param guePort     the UDP destination port of GUE.
     * @param sources     who may tunnel to this host.
     */
    public Decapsulator(final int hostAddress, final int guePort, final TunnelSources sources)
    {
        this.hostAddress = hostAddress;
        this.guePort = guePort;
        this.sources = sources;
    }

    /**
     * RFC 6040 §4.2, normal mode: the ECN field of a decapsulated packet.
     *
     * @param inner the arriving inner ECN field (0 Not-ECT, 1 ECT(1), 2 ECT(0), 3 CE).
     * @param outer the arriving outer ECN field.
     * @return the inner ECN field to forward, or -1: drop the packet.
     */
    public static int ecnAfter(final int inner, final int outer)
    {
        return ECN_TABLE[(inner & ECN_MASK) << 2 | (outer & ECN_MASK)];
    }

    /**
     * @param mbuf a single-segment packet received from the network.
     * @return {@link #DECAPSULATED}, {@link #NOT_A_TUNNEL}, {@link #REFUSED_SOURCE}, {@link #MALFORMED},
     * {@link #FRAGMENT} or {@link #ECN_DROP}.
     */
    public int decapsulate(final long mbuf)
    {
        final long frame = Mbuf.dataAddress(mbuf);
        final int length = Mbuf.dataLength(mbuf);
        if (length < EthernetHeader.LENGTH + Ipv4Header.MIN_LENGTH
            || Memory.getU16Be(frame + EthernetHeader.ETHER_TYPE_OFFSET) != EthernetHeader.TYPE_IPV4)
        {
            return NOT_A_TUNNEL;
        }
        final long ip = frame + EthernetHeader.LENGTH;
        final int versionIhl = Memory.getU8(ip);
        final int ihl = (versionIhl & 0xF) << 2;
        if ((versionIhl >>> 4) != 4 || ihl < Ipv4Header.MIN_LENGTH || EthernetHeader.LENGTH + ihl > length
            || Memory.getI32Be(ip + Ipv4Header.DESTINATION_OFFSET) != hostAddress)
        {
            return NOT_A_TUNNEL;
        }
        final int protocol = Memory.getU8(ip + Ipv4Header.PROTOCOL_OFFSET);
        final int total = Memory.getU16Be(ip + Ipv4Header.TOTAL_LENGTH_OFFSET);
        final boolean fits = total >= ihl && EthernetHeader.LENGTH + total <= length;
        int innerOffset;
        int expectedVersion = 0;
        switch (protocol)
        {
            case Ipv4Header.PROTOCOL_IPIP -> {
                innerOffset = ihl;
                expectedVersion = 4;
            }
            case Ipv4Header.PROTOCOL_IPV6 -> {
                innerOffset = ihl;
                expectedVersion = 6;
            }
            case Ipv4Header.PROTOCOL_GRE -> {
                if (!fits || total < ihl + GreHeader.LENGTH)
                {
                    return MALFORMED;
                }
                final int flags = Memory.getU16Be(ip + ihl + GreHeader.FLAGS_VERSION_OFFSET);
                if ((flags & (GRE_ROUTING | GRE_VERSION)) != 0)
                {
                    return MALFORMED;
                }
                final int type = Memory.getU16Be(ip + ihl + GreHeader.PROTOCOL_TYPE_OFFSET);
                if (type != EthernetHeader.TYPE_IPV4 && type != EthernetHeader.TYPE_IPV6)
                {
                    return MALFORMED;
                }
                expectedVersion = type == EthernetHeader.TYPE_IPV4 ? 4 : 6;
                innerOffset = ihl + GreHeader.LENGTH + ((flags & GRE_CHECKSUM) != 0 ? 4 : 0) + ((flags & GRE_KEY) != 0 ? 4 : 0)
                    + ((flags & GRE_SEQUENCE) != 0 ? 4 : 0);
            }
            case Ipv4Header.PROTOCOL_UDP -> {
                if (EthernetHeader.LENGTH + ihl + UdpHeader.LENGTH > length
                    || Memory.getU16Be(ip + ihl + UdpHeader.DESTINATION_PORT_OFFSET) != guePort)
                {
                    return NOT_A_TUNNEL;
                }
                innerOffset = ihl + UdpHeader.LENGTH;
            }
            default -> {
                return NOT_A_TUNNEL;
            }
        }
        // Before anything else of the packet is believed: an outsider's tunnel is not looked into.
        if (!sources.mayTunnel(Memory.getI32Be(ip + Ipv4Header.SOURCE_OFFSET)))
        {
            return REFUSED_SOURCE;
        }
        if (!fits)
        {
            return MALFORMED;
        }
        if ((Memory.getU16Be(ip + Ipv4Header.FRAGMENT_OFFSET) & (Ipv4Header.FLAG_MORE_FRAGMENTS | Ipv4Header.FRAGMENT_OFFSET_MASK)) != 0)
        {
            return FRAGMENT;
        }
        final int available = total - innerOffset;
        if (available < Ipv4Header.MIN_LENGTH)
        {
            return MALFORMED;
        }
        final long inner = ip + innerOffset;
        final int version = Memory.getU8(inner) >>> 4;
        final int innerLength;
        final int etherType;
        if (version == 4)
        {
            innerLength = Memory.getU16Be(inner + Ipv4Header.TOTAL_LENGTH_OFFSET);
            if (innerLength < Ipv4Header.MIN_LENGTH || ((Memory.getU8(inner) & 0xF) << 2) < Ipv4Header.MIN_LENGTH)
            {
                return MALFORMED;
            }
            etherType = EthernetHeader.TYPE_IPV4;
        }
        else if (version == 6)
        {
            if (available < Ipv6Header.LENGTH)
            {
                return MALFORMED;
            }
            innerLength = Ipv6Header.LENGTH + Memory.getU16Be(inner + Ipv6Header.PAYLOAD_LENGTH_OFFSET);
            etherType = EthernetHeader.TYPE_IPV6;
        }
        else
        {
            return MALFORMED;
        }
        if (innerLength > available || (expectedVersion != 0 && expectedVersion != version))
        {
            return MALFORMED;
        }

        final int outerEcn = Memory.getU8(ip + Ipv4Header.TOS_OFFSET) & ECN_MASK;
        final int innerEcn = version == 4 ? Memory.getU8(inner + Ipv4Header.TOS_OFFSET) & ECN_MASK
            : (Memory.getI32Be(inner) >>> 20) & ECN_MASK;
        final int ecn = ECN_TABLE[innerEcn << 2 | outerEcn];
        if (ecn == DROP)
        {
            return ECN_DROP;
        }
        if (ecn != innerEcn)
        {
            setEcn(inner, version, ecn);
        }
        outerSource = Memory.getI32Be(ip + Ipv4Header.SOURCE_OFFSET);
        innerVersion = version;
        // The 12 address bytes move to just before the inner packet; [frame, frame + 12) and the new place
        // never overlap, since at least 20 bytes of outer header lie between them.
        final long newFrame = inner - EthernetHeader.LENGTH;
        Memory.putI64(newFrame, Memory.getI64(frame));
        Memory.putI32(newFrame + 8, Memory.getI32(frame + 8));
        Memory.putU16Be(newFrame + EthernetHeader.ETHER_TYPE_OFFSET, etherType);
        Mbuf.adjust(mbuf, (int)(newFrame - frame));
        Mbuf.length(mbuf, EthernetHeader.LENGTH + innerLength);
        return DECAPSULATED;
    }

    private static void setEcn(final long inner, final int version, final int ecn)
    {
        if (version == 4)
        {
            final int word = Memory.getU16Be(inner);
            final int changed = (word & ~ECN_MASK) | ecn;
            Memory.putU16Be(inner, changed);
            final int sum = Memory.getU16Be(inner + Ipv4Header.CHECKSUM_OFFSET);
            Memory.putU16Be(inner + Ipv4Header.CHECKSUM_OFFSET, Checksum.update16(sum, word, changed));
        }
        else
        {
            // Traffic class straddles the first two bytes: ECN is bits 20-21 of the first word.
            final int first = Memory.getI32Be(inner);
            Memory.putI32Be(inner, (first & ~(ECN_MASK << 20)) | (ecn << 20));
        }
    }

    /** @return the outer source of the last packet decapsulated: the MUX, or the sending host's agent. */
    public int outerSource()
    {
        return outerSource;
    }

    /** @return the IP version (4 or 6) of the last inner packet. */
    public int innerVersion()
    {
        return innerVersion;
    }
}
