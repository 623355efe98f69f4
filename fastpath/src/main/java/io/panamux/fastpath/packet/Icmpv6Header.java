package io.panamux.fastpath.packet;

import io.panamux.dpdk.Memory;

/**
 * Flyweight over an ICMPv6 (RFC 4443) header at an absolute address. An error message quotes as much
 * of the packet that caused it as fits in the minimum IPv6 MTU (1280 bytes in all).
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |   Type (0)    |   Code (1)    |   Checksum (2, pseudo-header) |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |   message body (4): unused, MTU (type 2) or pointer (type 4)  |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |      errors: as much of the invoking packet as fits (8)       |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 */
public final class Icmpv6Header
{
    /** Offset of the type. */
    public static final int TYPE_OFFSET = 0;
    /** Offset of the code. */
    public static final int CODE_OFFSET = 1;
    /** Offset of the checksum (with the IPv6 pseudo-header). */
    public static final int CHECKSUM_OFFSET = 2;
    /** Offset of the MTU of a "packet too big" message. */
    public static final int MTU_OFFSET = 4;
    /** Length of the header; the quote of an error starts here. */
    public static final int LENGTH = 8;

    /** Destination unreachable (error). */
    public static final int TYPE_DESTINATION_UNREACHABLE = 1;
    /** Packet too big (error). */
    public static final int TYPE_PACKET_TOO_BIG = 2;
    /** Time exceeded (error). */
    public static final int TYPE_TIME_EXCEEDED = 3;
    /** Parameter problem (error). */
    public static final int TYPE_PARAMETER_PROBLEM = 4;
    /** Echo request. */
    public static final int TYPE_ECHO_REQUEST = 128;
    /** Echo reply. */
    public static final int TYPE_ECHO_REPLY = 129;
    /** Router solicitation, the first neighbour discovery type (RFC 4861). */
    public static final int TYPE_ROUTER_SOLICITATION = 133;
    /** Neighbour solicitation. */
    public static final int TYPE_NEIGHBOR_SOLICITATION = 135;
    /** Redirect, the last neighbour discovery type. */
    public static final int TYPE_REDIRECT = 137;

    private Icmpv6Header()
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

    /** @return the MTU of a "packet too big" message. */
    public static int mtu(final long header)
    {
        return Memory.getI32Be(header + MTU_OFFSET);
    }

    /** @return true for the error types 1 to 4. */
    public static boolean isError(final int type)
    {
        return type >= TYPE_DESTINATION_UNREACHABLE && type <= TYPE_PARAMETER_PROBLEM;
    }

    /** @return true for the neighbour discovery types 133 to 137. */
    public static boolean isNeighborDiscovery(final int type)
    {
        return type >= TYPE_ROUTER_SOLICITATION && type <= TYPE_REDIRECT;
    }
}
