package io.panamux.fastpath.packet;

import io.panamux.dpdk.Memory;

/**
 * Flyweight over an Ethernet II header at an absolute address (the start of the frame).
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                    destination MAC (6 bytes)                  |
 *  +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                               |                               |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
 *  |                      source MAC (6 bytes)                     |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |           EtherType           |  payload (or an 802.1Q tag: {@link VlanTag})
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * MAC addresses are handled as the low 48 bits of a {@code long}, first octet most significant
 * ({@code 02:00:00:00:00:fe} is {@code 0x0200_0000_00feL}).
 */
public final class EthernetHeader
{
    /** Offset of the destination MAC. */
    public static final int DESTINATION_OFFSET = 0;
    /** Offset of the source MAC. */
    public static final int SOURCE_OFFSET = 6;
    /** Offset of the EtherType (or of the TPID of an 802.1Q tag). */
    public static final int ETHER_TYPE_OFFSET = 12;
    /** Length of an untagged Ethernet II header. */
    public static final int LENGTH = 14;

    /** EtherType of IPv4. */
    public static final int TYPE_IPV4 = 0x0800;
    /** EtherType of ARP. */
    public static final int TYPE_ARP = 0x0806;
    /** EtherType (TPID) of an 802.1Q VLAN tag. */
    public static final int TYPE_VLAN = 0x8100;
    /** EtherType of IPv6. */
    public static final int TYPE_IPV6 = 0x86DD;
    /** TPID of an 802.1ad service tag (QinQ outer tag). */
    public static final int TYPE_QINQ = 0x88A8;
    /** Pre-standard QinQ TPID still sent by some switches. */
    public static final int TYPE_QINQ_LEGACY = 0x9100;

    private EthernetHeader()
    {
    }

    /** @return the destination MAC of the frame at {@code frame}. */
    public static long destination(final long frame)
    {
        return mac(frame + DESTINATION_OFFSET);
    }

    /** @return the source MAC of the frame at {@code frame}. */
    public static long source(final long frame)
    {
        return mac(frame + SOURCE_OFFSET);
    }

    /** @return the EtherType field (the TPID when the frame is tagged). */
    public static int etherType(final long frame)
    {
        return Memory.getU16Be(frame + ETHER_TYPE_OFFSET);
    }

    /** @return the 48-bit MAC stored big-endian at {@code address}. */
    public static long mac(final long address)
    {
        return ((long)Memory.getU16Be(address) << 32) | (Memory.getI32Be(address + 2) & 0xFFFF_FFFFL);
    }

    /** Writes the 48-bit {@code mac} big-endian at {@code address}. */
    public static void putMac(final long address, final long mac)
    {
        Memory.putU16Be(address, (int)(mac >>> 32));
        Memory.putI32Be(address + 2, (int)mac);
    }

    /**
     * Writes a whole untagged header.
     *
     * @param frame       start of the frame.
     * @param destination destination MAC.
     * @param source      source MAC.
     * @param etherType   EtherType of the payload.
     */
    public static void put(final long frame, final long destination, final long source, final int etherType)
    {
        // Two stores for the twelve address bytes instead of four.
        Memory.putI64Be(frame, (destination << 16) | ((source >>> 32) & 0xFFFF));
        Memory.putI32Be(frame + 8, (int)source);
        Memory.putU16Be(frame + ETHER_TYPE_OFFSET, etherType);
    }
}
