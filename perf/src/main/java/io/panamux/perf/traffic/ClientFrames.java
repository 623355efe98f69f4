package io.panamux.perf.traffic;

import io.panamux.dpdk.Memory;

/**
 * Writes client-to-VIP frames (Ethernet II, IPv4 or IPv6, TCP or UDP) into native memory, with valid IP,
 * TCP and UDP checksums, for the traffic generator and for test captures. The last 8 bytes of every
 * frame are a trailer the generator reads back after the MUX: the send time in nanoseconds. The MUX only
 * prepends headers, so the trailer is still the last 8 bytes of what comes out.
 *
 * <pre>
 *  | Ethernet 14 | IPv4 20 / IPv6 40 | TCP 20 / UDP 8 | zero payload ... | send time (8, big-endian) |
 * </pre>
 */
public final class ClientFrames
{
    /** Ethernet header length. */
    public static final int ETH = 14;
    /** Bytes of the send-time trailer. */
    public static final int TRAILER = 8;
    /** TCP flags. */
    public static final int FIN = 0x01;
    /** TCP SYN. */
    public static final int SYN = 0x02;
    /** TCP PSH. */
    public static final int PSH = 0x08;
    /** TCP ACK. */
    public static final int ACK = 0x10;
    /** IP protocol numbers. */
    public static final int TCP = 6;
    /** UDP. */
    public static final int UDP = 17;

    private ClientFrames()
    {
    }

    /** @return the smallest frame for this family and protocol (headers + trailer). */
    public static int minimumLength(final boolean v6, final int protocol)
    {
        return ETH + (v6 ? 40 : 20) + (protocol == TCP ? 20 : 8) + TRAILER;
    }

    /**
     * Writes an IPv4 frame of {@code frameLength} bytes at {@code a}.
     *
     * @return the frame length.
     */
    public static int ipv4(final long a, final int frameLength, final long dstMac, final long srcMac, final int src, final int dst,
        final int protocol, final int srcPort, final int dstPort, final int tcpFlags, final int seq, final long sendNs)
    {
        ethernet(a, dstMac, srcMac, 0x0800);
        final long ip = a + ETH;
        final int ipLength = frameLength - ETH;
        Memory.putI64(ip, 0);
        Memory.putI64(ip + 8, 0);
        Memory.putU8(ip, 0x45);
        Memory.putU16Be(ip + 2, ipLength);
        Memory.putU16Be(ip + 4, seq & 0xFFFF);
        Memory.putU16Be(ip + 6, 0x4000); // DF, as Linux sets on TCP
        Memory.putU8(ip + 8, 64);
        Memory.putU8(ip + 9, protocol);
        Memory.putI32Be(ip + 12, src);
        Memory.putI32Be(ip + 16, dst);
        Memory.putU16Be(ip + 10, ~sum(ip, 20, 0) & 0xFFFF);
        final long l4 = ip + 20;
        final int l4Length = ipLength - 20;
        transport(l4, l4Length, protocol, srcPort, dstPort, tcpFlags, seq, frameLength - ETH - 20, sendNs);
        final long pseudo = (src >>> 16) + (src & 0xFFFF) + (dst >>> 16) + (dst & 0xFFFF) + protocol + l4Length;
        checksumL4(l4, l4Length, protocol, pseudo);
        return frameLength;
    }

    /**
     * Writes an IPv6 frame of {@code frameLength} bytes at {@code a}.
     *
     * @return the frame length.
     */
    public static int ipv6(final long a, final int frameLength, final long dstMac, final long srcMac, final long srcHi, final long srcLo,
        final long dstHi, final long dstLo, final int protocol, final int srcPort, final int dstPort, final int tcpFlags, final int seq,
        final long sendNs)
    {
        ethernet(a, dstMac, srcMac, 0x86DD);
        final long ip = a + ETH;
        final int payload = frameLength - ETH - 40;
        Memory.putI32Be(ip, 0x6000_0000);
        Memory.putU16Be(ip + 4, payload);
        Memory.putU8(ip + 6, protocol);
        Memory.putU8(ip + 7, 64);
        Memory.putI64Be(ip + 8, srcHi);
        Memory.putI64Be(ip + 16, srcLo);
        Memory.putI64Be(ip + 24, dstHi);
        Memory.putI64Be(ip + 32, dstLo);
        final long l4 = ip + 40;
        transport(l4, payload, protocol, srcPort, dstPort, tcpFlags, seq, payload, sendNs);
        final long pseudo = sum(ip + 8, 32, 0) + protocol + payload;
        checksumL4(l4, payload, protocol, pseudo);
        return frameLength;
    }

    private static void ethernet(final long a, final long dstMac, final long srcMac, final int etherType)
    {
        Memory.putU16Be(a, (int)(dstMac >>> 32));
        Memory.putI32Be(a + 2, (int)dstMac);
        Memory.putU16Be(a + 6, (int)(srcMac >>> 32));
        Memory.putI32Be(a + 8, (int)srcMac);
        Memory.putU16Be(a + 12, etherType);
    }

    private static void transport(final long l4, final int l4Length, final int protocol, final int srcPort, final int dstPort,
        final int tcpFlags, final int seq, final int ipPayload, final long sendNs)
    {
        Memory.fill(l4, l4Length, (byte)0);
        Memory.putU16Be(l4, srcPort);
        Memory.putU16Be(l4 + 2, dstPort);
        if (protocol == TCP)
        {
            Memory.putI32Be(l4 + 4, seq);
            Memory.putI32Be(l4 + 8, (tcpFlags & ACK) != 0 ? 1 : 0);
            Memory.putU8(l4 + 12, 5 << 4);
            Memory.putU8(l4 + 13, tcpFlags);
            Memory.putU16Be(l4 + 14, 65535);
        }
        else
        {
            Memory.putU16Be(l4 + 4, ipPayload);
        }
        Memory.putI64Be(l4 + l4Length - TRAILER, sendNs);
    }

    private static void checksumL4(final long l4, final int length, final int protocol, final long pseudo)
    {
        final int offset = protocol == TCP ? 16 : 6;
        final int header = protocol == TCP ? 20 : 8;
        // Between the header and the trailer the payload is zero, which adds nothing to the sum: only the
        // header and the trailer are summed, so large frames cost no more than small ones.
        final int c = ~sum(l4 + length - TRAILER, TRAILER, sum(l4, header, pseudo)) & 0xFFFF;
        Memory.putU16Be(l4 + offset, protocol == UDP && c == 0 ? 0xFFFF : c);
    }

    /** Rewrites the send-time trailer of a frame of {@code frameLength} bytes (checksums are not updated). */
    public static void stamp(final long frame, final int frameLength, final long sendNs)
    {
        Memory.putI64Be(frame + frameLength - TRAILER, sendNs);
    }

    /** @return the send time in the trailer of a frame of {@code frameLength} bytes. */
    public static long sendTime(final long frame, final int frameLength)
    {
        return Memory.getI64Be(frame + frameLength - TRAILER);
    }

    /** Ones-complement sum of {@code length} bytes (folded to 16 bits) plus {@code initial}. */
    static int sum(final long a, final int length, final long initial)
    {
        long s = initial;
        int i = 0;
        for (; i + 1 < length; i += 2)
        {
            s += Memory.getU16Be(a + i);
        }
        if (i < length)
        {
            s += Memory.getU8(a + i) << 8;
        }
        while ((s >>> 16) != 0)
        {
            s = (s & 0xFFFF) + (s >>> 16);
        }
        return (int)s;
    }
}
