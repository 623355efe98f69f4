package io.panamux.fastpath.packet;

import io.panamux.dpdk.Memory;

/**
 * Flyweight over an Ethernet frame carrying one IEEE 802.1Q tag; offsets are from the start of the
 * frame.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |          destination MAC and source MAC (12 bytes)            |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |       TPID = 0x8100 (12)      | PCP |D|  VLAN id (14, 12 bits)|
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |     inner EtherType (16)      |  payload (18)
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 */
public final class VlanTag
{
    /** Offset of the tag protocol identifier (0x8100). */
    public static final int TPID_OFFSET = 12;
    /** Offset of the tag control information (priority, DEI, VLAN id). */
    public static final int TCI_OFFSET = 14;
    /** Offset of the EtherType of the payload. */
    public static final int ETHER_TYPE_OFFSET = 16;
    /** Length of the Ethernet header with one tag. */
    public static final int TAGGED_LENGTH = 18;
    /** Mask of the VLAN id in the TCI. */
    public static final int VLAN_ID_MASK = 0x0FFF;

    private VlanTag()
    {
    }

    /** @return the tag control information of the tagged frame at {@code frame}. */
    public static int tci(final long frame)
    {
        return Memory.getU16Be(frame + TCI_OFFSET);
    }

    /** @return the 12-bit VLAN id of the tagged frame at {@code frame}. */
    public static int vlanId(final long frame)
    {
        return Memory.getU16Be(frame + TCI_OFFSET) & VLAN_ID_MASK;
    }

    /** @return the EtherType after the tag. */
    public static int etherType(final long frame)
    {
        return Memory.getU16Be(frame + ETHER_TYPE_OFFSET);
    }
}
