package io.panamux.fastpath.packet;

import io.panamux.dpdk.Memory;

/**
 * Flyweight over a TCP header (RFC 9293) at an absolute address.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |        Source Port (0)        |     Destination Port (2)      |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                      Sequence Number (4)                      |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                   Acknowledgment Number (8)                   |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  | Data  |       |C|E|U|A|P|R|S|F|                               |
 *  |Offset | Rsrvd |W|C|R|C|S|S|Y|I|         Window (14)           |
 *  | (12)  |       |R|E|G|K|H|T|N|N|                               |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |         Checksum (16)         |      Urgent Pointer (18)      |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                   Options (data offset &gt; 5)                  |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 */
public final class TcpHeader
{
    /** Offset of the source port. */
    public static final int SOURCE_PORT_OFFSET = 0;
    /** Offset of the destination port. */
    public static final int DESTINATION_PORT_OFFSET = 2;
    /** Offset of the sequence number. */
    public static final int SEQUENCE_OFFSET = 4;
    /** Offset of the acknowledgment number. */
    public static final int ACKNOWLEDGMENT_OFFSET = 8;
    /** Offset of the data offset (high nibble, 32-bit words). */
    public static final int DATA_OFFSET_OFFSET = 12;
    /** Offset of the flags byte. */
    public static final int FLAGS_OFFSET = 13;
    /** Offset of the window. */
    public static final int WINDOW_OFFSET = 14;
    /** Offset of the checksum. */
    public static final int CHECKSUM_OFFSET = 16;
    /** Length of a header without options. */
    public static final int MIN_LENGTH = 20;

    /** FIN flag. */
    public static final int FIN = 0x01;
    /** SYN flag. */
    public static final int SYN = 0x02;
    /** RST flag. */
    public static final int RST = 0x04;
    /** PSH flag. */
    public static final int PSH = 0x08;
    /** ACK flag. */
    public static final int ACK = 0x10;

    private TcpHeader()
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

    /** @return the header length in bytes (data offset * 4). */
    public static int headerLength(final long header)
    {
        return (Memory.getU8(header + DATA_OFFSET_OFFSET) >>> 4) << 2;
    }

    /** @return the flags byte (CWR..FIN). */
    public static int flags(final long header)
    {
        return Memory.getU8(header + FLAGS_OFFSET);
    }
}
