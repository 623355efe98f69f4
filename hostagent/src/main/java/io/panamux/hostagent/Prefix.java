package io.panamux.hostagent;

import io.panamux.common.net.Ipv4Address;

/**
 * An IPv4 prefix ({@code 198.18.2.0/24}), and the dotted-quad parsing and formatting the agent uses.
 * Addresses are big-endian ints, as the packet parser reads them.
 *
 * @param network the network address (host bits zero).
 * @param length  prefix length, 0 to 32.
 */
public record Prefix(int network, int length)
{
    /**
     * @throws IllegalArgumentException when the length is out of range or host bits are set.
     */
    public Prefix
    {
        if (length < 0 || length > 32)
        {
            throw new IllegalArgumentException("prefix length " + length + " is not between 0 and 32");
        }
        if ((network & ~mask(length)) != 0)
        {
            throw new IllegalArgumentException(format(network) + "/" + length + " has host bits set");
        }
    }

    /** @return whether {@code address} is inside this prefix. */
    public boolean contains(final int address)
    {
        return (address & mask(length)) == network;
    }

    /**
     * @param text {@code a.b.c.d/n}, or an address alone (a /32).
     * @return the prefix.
     * @throws IllegalArgumentException when {@code text} is not one.
     */
    public static Prefix parse(final String text)
    {
        final int slash = text.indexOf('/');
        if (slash < 0)
        {
            return new Prefix(parseAddress(text), 32);
        }
        final int length;
        try
        {
            length = Integer.parseInt(text.substring(slash + 1));
        }
        catch (final NumberFormatException e)
        {
            throw new IllegalArgumentException("'" + text + "' is not a prefix like 198.18.2.0/24");
        }
        return new Prefix(parseAddress(text.substring(0, slash)), length);
    }

    /**
     * Parses a dotted quad of decimal octets, without leading zeros; never a host name.
     *
     * @param text the literal.
     * @return the address as a big-endian int.
     * @throws IllegalArgumentException when {@code text} is not such a literal.
     */
    public static int parseAddress(final String text)
    {
        try
        {
            return Ipv4Address.parse(text);
        }
        catch (final IllegalArgumentException e)
        {
            throw new IllegalArgumentException("'" + text + "' is not an IPv4 address");
        }
    }

    /** @return the dotted quad of a big-endian int address. */
    public static String format(final int address)
    {
        return Ipv4Address.format(address);
    }

    private static int mask(final int length)
    {
        return length == 0 ? 0 : -1 << (32 - length);
    }

    @Override
    public String toString()
    {
        return format(network) + "/" + length;
    }
}
