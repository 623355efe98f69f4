package io.panamux.fastpath.packet;

/**
 * Why the fast path did not forward a packet, one counter per constant. The fast path passes reasons
 * around as {@code int} ordinals (no object on the hot path) and indexes its counter arrays with them;
 * {@link #metricName()} is the stable name in stats output ({@code drops: {reason: count}}).
 *
 * <p>Ordinal 0 is {@link #NONE} ("forward it"). {@link #ARP} is a verdict, not a drop: the frame goes to
 * the control thread, which answers ARP. Constants may be added at the end of any group; the ordinals
 * are process-local (never written to disk or the wire), the metric names are the contract.
 */
public enum DropReason
{
    /** Not a drop: the packet is fine (ordinal 0, {@link PacketParser#OK}). */
    NONE("none"),
    /** Not a drop: an ARP frame, for the control thread. */
    ARP("arp"),

    // Layer 2.
    /** Frame shorter than an Ethernet header. */
    TRUNCATED_ETHERNET("truncated_ethernet"),
    /** Frame shorter than an Ethernet header with an 802.1Q tag. */
    TRUNCATED_VLAN("truncated_vlan"),
    /** More than one VLAN tag (QinQ, 802.1ad), which the MUX does not take. */
    MULTIPLE_VLAN("multiple_vlan"),
    /** EtherType neither IPv4, IPv6 nor ARP. */
    NON_IP("non_ip_ethertype"),

    // IPv4.
    /** Frame too short for the IPv4 header (fixed part or options). */
    IPV4_TRUNCATED("ipv4_truncated"),
    /** EtherType IPv4 but the version nibble is not 4. */
    IPV4_BAD_VERSION("ipv4_bad_version"),
    /** IHL below 5. */
    IPV4_BAD_IHL("ipv4_bad_ihl"),
    /** Total length smaller than the header length. */
    IPV4_LENGTH_BELOW_HEADER("ipv4_length_below_header"),
    /** Total length beyond the end of the frame. */
    IPV4_LENGTH_BEYOND_FRAME("ipv4_length_beyond_frame"),

    // IPv6.
    /** Frame too short for the fixed IPv6 header. */
    IPV6_TRUNCATED("ipv6_truncated"),
    /** EtherType IPv6 but the version nibble is not 6. */
    IPV6_BAD_VERSION("ipv6_bad_version"),
    /** Payload length beyond the end of the frame. */
    IPV6_LENGTH_BEYOND_FRAME("ipv6_length_beyond_frame"),
    /** An extension header runs past the end of the IPv6 payload. */
    IPV6_TRUNCATED_EXTENSION("ipv6_truncated_extension_header"),
    /** A hop-by-hop header that is not the first after the fixed header (RFC 8200 section 4.3). */
    IPV6_MISPLACED_HOP_BY_HOP("ipv6_misplaced_hop_by_hop"),
    /** More extension headers than the parser walks ({@link PacketParser#MAX_IPV6_EXTENSIONS}). */
    IPV6_EXTENSION_CHAIN_TOO_LONG("ipv6_extension_chain_too_long"),

    // Layer 4.
    /** Upper-layer protocol not TCP, UDP, ICMP (over IPv4) or ICMPv6 (over IPv6). */
    UNSUPPORTED_PROTOCOL("unsupported_protocol"),
    /** IP payload shorter than a TCP header, or than the TCP data offset. */
    TCP_TRUNCATED("tcp_truncated"),
    /** TCP data offset below 5. */
    TCP_BAD_DATA_OFFSET("tcp_bad_data_offset"),
    /** IP payload shorter than a UDP header. */
    UDP_TRUNCATED("udp_truncated"),
    /** UDP length below 8 or beyond the IP payload (unfragmented datagrams only). */
    UDP_BAD_LENGTH("udp_bad_length"),
    /** IP payload shorter than an ICMP header. */
    ICMP_TRUNCATED("icmp_truncated"),
    /** ICMP or ICMPv6 that is not an error (echo and the like): nothing to balance. */
    ICMP_NOT_ERROR("icmp_not_error"),
    /** ICMPv6 neighbour discovery (types 133 to 137), not balanced. */
    ICMPV6_NEIGHBOR_DISCOVERY("icmpv6_neighbor_discovery"),
    /** A fragmented ICMP or ICMPv6 message (errors are small, fragments carry no usable quote). */
    ICMP_FRAGMENTED("icmp_fragmented"),
    /** The quote of an ICMP error is shorter than its IP header plus 8 bytes. */
    ICMP_QUOTE_TRUNCATED("icmp_quote_truncated"),
    /** The quoted IP header has the wrong version, a bad IHL or a bad extension header chain. */
    ICMP_QUOTE_BAD_HEADER("icmp_quote_bad_header"),
    /** The quoted packet is not TCP or UDP. */
    ICMP_QUOTE_UNSUPPORTED_PROTOCOL("icmp_quote_unsupported_protocol"),
    /** The quoted packet is a non-first fragment: no ports to find the flow. */
    ICMP_QUOTE_FRAGMENT("icmp_quote_fragment"),
    /** The error is not addressed to the quoted packet's source, so it is not about a VIP's flow. */
    ICMP_QUOTE_MISMATCH("icmp_quote_mismatch"),

    // Forwarding decisions (worker).
    /** Destination is not a VIP (and not the MUX). */
    NOT_VIP("not_vip"),
    /** The VIP has no usable backend. */
    NO_BACKEND("no_backend"),
    /** A fragment of a datagram whose VIP cannot be told (address served on several ports). */
    FRAGMENT_UNKNOWN_VIP("fragment_unknown_vip"),
    /** The mbuf is chained (more than one segment). */
    MULTI_SEGMENT("multi_segment"),
    /** The TX queue did not take the packet. */
    TX_FULL("tx_full"),
    /** Freed because the worker's duty cycle failed with an exception while it held the packet ({@code worker_errors}). */
    WORKER_ERROR("worker_error"),

    // Encapsulation.
    /** Not enough mbuf headroom for the outer headers (or for an ICMP reply). */
    HEADROOM("headroom"),
    /**
     * Too big for the port MTU once encapsulated and not to be fragmented (IPv4 DF set, or IPv6): the
     * worker answers it with {@code IcmpTooBigWriter}, the original packet is not forwarded.
     */
    TOO_BIG("too_big"),
    /**
     * Too big for the port MTU once encapsulated, IPv4 without DF: the MUX does not fragment (it has no
     * spare mbufs in the encapsulator and the backend would have to reassemble), it drops and counts.
     */
    TOO_BIG_NO_DF("too_big_no_df"),
    /**
     * Too big with DF, but no ICMP error may be sent about it (RFC 1122 3.2.2, RFC 4443 2.4(e)): it is
     * itself an ICMP error, a non-first fragment, or its source is not a unicast address.
     */
    TOO_BIG_NO_REPLY("too_big_no_reply"),
    /** The gateway's MAC is not known yet (ARP not resolved). */
    NO_NEXT_HOP("no_next_hop");

    private static final DropReason[] VALUES = values();

    private final String metricName;

    DropReason(final String metricName)
    {
        this.metricName = metricName;
    }

    /** @return the stable snake_case name of this reason in stats and metrics. */
    public String metricName()
    {
        return metricName;
    }

    /** @return true unless this is {@link #NONE} or {@link #ARP}. */
    public boolean isDrop()
    {
        return this != NONE && this != ARP;
    }

    /**
     * @param code an ordinal returned by the parser, encapsulator or reply writer.
     * @return its constant (shared array, no allocation).
     */
    public static DropReason of(final int code)
    {
        return VALUES[code];
    }

    /** @return the number of reasons, the length of a per-reason counter array. */
    public static int count()
    {
        return VALUES.length;
    }
}
