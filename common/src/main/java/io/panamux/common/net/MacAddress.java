package io.panamux.common.net;

/**
 * The text of Ethernet MAC addresses, for the MUX, the host agent and the traffic generator alike. A MAC
 * is held in the low 48 bits of a {@code long}, first octet in bits 47..40 (as {@code EthPort} gives it).
 */
public final class MacAddress
{
    /** The group (multicast/broadcast) bit: the low bit of the first octet. */
    private static final long GROUP_BIT = 0x0100_0000_0000L;

    private MacAddress()
    {
    }

    /**
     * @param text six octets of two hex digits each, separated by colons ({@code 02:00:00:00:00:fe}, either case).
     * @return the MAC in the low 48 bits.
     * @throws IllegalArgumentException "'TEXT' is not a MAC address like 02:00:00:00:00:fe" otherwise.
     */
    public static long parse(final String text)
    {
        final String[] octets = text.split(":", -1);
        if (octets.length != 6)
        {
            throw notAMac(text);
        }
        long mac = 0;
        for (final String octet : octets)
        {
            if (octet.length() != 2 || Character.digit(octet.charAt(0), 16) < 0 || Character.digit(octet.charAt(1), 16) < 0)
            {
                throw notAMac(text);
            }
            mac = (mac << 8) | (Character.digit(octet.charAt(0), 16) << 4) | Character.digit(octet.charAt(1), 16);
        }
        return mac;
    }

    /**
     * @param mac a MAC in the low 48 bits.
     * @return whether it can be a next hop: not all zeros and not a group address.
     */
    public static boolean isUnicast(final long mac)
    {
        return mac != 0 && (mac & GROUP_BIT) == 0;
    }

    /**
     * @param mac a MAC in the low 48 bits.
     * @return its text, lower case, e.g. {@code 02:00:00:00:00:fe}.
     */
    public static String format(final long mac)
    {
        final StringBuilder text = new StringBuilder(17);
        for (int shift = 40; shift >= 0; shift -= 8)
        {
            final int octet = (int)(mac >>> shift) & 0xFF;
            if (shift != 40)
            {
                text.append(':');
            }
            text.append(Character.forDigit(octet >>> 4, 16)).append(Character.forDigit(octet & 0xF, 16));
        }
        return text.toString();
    }

    private static IllegalArgumentException notAMac(final String text)
    {
        return new IllegalArgumentException("'" + text + "' is not a MAC address like 02:00:00:00:00:fe");
    }
}
