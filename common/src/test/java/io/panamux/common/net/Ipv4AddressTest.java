package io.panamux.common.net;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class Ipv4AddressTest
{
    @Test
    void parsesDottedQuadsAndFormatsThemBack()
    {
        assertEquals(0xC612_1502, Ipv4Address.parse("198.18.21.2"));
        assertEquals(0, Ipv4Address.parse("0.0.0.0"));
        assertEquals(-1, Ipv4Address.parse("255.255.255.255"));
        assertEquals("198.18.21.2", Ipv4Address.format(0xC612_1502));
        assertEquals("255.255.255.255", Ipv4Address.format(-1));
    }

    @Test
    void refusesShortFormsLeadingZerosNamesAndOutOfRangeOctets()
    {
        for (final String bad : new String[] {"10.1", "010.0.0.1", "198.18.021.2", "1.2.3.256", "1.2.3.4.5", "a.b.c.d", "1.2.3.", "", "mux-a",
            "1.2.3.+4", "2001:db8::1"})
        {
            final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Ipv4Address.parse(bad), bad);
            assertEquals("not an IPv4 address", e.getMessage());
        }
    }
}
