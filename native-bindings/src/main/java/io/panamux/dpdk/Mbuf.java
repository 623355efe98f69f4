package io.panamux.dpdk;

import static io.panamux.dpdk.MbufDescriptor.*;

/**
 * Flyweight accessors over a {@code struct rte_mbuf} at a native address. Static, so the fast path
 * holds mbufs as plain {@code long}s and no object exists per packet.
 *
 * <p>panamux handles single-segment mbufs: the data of a packet is {@code [dataAddress, dataAddress +
 * dataLength)}. {@link #prepend} and {@link #adjust} move the start of the data within the buffer
 * (headroom), the way {@code rte_pktmbuf_prepend}/{@code rte_pktmbuf_adj} do, without a downcall.
 */
public final class Mbuf
{
    private Mbuf()
    {
    }

    /** @return the address of the first data byte: {@code buf_addr + data_off}. */
    public static long dataAddress(final long mbuf)
    {
        return Memory.getI64(mbuf + BUF_ADDR_OFFSET) + Memory.getU16(mbuf + DATA_OFF_OFFSET);
    }

    /** @return the data length of the first segment. */
    public static int dataLength(final long mbuf)
    {
        return Memory.getU16(mbuf + DATA_LEN_OFFSET);
    }

    /** @return the total packet length over all segments. */
    public static int packetLength(final long mbuf)
    {
        return Memory.getI32(mbuf + PKT_LEN_OFFSET);
    }

    /** @return the number of segments. */
    public static int segments(final long mbuf)
    {
        return Memory.getU16(mbuf + NB_SEGS_OFFSET);
    }

    /** @return bytes free in front of the data. */
    public static int headroom(final long mbuf)
    {
        return Memory.getU16(mbuf + DATA_OFF_OFFSET);
    }

    /** @return bytes free after the data of this (single) segment. */
    public static int tailroom(final long mbuf)
    {
        return Memory.getU16(mbuf + BUF_LEN_OFFSET) - Memory.getU16(mbuf + DATA_OFF_OFFSET) - dataLength(mbuf);
    }

    /** @return the input port. */
    public static int port(final long mbuf)
    {
        return Memory.getU16(mbuf + PORT_OFFSET);
    }

    /** @return the offload flags. */
    public static long offloadFlags(final long mbuf)
    {
        return Memory.getI64(mbuf + OL_FLAGS_OFFSET);
    }

    /** Sets the offload flags. */
    public static void offloadFlags(final long mbuf, final long flags)
    {
        Memory.putI64(mbuf + OL_FLAGS_OFFSET, flags);
    }

    /** @return the NIC's RSS hash, valid when {@link MbufDescriptor#F_RX_RSS_HASH} is set. */
    public static int rssHash(final long mbuf)
    {
        return Memory.getI32(mbuf + HASH_RSS_OFFSET);
    }

    /**
     * Grows the packet at the front by {@code length} bytes of headroom.
     *
     * @return the new data address, or 0 when the headroom is too small (the mbuf is unchanged).
     */
    public static long prepend(final long mbuf, final int length)
    {
        final int dataOff = Memory.getU16(mbuf + DATA_OFF_OFFSET);
        if (length > dataOff)
        {
            return 0;
        }
        final int newOff = dataOff - length;
        Memory.putU16(mbuf + DATA_OFF_OFFSET, newOff);
        Memory.putU16(mbuf + DATA_LEN_OFFSET, dataLength(mbuf) + length);
        Memory.putI32(mbuf + PKT_LEN_OFFSET, packetLength(mbuf) + length);
        return Memory.getI64(mbuf + BUF_ADDR_OFFSET) + newOff;
    }

    /**
     * Removes {@code length} bytes from the front of the packet.
     *
     * @return the new data address, or 0 when the segment is shorter than {@code length}.
     */
    public static long adjust(final long mbuf, final int length)
    {
        final int dataLen = dataLength(mbuf);
        if (length > dataLen)
        {
            return 0;
        }
        final int newOff = Memory.getU16(mbuf + DATA_OFF_OFFSET) + length;
        Memory.putU16(mbuf + DATA_OFF_OFFSET, newOff);
        Memory.putU16(mbuf + DATA_LEN_OFFSET, dataLen - length);
        Memory.putI32(mbuf + PKT_LEN_OFFSET, packetLength(mbuf) - length);
        return Memory.getI64(mbuf + BUF_ADDR_OFFSET) + newOff;
    }

    /**
     * Sets the length of a single-segment packet (data_len and pkt_len), e.g. after writing a packet
     * into a freshly allocated mbuf or trimming a reply.
     *
     * @return false when {@code length} does not fit in the buffer (nothing is changed).
     */
    public static boolean length(final long mbuf, final int length)
    {
        final int room = Memory.getU16(mbuf + BUF_LEN_OFFSET) - Memory.getU16(mbuf + DATA_OFF_OFFSET);
        if (length < 0 || length > room)
        {
            return false;
        }
        Memory.putU16(mbuf + DATA_LEN_OFFSET, length);
        Memory.putI32(mbuf + PKT_LEN_OFFSET, length);
        return true;
    }

    /** Sets {@code tx_offload}'s l2_len (7 bits), l3_len (9 bits) for checksum offload requests. */
    public static void txOffloadLengths(final long mbuf, final int l2Length, final int l3Length)
    {
        final long v = Memory.getI64(mbuf + TX_OFFLOAD_OFFSET) & ~0xFFFFL;
        Memory.putI64(mbuf + TX_OFFLOAD_OFFSET, v | (l2Length & 0x7F) | ((long)(l3Length & 0x1FF) << 7));
    }
}
