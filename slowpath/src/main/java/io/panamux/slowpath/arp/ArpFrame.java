package io.panamux.slowpath.arp;

import io.panamux.dpdk.Memory;

/**
 * An Ethernet ARP frame for IPv4 (RFC 826) at an absolute address, optionally with one 802.1Q tag: reads
 * and writes fields in place.
 * <pre>
 *  Ethernet   0 destination MAC (6)   6 source MAC (6)   12 EtherType 0x0806 (2)        = 14 bytes
 *   (tagged: 12 TPID 0x8100 (2)  14 TCI (2)  16 EtherType 0x0806 (2)                   = 18 bytes)
 *
 *  ARP, from the end of the Ethernet header:
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |     hardware type = 1         |   protocol type = 0x0800      |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  hlen = 6     |  plen = 4     | operation (1 request, 2 reply)|
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                 sender MAC (6) ...                            |
 *  +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                               |  sender IPv4 (4) ...          |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                               |  target MAC (6) ...           |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
 *  |                                                               |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                       target IPv4 (4)                         |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 * MACs are the low 48 bits of a {@code long}, first octet most significant; IPv4 addresses are {@code int}s
 * in network order read big-endian ({@code 10.0.0.1} is {@code 0x0a000001}). Frames built here are padded
 * to the Ethernet minimum of {@link #MIN_FRAME} bytes (without the FCS).
 */
public final class ArpFrame
{
    /** EtherType of ARP. */
    public static final int ETHER_TYPE_ARP = 0x0806;
    /** TPID of an 802.1Q tag. */
    public static final int ETHER_TYPE_VLAN = 0x8100;
    /** Offset of the destination MAC. */
    public static final int ETH_DESTINATION_OFFSET = 0;
    /** Offset of the source MAC. */
    public static final int ETH_SOURCE_OFFSET = 6;
    /** Offset of the EtherType (or TPID). */
    public static final int ETH_TYPE_OFFSET = 12;
    /** Offset of the 802.1Q TCI in a tagged frame. */
    public static final int VLAN_TCI_OFFSET = 14;
    /** Ethernet header without a tag. */
    public static final int ETH_LENGTH = 14;
    /** Ethernet header with one 802.1Q tag. */
    public static final int ETH_TAGGED_LENGTH = 18;

    /** ARP: hardware type. */
    public static final int HARDWARE_TYPE_OFFSET = 0;
    /** ARP: protocol type. */
    public static final int PROTOCOL_TYPE_OFFSET = 2;
    /** ARP: hardware address length. */
    public static final int HLEN_OFFSET = 4;
    /** ARP: protocol address length. */
    public static final int PLEN_OFFSET = 5;
    /** ARP: operation. */
    public static final int OPERATION_OFFSET = 6;
    /** ARP: sender MAC. */
    public static final int SENDER_MAC_OFFSET = 8;
    /** ARP: sender IPv4. */
    public static final int SENDER_IP_OFFSET = 14;
    /** ARP: target MAC. */
    public static final int TARGET_MAC_OFFSET = 18;
    /** ARP: target IPv4. */
    public static final int TARGET_IP_OFFSET = 24;
    /** ARP header for Ethernet and IPv4. */
    public static final int ARP_LENGTH = 28;

    /** Hardware type Ethernet. */
    public static final int HARDWARE_ETHERNET = 1;
    /** Protocol type IPv4. */
    public static final int PROTOCOL_IPV4 = 0x0800;
    /** Operation: who has. */
    public static final int REQUEST = 1;
    /** Operation: is at. */
    public static final int REPLY = 2;
    /** The broadcast MAC. */
    public static final long BROADCAST = 0xFFFF_FFFF_FFFFL;
    /** Smallest Ethernet frame without the FCS. */
    public static final int MIN_FRAME = 60;

    private ArpFrame()
    {
    }

    /**
     * @param frame  the frame's first byte.
     * @param length the frame's length.
     * @return the offset of the ARP header (14, or 18 with one 802.1Q tag), or -1 when the frame is not an
     *         Ethernet/IPv4 ARP frame of full length.
     */
    public static int arpOffset(final long frame, final int length)
    {
        if (length < ETH_LENGTH + ARP_LENGTH)
        {
            return -1;
        }
        int offset = ETH_LENGTH;
        int type = Memory.getU16Be(frame + ETH_TYPE_OFFSET);
        if (type == ETHER_TYPE_VLAN)
        {
            if (length < ETH_TAGGED_LENGTH + ARP_LENGTH)
            {
                return -1;
            }
            type = Memory.getU16Be(frame + ETH_TAGGED_LENGTH - 2);
            offset = ETH_TAGGED_LENGTH;
        }
        if (type != ETHER_TYPE_ARP)
        {
            return -1;
        }
        final long arp = frame + offset;
        if (Memory.getU16Be(arp + HARDWARE_TYPE_OFFSET) != HARDWARE_ETHERNET || Memory.getU16Be(arp + PROTOCOL_TYPE_OFFSET) != PROTOCOL_IPV4 ||
            Memory.getU8(arp + HLEN_OFFSET) != 6 || Memory.getU8(arp + PLEN_OFFSET) != 4)
        {
            return -1;
        }
        return offset;
    }

    /** @return the operation of the ARP header at {@code arp}. */
    public static int operation(final long arp)
    {
        return Memory.getU16Be(arp + OPERATION_OFFSET);
    }

    /** @return the sender MAC of the ARP header at {@code arp}. */
    public static long senderMac(final long arp)
    {
        return mac(arp + SENDER_MAC_OFFSET);
    }

    /** @return the sender IPv4 address of the ARP header at {@code arp}. */
    public static int senderIp(final long arp)
    {
        return Memory.getI32Be(arp + SENDER_IP_OFFSET);
    }

    /** @return the target MAC of the ARP header at {@code arp}. */
    public static long targetMac(final long arp)
    {
        return mac(arp + TARGET_MAC_OFFSET);
    }

    /** @return the target IPv4 address of the ARP header at {@code arp}. */
    public static int targetIp(final long arp)
    {
        return Memory.getI32Be(arp + TARGET_IP_OFFSET);
    }

    /**
     * Turns a request in place into its reply from {@code ourMac}/{@code ourIp} (keeping any VLAN tag): the
     * Ethernet destination and ARP target become the requester, the source and sender become us.
     *
     * @param frame     the request frame.
     * @param arpOffset from {@link #arpOffset}.
     */
    public static void turnIntoReply(final long frame, final int arpOffset, final long ourMac, final int ourIp)
    {
        final long arp = frame + arpOffset;
        final long requesterMac = senderMac(arp);
        final int requesterIp = senderIp(arp);
        putMac(frame + ETH_DESTINATION_OFFSET, requesterMac);
        putMac(frame + ETH_SOURCE_OFFSET, ourMac);
        Memory.putU16Be(arp + OPERATION_OFFSET, REPLY);
        putMac(arp + SENDER_MAC_OFFSET, ourMac);
        Memory.putI32Be(arp + SENDER_IP_OFFSET, ourIp);
        putMac(arp + TARGET_MAC_OFFSET, requesterMac);
        Memory.putI32Be(arp + TARGET_IP_OFFSET, requesterIp);
    }

    /**
     * Writes an untagged ARP frame padded to {@link #MIN_FRAME} bytes.
     *
     * @param frame          where (at least {@link #MIN_FRAME} bytes).
     * @param ethDestination the Ethernet destination.
     * @param operation      {@link #REQUEST} or {@link #REPLY}.
     * @param senderMac      also the Ethernet source.
     * @param senderIp       the sender's IPv4 address.
     * @param targetMac      0 in a request.
     * @param targetIp       the address asked about (a request) or answered to (a reply).
     * @return the frame length, {@link #MIN_FRAME}.
     */
    public static int write(final long frame, final long ethDestination, final int operation, final long senderMac, final int senderIp,
        final long targetMac, final int targetIp)
    {
        Memory.fill(frame, MIN_FRAME, (byte)0);
        putMac(frame + ETH_DESTINATION_OFFSET, ethDestination);
        putMac(frame + ETH_SOURCE_OFFSET, senderMac);
        Memory.putU16Be(frame + ETH_TYPE_OFFSET, ETHER_TYPE_ARP);
        final long arp = frame + ETH_LENGTH;
        Memory.putU16Be(arp + HARDWARE_TYPE_OFFSET, HARDWARE_ETHERNET);
        Memory.putU16Be(arp + PROTOCOL_TYPE_OFFSET, PROTOCOL_IPV4);
        Memory.putU8(arp + HLEN_OFFSET, 6);
        Memory.putU8(arp + PLEN_OFFSET, 4);
        Memory.putU16Be(arp + OPERATION_OFFSET, operation);
        putMac(arp + SENDER_MAC_OFFSET, senderMac);
        Memory.putI32Be(arp + SENDER_IP_OFFSET, senderIp);
        putMac(arp + TARGET_MAC_OFFSET, targetMac);
        Memory.putI32Be(arp + TARGET_IP_OFFSET, targetIp);
        return MIN_FRAME;
    }

    /** @return the MAC at {@code address}. */
    public static long mac(final long address)
    {
        return ((long)Memory.getU16Be(address) << 32) | (Memory.getI32Be(address + 2) & 0xFFFF_FFFFL);
    }

    /** Writes {@code mac} at {@code address}. */
    public static void putMac(final long address, final long mac)
    {
        Memory.putU16Be(address, (int)(mac >>> 32) & 0xFFFF);
        Memory.putI32Be(address + 2, (int)mac);
    }

    /** @return whether {@code mac} may be a next hop: not zero, not multicast or broadcast. */
    public static boolean isUnicast(final long mac)
    {
        return mac != 0 && (mac & 0x0100_0000_0000L) == 0;
    }
}
