package io.panamux.fastpath.ring;

import org.agrona.DirectBuffer;

import static io.panamux.fastpath.ring.FlowRecordDescriptor.*;

/**
 * A decoded record of the worker/control rings, for the control thread (which may allocate; the worker
 * never decodes into objects). Addresses as in {@link FlowRecordDescriptor}: IPv4 in the low 32 bits of
 * {@code srcLo}/{@code dstLo}.
 *
 * @param type      the message type.
 * @param mbuf      the mbuf handed over, or 0.
 * @param hash      the flow hash with the pool seed.
 * @param vipIndex  the VIP's index in the sender's snapshot.
 * @param backendId the backend id.
 * @param srcPort   source port.
 * @param dstPort   destination port.
 * @param protocol  IP protocol.
 * @param version   4 or 6.
 * @param flags     flags.
 * @param srcHi     source high bits.
 * @param srcLo     source low bits.
 * @param dstHi     destination high bits.
 * @param dstLo     destination low bits.
 */
public record FlowRecord(int type, long mbuf, long hash, int vipIndex, int backendId, int srcPort, int dstPort, int protocol, int version,
    int flags, long srcHi, long srcLo, long dstHi, long dstLo)
{
    /** Decodes the record at {@code index}. */
    public static FlowRecord decode(final int type, final DirectBuffer b, final int index)
    {
        return new FlowRecord(type, b.getLong(index + MBUF_OFFSET), b.getLong(index + HASH_OFFSET), b.getInt(index + VIP_OFFSET),
            b.getInt(index + BACKEND_OFFSET), b.getShort(index + SRC_PORT_OFFSET) & 0xFFFF, b.getShort(index + DST_PORT_OFFSET) & 0xFFFF,
            b.getByte(index + PROTOCOL_OFFSET) & 0xFF, b.getByte(index + VERSION_OFFSET), b.getByte(index + FLAGS_OFFSET) & 0xFF,
            b.getLong(index + SRC_HI_OFFSET), b.getLong(index + SRC_LO_OFFSET), b.getLong(index + DST_HI_OFFSET),
            b.getLong(index + DST_LO_OFFSET));
    }

    /** @return the IPv4 source (valid when {@code version == 4}). */
    public int srcV4()
    {
        return (int)srcLo;
    }

    /** @return the IPv4 destination (valid when {@code version == 4}). */
    public int dstV4()
    {
        return (int)dstLo;
    }
}
