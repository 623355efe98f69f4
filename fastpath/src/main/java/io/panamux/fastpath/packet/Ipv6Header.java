package io.panamux.fastpath.packet;

import io.panamux.dpdk.Memory;

/**
 * Flyweight over an IPv6 header (RFC 8200) and the extension headers the parser walks.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |Version| Traffic Class |           Flow Label (20 bits)        |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |     Payload Length (4)        | Next Header(6)| Hop Limit (7) |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                 Source Address (8, 16 bytes)                  |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |              Destination Address (24, 16 bytes)               |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 *  Hop-by-hop (0), routing (43), destination options (60) extension header:
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  | Next Header   | Hdr Ext Len   |  (Hdr Ext Len + 1) * 8 bytes in all
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 *  Authentication header (51, RFC 4302):
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  | Next Header   | Payload Len   |  (Payload Len + 2) * 4 bytes in all
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 *  Fragment extension header (44), always 8 bytes:
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  | Next Header   |   Reserved    |  Fragment Offset (13)   |Res|M|
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                     Identification (4)                        |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * Addresses are handled as two {@code long}s, the high and low 64 bits, big-endian.
 */
public final class Ipv6Header
{
    /** Offset of version, traffic class and flow label (one 32-bit word). */
    public static final int VERSION_CLASS_FLOW_OFFSET = 0;
    /** Offset of the payload length (everything after this 40-byte header). */
    public static final int PAYLOAD_LENGTH_OFFSET = 4;
    /** Offset of the next header. */
    public static final int NEXT_HEADER_OFFSET = 6;
    /** Offset of the hop limit. */
    public static final int HOP_LIMIT_OFFSET = 7;
    /** Offset of the source address. */
    public static final int SOURCE_OFFSET = 8;
    /** Offset of the destination address. */
    public static final int DESTINATION_OFFSET = 24;
    /** Length of the fixed header. */
    public static final int LENGTH = 40;

    /** Next header value of the hop-by-hop options header. */
    public static final int NEXT_HOP_BY_HOP = 0;
    /** Next header value of the routing header. */
    public static final int NEXT_ROUTING = 43;
    /** Next header value of the fragment header. */
    public static final int NEXT_FRAGMENT = 44;
    /** Next header value of the destination options header. */
    public static final int NEXT_DESTINATION_OPTIONS = 60;
    /** Next header value of the authentication header (RFC 4302), whose length counts 4-byte units. */
    public static final int NEXT_AUTHENTICATION = 51;

    /** Offset of the next header field in any extension header. */
    public static final int EXTENSION_NEXT_HEADER_OFFSET = 0;
    /** Offset of the length field (8-byte units, not counting the first 8) of an extension header. */
    public static final int EXTENSION_LENGTH_OFFSET = 1;
    /** Smallest extension header, and the size of the fragment header. */
    public static final int EXTENSION_MIN_LENGTH = 8;
    /** Offset of the fragment offset and M flag in the fragment header. */
    public static final int FRAGMENT_OFFSET_FLAGS_OFFSET = 2;
    /** Offset of the identification in the fragment header. */
    public static final int FRAGMENT_IDENTIFICATION_OFFSET = 4;
    /** Fragment offset (already in bytes: the 13-bit field counts 8-byte units) in the 16-bit field. */
    public static final int FRAGMENT_OFFSET_MASK = 0xFFF8;
    /** "More fragments" in the 16-bit field. */
    public static final int FRAGMENT_MORE = 0x0001;

    private Ipv6Header()
    {
    }

    /** @return the version nibble (6 for a valid header). */
    public static int version(final long header)
    {
        return Memory.getU8(header) >>> 4;
    }

    /** @return the traffic class (DSCP/ECN). */
    public static int trafficClass(final long header)
    {
        return (Memory.getU16Be(header) >>> 4) & 0xFF;
    }

    /** @return the 20-bit flow label. */
    public static int flowLabel(final long header)
    {
        return Memory.getI32Be(header) & 0xFFFFF;
    }

    /** @return the payload length. */
    public static int payloadLength(final long header)
    {
        return Memory.getU16Be(header + PAYLOAD_LENGTH_OFFSET);
    }

    /** @return the next header of the fixed header. */
    public static int nextHeader(final long header)
    {
        return Memory.getU8(header + NEXT_HEADER_OFFSET);
    }

    /** @return the hop limit. */
    public static int hopLimit(final long header)
    {
        return Memory.getU8(header + HOP_LIMIT_OFFSET);
    }

    /** @return the high 64 bits of the source address. */
    public static long sourceHigh(final long header)
    {
        return Memory.getI64Be(header + SOURCE_OFFSET);
    }

    /** @return the low 64 bits of the source address. */
    public static long sourceLow(final long header)
    {
        return Memory.getI64Be(header + SOURCE_OFFSET + 8);
    }

    /** @return the high 64 bits of the destination address. */
    public static long destinationHigh(final long header)
    {
        return Memory.getI64Be(header + DESTINATION_OFFSET);
    }

    /** @return the low 64 bits of the destination address. */
    public static long destinationLow(final long header)
    {
        return Memory.getI64Be(header + DESTINATION_OFFSET + 8);
    }

    /** @return true for the next header values of the extension headers the parser walks over. */
    public static boolean isExtension(final int nextHeader)
    {
        return nextHeader == NEXT_HOP_BY_HOP || nextHeader == NEXT_ROUTING ||
            nextHeader == NEXT_FRAGMENT || nextHeader == NEXT_DESTINATION_OPTIONS || nextHeader == NEXT_AUTHENTICATION;
    }

    /**
     * Writes a fixed header.
     *
     * @param header          where to write.
     * @param trafficClass    DSCP/ECN.
     * @param flowLabel       flow label (low 20 bits used).
     * @param payloadLength   bytes after this header.
     * @param nextHeader      protocol of the payload.
     * @param hopLimit        hop limit.
     * @param sourceHigh      high 64 bits of the source.
     * @param sourceLow       low 64 bits of the source.
     * @param destinationHigh high 64 bits of the destination.
     * @param destinationLow  low 64 bits of the destination.
     */
    public static void put(
        final long header,
        final int trafficClass,
        final int flowLabel,
        final int payloadLength,
        final int nextHeader,
        final int hopLimit,
        final long sourceHigh,
        final long sourceLow,
        final long destinationHigh,
        final long destinationLow)
    {
        final long word0 = (6L << 28) | ((long)(trafficClass & 0xFF) << 20) | (flowLabel & 0xFFFFF);
        Memory.putI64Be(header, (word0 << 32) | ((long)(payloadLength & 0xFFFF) << 16) |
            ((nextHeader & 0xFF) << 8) | (hopLimit & 0xFF));
        Memory.putI64Be(header + SOURCE_OFFSET, sourceHigh);
        Memory.putI64Be(header + SOURCE_OFFSET + 8, sourceLow);
        Memory.putI64Be(header + DESTINATION_OFFSET, destinationHigh);
        Memory.putI64Be(header + DESTINATION_OFFSET + 8, destinationLow);
    }
}
