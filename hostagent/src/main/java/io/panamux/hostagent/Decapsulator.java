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
 *        | Ethernet 14 | outer IPv6 (to this host) [extension headers], next header 4 / 41 / 47 / 17 | ... | inner IP packet |
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
    /**
     * An IPv6 tunnel packet for this host whose extension headers before the tunnel header cannot be passed: a
     * routing header with segments left (the packet is not at its last hop), AH or ESP (the agent verifies
     * neither), a header it does not know, a chain longer than {@link #MAX_EXTENSIONS} or cut short. The mbuf
     * is unchanged.
     */
    public static final int EXTENSION_DROP = 6;
    /** Extension headers walked before giving up: a longer chain is an attack on the walker, not a tunnel. */
    public static final int MAX_EXTENSIONS = 8;

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

    private static final int NEXT_ESP = 50;
    private static final int NEXT_NONE = 59;

    private final int hostAddress;
    private final boolean hasAddress6;
    private final long hostAddress6Hi;
    private final long hostAddress6Lo;
    /** One bit per UDP port: set for the ports GUE is opened on. */
    private final long[] guePorts = new long[65536 / Long.SIZE];
    private final TunnelSources sources;
    private int outerSource;
    private int outerVersion;
    private long outerSource6Hi;
    private long outerSource6Lo;
    private int innerVersion;

    /**
     * @param hostAddress this host's IPv4 address: only tunnels addressed to it are opened.
     * @param guePort     the UDP destination port of GUE.
     * @param sources     who may tunnel to this host.
     */
    public Decapsulator(final int hostAddress, final int guePort, final TunnelSources sources)
    {
        this(hostAddress, null, guePort, sources);
    }

    /**
     * @param hostAddress  this host's IPv4 address: only IPv4 tunnels addressed to it are opened.
     * @param hostAddress6 this host's IPv6 address, or null: only IPv6 tunnels addressed to it are opened.
     * @param guePort      the UDP destination port of GUE.
     * @param sources      who may tunnel to this host.
     */
    public Decapsulator(final int hostAddress, final Ip6 hostAddress6, final int guePort, final TunnelSources sources)
    {
        this(hostAddress, hostAddress6, new int[] {guePort}, sources);
    }

    /**
     * @param hostAddress  this host's IPv4 address: only IPv4 tunnels addressed to it are opened.
     * @param hostAddress6 this host's IPv6 address, or null: only IPv6 tunnels addressed to it are opened.
     * @param guePorts     the UDP destination ports of GUE: the agent's own and those the MUXes send the pool's VIPs to.
     * @param sources      who may tunnel to this host.
     */
    public Decapsulator(final int hostAddress, final Ip6 hostAddress6, final int[] guePorts, final TunnelSources sources)
    {
        for (final int port : guePorts)
        {
            this.guePorts[port >>> 6] |= 1L << port;
        }
        this.hostAddress = hostAddress;
        this.hasAddress6 = hostAddress6 != null;
        this.hostAddress6Hi = hostAddress6 == null ? 0 : hostAddress6.hi();
        this.hostAddress6Lo = hostAddress6 == null ? 0 : hostAddress6.lo();
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
     * {@link #FRAGMENT}, {@link #ECN_DROP} or {@link #EXTENSION_DROP}.
     */
    public int decapsulate(final long mbuf)
    {
        final long frame = Mbuf.dataAddress(mbuf);
        final int length = Mbuf.dataLength(mbuf);
        if (length < EthernetHeader.LENGTH + Ipv4Header.MIN_LENGTH)
        {
            return NOT_A_TUNNEL;
        }
        final int etherType = Memory.getU16Be(frame + EthernetHeader.ETHER_TYPE_OFFSET);
        if (etherType == EthernetHeader.TYPE_IPV6)
        {
            return hasAddress6 ? decapsulate6(mbuf, frame, length) : NOT_A_TUNNEL;
        }
        if (etherType != EthernetHeader.TYPE_IPV4)
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
                    || !gue(Memory.getU16Be(ip + ihl + UdpHeader.DESTINATION_PORT_OFFSET)))
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
        // Read before the frame is rewritten: the new Ethernet header goes over the outer header.
        final int source = Memory.getI32Be(ip + Ipv4Header.SOURCE_OFFSET);
        final int verdict = open(mbuf, frame, ip, innerOffset, total, expectedVersion, Memory.getU8(ip + Ipv4Header.TOS_OFFSET) & ECN_MASK);
        if (verdict == DECAPSULATED)
        {
            outerVersion = 4;
            outerSource = source;
        }
        return verdict;
    }

    /**
     * An IPv6 outer header: next header 41 (IPv6 in IPv6), 4 (IPv4 in IPv6), 47 (GRE) or 17 (GUE), after any
     * hop-by-hop, destination options, routing (segments left 0) and atomic-fragment headers.
     */
    private int decapsulate6(final long mbuf, final long frame, final int length)
    {
        final long ip = frame + EthernetHeader.LENGTH;
        if (length < EthernetHeader.LENGTH + Ipv6Header.LENGTH || (Memory.getU8(ip) >>> 4) != 6
            || Memory.getI64Be(ip + Ipv6Header.DESTINATION_OFFSET) != hostAddress6Hi
            || Memory.getI64Be(ip + Ipv6Header.DESTINATION_OFFSET + 8) != hostAddress6Lo)
        {
            return NOT_A_TUNNEL;
        }
        // Everything is measured against the end the outer header gives, within what arrived.
        final int total = Ipv6Header.LENGTH + Memory.getU16Be(ip + Ipv6Header.PAYLOAD_LENGTH_OFFSET);
        final int end = Math.min(total, length - EthernetHeader.LENGTH);
        int next = Memory.getU8(ip + Ipv6Header.NEXT_HEADER_OFFSET);
        int offset = Ipv6Header.LENGTH;
        boolean extensionProblem = false;
        boolean fragment = false;
        boolean authenticated = false;
        for (int n = 0; !extensionProblem && next != NEXT_ESP && isExtension6(next); n++)
        {
            if (n == MAX_EXTENSIONS || offset + Ipv6Header.EXTENSION_MIN_LENGTH > end)
            {
                extensionProblem = true;
                break;
            }
            final long header = ip + offset;
            final int following = Memory.getU8(header + Ipv6Header.EXTENSION_NEXT_HEADER_OFFSET);
            switch (next)
            {
                case Ipv6Header.NEXT_FRAGMENT -> {
                    // An atomic fragment (offset 0, no more) is a whole packet (RFC 6946); any other is a piece.
                    if ((Memory.getU16Be(header + Ipv6Header.FRAGMENT_OFFSET_FLAGS_OFFSET)
                        & (Ipv6Header.FRAGMENT_OFFSET_MASK | Ipv6Header.FRAGMENT_MORE)) != 0)
                    {
                        fragment = true;
                    }
                    offset += Ipv6Header.EXTENSION_MIN_LENGTH;
                }
                case Ipv6Header.NEXT_ROUTING -> {
                    // Segments left: this host is not the packet's last destination yet.
                    if (Memory.getU8(header + 3) != 0)
                    {
                        extensionProblem = true;
                    }
                    offset += (Memory.getU8(header + Ipv6Header.EXTENSION_LENGTH_OFFSET) + 1) * 8;
                }
                case Ipv6Header.NEXT_HOP_BY_HOP, Ipv6Header.NEXT_DESTINATION_OPTIONS ->
                    offset += (Memory.getU8(header + Ipv6Header.EXTENSION_LENGTH_OFFSET) + 1) * 8;
                case Ipv6Header.NEXT_AUTHENTICATION -> {
                    // RFC 4302: the length is in 4-byte units, minus 2. Walked over to see what it protects.
                    authenticated = true;
                    offset += (Memory.getU8(header + Ipv6Header.EXTENSION_LENGTH_OFFSET) + 2) * 4;
                }
                default -> extensionProblem = true;
            }
            next = following;
        }
        final int innerOffset;
        int expectedVersion = 0;
        if (extensionProblem || offset > end)
        {
            // The tunnel header cannot be found (or must not be looked for): only a packet from someone who may
            // tunnel here is counted as a tunnel; anyone else's goes to the kernel, which judges it.
            return sources.mayTunnel6(Memory.getI64Be(ip + Ipv6Header.SOURCE_OFFSET), Memory.getI64Be(ip + Ipv6Header.SOURCE_OFFSET + 8))
                ? EXTENSION_DROP : NOT_A_TUNNEL;
        }
        switch (next)
        {
            case Ipv4Header.PROTOCOL_IPIP -> {
                innerOffset = offset;
                expectedVersion = 4;
            }
            case Ipv4Header.PROTOCOL_IPV6 -> {
                innerOffset = offset;
                expectedVersion = 6;
            }
            case Ipv4Header.PROTOCOL_GRE -> {
                if (offset + GreHeader.LENGTH > end)
                {
                    return MALFORMED;
                }
                final int flags = Memory.getU16Be(ip + offset + GreHeader.FLAGS_VERSION_OFFSET);
                final int type = Memory.getU16Be(ip + offset + GreHeader.PROTOCOL_TYPE_OFFSET);
                if ((flags & (GRE_ROUTING | GRE_VERSION)) != 0 || (type != EthernetHeader.TYPE_IPV4 && type != EthernetHeader.TYPE_IPV6))
                {
                    return MALFORMED;
                }
                expectedVersion = type == EthernetHeader.TYPE_IPV4 ? 4 : 6;
                innerOffset = offset + GreHeader.LENGTH + ((flags & GRE_CHECKSUM) != 0 ? 4 : 0) + ((flags & GRE_KEY) != 0 ? 4 : 0)
                    + ((flags & GRE_SEQUENCE) != 0 ? 4 : 0);
            }
            case Ipv4Header.PROTOCOL_UDP -> {
                if (offset + UdpHeader.LENGTH > end || !gue(Memory.getU16Be(ip + offset + UdpHeader.DESTINATION_PORT_OFFSET)))
                {
                    return NOT_A_TUNNEL;
                }
                innerOffset = offset + UdpHeader.LENGTH;
            }
            default -> {
                // ESP (encrypted: the kernel's), ICMPv6, TCP, ... to this host: not a tunnel.
                return NOT_A_TUNNEL;
            }
        }
        final long sourceHi = Memory.getI64Be(ip + Ipv6Header.SOURCE_OFFSET);
        final long sourceLo = Memory.getI64Be(ip + Ipv6Header.SOURCE_OFFSET + 8);
        if (!sources.mayTunnel6(sourceHi, sourceLo))
        {
            return REFUSED_SOURCE;
        }
        if (authenticated)
        {
            // A tunnel under AH: the agent cannot check the authentication, so it must not open it.
            return EXTENSION_DROP;
        }
        if (total > length - EthernetHeader.LENGTH)
        {
            return MALFORMED;
        }
        if (fragment)
        {
            return FRAGMENT;
        }
        final int verdict = open(mbuf, frame, ip, innerOffset, total, expectedVersion, (Memory.getI32Be(ip) >>> 20) & ECN_MASK);
        if (verdict == DECAPSULATED)
        {
            outerVersion = 6;
            outerSource6Hi = sourceHi;
            outerSource6Lo = sourceLo;
            outerSource = 0;
        }
        return verdict;
    }

    private static boolean isExtension6(final int next)
    {
        return next == Ipv6Header.NEXT_HOP_BY_HOP || next == Ipv6Header.NEXT_ROUTING || next == Ipv6Header.NEXT_FRAGMENT
            || next == Ipv6Header.NEXT_DESTINATION_OPTIONS || next == Ipv6Header.NEXT_AUTHENTICATION || next == NEXT_ESP
            // Mobility, HIP, shim6, and the experimental values (RFC 7045's list): extension headers, not tunnels.
            || next == 135 || next == 139 || next == 140 || next == 253 || next == 254;
    }

    /**
     * Checks the inner packet at {@code ip + innerOffset} (up to {@code ip + total}), applies RFC 6040 and
     * turns the frame into an Ethernet frame of the inner packet.
     */
    private int open(final long mbuf, final long frame, final long ip, final int innerOffset, final int total, final int expectedVersion,
        final int outerEcn)
    {
        if (innerOffset > total)
        {
            return MALFORMED;
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

    /** @return the IPv4 outer source of the last packet decapsulated (the MUX, or the sending host's agent), 0 after an IPv6 one. */
    public int outerSource()
    {
        return outerSource;
    }

    /** @return the IP version (4 or 6) of the last outer header taken off. */
    public int outerVersion()
    {
        return outerVersion;
    }

    /** @return the high 64 bits of the IPv6 outer source of the last packet decapsulated (when {@link #outerVersion} is 6). */
    public long outerSource6Hi()
    {
        return outerSource6Hi;
    }

    /** @return the low 64 bits of the IPv6 outer source of the last packet decapsulated. */
    public long outerSource6Lo()
    {
        return outerSource6Lo;
    }

    /** @return the IP version (4 or 6) of the last inner packet. */
    public int innerVersion()
    {
        return innerVersion;
    }

    /** @return whether GUE is opened on UDP port {@code port}. */
    private boolean gue(final int port)
    {
        return (guePorts[port >>> 6] & 1L << port) != 0;
    }
}
