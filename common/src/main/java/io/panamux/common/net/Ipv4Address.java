package io.panamux.common.net;

/**
 * The text of IPv4 addresses, for the MUX's configuration ({@code IpAddress}) and the host agent's
 * alike. Addresses are big-endian ints (first octet in the top byte), as the packet parser reads them.
 */
public final class Ipv4Address
{
    private Ipv4Address()
    {
    }

    /**
     * Parses a dotted quad of decimal octets without leading zeros (so {@code 010.0.0.1} is never read as
     * octal and {@code 10.1} is not a short form); never a host name.
     *
     * @param text the literal.
     * @return the address as a big-endian int.
     * @throws IllegalArgumentException "not an IPv4 address" when {@code text} is not such a literal.
     */
    public static int parse(final String text)
    {
        final String[] octets = text.split("\\.", -1);
        if (octets.length != 4)
        {
            throw new IllegalArgumentException("not an IPv4 address");
        }
        int address = 0;
        for (final String octet : octets)
        {
            if (octet.isEmpty() || octet.length() > 3 || (octet.length() > 1 && octet.charAt(0) == '0'))
            {
                throw new IllegalArgumentException("not an IPv4 address");
            }
            int value = 0;
            for (int i = 0; i < octet.length(); i++)
            {
                final char c = octet.charAt(i);
                if (c < '0' || c > '9')
                {
                    throw new IllegalArgumentException("not an IPv4 address");
                }
                value = value * 10 + (c - '0');
            }
            if (value > 255)
            {
                throw new IllegalArgumentException("not an IPv4 address");
            }
            address = (address << 8) | value;
        }
        return address;
    }

    /**
     * @param address a big-endian int address.
     * @return its dotted quad.
     */
    public static String format(final int address)
    {
        return (address >>> 24) + "." + ((address >>> 16) & 0xFF) + "." + ((address >>> 8) & 0xFF) + "." + (address & 0xFF);
    }
}
