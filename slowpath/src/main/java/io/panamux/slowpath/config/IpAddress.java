package io.panamux.slowpath.config;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

import io.panamux.common.net.Ipv4Address;

/**
 * An IPv4 or IPv6 address in the form the fast path uses directly: the 128 bits as two {@code long}s in
 * network order, an IPv4 address in the low 32 bits of {@link #low()} (also as an {@code int} from
 * {@link #ipv4()}).
 * <pre>
 *   IPv6 2001:db8::a   high = 0x2001_0db8_0000_0000  low = 0x0000_0000_0000_000a
 *   IPv4 10.0.0.10     high = 0                      low = 0x0000_0000_0a00_000a  (ipv4() = 0x0a00000a)
 * </pre>
 * Equality is on the bits; {@link #toString()} gives the canonical text (dotted quad, or RFC 5952 for
 * IPv6), whatever spelling the configuration used. Parsing never consults DNS: only literals are accepted.
 *
 * @param ipv6 true for an IPv6 address.
 * @param high IPv6: the first 64 bits in network order; IPv4: 0.
 * @param low  IPv6: the last 64 bits in network order; IPv4: the address, zero-extended.
 */
public record IpAddress(boolean ipv6, long high, long low) implements Comparable<IpAddress>
{
    /**
     * @throws IllegalArgumentException when an IPv4 address has bits outside the low 32.
     */
    public IpAddress
    {
        if (!ipv6 && (high != 0 || (low >>> 32) != 0))
        {
            throw new IllegalArgumentException("an IPv4 address has only 32 bits");
        }
    }

    /**
     * @param address the IPv4 address in host int form (10.0.0.1 is {@code 0x0a000001}).
     * @return the address.
     */
    public static IpAddress ofIpv4(final int address)
    {
        return new IpAddress(false, 0, address & 0xFFFF_FFFFL);
    }

    /**
     * @param high the first 64 bits in network order.
     * @param low  the last 64 bits in network order.
     * @return the IPv6 address.
     */
    public static IpAddress ofIpv6(final long high, final long low)
    {
        return new IpAddress(true, high, low);
    }

    /**
     * Parses an IP literal: a dotted quad of decimal octets without leading zeros (so {@code 010.0.0.1} is
     * never read as octal and {@code 10.1} is not a short form), or an IPv6 address without brackets, zone
     * or IPv4-mapped form. Host names are rejected, never resolved.
     *
     * @param text the literal.
     * @return the address.
     * @throws IllegalArgumentException when {@code text} is not such a literal.
     */
    public static IpAddress parse(final String text)
    {
        if (text.indexOf(':') < 0)
        {
            return ofIpv4(Ipv4Address.parse(text));
        }
        if (text.indexOf('[') >= 0 || text.indexOf('%') >= 0)
        {
            throw new IllegalArgumentException("brackets and zone ids are not allowed in an IPv6 address");
        }

        final InetAddress address;
        try
        {
            // ofLiteral parses only; it never performs a lookup.
            address = Inet6Address.ofLiteral(text);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new IllegalArgumentException("not an IPv6 address");
        }
        final byte[] bytes = address.getAddress();
        if (bytes.length != 16)
        {
            throw new IllegalArgumentException("an IPv4-mapped IPv6 address: write it as the IPv4 address " +
                address.getHostAddress());
        }
        return ofIpv6(bigEndianLong(bytes, 0), bigEndianLong(bytes, 8));
    }

    /** @return true for an IPv4 address. */
    public boolean isIpv4()
    {
        return !ipv6;
    }

    /**
     * @return the IPv4 address in host int form (10.0.0.1 is {@code 0x0a000001}).
     * @throws IllegalStateException for an IPv6 address.
     */
    public int ipv4()
    {
        if (ipv6)
        {
            throw new IllegalStateException(this + " is not an IPv4 address");
        }
        return (int)low;
    }

    /** @return true for 127.0.0.0/8 and ::1. */
    public boolean isLoopback()
    {
        return ipv6 ? high == 0 && low == 1 : (low >>> 24) == 127;
    }

    /** @return true for 0.0.0.0 and ::. */
    public boolean isUnspecified()
    {
        return high == 0 && low == 0;
    }

    /** @return true for 224.0.0.0/4, 255.255.255.255 and ff00::/8: addresses no single host owns. */
    public boolean isMulticastOrBroadcast()
    {
        return ipv6 ? (high >>> 56) == 0xFF : (low >>> 28) == 0xE || low == 0xFFFF_FFFFL;
    }

    /** @return the address as a {@link InetAddress}, built from its bytes (no lookup). */
    public InetAddress toInetAddress()
    {
        final byte[] bytes = ipv6 ? new byte[16] : new byte[4];
        if (ipv6)
        {
            putBigEndianLong(bytes, 0, high);
            putBigEndianLong(bytes, 8, low);
        }
        else
        {
            final int v = (int)low;
            bytes[0] = (byte)(v >>> 24);
            bytes[1] = (byte)(v >>> 16);
            bytes[2] = (byte)(v >>> 8);
            bytes[3] = (byte)v;
        }
        try
        {
            return InetAddress.getByAddress(bytes);
        }
        catch (final UnknownHostException ex)
        {
            // Only thrown for a byte array of the wrong length, which cannot happen here.
            throw new IllegalStateException(ex);
        }
    }

    /** IPv4 before IPv6, then by numeric value: the canonical order of a pool's members. */
    @Override
    public int compareTo(final IpAddress other)
    {
        if (ipv6 != other.ipv6)
        {
            return ipv6 ? 1 : -1;
        }
        final int byHigh = Long.compareUnsigned(high, other.high);
        return byHigh != 0 ? byHigh : Long.compareUnsigned(low, other.low);
    }

    /** @return the canonical text: a dotted quad, or RFC 5952 for IPv6 ({@code 2001:db8::a}). */
    @Override
    public String toString()
    {
        if (!ipv6)
        {
            return Ipv4Address.format((int)low);
        }

        final int[] groups = new int[8];
        for (int i = 0; i < 4; i++)
        {
            groups[i] = (int)(high >>> (48 - 16 * i)) & 0xFFFF;
            groups[i + 4] = (int)(low >>> (48 - 16 * i)) & 0xFFFF;
        }

        // RFC 5952 4.2: compress the longest run of two or more zero groups, the first one on a tie.
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < 8; )
        {
            if (groups[i] != 0)
            {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && groups[j] == 0)
            {
                j++;
            }
            if (j - i > bestLength)
            {
                bestStart = i;
                bestLength = j - i;
            }
            i = j;
        }

        final StringBuilder text = new StringBuilder(39);
        for (int i = 0; i < 8; i++)
        {
            if (i == bestStart)
            {
                text.append("::");
                i += bestLength - 1;
                continue;
            }
            if (i > 0 && text.charAt(text.length() - 1) != ':')
            {
                text.append(':');
            }
            text.append(Integer.toHexString(groups[i]));
        }
        return text.toString();
    }

    private static long bigEndianLong(final byte[] bytes, final int offset)
    {
        long value = 0;
        for (int i = 0; i < 8; i++)
        {
            value = (value << 8) | (bytes[offset + i] & 0xFF);
        }
        return value;
    }

    private static void putBigEndianLong(final byte[] bytes, final int offset, final long value)
    {
        for (int i = 0; i < 8; i++)
        {
            bytes[offset + i] = (byte)(value >>> (56 - 8 * i));
        }
    }
}
