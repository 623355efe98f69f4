package io.panamux.slowpath.peer;

import java.nio.ByteOrder;

import io.panamux.fastpath.ring.FlowRecord;
import io.panamux.fastpath.snapshot.Backend;
import io.panamux.flow.FlowHash;
import io.panamux.slowpath.config.IpAddress;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import static io.panamux.slowpath.peer.PeerMessageDescriptor.*;

/**
 * A flow as peers name it: its 5-tuple (the VIP is its destination address, port and protocol). Addresses
 * as in {@link FlowRecord}: IPv4 in the low 32 bits of {@code srcLo}/{@code dstLo}, high words 0. Reads
 * and writes the flow entry of {@link PeerMessageDescriptor}. Control thread only (it is an object).
 *
 * @param version  4 or 6.
 * @param protocol IP protocol.
 * @param srcPort  source port.
 * @param dstPort  destination port.
 * @param srcHi    source address, high 64 bits.
 * @param srcLo    source address, low 64 bits.
 * @param dstHi    destination address, high 64 bits.
 * @param dstLo    destination address, low 64 bits.
 */
public record PeerFlow(int version, int protocol, int srcPort, int dstPort, long srcHi, long srcLo, long dstHi, long dstLo)
{
    private static final ByteOrder ORDER = ByteOrder.BIG_ENDIAN;

    /** @return the flow of a worker's record. */
    public static PeerFlow of(final FlowRecord r)
    {
        return new PeerFlow(r.version(), r.protocol(), r.srcPort(), r.dstPort(), r.srcHi(), r.srcLo(), r.dstHi(), r.dstLo());
    }

    /** @return an IPv4 flow (addresses as host ints: 10.0.0.1 is {@code 0x0a000001}). */
    public static PeerFlow v4(final int src, final int dst, final int srcPort, final int dstPort, final int protocol)
    {
        return new PeerFlow(4, protocol, srcPort, dstPort, 0, src & 0xFFFF_FFFFL, 0, dst & 0xFFFF_FFFFL);
    }

    /** @return whether this is an IPv6 flow. */
    public boolean v6()
    {
        return version == 6;
    }

    /** @return the IPv4 source (IPv4 flows). */
    public int srcV4()
    {
        return (int)srcLo;
    }

    /** @return the IPv4 destination (IPv4 flows). */
    public int dstV4()
    {
        return (int)dstLo;
    }

    /** @return the flow hash with the pool's seed, as workers compute it. */
    public long hash(final long seed)
    {
        return version == 4 ? FlowHash.hashV4(seed, srcV4(), dstV4(), srcPort, dstPort, protocol)
            : FlowHash.hashV6(seed, srcHi, srcLo, dstHi, dstLo, srcPort, dstPort, protocol);
    }

    /**
     * Writes this flow as a flow entry.
     *
     * @param backend the entry's backend, or null for none.
     */
    public void write(final MutableDirectBuffer b, final int offset, final IpAddress backend)
    {
        b.putByte(offset + FLOW_VERSION_OFFSET, (byte)version);
        b.putByte(offset + FLOW_PROTOCOL_OFFSET, (byte)protocol);
        b.putShort(offset + FLOW_SRC_PORT_OFFSET, (short)srcPort, ORDER);
        b.putShort(offset + FLOW_DST_PORT_OFFSET, (short)dstPort, ORDER);
        b.putByte(offset + FLOW_BACKEND_FAMILY_OFFSET, (byte)(backend == null ? 0 : backend.ipv6() ? 6 : 4));
        b.putByte(offset + FLOW_BACKEND_FAMILY_OFFSET + 1, (byte)0);
        b.putLong(offset + FLOW_SRC_HI_OFFSET, srcHi, ORDER);
        b.putLong(offset + FLOW_SRC_LO_OFFSET, srcLo, ORDER);
        b.putLong(offset + FLOW_DST_HI_OFFSET, dstHi, ORDER);
        b.putLong(offset + FLOW_DST_LO_OFFSET, dstLo, ORDER);
        b.putLong(offset + FLOW_BACKEND_HI_OFFSET, backend == null ? 0 : backend.high(), ORDER);
        b.putLong(offset + FLOW_BACKEND_LO_OFFSET, backend == null ? 0 : backend.low(), ORDER);
    }

    /** @return the flow of the entry at {@code offset}, or null when the entry is not valid. */
    public static PeerFlow read(final DirectBuffer b, final int offset)
    {
        final int version = b.getByte(offset + FLOW_VERSION_OFFSET);
        final long srcHi = b.getLong(offset + FLOW_SRC_HI_OFFSET, ORDER);
        final long srcLo = b.getLong(offset + FLOW_SRC_LO_OFFSET, ORDER);
        final long dstHi = b.getLong(offset + FLOW_DST_HI_OFFSET, ORDER);
        final long dstLo = b.getLong(offset + FLOW_DST_LO_OFFSET, ORDER);
        if (version == 4 ? (srcHi | dstHi | (srcLo >>> 32) | (dstLo >>> 32)) != 0 : version != 6)
        {
            return null;
        }
        return new PeerFlow(version, b.getByte(offset + FLOW_PROTOCOL_OFFSET) & 0xFF, b.getShort(offset + FLOW_SRC_PORT_OFFSET, ORDER) & 0xFFFF,
            b.getShort(offset + FLOW_DST_PORT_OFFSET, ORDER) & 0xFFFF, srcHi, srcLo, dstHi, dstLo);
    }

    /**
     * @return the backend of the entry at {@code offset}, or null when it names none.
     * @throws IllegalArgumentException when the backend family or address is not valid.
     */
    public static IpAddress readBackend(final DirectBuffer b, final int offset)
    {
        final int family = b.getByte(offset + FLOW_BACKEND_FAMILY_OFFSET);
        final long hi = b.getLong(offset + FLOW_BACKEND_HI_OFFSET, ORDER);
        final long lo = b.getLong(offset + FLOW_BACKEND_LO_OFFSET, ORDER);
        return switch (family)
        {
            case 0 -> null;
            case 4 -> new IpAddress(false, hi, lo);
            case 6 -> IpAddress.ofIpv6(hi, lo);
            default -> throw new IllegalArgumentException("backend family " + family);
        };
    }

    /** @return the address of a snapshot backend. */
    public static IpAddress addressOf(final Backend b)
    {
        return b.v6() ? IpAddress.ofIpv6(b.v6Hi(), b.v6Lo()) : IpAddress.ofIpv4(b.v4());
    }

    /** @return whether a snapshot backend has {@code address}. */
    public static boolean hasAddress(final Backend b, final IpAddress address)
    {
        return address.ipv6() ? b.v6() && b.v6Hi() == address.high() && b.v6Lo() == address.low()
            : !b.v6() && b.v4() == address.ipv4();
    }

    @Override
    public String toString()
    {
        return text(srcHi, srcLo) + ":" + srcPort + " > " + text(dstHi, dstLo) + ":" + dstPort + "/" + protocol;
    }

    private String text(final long hi, final long lo)
    {
        return (version == 4 ? IpAddress.ofIpv4((int)lo) : IpAddress.ofIpv6(hi, lo)).toString();
    }
}
