package io.panamux.perf.e2e;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Mixed client traffic for the end-to-end replay, with what the MUX must do with each frame: TCP and UDP
 * flows over IPv4 and IPv6 to several VIPs (some VLAN-tagged, with IPv4 options or IPv6 extension
 * headers), fragmented UDP datagrams delivered out of order, ICMP and ICMPv6 errors quoting VIP flows,
 * too-big packets with DF, traffic for no VIP, and malformed frames. Every frame is unique (so an output
 * can be traced back to its input by its inner bytes).
 */
final class MixedTraffic
{
    static final long PORT_MAC = 0x02_00_00_00_00_0AL;
    static final long ROUTER_MAC = 0x02_00_00_00_00_FEL;

    /** What must happen to one input frame. */
    record Expect(String kind, String vip, String flow, String group)
    {
    }

    final List<byte[]> frames = new ArrayList<>();
    final List<Expect> expects = new ArrayList<>();
    private final Random random = new Random(7);
    private int ipId = 1;

    MixedTraffic()
    {
        final int vip1 = ip4(192, 0, 2, 10);
        final int vip2 = ip4(192, 0, 2, 11);
        final int vip4 = ip4(192, 0, 2, 12);
        final byte[] vip3 = ip6("2001:db8::10");
        for (int f = 0; f < 600; f++)
        {
            final int client = ip4(198, 18, f >> 8, f & 0xFF);
            final int sport = 10000 + f;
            final String flow = "tcp4 " + f;
            for (int p = 0; p < 4; p++)
            {
                final byte[] options = f % 7 == 0 ? new byte[] {1, 1, 1, 0} : new byte[0];
                final byte[] ip = ipv4(client, vip1, 6, options, tcp(sport, 80, p == 0 ? 0x02 : 0x18, p, 8 + p), 0x4000);
                add(f % 5 == 0 ? vlan(ip, 0x0800, 100) : ether(ip, 0x0800), "forward", "192.0.2.10:80/tcp", flow, "");
            }
        }
        for (int f = 0; f < 300; f++)
        {
            final int client = ip4(198, 19, f >> 8, f & 0xFF);
            for (int p = 0; p < 2; p++)
            {
                add(ether(ipv4(client, vip2, 17, new byte[0], udp(20000 + f, 53, 12 + p), 0), 0x0800), "forward", "192.0.2.11:53/udp",
                    "udp4 " + f, "");
            }
        }
        for (int d = 0; d < 20; d++)
        {
            fragmentedDatagram(ip4(198, 20, 0, d), vip2, 30000 + d, 53, d);
        }
        for (int f = 0; f < 300; f++)
        {
            final byte[] client = ip6("2001:db8:c::" + Integer.toHexString(f + 1));
            for (int p = 0; p < 2; p++)
            {
                final byte[] l4 = tcp(40000 + f, 80, p == 0 ? 0x02 : 0x18, p, 8 + p);
                final byte[] ip = f % 4 == 0 ? ipv6(client, vip3, 0, hopByHop(6, l4)) : ipv6(client, vip3, 6, l4);
                add(ether(ip, 0x86DD), "forward", "[2001:db8::10]:80/tcp", "tcp6 " + f, "");
            }
        }
        for (int f = 0; f < 100; f++)
        {
            add(ether(ipv4(ip4(198, 21, 0, f), vip4, 6, new byte[0], tcp(50000 + f, 443, 0x02, 0, 8), 0x4000), 0x0800), "forward",
                "192.0.2.12:443/tcp", "tcp4b " + f, "");
        }
        // ICMP errors about VIP flows: the quoted packet went VIP -> client (the backend's direct reply).
        for (int e = 0; e < 30; e++)
        {
            final int f = e * 13 % 600;
            final int client = ip4(198, 18, f >> 8, f & 0xFF);
            final byte[] quoted = ipv4(vip1, client, 6, new byte[0], tcp(80, 10000 + f, 0x18, 1, 8), 0x4000);
            final byte[] icmp = icmp4(3, 4, 1400, java.util.Arrays.copyOf(quoted, 28));
            add(ether(ipv4(ip4(203, 0, 113, 1 + e), vip1, 1, new byte[0], icmp, 0), 0x0800), "forward", "192.0.2.10:80/tcp", "tcp4 " + f, "");
        }
        for (int e = 0; e < 10; e++)
        {
            final int f = e * 29 % 300;
            final byte[] client = ip6("2001:db8:c::" + Integer.toHexString(f + 1));
            final byte[] quoted = ipv6(vip3, client, 6, tcp(80, 40000 + f, 0x18, 1, 8));
            final byte[] router = ip6("2001:db8:ffff::" + (e + 1));
            add(ether(ipv6(router, vip3, 58, icmp6(router, vip3, 2, 0, 1400, quoted)), 0x86DD), "forward", "[2001:db8::10]:80/tcp",
                "tcp6 " + f, "");
        }
        // Too big to encapsulate with DF set: the MUX answers "fragmentation needed" instead.
        for (int t = 0; t < 3; t++)
        {
            add(ether(ipv4(ip4(198, 22, 0, t), vip1, 6, new byte[0], tcp(60000 + t, 80, 0x18, 5, 1460), 0x4000), 0x0800), "too_big",
                "192.0.2.10:80/tcp", "big " + t, "");
        }
        // Not for a VIP.
        for (int n = 0; n < 20; n++)
        {
            add(ether(ipv4(ip4(198, 23, 0, n), vip1, 6, new byte[0], tcp(1000 + n, 81, 0x02, 0, 8), 0x4000), 0x0800), "drop", "", "", "");
            add(ether(ipv4(ip4(198, 23, 1, n), ip4(192, 0, 2, 99), 17, new byte[0], udp(1000 + n, 53, 8), 0), 0x0800), "drop", "", "", "");
        }
        add(ether(new byte[46], 0x88CC), "drop", "", "", "");
        // Malformed.
        final byte[] good = ether(ipv4(ip4(198, 24, 0, 1), vip1, 6, new byte[0], tcp(7000, 80, 0x02, 0, 8), 0x4000), 0x0800);
        add(java.util.Arrays.copyOf(good, 30), "drop", "", "", "");                  // truncated IPv4 header
        add(with(good, 14, 0x44), "drop", "", "", "");                               // IHL 4
        add(with(good, 14, 0x55), "drop", "", "", "");                               // version 5
        add(with16(good, 16, 2000), "drop", "", "", "");                             // total length beyond the frame
        add(with(good, 14 + 20 + 12, 0x40), "drop", "", "", "");                     // TCP data offset 4
        add(java.util.Arrays.copyOf(good, 14 + 20 + 10), "drop", "", "", "");        // short TCP header
        add(java.util.Arrays.copyOf(good, 10), "drop", "", "", "");                  // truncated Ethernet
    }

    private void fragmentedDatagram(final int client, final int vip, final int sport, final int dport, final int d)
    {
        final byte[] payload = new byte[8 + 2000];
        random.nextBytes(payload);
        final byte[] udpHeader = udp(sport, dport, 2000);
        System.arraycopy(udpHeader, 0, payload, 0, 8);
        final int id = ipId++;
        final int[] offsets = {0, 800, 1600};
        final List<byte[]> parts = new ArrayList<>();
        for (int i = 0; i < 3; i++)
        {
            final int from = offsets[i];
            final int to = i == 2 ? payload.length : offsets[i + 1];
            final byte[] chunk = java.util.Arrays.copyOfRange(payload, from, to);
            final int field = (i < 2 ? 0x2000 : 0) | (from / 8);
            parts.add(ether(ipv4Id(client, vip, 17, chunk, field, id), 0x0800));
        }
        // Every other datagram arrives last fragment first.
        if (d % 2 == 1)
        {
            java.util.Collections.reverse(parts);
        }
        for (final byte[] p : parts)
        {
            add(p, "forward", "192.0.2.11:53/udp", "frag " + d, "datagram " + d);
        }
    }

    private void add(final byte[] frame, final String kind, final String vip, final String flow, final String group)
    {
        frames.add(frame);
        expects.add(new Expect(kind, vip, flow, group));
    }

    /** Writes the frames as a pcap (microsecond format) and the expectations as tab-separated lines. */
    void write(final Path pcap, final Path expectations) throws IOException
    {
        try (OutputStream os = Files.newOutputStream(pcap); DataOutputStream out = new DataOutputStream(os))
        {
            final ByteBuffer header = ByteBuffer.allocate(24).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            header.putInt(0xA1B2C3D4).putShort((short)2).putShort((short)4).putInt(0).putInt(0).putInt(65535).putInt(1);
            out.write(header.array());
            int i = 0;
            for (final byte[] f : frames)
            {
                final ByteBuffer rec = ByteBuffer.allocate(16).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                rec.putInt(1_700_000_000).putInt(i++).putInt(f.length).putInt(f.length);
                out.write(rec.array());
                out.write(f);
            }
        }
        final StringBuilder sb = new StringBuilder();
        for (final Expect e : expects)
        {
            sb.append(e.kind()).append('\t').append(e.vip()).append('\t').append(e.flow()).append('\t').append(e.group()).append('\n');
        }
        Files.writeString(expectations, sb.toString());
    }

    // Frame building (network byte order throughout).

    static int ip4(final int a, final int b, final int c, final int d)
    {
        return (a << 24) | (b << 16) | (c << 8) | d;
    }

    static byte[] ip6(final String literal)
    {
        try
        {
            return java.net.InetAddress.getByName(literal).getAddress();
        }
        catch (final java.net.UnknownHostException e)
        {
            throw new IllegalArgumentException(literal, e);
        }
    }

    static byte[] ether(final byte[] payload, final int etherType)
    {
        final ByteBuffer b = ByteBuffer.allocate(14 + payload.length);
        mac(b, PORT_MAC);
        mac(b, ROUTER_MAC);
        b.putShort((short)etherType).put(payload);
        return b.array();
    }

    static byte[] vlan(final byte[] payload, final int etherType, final int vlanId)
    {
        final ByteBuffer b = ByteBuffer.allocate(18 + payload.length);
        mac(b, PORT_MAC);
        mac(b, ROUTER_MAC);
        b.putShort((short)0x8100).putShort((short)vlanId).putShort((short)etherType).put(payload);
        return b.array();
    }

    private static void mac(final ByteBuffer b, final long mac)
    {
        for (int s = 40; s >= 0; s -= 8)
        {
            b.put((byte)(mac >>> s));
        }
    }

    private byte[] ipv4(final int src, final int dst, final int protocol, final byte[] options, final byte[] payload, final int flags)
    {
        return ipv4Full(src, dst, protocol, options, payload, flags, ipId++);
    }

    private static byte[] ipv4Id(final int src, final int dst, final int protocol, final byte[] payload, final int field, final int id)
    {
        return ipv4Full(src, dst, protocol, new byte[0], payload, field, id);
    }

    private static byte[] ipv4Full(final int src, final int dst, final int protocol, final byte[] options, final byte[] payload,
        final int fragmentField, final int id)
    {
        final int hl = 20 + options.length;
        final ByteBuffer b = ByteBuffer.allocate(hl + payload.length);
        b.put((byte)(0x40 | hl / 4)).put((byte)0).putShort((short)(hl + payload.length)).putShort((short)id)
            .putShort((short)fragmentField).put((byte)64).put((byte)protocol).putShort((short)0).putInt(src).putInt(dst).put(options)
            .put(payload);
        final byte[] p = b.array();
        final int c = checksum(p, 0, hl, 0);
        p[10] = (byte)(c >> 8);
        p[11] = (byte)c;
        if (protocol == 6 && (fragmentField & 0x3FFF) == 0)
        {
            l4Checksum(p, hl, 16, pseudo4(src, dst, 6, payload.length));
        }
        else if (protocol == 17 && (fragmentField & 0x3FFF) == 0)
        {
            l4Checksum(p, hl, 6, pseudo4(src, dst, 17, payload.length));
        }
        return p;
    }

    private static long pseudo4(final int src, final int dst, final int protocol, final int length)
    {
        return (src >>> 16) + (src & 0xFFFF) + (dst >>> 16) + (dst & 0xFFFF) + protocol + length;
    }

    private static byte[] ipv6(final byte[] src, final byte[] dst, final int nextHeader, final byte[] payload)
    {
        final ByteBuffer b = ByteBuffer.allocate(40 + payload.length);
        b.putInt(0x6000_0000).putShort((short)payload.length).put((byte)nextHeader).put((byte)64).put(src).put(dst).put(payload);
        final byte[] p = b.array();
        // Upper-layer checksum when the payload starts with TCP directly.
        if (nextHeader == 6)
        {
            l4Checksum(p, 40, 16, pseudo6(src, dst, 6, payload.length));
        }
        else if (nextHeader == 0 && payload[0] == 6)
        {
            l4Checksum(p, 48, 16, pseudo6(src, dst, 6, payload.length - 8));
        }
        return p;
    }

    private static long pseudo6(final byte[] src, final byte[] dst, final int nextHeader, final int length)
    {
        long s = 0;
        for (int i = 0; i < 16; i += 2)
        {
            s += ((src[i] & 0xFF) << 8) | (src[i + 1] & 0xFF);
            s += ((dst[i] & 0xFF) << 8) | (dst[i + 1] & 0xFF);
        }
        return s + nextHeader + length;
    }

    private static void l4Checksum(final byte[] p, final int l4, final int at, final long pseudo)
    {
        p[l4 + at] = 0;
        p[l4 + at + 1] = 0;
        int c = checksum(p, l4, p.length - l4, pseudo);
        if (c == 0 && at == 6)
        {
            c = 0xFFFF;
        }
        p[l4 + at] = (byte)(c >> 8);
        p[l4 + at + 1] = (byte)c;
    }

    private static byte[] hopByHop(final int nextHeader, final byte[] payload)
    {
        final ByteBuffer b = ByteBuffer.allocate(8 + payload.length);
        b.put((byte)nextHeader).put((byte)0).put(new byte[] {1, 4, 0, 0, 0, 0}).put(payload);
        return b.array();
    }

    private byte[] tcp(final int sport, final int dport, final int flags, final int seq, final int payloadLength)
    {
        final byte[] data = new byte[payloadLength];
        random.nextBytes(data);
        final ByteBuffer b = ByteBuffer.allocate(20 + payloadLength);
        b.putShort((short)sport).putShort((short)dport).putInt(seq * 1000 + random.nextInt(1000)).putInt(flags == 0x02 ? 0 : 1)
            .put((byte)0x50).put((byte)flags).putShort((short)65535).putInt(0).put(data);
        return b.array();
    }

    private byte[] udp(final int sport, final int dport, final int payloadLength)
    {
        final byte[] data = new byte[payloadLength];
        random.nextBytes(data);
        final ByteBuffer b = ByteBuffer.allocate(8 + payloadLength);
        b.putShort((short)sport).putShort((short)dport).putShort((short)(8 + payloadLength)).putShort((short)0).put(data);
        return b.array();
    }

    private static byte[] icmp4(final int type, final int code, final int mtu, final byte[] quote)
    {
        final ByteBuffer b = ByteBuffer.allocate(8 + quote.length);
        b.put((byte)type).put((byte)code).putShort((short)0).putShort((short)0).putShort((short)mtu).put(quote);
        final byte[] p = b.array();
        final int c = checksum(p, 0, p.length, 0);
        p[2] = (byte)(c >> 8);
        p[3] = (byte)c;
        return p;
    }

    private static byte[] icmp6(final byte[] src, final byte[] dst, final int type, final int code, final int mtu, final byte[] quote)
    {
        final ByteBuffer b = ByteBuffer.allocate(8 + quote.length);
        b.put((byte)type).put((byte)code).putShort((short)0).putInt(mtu).put(quote);
        final byte[] p = b.array();
        final int c = checksum(p, 0, p.length, pseudo6(src, dst, 58, p.length));
        p[2] = (byte)(c >> 8);
        p[3] = (byte)c;
        return p;
    }

    private static byte[] with(final byte[] frame, final int offset, final int value)
    {
        final byte[] c = frame.clone();
        c[offset] = (byte)value;
        return c;
    }

    private static byte[] with16(final byte[] frame, final int offset, final int value)
    {
        final byte[] c = frame.clone();
        c[offset] = (byte)(value >> 8);
        c[offset + 1] = (byte)value;
        return c;
    }

    private static int checksum(final byte[] p, final int from, final int length, final long initial)
    {
        long s = initial;
        for (int i = 0; i < length; i += 2)
        {
            final int hi = p[from + i] & 0xFF;
            final int lo = i + 1 < length ? p[from + i + 1] & 0xFF : 0;
            s += (hi << 8) | lo;
        }
        while ((s >>> 16) != 0)
        {
            s = (s & 0xFFFF) + (s >>> 16);
        }
        return (int)(~s & 0xFFFF);
    }
}
