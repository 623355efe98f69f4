package io.panamux.fastpath.packet;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;

/**
 * Test-only frame builder: packets as heap byte arrays, written field by field with their own checksum
 * code, independent of the flyweights and of {@link Checksum} under test. Lengths and checksums are
 * filled in; malformed shapes are made by changing bytes of a well-formed frame afterwards.
 */
public final class Frames
{
    /** The router in front of the MUX: source MAC of client traffic. */
    public static final long ROUTER_MAC = 0x02_00_00_00_00_01L;
    /** The MUX port's MAC. */
    public static final long PORT_MAC = 0x02_00_00_00_00_0AL;
    /** The gateway towards backends. */
    public static final long GATEWAY_MAC = 0x02_00_00_00_00_FEL;

    /** A client. */
    public static final int CLIENT = ipv4("198.51.100.7");
    /** A VIP. */
    public static final int VIP = ipv4("192.0.2.10");
    /** The MUX's own address. */
    public static final int MUX = ipv4("10.0.0.10");
    /** A backend. */
    public static final int BACKEND = ipv4("10.1.0.1");
    /** A router that reports ICMP errors. */
    public static final int REPORTER = ipv4("203.0.113.1");
    /** IPv6 client. */
    public static final byte[] CLIENT6 = ipv6("2001:db8:c::7");
    /** IPv6 VIP. */
    public static final byte[] VIP6 = ipv6("2001:db8:100::10");
    /** The MUX's IPv6 address. */
    public static final byte[] MUX6 = ipv6("2001:db8::a");
    /** IPv6 backend. */
    public static final byte[] BACKEND6 = ipv6("2001:db8:1::1");
    /** IPv6 router that reports ICMPv6 errors. */
    public static final byte[] REPORTER6 = ipv6("2001:db8:ffff::1");

    private Frames()
    {
    }

    /** @return the dotted-quad IPv4 address as an int. */
    public static int ipv4(final String dotted)
    {
        return ByteBuffer.wrap(address(dotted)).getInt();
    }

    /** @return the 16 bytes of an IPv6 literal. */
    public static byte[] ipv6(final String literal)
    {
        return address(literal);
    }

    /** @return the high 64 bits of a 16-byte address. */
    public static long high(final byte[] address)
    {
        return ByteBuffer.wrap(address).getLong(0);
    }

    /** @return the low 64 bits of a 16-byte address. */
    public static long low(final byte[] address)
    {
        return ByteBuffer.wrap(address).getLong(8);
    }

    private static byte[] address(final String literal)
    {
        try
        {
            // A literal never reaches a resolver.
            return InetAddress.getByName(literal).getAddress();
        }
        catch (final UnknownHostException ex)
        {
            throw new IllegalArgumentException(literal, ex);
        }
    }

    /** @return an untagged Ethernet II frame. */
    public static byte[] ethernet(final long dst, final long src, final int etherType, final byte[] payload)
    {
        final ByteBuffer b = ByteBuffer.allocate(14 + payload.length);
        putMac(b, dst);
        putMac(b, src);
        b.putShort((short)etherType);
        b.put(payload);
        return b.array();
    }

    /** @return an Ethernet II frame with one 802.1Q tag of control information {@code tci}. */
    public static byte[] vlan(final long dst, final long src, final int tci, final int etherType, final byte[] payload)
    {
        final ByteBuffer b = ByteBuffer.allocate(18 + payload.length);
        putMac(b, dst);
        putMac(b, src);
        b.putShort((short)0x8100);
        b.putShort((short)tci);
        b.putShort((short)etherType);
        b.put(payload);
        return b.array();
    }

    /** @return a client frame from the router to the MUX port. */
    public static byte[] toMux(final int etherType, final byte[] payload)
    {
        return ethernet(PORT_MAC, ROUTER_MAC, etherType, payload);
    }

    private static void putMac(final ByteBuffer b, final long mac)
    {
        for (int shift = 40; shift >= 0; shift -= 8)
        {
            b.put((byte)(mac >>> shift));
        }
    }

    /**
     * @return an IPv4 packet; total length and header checksum are computed.
     */
    public static byte[] ipv4(
        final int tos,
        final int id,
        final int fragmentField,
        final int ttl,
        final int protocol,
        final int src,
        final int dst,
        final byte[] options,
        final byte[] payload)
    {
        final int headerLength = 20 + options.length;
        final ByteBuffer b = ByteBuffer.allocate(headerLength + payload.length);
        b.put((byte)(0x40 | (headerLength / 4)));
        b.put((byte)tos);
        b.putShort((short)(headerLength + payload.length));
        b.putShort((short)id);
        b.putShort((short)fragmentField);
        b.put((byte)ttl);
        b.put((byte)protocol);
        b.putShort((short)0);
        b.putInt(src);
        b.putInt(dst);
        b.put(options);
        b.put(payload);
        final byte[] packet = b.array();
        put16(packet, 10, checksum(packet, 0, headerLength, 0));
        return packet;
    }

    /** @return a plain IPv4 packet (TTL 64, no options) with DF set. */
    public static byte[] ipv4(final int protocol, final int src, final int dst, final byte[] payload)
    {
        return ipv4(0, 0x1234, 0x4000, 64, protocol, src, dst, new byte[0], payload);
    }

    /** @return an IPv6 packet; the payload length is computed. */
    public static byte[] ipv6(
        final int trafficClass,
        final int flowLabel,
        final int nextHeader,
        final int hopLimit,
        final byte[] src,
        final byte[] dst,
        final byte[] payload)
    {
        final ByteBuffer b = ByteBuffer.allocate(40 + payload.length);
        b.putInt((6 << 28) | ((trafficClass & 0xFF) << 20) | (flowLabel & 0xFFFFF));
        b.putShort((short)payload.length);
        b.put((byte)nextHeader);
        b.put((byte)hopLimit);
        b.put(src);
        b.put(dst);
        b.put(payload);
        return b.array();
    }

    /** @return a TCP header (with {@code options}, a multiple of 4 bytes) and payload; checksum left 0. */
    public static byte[] tcp(final int sport, final int dport, final int flags, final byte[] options, final byte[] payload)
    {
        final int headerLength = 20 + options.length;
        final ByteBuffer b = ByteBuffer.allocate(headerLength + payload.length);
        b.putShort((short)sport);
        b.putShort((short)dport);
        b.putInt(0x01020304);
        b.putInt(0);
        b.put((byte)((headerLength / 4) << 4));
        b.put((byte)flags);
        b.putShort((short)65535);
        b.putShort((short)0xBEEF);
        b.putShort((short)0);
        b.put(options);
        b.put(payload);
        return b.array();
    }

    /** @return a TCP segment without options. */
    public static byte[] tcp(final int sport, final int dport, final int flags, final byte[] payload)
    {
        return tcp(sport, dport, flags, new byte[0], payload);
    }

    /** @return a UDP header and payload; the length is computed, the checksum is an arbitrary constant. */
    public static byte[] udp(final int sport, final int dport, final byte[] payload)
    {
        final ByteBuffer b = ByteBuffer.allocate(8 + payload.length);
        b.putShort((short)sport);
        b.putShort((short)dport);
        b.putShort((short)(8 + payload.length));
        b.putShort((short)0xCAFE);
        b.put(payload);
        return b.array();
    }

    /** @return an ICMP message with its checksum. */
    public static byte[] icmp(final int type, final int code, final int rest, final byte[] payload)
    {
        final ByteBuffer b = ByteBuffer.allocate(8 + payload.length);
        b.put((byte)type);
        b.put((byte)code);
        b.putShort((short)0);
        b.putInt(rest);
        b.put(payload);
        final byte[] message = b.array();
        put16(message, 2, checksum(message, 0, message.length, 0));
        return message;
    }

    /** @return an ICMPv6 message with its checksum for the given addresses. */
    public static byte[] icmpv6(
        final int type, final int code, final int rest, final byte[] payload, final byte[] src, final byte[] dst)
    {
        final ByteBuffer b = ByteBuffer.allocate(8 + payload.length);
        b.put((byte)type);
        b.put((byte)code);
        b.putShort((short)0);
        b.putInt(rest);
        b.put(payload);
        final byte[] message = b.array();
        put16(message, 2, checksum(message, 0, message.length, pseudoHeaderV6(src, dst, 58, message.length)));
        return message;
    }

    /**
     * @return a hop-by-hop, routing or destination options header of {@code (units + 1) * 8} bytes
     * followed by {@code payload}; options are one PadN (routing: type 0, segments left 0, zeros).
     */
    public static byte[] extension(final int kind, final int nextHeader, final int units, final byte[] payload)
    {
        final int length = (units + 1) * 8;
        final byte[] header = new byte[length];
        header[0] = (byte)nextHeader;
        header[1] = (byte)units;
        if (kind != 43)
        {
            header[2] = 1;
            header[3] = (byte)(length - 4);
        }
        return cat(header, payload);
    }

    /** @return an IPv6 fragment header followed by {@code payload}. */
    public static byte[] fragment(
        final int nextHeader, final int offsetBytes, final boolean more, final int id, final byte[] payload)
    {
        final ByteBuffer b = ByteBuffer.allocate(8 + payload.length);
        b.put((byte)nextHeader);
        b.put((byte)0);
        b.putShort((short)((offsetBytes & 0xFFF8) | (more ? 1 : 0)));
        b.putInt(id);
        b.put(payload);
        return b.array();
    }

    /** @return the arrays one after another. */
    public static byte[] cat(final byte[]... parts)
    {
        int length = 0;
        for (final byte[] part : parts)
        {
            length += part.length;
        }
        final ByteBuffer b = ByteBuffer.allocate(length);
        for (final byte[] part : parts)
        {
            b.put(part);
        }
        return b.array();
    }

    /** @return {@code length} bytes of a recognisable pattern. */
    public static byte[] payload(final int length)
    {
        final byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)(i * 7 + 3);
        }
        return bytes;
    }

    /** @return a copy of {@code bytes} with {@code [offset, offset + length)}. */
    public static byte[] slice(final byte[] bytes, final int offset, final int length)
    {
        final byte[] copy = new byte[length];
        System.arraycopy(bytes, offset, copy, 0, length);
        return copy;
    }

    /** @return a copy of {@code frame} with byte {@code offset} set to {@code value}. */
    public static byte[] with8(final byte[] frame, final int offset, final int value)
    {
        final byte[] copy = frame.clone();
        copy[offset] = (byte)value;
        return copy;
    }

    /** @return a copy of {@code frame} with the big-endian 16-bit value at {@code offset} replaced. */
    public static byte[] with16(final byte[] frame, final int offset, final int value)
    {
        final byte[] copy = frame.clone();
        put16(copy, offset, value);
        return copy;
    }

    /** Writes a big-endian 16-bit value. */
    public static void put16(final byte[] bytes, final int offset, final int value)
    {
        bytes[offset] = (byte)(value >>> 8);
        bytes[offset + 1] = (byte)value;
    }

    /** @return the Internet checksum of {@code bytes[offset, offset + length)} plus {@code initial}. */
    public static int checksum(final byte[] bytes, final int offset, final int length, final long initial)
    {
        long sum = initial;
        for (int i = 0; i < length; i += 2)
        {
            final int high = bytes[offset + i] & 0xFF;
            final int low = i + 1 < length ? bytes[offset + i + 1] & 0xFF : 0;
            sum += (high << 8) | low;
        }
        while ((sum >>> 16) != 0)
        {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int)(~sum & 0xFFFF);
    }

    /** @return the sum of the 16-bit words of an IPv6 pseudo-header. */
    public static long pseudoHeaderV6(final byte[] src, final byte[] dst, final int nextHeader, final int length)
    {
        long sum = 0;
        for (int i = 0; i < 16; i += 2)
        {
            sum += ((src[i] & 0xFF) << 8) | (src[i + 1] & 0xFF);
            sum += ((dst[i] & 0xFF) << 8) | (dst[i + 1] & 0xFF);
        }
        return sum + (length >>> 16) + (length & 0xFFFF) + nextHeader;
    }

    /** @return the bytes as lowercase hex. */
    public static String hex(final byte[] bytes)
    {
        final StringBuilder s = new StringBuilder(bytes.length * 2);
        for (final byte b : bytes)
        {
            s.append(Character.forDigit((b >>> 4) & 0xF, 16)).append(Character.forDigit(b & 0xF, 16));
        }
        return s.toString();
    }
}
