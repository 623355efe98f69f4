package io.panamux.hostagent;

/**
 * An IPv6 prefix ({@code 2001:db8:2::/64}).
 *
 * @param network the network address (host bits zero).
 * @param length  prefix length, 0 to 128.
 */
public record Prefix6(Ip6 network, int length)
{
    /**
     * @throws IllegalArgumentException when the length is out of range or host bits are set.
     */
    public Prefix6
    {
        if (length < 0 || length > 128)
        {
            throw new IllegalArgumentException("prefix length " + length + " is not between 0 and 128");
        }
        if ((network.hi() & ~maskHi(length)) != 0 || (network.lo() & ~maskLo(length)) != 0)
        {
            throw new IllegalArgumentException(network + "/" + length + " has host bits set");
        }
    }

    /** @return whether the address {@code hi:lo} is inside this prefix. Hot path: no allocation. */
    public boolean contains(final long hi, final long lo)
    {
        return (hi & maskHi(length)) == network.hi() && (lo & maskLo(length)) == network.lo();
    }

    /**
     * @param text {@code 2001:db8::/64}, or an address alone (a /128).
     * @return the prefix.
     * @throws IllegalArgumentException when {@code text} is not one.
     */
    public static Prefix6 parse(final String text)
    {
        final int slash = text.indexOf('/');
        if (slash < 0)
        {
            return new Prefix6(Ip6.parse(text), 128);
        }
        final int length;
        try
        {
            length = Integer.parseInt(text.substring(slash + 1));
        }
        catch (final NumberFormatException e)
        {
            throw new IllegalArgumentException("'" + text + "' is not a prefix like 2001:db8:2::/64");
        }
        return new Prefix6(Ip6.parse(text.substring(0, slash)), length);
    }

    private static long maskHi(final int length)
    {
        return length == 0 ? 0 : length >= 64 ? -1L : -1L << (64 - length);
    }

    private static long maskLo(final int length)
    {
        return length <= 64 ? 0 : length == 128 ? -1L : -1L << (128 - length);
    }

    @Override
    public String toString()
    {
        return network + "/" + length;
    }
}
