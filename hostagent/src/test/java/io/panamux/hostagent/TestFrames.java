package io.panamux.hostagent;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;

import io.panamux.fastpath.packet.FakeMbuf;

/**
 * Test frames built byte by byte (independently of the code under test), and fake mbufs in off-heap memory
 * holding them (fastpath's {@link FakeMbuf}).
 */
final class TestFrames
{
    static final int HEADROOM = FakeMbuf.DEFAULT_HEADROOM;
    static final int DATA_ROOM = FakeMbuf.DATA_ROOM;
    static final long HOST_MAC = 0x0299_0000_1502L;
    static final long ROUTER_MAC = 0x0298_0000_1501L;

    private TestFrames()
    {
    }

    static long mbuf(final Arena arena, final byte[] frame)
    {
        return FakeMbuf.create(arena, frame, HEADROOM);
    }

    static byte[] data(final long mbuf)
    {
        return FakeMbuf.data(mbuf);
    }

    static byte[] ethernet(final long dst, final long src, final int type, final byte[] payload)
    {
        final ByteBuffer b = ByteBuffer.allocate(14 + payload.length);
        b.putShort((short)(dst >>> 32)).putInt((int)dst).putShort((short)(src >>> 32)).putInt((int)src).putShort((short)type).put(payload);
        return b.array();
    }

    /** An IPv4 header (20 bytes, valid checksum) followed by {@code payload}. */
    static byte[] ipv4(final int tos, final int protocol, final int src, final int dst, final int flagsFragment, final byte[] payload)
    {
        final ByteBuffer b = ByteBuffer.allocate(20 + payload.length);
        b.put((byte)0x45).put((byte)tos).putShort((short)(20 + payload.length)).putShort((short)0x1234).putShort((short)flagsFragment)
            .put((byte)64).put((byte)protocol).putShort((short)0).putInt(src).putInt(dst);
        final byte[] header = b.array();
        final int sum = checksum(header, 0, 20);
        header[10] = (byte)(sum >>> 8);
        header[11] = (byte)sum;
        System.arraycopy(payload, 0, header, 20, payload.length);
        return header;
    }

    static byte[] ipv6(final int trafficClass, final int nextHeader, final byte[] payload)
    {
        final ByteBuffer b = ByteBuffer.allocate(40 + payload.length);
        b.putInt(0x6000_0000 | (trafficClass << 20)).putShort((short)payload.length).put((byte)nextHeader).put((byte)64);
        b.putLong(0x2001_0db8_0000_0000L).putLong(1).putLong(0x2001_0db8_0000_0000L).putLong(0x10).put(payload);
        return b.array();
    }

    static byte[] tcp(final int srcPort, final int dstPort, final int flags, final int payloadLength)
    {
        final ByteBuffer b = ByteBuffer.allocate(20 + payloadLength);
        b.putShort((short)srcPort).putShort((short)dstPort).putInt(1000).putInt(0).put((byte)0x50).put((byte)flags)
            .putShort((short)65535).putShort((short)0).putShort((short)0);
        for (int i = 0; i < payloadLength; i++)
        {
            b.put((byte)i);
        }
        return b.array();
    }

    static byte[] udp(final int srcPort, final int dstPort, final byte[] payload)
    {
        final ByteBuffer b = ByteBuffer.allocate(8 + payload.length);
        b.putShort((short)srcPort).putShort((short)dstPort).putShort((short)(8 + payload.length)).putShort((short)0).put(payload);
        return b.array();
    }

    static byte[] concat(final byte[]... parts)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (final byte[] p : parts)
        {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    static int checksum(final byte[] bytes, final int offset, final int length)
    {
        long sum = 0;
        for (int i = 0; i + 1 < length; i += 2)
        {
            sum += ((bytes[offset + i] & 0xFF) << 8) | (bytes[offset + i + 1] & 0xFF);
        }
        if ((length & 1) != 0)
        {
            sum += (bytes[offset + length - 1] & 0xFF) << 8;
        }
        while ((sum >>> 16) != 0)
        {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int)(~sum & 0xFFFF);
    }

    static int ip(final String dotted)
    {
        return Prefix.parseAddress(dotted);
    }
}
