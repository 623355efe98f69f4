package io.panamux.fastpath.ring;

import org.agrona.concurrent.AtomicBuffer;

import io.panamux.fastpath.packet.PacketInfo;

/**
 * The one record layout of the rings between a worker and the control thread, written in place (Agrona
 * {@code tryClaim}/{@code commit}). Which fields matter depends on the message type
 * ({@link WorkerToControl}, {@link ControlToWorker}).
 *
 * <pre>
 *   0                   8                   16        20        24    26    28  29  30  31  32
 *   +-------------------+-------------------+---------+---------+-----+-----+---+---+---+---+
 *   | mbuf (0 if none)  | flow hash         | vip     | backend | src | dst |pro|ver|flg|   |
 *   |                   |                   | index   | id      | port| port|to |   |   |   |
 *   +-------------------+-------------------+---------+---------+-----+-----+---+---+---+---+
 *   32 source high 64 bits (IPv4: 0)   40 source low 64 bits (IPv4: the address)
 *   48 destination high 64 bits        56 destination low 64 bits                          64
 * </pre>
 */
public final class FlowRecordDescriptor
{
    /** Bytes of one record. */
    public static final int LENGTH = 64;
    /** The mbuf handed over with the record, or 0. */
    public static final int MBUF_OFFSET = 0;
    /** The flow's hash with the pool seed. */
    public static final int HASH_OFFSET = 8;
    /** The VIP's index in the worker's snapshot (a hint: the destination names the VIP). */
    public static final int VIP_OFFSET = 16;
    /** The backend id. */
    public static final int BACKEND_OFFSET = 20;
    /** Source port. */
    public static final int SRC_PORT_OFFSET = 24;
    /** Destination port. */
    public static final int DST_PORT_OFFSET = 26;
    /** IP protocol. */
    public static final int PROTOCOL_OFFSET = 28;
    /** 4 or 6. */
    public static final int VERSION_OFFSET = 29;
    /** Flags. */
    public static final int FLAGS_OFFSET = 30;
    /** Source address, high 64 bits. */
    public static final int SRC_HI_OFFSET = 32;
    /** Source address, low 64 bits (IPv4: the address, unsigned). */
    public static final int SRC_LO_OFFSET = 40;
    /** Destination address, high 64 bits. */
    public static final int DST_HI_OFFSET = 48;
    /** Destination address, low 64 bits. */
    public static final int DST_LO_OFFSET = 56;

    private FlowRecordDescriptor()
    {
    }

    /** Writes the flow of {@code info} into the record at {@code index}. */
    static void putFlow(final AtomicBuffer b, final int index, final PacketInfo info)
    {
        b.putShort(index + SRC_PORT_OFFSET, (short)info.srcPort);
        b.putShort(index + DST_PORT_OFFSET, (short)info.dstPort);
        b.putByte(index + PROTOCOL_OFFSET, (byte)info.protocol);
        b.putByte(index + VERSION_OFFSET, (byte)info.ipVersion);
        if (info.ipVersion == 4)
        {
            b.putLong(index + SRC_HI_OFFSET, 0);
            b.putLong(index + SRC_LO_OFFSET, info.srcV4 & 0xFFFFFFFFL);
            b.putLong(index + DST_HI_OFFSET, 0);
            b.putLong(index + DST_LO_OFFSET, info.dstV4 & 0xFFFFFFFFL);
        }
        else
        {
            b.putLong(index + SRC_HI_OFFSET, info.srcHi);
            b.putLong(index + SRC_LO_OFFSET, info.srcLo);
            b.putLong(index + DST_HI_OFFSET, info.dstHi);
            b.putLong(index + DST_LO_OFFSET, info.dstLo);
        }
    }
}
