package io.panamux.common.net;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MacAddressTest
{
    @Test
    void parsesAndFormatsBothWays()
    {
        assertEquals(0x02_00_00_00_00_FEL, MacAddress.parse("02:00:00:00:00:fe"));
        assertEquals(0xAA_BB_CC_DD_EE_FFL, MacAddress.parse("AA:BB:CC:DD:EE:FF"));
        assertEquals("02:00:00:00:00:fe", MacAddress.format(0x0200_0000_00FEL));
        assertEquals("10:20:30:40:50:59", MacAddress.format(0x1020_3040_5059L));
        assertEquals("aa:bb:cc:dd:ee:ff", MacAddress.format(MacAddress.parse("AA:BB:CC:DD:EE:FF")));
    }

    @Test
    void refusesWhatIsNotSixOctetsOfTwoHexDigits()
    {
        for (final String bad : new String[] {"02:00:00:00:fe", "02:00:00:00:00:1fe", "02:00:00:00:00:f", "02:00:00:00:00:+f",
            "02-00-00-00-00-fe", "02:00:00:00:00:fe:", "0g:00:00:00:00:fe", ""})
        {
            final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MacAddress.parse(bad), bad);
            assertEquals("'" + bad + "' is not a MAC address like 02:00:00:00:00:fe", e.getMessage());
        }
    }

    @Test
    void aNextHopIsNeitherZeroNorAGroupAddress()
    {
        assertTrue(MacAddress.isUnicast(0x02_00_00_00_00_FEL));
        assertFalse(MacAddress.isUnicast(0));
        assertFalse(MacAddress.isUnicast(0x01_00_5E_00_00_01L), "multicast");
        assertFalse(MacAddress.isUnicast(0xFF_FF_FF_FF_FF_FFL), "broadcast");
    }
}
