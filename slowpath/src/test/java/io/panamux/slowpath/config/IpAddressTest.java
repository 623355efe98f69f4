package io.panamux.slowpath.config;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IpAddressTest
{
    @Test
    void ipv4IsTheIntInNetworkOrder()
    {
        final IpAddress address = IpAddress.parse("192.0.2.10");

        assertTrue(address.isIpv4());
        assertEquals(0xC000_020A, address.ipv4());
        assertEquals(0L, address.high());
        assertEquals(0xC000_020AL, address.low());
        assertEquals("192.0.2.10", address.toString());
        assertEquals(IpAddress.ofIpv4(0xC000_020A), address);
        assertEquals("255.255.255.255", IpAddress.ofIpv4(-1).toString());
    }

    @Test
    void ipv6IsTwoLongsInNetworkOrder()
    {
        final IpAddress address = IpAddress.parse("2001:db8:1:2:3:4:5:6");

        assertTrue(address.ipv6());
        assertEquals(0x2001_0DB8_0001_0002L, address.high());
        assertEquals(0x0003_0004_0005_0006L, address.low());
        assertThrows(IllegalStateException.class, address::ipv4);
    }

    @ParameterizedTest
    @CsvSource({
        "2001:DB8:0:0:0:0:0:A, 2001:db8::a",
        "2001:0db8:0000:0000:0000:0000:0000:0001, 2001:db8::1",
        "2001:db8:0:0:1:0:0:1, 2001:db8::1:0:0:1",
        "2001:0:0:1:0:0:0:1, 2001:0:0:1::1",
        "2001:db8:0:1:1:1:1:1, 2001:db8:0:1:1:1:1:1",
        "0:0:0:0:0:0:0:0, ::",
        "::1, ::1",
        "1::, 1::",
        "fe80::1:0:0:0, fe80::1:0:0:0",
        "::1.2.3.4, ::102:304",
    })
    void formatsIpv6AsRfc5952(final String input, final String canonical)
    {
        assertEquals(canonical, IpAddress.parse(input).toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "", "10.1", "1.2.3", "1.2.3.4.5", "256.1.1.1", "010.0.0.1", "1.2.3.04", "+1.2.3.4", "1.2.3.-4", "1.2.3.4 ",
        " 1.2.3.4", "1..3.4", "localhost", "example.com", "0x7f.0.0.1", "[::1]", "fe80::1%eth0", "::ffff:1.2.3.4",
        "1:2:3:4:5:6:7:8:9", "gggg::1", "1::2::3", ":", "1.2.3.4/24"})
    void rejectsAnythingButStrictLiterals(final String text)
    {
        assertThrows(IllegalArgumentException.class, () -> IpAddress.parse(text));
    }

    @Test
    void agreesWithTheJdkOnRandomAddresses() throws Exception
    {
        final SplittableRandom random = new SplittableRandom(42);
        for (int i = 0; i < 2000; i++)
        {
            // Mostly sparse addresses, so that runs of zero groups (and their compression) are common.
            final long high = random.nextLong() & zeroGroupMask(random);
            final long low = random.nextLong() & zeroGroupMask(random);
            final IpAddress v6 = IpAddress.ofIpv6(high, low);
            final IpAddress v4 = IpAddress.ofIpv4(random.nextInt());

            for (final IpAddress address : List.of(v6, v4))
            {
                final String text = address.toString();
                final InetAddress jdk = address.ipv6() ? Inet6Address.ofLiteral(text) : InetAddress.ofLiteral(text);
                if (address.ipv6() && jdk.getAddress().length == 4)
                {
                    // An IPv4-mapped address: the JDK turns it into IPv4, and the loader rejects it.
                    assertThrows(IllegalArgumentException.class, () -> IpAddress.parse(text));
                    continue;
                }
                assertArrayEquals(jdk.getAddress(), address.toInetAddress().getAddress(), text);
                assertEquals(address, IpAddress.parse(text), text);
                assertEquals(address, IpAddress.parse(jdk.getHostAddress()), text);
            }
        }
    }

    @Test
    void ordersIpv4BeforeIpv6ThenUnsigned()
    {
        final List<IpAddress> addresses = new ArrayList<>(List.of(
            IpAddress.parse("ff00::1"),
            IpAddress.parse("200.0.0.1"),
            IpAddress.parse("::2"),
            IpAddress.parse("10.0.0.1"),
            IpAddress.parse("8000::")));
        addresses.sort(null);

        assertEquals("[10.0.0.1, 200.0.0.1, ::2, 8000::, ff00::1]", addresses.toString());
    }

    @Test
    void classifiesLoopbackUnspecifiedAndMulticast()
    {
        assertTrue(IpAddress.parse("127.3.2.1").isLoopback());
        assertTrue(IpAddress.parse("::1").isLoopback());
        assertFalse(IpAddress.parse("128.0.0.1").isLoopback());
        assertFalse(IpAddress.parse("::2").isLoopback());
        assertTrue(IpAddress.parse("0.0.0.0").isUnspecified());
        assertTrue(IpAddress.parse("::").isUnspecified());
        assertTrue(IpAddress.parse("224.0.0.1").isMulticastOrBroadcast());
        assertTrue(IpAddress.parse("239.255.255.255").isMulticastOrBroadcast());
        assertTrue(IpAddress.parse("255.255.255.255").isMulticastOrBroadcast());
        assertTrue(IpAddress.parse("ff02::1").isMulticastOrBroadcast());
        assertFalse(IpAddress.parse("223.255.255.255").isMulticastOrBroadcast());
        assertFalse(IpAddress.parse("fe80::1").isMulticastOrBroadcast());
    }

    @Test
    void ipv4HasOnly32Bits()
    {
        assertThrows(IllegalArgumentException.class, () -> new IpAddress(false, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new IpAddress(false, 0, 1L << 32));
    }

    private static long zeroGroupMask(final SplittableRandom random)
    {
        long mask = 0;
        for (int group = 0; group < 4; group++)
        {
            if (random.nextInt(3) != 0)
            {
                mask |= 0xFFFFL << (16 * group);
            }
        }
        return random.nextInt(4) == 0 ? -1L : random.nextInt(2) == 0 ? mask : ~mask;
    }
}
