package io.panamux.fastpath.packet;

import io.panamux.dpdk.Memory;

/**
 * Flyweight over an IPv4 header (RFC 791) at an absolute address.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |Version|  IHL  |  DSCP/ECN (1) |        Total Length (2)       |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |       Identification (4)      |0|D|M|   Fragment Offset (6)   |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |    TTL (8)    | Protocol (9)  |      Header Checksum (10)     |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                       Source Address (12)                     |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                    Destination Address (16)                   |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                Options (IHL &gt; 5), up to 40 bytes             |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * The fragment offset counts 8-byte units; D is "don't fragment", M is "more fragments".
 */
public final class Ipv4Header
{
    /** Offset of the version (high nibble) and IHL (low nibble, in 32-bit words). */
    public static final int VERSION_IHL_OFFSET = 0;
    /** Offset of the DSCP/ECN byte (former TOS). */
    public static final int TOS_OFFSET = 1;
    /** Offset of the total length (header and payload). */
    public static final int TOTAL_LENGTH_OFFSET = 2;
    /** Offset of the identification. */
    public static final int IDENTIFICATION_OFFSET = 4;
    /** Offset of the flags and fragment offset. */
    public static final int FRAGMENT_OFFSET = 6;
    /** Offset of the time to live. */
    public static final int TTL_OFFSET = 8;
    /** Offset of the protocol. */
    public static final int PROTOCOL_OFFSET = 9;
    /** Offset of the header checksum. */
    public static final int CHECKSUM_OFFSET = 10;
    /** Offset of the source address. */
    public static final int SOURCE_OFFSET = 12;
    /** Offset of the destination address. */
    public static final int DESTINATION_OFFSET = 16;
    /** Length of a header without options. */
    public static final int MIN_LENGTH = 20;
    /** Length of a header with the most options. */
    public static final int MAX_LENGTH = 60;

    /** "Don't fragment" in the 16-bit flags and fragment offset field. */
    public static final int FLAG_DONT_FRAGMENT = 0x4000;
    /** "More fragments" in the 16-bit flags and fragment offset field. */
    public static final int FLAG_MORE_FRAGMENTS = 0x2000;
    /** Fragment offset (8-byte units) in the 16-bit flags and fragment offset field. */
    public static final int FRAGMENT_OFFSET_MASK = 0x1FFF;

    /** Protocol number of ICMP. */
    public static final int PROTOCOL_ICMP = 1;
    /** Protocol number of IPv4 in IPv4 (IP-in-IP). */
    public static final int PROTOCOL_IPIP = 4;
    /** Protocol number of TCP. */
    public static final int PROTOCOL_TCP = 6;
    /** Protocol number of UDP. */
    public static final int PROTOCOL_UDP = 17;
    /** Protocol number of IPv6 in IPv4 (6in4). */
    public static final int PROTOCOL_IPV6 = 41;
    /** Protocol number of GRE. */
    public static final int PROTOCOL_GRE = 47;
    /** Protocol number of ICMPv6. */
    public static final int PROTOCOL_ICMPV6 = 58;

    private Ipv4Header()
    {
    }

    /** @return the version nibble (4 for a valid header). */
    public static int version(final long header)
    {
        return Memory.getU8(header + VERSION_IHL_OFFSET) >>> 4;
    }

    /** @return the header length in bytes (IHL * 4). */
    public static int headerLength(final long header)
    {
        return (Memory.getU8(header + VERSION_IHL_OFFSET) & 0xF) << 2;
    }

    /** @return the DSCP/ECN byte. */
    public static int tos(final long header)
    {
        return Memory.getU8(header + TOS_OFFSET);
    }

    /** @return the total length (header and payload). */
    public static int totalLength(final long header)
    {
        return Memory.getU16Be(header + TOTAL_LENGTH_OFFSET);
    }

    /** @return the identification. */
    public static int identification(final long header)
    {
        return Memory.getU16Be(header + IDENTIFICATION_OFFSET);
    }

    /** @return the flags and fragment offset field (see the {@code FLAG_*} masks). */
    public static int fragmentField(final long header)
    {
        return Memory.getU16Be(header + FRAGMENT_OFFSET);
    }

    /** @return the time to live. */
    public static int ttl(final long header)
    {
        return Memory.getU8(header + TTL_OFFSET);
    }

    /** @return the protocol of the payload. */
    public static int protocol(final long header)
    {
        return Memory.getU8(header + PROTOCOL_OFFSET);
    }

    /** @return the header checksum field. */
    public static int checksum(final long header)
    {
        return Memory.getU16Be(header + CHECKSUM_OFFSET);
    }

    /** @return the source address. */
    public static int source(final long header)
    {
        return Memory.getI32Be(header + SOURCE_OFFSET);
    }

    /** @return the destination address. */
    public static int destination(final long header)
    {
        return Memory.getI32Be(header + DESTINATION_OFFSET);
    }

    /**
     * Writes a 20-byte header without options, checksum included (computed from the values, not by
     * reading the bytes back).
     *
     * @param header        where to write.
     * @param tos           DSCP/ECN byte.
     * @param totalLength   total length of the packet.
     * @param id            identification.
     * @param fragmentField flags and fragment offset.
     * @param ttl           time to live.
     * @param protocol      protocol of the payload.
     * @param source        source address.
     * @param destination   destination address.
     */
    public static void put(
        final long header,
        final int tos,
        final int totalLength,
        final int id,
        final int fragmentField,
        final int ttl,
        final int protocol,
        final int source,
        final int destination)
    {
        final int word0 = 0x4500 | (tos & 0xFF);
        final int word4 = ((ttl & 0xFF) << 8) | (protocol & 0xFF);
        // Nine 16-bit words: below 2^20.
        final int sum = word0 + (totalLength & 0xFFFF) + (id & 0xFFFF) + (fragmentField & 0xFFFF) + word4 +
            (source >>> 16) + (source & 0xFFFF) + (destination >>> 16) + (destination & 0xFFFF);
        final int checksum = Checksum.finishSmall(sum);

        Memory.putI64Be(header, ((long)word0 << 48) | ((long)(totalLength & 0xFFFF) << 32) |
            ((long)(id & 0xFFFF) << 16) | (fragmentField & 0xFFFF));
        Memory.putI64Be(header + TTL_OFFSET, ((long)word4 << 48) | ((long)checksum << 32) | (source & 0xFFFF_FFFFL));
        Memory.putI32Be(header + DESTINATION_OFFSET, destination);
    }
}
