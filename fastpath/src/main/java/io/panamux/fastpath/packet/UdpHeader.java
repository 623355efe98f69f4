package io.panamux.fastpath.packet;

import io.panamux.dpdk.Memory;

/**
 * Flyweight over a UDP header (RFC 768) at an absolute address.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |        Source Port (0)        |     Destination Port (2)      |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |          Length (4)           |         Checksum (6)          |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * Length counts the header and the payload.
 */
public final class UdpHeader
{
    /** Offset of the source port. */
    public static final int SOURCE_PORT_OFFSET = 0;
    /** Offset of the destination port. */
    public static final int DESTINATION_PORT_OFFSET = 2;
    /** Offset of the length. */
    public static final int LENGTH_OFFSET = 4;
    /** Offset of the checksum. */
    public static final int CHECKSUM_OFFSET = 6;
    /** Length of the header. */
    public static final int LENGTH = 8;

    private UdpHeader()
    {
    }

    /** @return the source port. */
    public static int sourcePort(final long header)
    {
        return Memory.getU16Be(header + SOURCE_PORT_OFFSET);
    }

    /** @return the destination port. */
    public static int destinationPort(final long header)
    {
        return Memory.getU16Be(header + DESTINATION_PORT_OFFSET);
    }

    /** @return the length field (header and payload). */
    public static int length(final long header)
    {
        return Memory.getU16Be(header + LENGTH_OFFSET);
    }

    /** @return the checksum field. */
    public static int checksum(final long header)
    {
        return Memory.getU16Be(header + CHECKSUM_OFFSET);
    }

    /**
     * Writes a header.
     *
     * @param header          where to write.
     * @param sourcePort      source port.
     * @param destinationPort destination port.
     * @param length          header and payload length.
     * @param checksum        checksum (0: none, allowed over IPv4 only).
     */
    public static void put(
        final long header, final int sourcePort, final int destinationPort, final int length, final int checksum)
    {
        Memory.putI64Be(header, ((long)(sourcePort & 0xFFFF) << 48) | ((long)(destinationPort & 0xFFFF) << 32) |
            ((long)(length & 0xFFFF) << 16) | (checksum & 0xFFFF));
    }
}
