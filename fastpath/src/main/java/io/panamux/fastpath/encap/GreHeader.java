package io.panamux.fastpath.encap;

import io.panamux.dpdk.Memory;

/**
 * Flyweight over the base GRE header (RFC 2784) the MUX writes: no checksum, key or sequence number
 * (RFC 2890), so it is always 4 bytes.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |C|       Reserved0 = 0 | Ver=0 |    Protocol Type (2)          |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * The protocol type is the EtherType of the payload: 0x0800 for IPv4, 0x86DD for IPv6.
 */
public final class GreHeader
{
    /** Offset of the flags and version (all zero here). */
    public static final int FLAGS_VERSION_OFFSET = 0;
    /** Offset of the protocol type. */
    public static final int PROTOCOL_TYPE_OFFSET = 2;
    /** Length of the header without optional fields. */
    public static final int LENGTH = 4;

    private GreHeader()
    {
    }

    /** @return the protocol type (EtherType of the payload). */
    public static int protocolType(final long header)
    {
        return Memory.getU16Be(header + PROTOCOL_TYPE_OFFSET);
    }

    /** Writes a header with no optional fields for a payload of {@code protocolType}. */
    public static void put(final long header, final int protocolType)
    {
        Memory.putI32Be(header, protocolType & 0xFFFF);
    }
}
