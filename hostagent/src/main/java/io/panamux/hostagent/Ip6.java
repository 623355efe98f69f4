package io.panamux.hostagent;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;

/**
 * An IPv6 address as the packet parser reads it: two big-endian longs.
 *
 * @param hi the first 64 bits.
 * @param lo the last 64 bits.
 */
public record Ip6(long hi, long lo)
{
    /**
     * @param text an IPv6 literal ({@code 2001:db8::2}), never a host name; brackets are allowed.
     * @return the address.
     * @throws IllegalArgumentException when {@code text} is not one.
     */
    public static Ip6 parse(final String text)
    {
        final String literal = text.startsWith("[") && text.endsWith("]") ? text.substring(1, text.length() - 1) : text;
        if (!literal.contains(":"))
        {
            throw new IllegalArgumentException("'" + text + "' is not an IPv6 address");
        }
        final InetAddress address;
        try
        {
            address = Inet6Address.ofLiteral(literal);
        }
        catch (final IllegalArgumentException e)
        {
            throw new IllegalArgumentException("'" + text + "' is not an IPv6 address");
        }
        final byte[] bytes = address.getAddress();
        if (bytes.length == 4)
        {
            // An IPv4-mapped literal (::ffff:192.0.2.1): Java hands back the IPv4 address.
            return new Ip6(0, 0xFFFF_0000_0000L | (ByteBuffer.wrap(bytes).getInt() & 0xFFFF_FFFFL));
        }
        final ByteBuffer b = ByteBuffer.wrap(bytes);
        return new Ip6(b.getLong(), b.getLong());
    }

    /** @return whether {@code text} looks like an IPv6 literal rather than an IPv4 one (it has a colon). */
    public static boolean looksLikeV6(final String text)
    {
        return text.indexOf(':') >= 0;
    }

    /** @return the 16 bytes, network order. */
    public byte[] bytes()
    {
        return ByteBuffer.allocate(16).putLong(hi).putLong(lo).array();
    }

    /** @return the address in RFC 5952 form. */
    @Override
    public String toString()
    {
        try
        {
            final String s = InetAddress.getByAddress(bytes()).getHostAddress();
            return compress(s);
        }
        catch (final UnknownHostException e)
        {
            throw new IllegalStateException(e);
        }
    }

    private static String compress(final String full)
    {
        // Java prints every group (2001:db8:0:0:0:0:0:2): shorten the longest run of zero groups.
        final String[] groups = full.split(":");
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < groups.length; i++)
        {
            int j = i;
            while (j < groups.length && groups[j].equals("0"))
            {
                j++;
            }
            if (j - i > bestLength)
            {
                bestStart = i;
                bestLength = j - i;
            }
        }
        if (bestStart < 0)
        {
            return full;
        }
        final String head = String.join(":", java.util.Arrays.copyOfRange(groups, 0, bestStart));
        final String tail = String.join(":", java.util.Arrays.copyOfRange(groups, bestStart + bestLength, groups.length));
        return head + "::" + tail;
    }
}
