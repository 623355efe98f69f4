package io.panamux.fastpath.packet;

import io.panamux.dpdk.Memory;

/**
 * Flyweight over an ICMP (IPv4, RFC 792) header at an absolute address. An error message quotes the
 * IP header and at least the first 8 payload bytes of the packet that caused it.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |   Type (0)    |   Code (1)    |          Checksum (2)         |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  rest of header (4): unused, or for type 3 code 4:            |
 *  |        unused (4)             |     Next-Hop MTU (6)          |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  errors: quoted IP header + first 8 bytes of its payload (8)  |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 */
public final class IcmpHeader
{
    /** Offset of the type. */
    public static final int TYPE_OFFSET = 0;
    /** Offset of the code. */
    public static final int CODE_OFFSET = 1;
    /** Offset of the checksum (over the ICMP message, no pseudo-header). */
    public static final int CHECKSUM_OFFSET = 2;
    /** Offset of the next-hop MTU of a "fragmentation needed" message. */
    public static final int NEXT_HOP_MTU_OFFSET = 6;
    /** Length of the header; the quote of an error starts here. */
    public static final int LENGTH = 8;
    /** L4 bytes an error quotes at least after the IP header. */
    public static final int QUOTED_L4_LENGTH = 8;

    /** Echo reply. */
    public static final int TYPE_ECHO_REPLY = 0;
    /** Destination unreachable (error). */
    public static final int TYPE_DESTINATION_UNREACHABLE = 3;
    /** Echo request. */
    public static final int TYPE_ECHO_REQUEST = 8;
    /** Time exceeded (error). */
    public static final int TYPE_TIME_EXCEEDED = 11;
    /** Parameter problem (error). */
    public static final int TYPE_PARAMETER_PROBLEM = 12;
    /** Code "fragmentation needed and DF set" of destination unreachable. */
    public static final int CODE_FRAGMENTATION_NEEDED = 4;

    private IcmpHeader()
    {
    }

    /** @return the type. */
    public static int type(final long header)
    {
        return Memory.getU8(header + TYPE_OFFSET);
    }

    /** @return the code. */
    public static int code(final long header)
    {
        return Memory.getU8(header + CODE_OFFSET);
    }

    /** @return the next-hop MTU of a "fragmentation needed" message. */
    public static int nextHopMtu(final long header)
    {
        return Memory.getU16Be(header + NEXT_HOP_MTU_OFFSET);
    }

    /** @return true for the error types whose quote names a flow: 3, 11 and 12. */
    public static boolean isError(final int type)
    {
        return type == TYPE_DESTINATION_UNREACHABLE || type == TYPE_TIME_EXCEEDED || type == TYPE_PARAMETER_PROBLEM;
    }
}
