package io.panamux.fastpath.packet;

import io.panamux.dpdk.Memory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static io.panamux.fastpath.packet.Frames.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Fixture table for {@link PacketParser}, Katran {@code lib/testing} style: {description, input frame,
 * expected verdict, expected fields}. Frames are built by {@link Frames} and parsed from off-heap
 * memory.
 */
class PacketParserTest
{
    private static final int TCP = 6;
    private static final int UDP = 17;
    private static final int ICMP = 1;
    private static final int ICMPV6 = 58;
    private static final int IPV4 = 0x0800;
    private static final int IPV6 = 0x86DD;
    private static final int SYN = 0x02;
    private static final int ACK = 0x10;
    private static final int DF = 0x4000;
    private static final int MF = 0x2000;
    private static final int HOP_BY_HOP = 0;
    private static final int ROUTING = 43;
    private static final int FRAGMENT = 44;
    private static final int DESTINATION_OPTIONS = 60;
    private static final int MEMORY = 4096;

    private static Arena arena;
    private static long memory;

    private final PacketParser parser = new PacketParser();
    private final PacketInfo info = new PacketInfo();

    /** One fixture row. */
    record Fixture(byte[] frame, DropReason verdict, Consumer<PacketInfo> expect)
    {
    }

    @BeforeAll
    static void allocate()
    {
        arena = Arena.ofShared();
        memory = arena.allocate(MEMORY, 64).address();
    }

    @AfterAll
    static void free()
    {
        arena.close();
    }

    // ---------------------------------------------------------------- frames used by several rows

    static byte[] tcpV4(final int flags)
    {
        return toMux(IPV4, ipv4(TCP, CLIENT, VIP, tcp(40000, 80, flags, payload(10))));
    }

    static byte[] udpV4()
    {
        return toMux(IPV4, ipv4(UDP, CLIENT, VIP, udp(5353, 53, payload(12))));
    }

    static byte[] tcpV6()
    {
        return toMux(IPV6, ipv6(0x28, 0x12345, TCP, 64, CLIENT6, VIP6, tcp(40001, 443, SYN, payload(6))));
    }

    /** A backend's UDP reply VIP:53 to client:5353, as an ICMP error quotes it. */
    static byte[] quotedUdpV4(final byte[] options)
    {
        return ipv4(0, 7, 0, 1, UDP, VIP, CLIENT, options, udp(53, 5353, payload(30)));
    }

    static byte[] icmpErrorV4(final int type, final int code, final byte[] quote)
    {
        return toMux(IPV4, ipv4(0, 1, 0, 250, ICMP, REPORTER, VIP, new byte[0], icmp(type, code, 0, quote)));
    }

    static byte[] icmpv6Error(final int type, final byte[] quote)
    {
        return toMux(IPV6, ipv6(0, 0, ICMPV6, 250, REPORTER6, VIP6, icmpv6(type, 0, 1400, quote, REPORTER6, VIP6)));
    }

    static byte[] quotedTcpV6(final byte[] extensionsThenTcp, final int firstHeader)
    {
        return ipv6(0, 0, firstHeader, 1, VIP6, CLIENT6, extensionsThenTcp);
    }

    // ---------------------------------------------------------------- the table

    static Stream<Arguments> fixtures()
    {
        final List<Arguments> rows = new ArrayList<>();

        // Well-formed, forwarded.
        ok(rows, "IPv4 TCP SYN", tcpV4(SYN), i ->
        {
            l2(i, 14, -1, IPV4);
            v4(i, 14, 50, 34, TCP, CLIENT, VIP, 40000, 80);
            assertEquals(SYN, i.tcpFlags);
            assertTrue(i.ipv4DontFragment);
            assertFalse(i.isFragment);
            assertFalse(i.icmpError);
        });
        ok(rows, "IPv4 TCP with Ethernet padding to 60 bytes", cat(
            toMux(IPV4, ipv4(TCP, CLIENT, VIP, tcp(40000, 80, ACK, new byte[0]))), new byte[6]), i ->
        {
            v4(i, 14, 40, 34, TCP, CLIENT, VIP, 40000, 80);
            assertEquals(ACK, i.tcpFlags);
        });
        ok(rows, "IPv4 UDP, DSCP EF, no DF", toMux(IPV4, ipv4(0xB8, 9, 0, 64, UDP, CLIENT, VIP, new byte[0],
            udp(5353, 53, payload(12)))), i ->
        {
            v4(i, 14, 40, 34, UDP, CLIENT, VIP, 5353, 53);
            assertEquals(0xB8, i.tos);
            assertFalse(i.ipv4DontFragment);
            assertEquals(0, i.tcpFlags);
        });
        ok(rows, "802.1Q VLAN 100 (PCP 5) IPv4 TCP", vlan(PORT_MAC, ROUTER_MAC, (5 << 13) | 100, IPV4,
            ipv4(TCP, CLIENT, VIP, tcp(40000, 80, SYN, payload(4)))), i ->
        {
            l2(i, 18, 100, IPV4);
            v4(i, 18, 44, 38, TCP, CLIENT, VIP, 40000, 80);
        });
        ok(rows, "IPv4 with 12 bytes of options", toMux(IPV4, ipv4(0, 1, DF, 64, TCP, CLIENT, VIP,
            new byte[] {(byte)0x83, 7, 4, 0, 0, 0, 0, 1, 1, 1, 1, 0}, tcp(40000, 80, SYN, payload(4)))), i ->
            v4(i, 14, 56, 46, TCP, CLIENT, VIP, 40000, 80));
        ok(rows, "TCP with 12 bytes of options", toMux(IPV4, ipv4(TCP, CLIENT, VIP,
            tcp(40000, 80, SYN, new byte[] {2, 4, 5, (byte)0xB4, 4, 2, 1, 1, 1, 3, 3, 7}, payload(0)))), i ->
        {
            v4(i, 14, 52, 34, TCP, CLIENT, VIP, 40000, 80);
            assertEquals(SYN, i.tcpFlags);
        });
        ok(rows, "IPv4 first fragment (MF, offset 0) keeps its ports", toMux(IPV4, ipv4(0, 0xABCD, MF, 64, UDP,
            CLIENT, VIP, new byte[0], udp(5353, 53, payload(1472)).clone())), i ->
        {
            v4(i, 14, 1500, 34, UDP, CLIENT, VIP, 5353, 53);
            expectFragment(i, true, 0xABCD, 0);
        });
        ok(rows, "IPv4 later fragment (offset 1480) has ports 0", toMux(IPV4, ipv4(0, 0xABCD, 185, 64, UDP,
            CLIENT, VIP, new byte[0], payload(28))), i ->
        {
            v4(i, 14, 48, 34, UDP, CLIENT, VIP, 0, 0);
            expectFragment(i, false, 0xABCD, 1480);
        });
        ok(rows, "IPv4 last fragment of TCP with DF clear", toMux(IPV4, ipv4(0, 77, 3, 64, TCP,
            CLIENT, VIP, new byte[0], payload(3))), i ->
        {
            v4(i, 14, 23, 34, TCP, CLIENT, VIP, 0, 0);
            expectFragment(i, false, 77, 24);
            assertTrue(i.hashesOnAddressesOnly());
        });
        ok(rows, "ICMP port unreachable quoting a UDP reply: flow reversed", icmpErrorV4(3, 3,
            slice(quotedUdpV4(new byte[0]), 0, 28)), i ->
        {
            v4(i, 14, 56, 34, UDP, CLIENT, VIP, 5353, 53);
            expectIcmp(i, 3, 3, 42);
            assertEquals(REPORTER, i.icmpSourceV4);
            assertFalse(i.hashesOnAddressesOnly());
        });
        ok(rows, "ICMP time exceeded quoting TCP with IP options, whole packet quoted", icmpErrorV4(11, 0,
            ipv4(0, 7, DF, 1, TCP, VIP, CLIENT, new byte[] {1, 1, 1, 0}, tcp(80, 40000, SYN | ACK, payload(20)))), i ->
        {
            v4(i, 14, 28 + 24 + 40, 34, TCP, CLIENT, VIP, 40000, 80);
            expectIcmp(i, 11, 0, 42);
            assertEquals(0, i.tcpFlags);
        });
        ok(rows, "ICMP fragmentation needed quoting a first fragment", icmpErrorV4(3, 4,
            slice(ipv4(0, 9, MF, 1, UDP, VIP, CLIENT, new byte[0], udp(53, 5353, payload(100))), 0, 28)), i ->
        {
            v4(i, 14, 56, 34, UDP, CLIENT, VIP, 5353, 53);
            expectIcmp(i, 3, 4, 42);
            assertFalse(i.isFragment);
        });
        ok(rows, "ICMP parameter problem over VLAN", vlan(PORT_MAC, ROUTER_MAC, 7, IPV4, ipv4(0, 1, 0, 250, ICMP,
            REPORTER, VIP, new byte[0], icmp(12, 0, 0, slice(quotedUdpV4(new byte[0]), 0, 28)))), i ->
        {
            l2(i, 18, 7, IPV4);
            v4(i, 18, 56, 38, UDP, CLIENT, VIP, 5353, 53);
            expectIcmp(i, 12, 0, 46);
        });
        ok(rows, "IPv6 TCP", tcpV6(), i ->
        {
            l2(i, 14, -1, IPV6);
            v6(i, 14, 66, 54, TCP, CLIENT6, VIP6, 40001, 443);
            assertEquals(SYN, i.tcpFlags);
            assertEquals(0x28, i.tos);
            assertFalse(i.ipv4DontFragment);
            assertFalse(i.isFragment);
        });
        ok(rows, "802.1Q IPv6 UDP", vlan(PORT_MAC, ROUTER_MAC, 4094, IPV6,
            ipv6(0, 0, UDP, 64, CLIENT6, VIP6, udp(5000, 53, payload(3)))), i ->
        {
            l2(i, 18, 4094, IPV6);
            v6(i, 18, 51, 58, UDP, CLIENT6, VIP6, 5000, 53);
        });
        ok(rows, "IPv6 hop-by-hop, destination options (16 bytes), routing, then UDP", toMux(IPV6, ipv6(0, 0,
            HOP_BY_HOP, 64, CLIENT6, VIP6, extension(HOP_BY_HOP, DESTINATION_OPTIONS, 0, extension(
            DESTINATION_OPTIONS, ROUTING, 1, extension(ROUTING, UDP, 0, udp(5000, 53, payload(3))))))), i ->
            v6(i, 14, 40 + 32 + 11, 54 + 32, UDP, CLIENT6, VIP6, 5000, 53));
        ok(rows, "IPv6 first fragment keeps its ports", toMux(IPV6, ipv6(0, 0, FRAGMENT, 64, CLIENT6, VIP6,
            fragment(UDP, 0, true, 0xDEADBEEF, udp(5000, 53, payload(1000))))), i ->
        {
            v6(i, 14, 40 + 8 + 1008, 62, UDP, CLIENT6, VIP6, 5000, 53);
            expectFragment(i, true, 0xDEADBEEF, 0);
        });
        ok(rows, "IPv6 later fragment after a destination options header", toMux(IPV6, ipv6(0, 0,
            DESTINATION_OPTIONS, 64, CLIENT6, VIP6, extension(DESTINATION_OPTIONS, FRAGMENT, 0,
            fragment(TCP, 1008, false, 42, payload(100))))), i ->
        {
            v6(i, 14, 40 + 16 + 100, 70, TCP, CLIENT6, VIP6, 0, 0);
            expectFragment(i, false, 42, 1008);
        });
        ok(rows, "IPv6 atomic fragment (offset 0, no M) is a whole datagram", toMux(IPV6, ipv6(0, 0, FRAGMENT, 64,
            CLIENT6, VIP6, fragment(TCP, 0, false, 5, tcp(40001, 443, ACK, payload(0))))), i ->
        {
            v6(i, 14, 68, 62, TCP, CLIENT6, VIP6, 40001, 443);
            assertFalse(i.isFragment);
        });
        ok(rows, "ICMPv6 packet too big quoting TCP: flow reversed", icmpv6Error(2,
            slice(quotedTcpV6(tcp(443, 40001, ACK, payload(100)), TCP), 0, 48)), i ->
        {
            v6(i, 14, 40 + 8 + 48, 54, TCP, CLIENT6, VIP6, 40001, 443);
            expectIcmp(i, 2, 0, 62);
            assertEquals(high(REPORTER6), i.icmpSourceHi);
            assertEquals(low(REPORTER6), i.icmpSourceLo);
        });
        ok(rows, "ICMPv6 unreachable quoting UDP behind a destination options header", icmpv6Error(1,
            quotedTcpV6(extension(DESTINATION_OPTIONS, UDP, 0, udp(53, 5000, payload(8))), DESTINATION_OPTIONS)), i ->
        {
            v6(i, 14, 40 + 8 + 40 + 8 + 16, 54, UDP, CLIENT6, VIP6, 5000, 53);
            expectIcmp(i, 1, 0, 62);
        });

        // Not malformed, not forwarded.
        drop(rows, "ARP request goes to the control thread", toMux(0x0806, payload(28)), DropReason.ARP);
        drop(rows, "LLDP", toMux(0x88CC, payload(40)), DropReason.NON_IP);
        drop(rows, "QinQ: 802.1ad outer tag", ethernet(PORT_MAC, ROUTER_MAC, 0x88A8,
            cat(new byte[] {0, 5, (byte)0x81, 0, 0, 6, 8, 0}, ipv4(TCP, CLIENT, VIP, tcp(1, 80, SYN, payload(0))))),
            DropReason.MULTIPLE_VLAN);
        drop(rows, "two 802.1Q tags", vlan(PORT_MAC, ROUTER_MAC, 5, 0x8100, cat(new byte[] {0, 6, 8, 0},
            ipv4(TCP, CLIENT, VIP, tcp(1, 80, SYN, payload(0))))), DropReason.MULTIPLE_VLAN);
        drop(rows, "IPv4 GRE", toMux(IPV4, ipv4(47, CLIENT, VIP, payload(24))), DropReason.UNSUPPORTED_PROTOCOL);
        drop(rows, "IPv4 carrying ICMPv6", toMux(IPV4, ipv4(ICMPV6, CLIENT, VIP, payload(24))),
            DropReason.UNSUPPORTED_PROTOCOL);
        drop(rows, "IPv4 later fragment of SCTP", toMux(IPV4, ipv4(0, 1, 100, 64, 132, CLIENT, VIP, new byte[0],
            payload(24))), DropReason.UNSUPPORTED_PROTOCOL);
        drop(rows, "IPv6 no next header", toMux(IPV6, ipv6(0, 0, 59, 64, CLIENT6, VIP6, new byte[0])),
            DropReason.UNSUPPORTED_PROTOCOL);
        drop(rows, "IPv6 carrying ICMP (v4)", toMux(IPV6, ipv6(0, 0, ICMP, 64, CLIENT6, VIP6,
            icmp(3, 3, 0, payload(28)))), DropReason.UNSUPPORTED_PROTOCOL);
        drop(rows, "ICMP echo request", toMux(IPV4, ipv4(ICMP, CLIENT, VIP, icmp(8, 0, 0x00010001, payload(56)))),
            DropReason.ICMP_NOT_ERROR);
        drop(rows, "ICMPv6 echo request", toMux(IPV6, ipv6(0, 0, ICMPV6, 64, CLIENT6, VIP6,
            icmpv6(128, 0, 1, payload(8), CLIENT6, VIP6))), DropReason.ICMP_NOT_ERROR);
        drop(rows, "ICMPv6 neighbour solicitation", toMux(IPV6, ipv6(0, 0, ICMPV6, 255, CLIENT6, VIP6,
            icmpv6(135, 0, 0, VIP6, CLIENT6, VIP6))), DropReason.ICMPV6_NEIGHBOR_DISCOVERY);
        drop(rows, "ICMP first fragment", toMux(IPV4, ipv4(0, 1, MF, 64, ICMP, REPORTER, VIP, new byte[0],
            icmp(3, 3, 0, slice(quotedUdpV4(new byte[0]), 0, 28)))), DropReason.ICMP_FRAGMENTED);
        drop(rows, "ICMP later fragment", toMux(IPV4, ipv4(0, 1, 10, 64, ICMP, REPORTER, VIP, new byte[0],
            payload(40))), DropReason.ICMP_FRAGMENTED);
        drop(rows, "ICMPv6 in a first fragment", toMux(IPV6, ipv6(0, 0, FRAGMENT, 64, REPORTER6, VIP6,
            fragment(ICMPV6, 0, true, 1, icmpv6(1, 0, 0, payload(48), REPORTER6, VIP6)))), DropReason.ICMP_FRAGMENTED);

        // Malformed Ethernet.
        drop(rows, "13-byte frame", slice(tcpV4(SYN), 0, 13), DropReason.TRUNCATED_ETHERNET);
        drop(rows, "empty frame", new byte[0], DropReason.TRUNCATED_ETHERNET);
        drop(rows, "802.1Q tag cut short", slice(vlan(PORT_MAC, ROUTER_MAC, 1, IPV4, payload(40)), 0, 17),
            DropReason.TRUNCATED_VLAN);

        // Malformed IPv4.
        drop(rows, "IPv4 header cut at 19 bytes", slice(tcpV4(SYN), 0, 33), DropReason.IPV4_TRUNCATED);
        drop(rows, "IPv4 EtherType, version 6", with8(tcpV4(SYN), 14, 0x65), DropReason.IPV4_BAD_VERSION);
        drop(rows, "IPv4 IHL 4", with8(tcpV4(SYN), 14, 0x44), DropReason.IPV4_BAD_IHL);
        drop(rows, "IPv4 IHL 0", with8(tcpV4(SYN), 14, 0x40), DropReason.IPV4_BAD_IHL);
        drop(rows, "IPv4 options beyond the frame (IHL 15 in 30 bytes)", slice(with8(tcpV4(SYN), 14, 0x4F), 0, 44),
            DropReason.IPV4_TRUNCATED);
        drop(rows, "IPv4 total length below the header", with16(tcpV4(SYN), 16, 19),
            DropReason.IPV4_LENGTH_BELOW_HEADER);
        drop(rows, "IPv4 total length below IHL with options", with16(with8(tcpV4(SYN), 14, 0x46), 16, 20),
            DropReason.IPV4_LENGTH_BELOW_HEADER);
        drop(rows, "IPv4 total length beyond the frame", with16(tcpV4(SYN), 16, 51),
            DropReason.IPV4_LENGTH_BEYOND_FRAME);
        drop(rows, "IPv4 frame cut inside the payload", slice(tcpV4(SYN), 0, 60),
            DropReason.IPV4_LENGTH_BEYOND_FRAME);

        // Malformed L4.
        drop(rows, "TCP data offset 4", with8(tcpV4(SYN), 46, 0x40), DropReason.TCP_BAD_DATA_OFFSET);
        drop(rows, "TCP data offset 0", with8(tcpV4(SYN), 46, 0x00), DropReason.TCP_BAD_DATA_OFFSET);
        drop(rows, "TCP header shorter than 20 bytes", toMux(IPV4, ipv4(TCP, CLIENT, VIP, payload(19))),
            DropReason.TCP_TRUNCATED);
        drop(rows, "TCP data offset beyond the IP payload", with8(tcpV4(SYN), 46, 0xF0), DropReason.TCP_TRUNCATED);
        drop(rows, "TCP first fragment too short for the header", toMux(IPV4, ipv4(0, 1, MF, 64, TCP, CLIENT, VIP,
            new byte[0], payload(8))), DropReason.TCP_TRUNCATED);
        drop(rows, "TCP in padding: IP length ends before the header", cat(toMux(IPV4,
            ipv4(TCP, CLIENT, VIP, payload(8))), new byte[20]), DropReason.TCP_TRUNCATED);
        drop(rows, "UDP header shorter than 8 bytes", toMux(IPV4, ipv4(UDP, CLIENT, VIP, payload(7))),
            DropReason.UDP_TRUNCATED);
        drop(rows, "UDP length 7", with16(udpV4(), 38, 7), DropReason.UDP_BAD_LENGTH);
        drop(rows, "UDP length beyond the IP payload", with16(udpV4(), 38, 21), DropReason.UDP_BAD_LENGTH);
        drop(rows, "IPv6 UDP length 0", toMux(IPV6, ipv6(0, 0, UDP, 64, CLIENT6, VIP6,
            with16(udp(1, 53, payload(4)), 4, 0))), DropReason.UDP_BAD_LENGTH);
        drop(rows, "ICMP shorter than its header", toMux(IPV4, ipv4(ICMP, REPORTER, VIP, payload(7))),
            DropReason.ICMP_TRUNCATED);
        drop(rows, "ICMPv6 shorter than its header", toMux(IPV6, ipv6(0, 0, ICMPV6, 64, REPORTER6, VIP6,
            payload(4))), DropReason.ICMP_TRUNCATED);

        // Malformed ICMP quotes.
        drop(rows, "ICMP quote shorter than an IP header", icmpErrorV4(3, 3, slice(quotedUdpV4(new byte[0]), 0, 19)),
            DropReason.ICMP_QUOTE_TRUNCATED);
        drop(rows, "ICMP quote without 8 L4 bytes", icmpErrorV4(3, 3, slice(quotedUdpV4(new byte[0]), 0, 27)),
            DropReason.ICMP_QUOTE_TRUNCATED);
        drop(rows, "ICMP quote with options, cut in the options", icmpErrorV4(3, 3,
            slice(quotedUdpV4(new byte[] {1, 1, 1, 1, 1, 1, 1, 0}), 0, 30)), DropReason.ICMP_QUOTE_TRUNCATED);
        drop(rows, "ICMP quote of version 6", icmpErrorV4(3, 3, with8(slice(quotedUdpV4(new byte[0]), 0, 28), 0,
            0x65)), DropReason.ICMP_QUOTE_BAD_HEADER);
        drop(rows, "ICMP quote with IHL 3", icmpErrorV4(3, 3, with8(slice(quotedUdpV4(new byte[0]), 0, 28), 0,
            0x43)), DropReason.ICMP_QUOTE_BAD_HEADER);
        drop(rows, "ICMP quote of an ICMP echo reply", icmpErrorV4(3, 1, slice(ipv4(ICMP, VIP, CLIENT,
            icmp(0, 0, 0, payload(8))), 0, 28)), DropReason.ICMP_QUOTE_UNSUPPORTED_PROTOCOL);
        drop(rows, "ICMP quote of a later fragment", icmpErrorV4(11, 1, slice(ipv4(0, 5, 100, 1, UDP, VIP, CLIENT,
            new byte[0], payload(40)), 0, 28)), DropReason.ICMP_QUOTE_FRAGMENT);
        drop(rows, "ICMP error about a packet from elsewhere", icmpErrorV4(3, 3, slice(ipv4(UDP, BACKEND, CLIENT,
            udp(53, 5353, payload(4))), 0, 28)), DropReason.ICMP_QUOTE_MISMATCH);
        drop(rows, "ICMPv6 quote shorter than an IPv6 header", icmpv6Error(1,
            slice(quotedTcpV6(tcp(443, 1, ACK, payload(0)), TCP), 0, 39)), DropReason.ICMP_QUOTE_TRUNCATED);
        drop(rows, "ICMPv6 quote without 8 L4 bytes", icmpv6Error(1,
            slice(quotedTcpV6(tcp(443, 1, ACK, payload(0)), TCP), 0, 47)), DropReason.ICMP_QUOTE_TRUNCATED);
        drop(rows, "ICMPv6 quote cut inside an extension header", icmpv6Error(1, slice(quotedTcpV6(
            extension(DESTINATION_OPTIONS, TCP, 1, tcp(443, 1, ACK, payload(0))), DESTINATION_OPTIONS), 0, 50)),
            DropReason.ICMP_QUOTE_TRUNCATED);
        drop(rows, "ICMPv6 quote of version 4", icmpv6Error(1,
            with8(quotedTcpV6(tcp(443, 1, ACK, payload(0)), TCP), 0, 0x45)), DropReason.ICMP_QUOTE_BAD_HEADER);
        drop(rows, "ICMPv6 quote with a misplaced hop-by-hop header", icmpv6Error(1, quotedTcpV6(
            extension(DESTINATION_OPTIONS, HOP_BY_HOP, 0, extension(HOP_BY_HOP, TCP, 0, tcp(443, 1, ACK, payload(0)))),
            DESTINATION_OPTIONS)), DropReason.ICMP_QUOTE_BAD_HEADER);
        drop(rows, "ICMPv6 quote of an ICMPv6 echo reply", icmpv6Error(1, quotedTcpV6(
            icmpv6(129, 0, 0, payload(8), VIP6, CLIENT6), ICMPV6)), DropReason.ICMP_QUOTE_UNSUPPORTED_PROTOCOL);
        drop(rows, "ICMPv6 quote of a later fragment", icmpv6Error(3, quotedTcpV6(
            fragment(UDP, 8, true, 3, payload(16)), FRAGMENT)), DropReason.ICMP_QUOTE_FRAGMENT);
        drop(rows, "ICMPv6 error about a packet from elsewhere", icmpv6Error(1, ipv6(0, 0, TCP, 1, BACKEND6,
            CLIENT6, tcp(443, 1, ACK, payload(0)))), DropReason.ICMP_QUOTE_MISMATCH);

        // Malformed IPv6.
        drop(rows, "IPv6 header cut at 39 bytes", slice(tcpV6(), 0, 53), DropReason.IPV6_TRUNCATED);
        drop(rows, "IPv6 EtherType, version 4", with8(tcpV6(), 14, 0x45), DropReason.IPV6_BAD_VERSION);
        drop(rows, "IPv6 payload length beyond the frame", with16(tcpV6(), 18, 27),
            DropReason.IPV6_LENGTH_BEYOND_FRAME);
        drop(rows, "IPv6 hop-by-hop header longer than the payload", toMux(IPV6, ipv6(0, 0, HOP_BY_HOP, 64, CLIENT6,
            VIP6, with8(extension(HOP_BY_HOP, TCP, 0, tcp(1, 80, SYN, payload(0))), 1, 4))),
            DropReason.IPV6_TRUNCATED_EXTENSION);
        drop(rows, "IPv6 payload too short for an extension header", toMux(IPV6, ipv6(0, 0, ROUTING, 64, CLIENT6,
            VIP6, payload(6))), DropReason.IPV6_TRUNCATED_EXTENSION);
        drop(rows, "IPv6 fragment header cut short", toMux(IPV6, ipv6(0, 0, FRAGMENT, 64, CLIENT6, VIP6,
            payload(7))), DropReason.IPV6_TRUNCATED_EXTENSION);
        drop(rows, "IPv6 hop-by-hop after destination options", toMux(IPV6, ipv6(0, 0, DESTINATION_OPTIONS, 64,
            CLIENT6, VIP6, extension(DESTINATION_OPTIONS, HOP_BY_HOP, 0, extension(HOP_BY_HOP, TCP, 0,
            tcp(1, 80, SYN, payload(0)))))), DropReason.IPV6_MISPLACED_HOP_BY_HOP);
        byte[] chain = tcp(1, 80, SYN, payload(0));
        int next = TCP;
        for (int n = 0; n <= PacketParser.MAX_IPV6_EXTENSIONS; n++)
        {
            chain = extension(DESTINATION_OPTIONS, next, 0, chain);
            next = DESTINATION_OPTIONS;
        }
        drop(rows, "IPv6 chain of 9 extension headers", toMux(IPV6, ipv6(0, 0, DESTINATION_OPTIONS, 64, CLIENT6,
            VIP6, chain)), DropReason.IPV6_EXTENSION_CHAIN_TOO_LONG);
        drop(rows, "IPv6 TCP data offset 2", with8(tcpV6(), 66, 0x20), DropReason.TCP_BAD_DATA_OFFSET);
        return rows.stream();
    }

    private static void ok(final List<Arguments> rows, final String description, final byte[] frame,
        final Consumer<PacketInfo> expect)
    {
        rows.add(Arguments.of(Named.of(description, new Fixture(frame, DropReason.NONE, expect))));
    }

    private static void drop(final List<Arguments> rows, final String description, final byte[] frame,
        final DropReason verdict)
    {
        rows.add(Arguments.of(Named.of(description, new Fixture(frame, verdict, i -> {}))));
    }

    private static void l2(final PacketInfo i, final int l2Length, final int vlanId, final int etherType)
    {
        assertEquals(l2Length, i.l2Length, "l2Length");
        assertEquals(vlanId, i.vlanId, "vlanId");
        assertEquals(etherType, i.etherType, "etherType");
    }

    private static void v4(final PacketInfo i, final int l3Offset, final int l3Length, final int l4Offset,
        final int protocol, final int src, final int dst, final int srcPort, final int dstPort)
    {
        assertEquals(4, i.ipVersion, "ipVersion");
        assertEquals(l3Offset, i.l3Offset, "l3Offset");
        assertEquals(l3Length, i.l3Length, "l3Length");
        assertEquals(l4Offset, i.l4Offset, "l4Offset");
        assertEquals(protocol, i.protocol, "protocol");
        assertEquals(src, i.srcV4, "srcV4");
        assertEquals(dst, i.dstV4, "dstV4");
        assertEquals(srcPort, i.srcPort, "srcPort");
        assertEquals(dstPort, i.dstPort, "dstPort");
    }

    private static void v6(final PacketInfo i, final int l3Offset, final int l3Length, final int l4Offset,
        final int protocol, final byte[] src, final byte[] dst, final int srcPort, final int dstPort)
    {
        assertEquals(6, i.ipVersion, "ipVersion");
        assertEquals(l3Offset, i.l3Offset, "l3Offset");
        assertEquals(l3Length, i.l3Length, "l3Length");
        assertEquals(l4Offset, i.l4Offset, "l4Offset");
        assertEquals(protocol, i.protocol, "protocol");
        assertEquals(high(src), i.srcHi, "srcHi");
        assertEquals(low(src), i.srcLo, "srcLo");
        assertEquals(high(dst), i.dstHi, "dstHi");
        assertEquals(low(dst), i.dstLo, "dstLo");
        assertEquals(srcPort, i.srcPort, "srcPort");
        assertEquals(dstPort, i.dstPort, "dstPort");
    }

    private static void expectFragment(final PacketInfo i, final boolean first, final int id, final int offset)
    {
        assertTrue(i.isFragment, "isFragment");
        assertEquals(first, i.isFirstFragment, "isFirstFragment");
        assertEquals(id, i.fragmentId, "fragmentId");
        assertEquals(offset, i.fragmentOffset, "fragmentOffset");
        assertTrue(i.hashesOnAddressesOnly());
        assertFalse(i.icmpError, "icmpError");
    }

    private static void expectIcmp(final PacketInfo i, final int type, final int code, final int quoteOffset)
    {
        assertTrue(i.icmpError, "icmpError");
        assertEquals(type, i.icmpType, "icmpType");
        assertEquals(code, i.icmpCode, "icmpCode");
        assertEquals(quoteOffset, i.icmpQuoteOffset, "icmpQuoteOffset");
        assertFalse(i.isFragment, "isFragment");
        assertEquals(0, i.tcpFlags, "tcpFlags");
    }

    // ---------------------------------------------------------------- tests

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void parsesFixture(final Fixture fixture)
    {
        final int verdict = parse(fixture.frame(), fixture.frame().length, (byte)0x5A);
        assertEquals(fixture.verdict(), DropReason.of(verdict), () -> info.toString());
        fixture.expect().accept(info);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void readsNothingPastTheFrameAtAnyLength(final Fixture fixture)
    {
        // Whatever follows the frame in memory must not change the verdict or the fields, for the frame
        // and for every shorter cut of it.
        final byte[] frame = fixture.frame();
        for (int length = frame.length; length >= 0; length--)
        {
            info.reset();
            final int first = parse(frame, length, (byte)0x00);
            final String firstInfo = info.toString();
            info.reset();
            final int second = parse(frame, length, (byte)0xFF);
            assertEquals(first, second, "verdict depends on bytes past length " + length);
            assertEquals(firstInfo, info.toString(), "fields depend on bytes past length " + length);
            if (length < frame.length && fixture.verdict() == DropReason.NONE && length < 14)
            {
                assertEquals(DropReason.TRUNCATED_ETHERNET, DropReason.of(first));
            }
        }
    }

    @Test
    void truncatingAValidFrameNeverYieldsOkBeforeTheIpPacketEnds()
    {
        final byte[] frame = tcpV6();
        for (int length = 0; length < frame.length; length++)
        {
            assertNotEquals(PacketParser.OK, parse(frame, length, (byte)0), "length " + length);
        }
    }

    @Test
    void mutatedFramesNeverThrowAndOnlyReturnKnownVerdicts()
    {
        final Random random = new Random(42);
        final List<byte[]> seeds = new ArrayList<>();
        fixtures().forEach(a -> seeds.add(((Fixture)((Named<?>)a.get()[0]).getPayload()).frame()));
        for (int round = 0; round < 20_000; round++)
        {
            final byte[] frame = seeds.get(random.nextInt(seeds.size())).clone();
            if (frame.length == 0)
            {
                continue;
            }
            final int flips = 1 + random.nextInt(4);
            for (int f = 0; f < flips; f++)
            {
                frame[random.nextInt(frame.length)] = (byte)random.nextInt(256);
            }
            final int verdict = parse(frame, frame.length, (byte)random.nextInt(256));
            assertTrue(verdict >= 0 && verdict < DropReason.count());
            if (verdict == PacketParser.OK)
            {
                assertTrue(info.l3Offset + info.l3Length <= frame.length, info::toString);
                assertTrue(info.l4Offset <= info.l3Offset + info.l3Length, info::toString);
            }
        }
    }

    @Test
    void everyReasonHasADistinctSnakeCaseName()
    {
        final java.util.Set<String> names = new java.util.HashSet<>();
        for (final DropReason reason : DropReason.values())
        {
            assertTrue(reason.metricName().matches("[a-z][a-z0-9_]*"), reason.metricName());
            assertTrue(names.add(reason.metricName()), reason.metricName());
            assertSame(reason, DropReason.of(reason.ordinal()));
        }
        assertEquals(0, DropReason.NONE.ordinal());
        assertEquals(PacketParser.OK, DropReason.NONE.ordinal());
        assertFalse(DropReason.NONE.isDrop());
        assertFalse(DropReason.ARP.isDrop());
        assertTrue(DropReason.TOO_BIG.isDrop());
    }

    private int parse(final byte[] frame, final int length, final byte filler)
    {
        Memory.fill(memory, MEMORY, filler);
        Memory.copyFromArray(frame, 0, memory, length);
        return parser.parse(memory, length, info);
    }
}
