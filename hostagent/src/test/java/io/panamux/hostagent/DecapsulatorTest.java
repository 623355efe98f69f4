package io.panamux.hostagent;

import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.panamux.dpdk.Mbuf;

import static io.panamux.hostagent.TestFrames.HOST_MAC;
import static io.panamux.hostagent.TestFrames.ROUTER_MAC;
import static io.panamux.hostagent.TestFrames.concat;
import static io.panamux.hostagent.TestFrames.ethernet;
import static io.panamux.hostagent.TestFrames.ip;
import static io.panamux.hostagent.TestFrames.ipv4;
import static io.panamux.hostagent.TestFrames.ipv6;
import static io.panamux.hostagent.TestFrames.tcp;
import static io.panamux.hostagent.TestFrames.udp;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class DecapsulatorTest
{
    private static final int HOST = ip("198.18.21.2");
    private static final int MUX = ip("198.18.11.2");
    private static final int CLIENT = ip("198.18.1.2");
    private static final int VIP = ip("192.0.2.10");
    private static final int GUE_PORT = 6080;

    private static final int AGENT_HOST = ip("198.18.2.2");
    private static final int OUTSIDER = ip("203.0.113.66");

    private final Arena arena = Arena.ofConfined();
    private final Decapsulator decapsulator = new Decapsulator(HOST, GUE_PORT, new TunnelSources(List.of(MUX),
        List.of(Prefix.parse("198.18.2.0/24")), List.of(), List.of()));

    @AfterEach
    void close()
    {
        arena.close();
    }

    private static byte[] innerV4()
    {
        return ipv4(0, 6, CLIENT, VIP, 0x4000, tcp(40000, 80, 0x02, 10));
    }

    @Test
    void ipipBecomesTheInnerPacketBehindTheSameEthernetAddresses()
    {
        final byte[] inner = innerV4();
        final long m = TestFrames.mbuf(arena, ethernet(HOST_MAC, ROUTER_MAC, 0x0800, ipv4(0, 4, MUX, HOST, 0x4000, inner)));
        assertEquals(Decapsulator.DECAPSULATED, decapsulator.decapsulate(m));
        assertArrayEquals(ethernet(HOST_MAC, ROUTER_MAC, 0x0800, inner), TestFrames.data(m));
        assertEquals(MUX, decapsulator.outerSource());
        assertEquals(4, decapsulator.innerVersion());
    }

    /** GUE is opened on every port given (the agent's and the pool VIPs'), and on no other. */
    @Test
    void gueIsOpenedOnEachOfItsPorts()
    {
        final Decapsulator two = new Decapsulator(HOST, null, new int[] {GUE_PORT, 7000}, new TunnelSources(List.of(MUX), List.of(),
            List.of(), List.of()));
        final byte[] inner = innerV4();
        for (final int port : new int[] {GUE_PORT, 7000, 6999, 7001, 7000 + 64})
        {
            final long m = TestFrames.mbuf(arena,
                ethernet(HOST_MAC, ROUTER_MAC, 0x0800, ipv4(0, 17, MUX, HOST, 0, udp(50000, port, inner))));
            assertEquals(port == GUE_PORT || port == 7000 ? Decapsulator.DECAPSULATED : Decapsulator.NOT_A_TUNNEL, two.decapsulate(m),
                "port " + port);
        }
    }

    @Test
    void greWithOptionalFieldsAndGueAndIpv6InnerAreOpened()
    {
        final byte[] inner = innerV4();
        // GRE with the key and sequence bits: 4 + 4 + 4 bytes of GRE header.
        final byte[] gre = concat(new byte[] {0x30, 0, 0x08, 0x00, 0, 0, 0, 1, 0, 0, 0, 2}, inner);
        long m = TestFrames.mbuf(arena, ethernet(HOST_MAC, ROUTER_MAC, 0x0800, ipv4(0, 47, MUX, HOST, 0, gre)));
        assertEquals(Decapsulator.DECAPSULATED, decapsulator.decapsulate(m));
        assertArrayEquals(ethernet(HOST_MAC, ROUTER_MAC, 0x0800, inner), TestFrames.data(m));

        m = TestFrames.mbuf(arena, ethernet(HOST_MAC, ROUTER_MAC, 0x0800, ipv4(0, 17, MUX, HOST, 0, udp(50000, GUE_PORT, inner))));
        assertEquals(Decapsulator.DECAPSULATED, decapsulator.decapsulate(m));
        assertArrayEquals(ethernet(HOST_MAC, ROUTER_MAC, 0x0800, inner), TestFrames.data(m));

        final byte[] inner6 = ipv6(0, 6, tcp(40000, 80, 0x10, 5));
        m = TestFrames.mbuf(arena, ethernet(HOST_MAC, ROUTER_MAC, 0x0800, ipv4(0, 41, MUX, HOST, 0, inner6)));
        assertEquals(Decapsulator.DECAPSULATED, decapsulator.decapsulate(m));
        assertArrayEquals(ethernet(HOST_MAC, ROUTER_MAC, 0x86DD, inner6), TestFrames.data(m));
        assertEquals(6, decapsulator.innerVersion());
    }

    @Test
    void ethernetPaddingAfterTheOuterPacketIsCut()
    {
        final byte[] inner = ipv4(0, 17, CLIENT, VIP, 0, udp(5000, 53, new byte[2]));
        final byte[] frame = ethernet(HOST_MAC, ROUTER_MAC, 0x0800, ipv4(0, 4, MUX, HOST, 0, inner));
        final long m = TestFrames.mbuf(arena, Arrays.copyOf(frame, frame.length + 9));
        assertEquals(Decapsulator.DECAPSULATED, decapsulator.decapsulate(m));
        assertEquals(14 + inner.length, Mbuf.dataLength(m));
    }

    @Test
    void anOuterCongestionMarkReachesAnEcnCapableInnerPacketWithAValidChecksum()
    {
        final byte[] inner = ipv4(0x02, 6, CLIENT, VIP, 0x4000, tcp(40000, 80, 0x10, 0));
        final long m = TestFrames.mbuf(arena, ethernet(HOST_MAC, ROUTER_MAC, 0x0800, ipv4(0x03, 4, MUX, HOST, 0, inner)));
        assertEquals(Decapsulator.DECAPSULATED, decapsulator.decapsulate(m));
        final byte[] out = TestFrames.data(m);
        assertEquals(0x03, out[14 + 1] & 0xFF);
        assertEquals(0, TestFrames.checksum(out, 14, 20), "the inner header checksum still verifies");
    }

    /** Names of the ECN codepoints, by value. */
    private static final String[] ECN = {"Not-ECT", "ECT(1)", "ECT(0)", "CE"};

    /**
     * RFC 6040 §4.2 Figure 4 (normal mode), written out from the RFC as {inner, outer, forwarded inner or -1
     * for drop}, by codepoint name: all 16 combinations, for an IPv4 and an IPv6 inner packet. Before the fix,
     * CE over Not-ECT was delivered and ECT(1) over ECT(0) stayed ECT(0) (issue 10 finding 6).
     */
    private static final String[][] RFC6040 = {
        // inner     outer      forwarded
        {"Not-ECT", "Not-ECT", "Not-ECT"},
        {"Not-ECT", "ECT(0)", "Not-ECT"},
        {"Not-ECT", "ECT(1)", "Not-ECT"},
        {"Not-ECT", "CE", "drop"},
        {"ECT(0)", "Not-ECT", "ECT(0)"},
        {"ECT(0)", "ECT(0)", "ECT(0)"},
        {"ECT(0)", "ECT(1)", "ECT(1)"},
        {"ECT(0)", "CE", "CE"},
        {"ECT(1)", "Not-ECT", "ECT(1)"},
        {"ECT(1)", "ECT(0)", "ECT(1)"},
        {"ECT(1)", "ECT(1)", "ECT(1)"},
        {"ECT(1)", "CE", "CE"},
        {"CE", "Not-ECT", "CE"},
        {"CE", "ECT(0)", "CE"},
        {"CE", "ECT(1)", "CE"},
        {"CE", "CE", "CE"},
    };

    @Test
    void ecnFollowsEveryRowOfTheRfc6040DecapsulationTable()
    {
        assertEquals(16, RFC6040.length);
        for (final String[] row : RFC6040)
        {
            final int inner = List.of(ECN).indexOf(row[0]);
            final int outer = List.of(ECN).indexOf(row[1]);
            final String what = "inner " + row[0] + ", outer " + row[1];
            final int dscp = 0xB8; // EF: the DSCP bits are not touched
            for (final int version : new int[] {4, 6})
            {
                final byte[] packet = version == 4 ? ipv4(dscp | inner, 6, CLIENT, VIP, 0x4000, tcp(40000, 80, 0x10, 4))
                    : ipv6(dscp | inner, 6, tcp(40000, 80, 0x10, 4));
                final byte[] frame = ethernet(HOST_MAC, ROUTER_MAC, 0x0800, ipv4(outer, version == 4 ? 4 : 41, MUX, HOST, 0, packet));
                final long m = TestFrames.mbuf(arena, frame);
                final int verdict = decapsulator.decapsulate(m);
                if (row[2].equals("drop"))
                {
                    assertEquals(Decapsulator.ECN_DROP, verdict, what + " (IPv" + version + ")");
                    assertArrayEquals(frame, TestFrames.data(m), "a dropped packet is left as it came");
                    continue;
                }
                assertEquals(Decapsulator.DECAPSULATED, verdict, what + " (IPv" + version + ")");
                final byte[] out = TestFrames.data(m);
                final int expected = List.of(ECN).indexOf(row[2]);
                final byte[] want = version == 4 ? ipv4(dscp | expected, 6, CLIENT, VIP, 0x4000, tcp(40000, 80, 0x10, 4))
                    : ipv6(dscp | expected, 6, tcp(40000, 80, 0x10, 4));
                assertArrayEquals(ethernet(HOST_MAC, ROUTER_MAC, version == 4 ? 0x0800 : 0x86DD, want), out,
                    what + " (IPv" + version + "): forwarded " + row[2] + ", header checksum recomputed");
                assertEquals(expected, Decapsulator.ecnAfter(inner, outer), what);
            }
        }
    }

    /** Issue 10 finding 5: a tunnel from an outsider is refused, untouched; the pool's and agents' are opened. */
    @Test
    void onlyTunnelsFromTheMuxPoolAndAgentHostsAreOpened()
    {
        for (final int protocol : new int[] {4, 47, 17})
        {
            final byte[] inner = innerV4();
            final byte[] payload = switch (protocol)
            {
                case 47 -> concat(new byte[] {0, 0, 0x08, 0x00}, inner);
                case 17 -> udp(50000, GUE_PORT, inner);
                default -> inner;
            };
            final byte[] spoofed = ethernet(HOST_MAC, ROUTER_MAC, 0x0800, ipv4(0, protocol, OUTSIDER, HOST, 0, payload));
            final long m = TestFrames.mbuf(arena, spoofed);
            assertEquals(Decapsulator.REFUSED_SOURCE, decapsulator.decapsulate(m), "protocol " + protocol);
            assertArrayEquals(spoofed, TestFrames.data(m), "unchanged");
            for (final int source : new int[] {MUX, AGENT_HOST})
            {
                final long ok = TestFrames.mbuf(arena, ethernet(HOST_MAC, ROUTER_MAC, 0x0800, ipv4(0, protocol, source, HOST, 0, payload)));
                assertEquals(Decapsulator.DECAPSULATED, decapsulator.decapsulate(ok), "protocol " + protocol);
            }
        }
    }

    @Test
    void whatIsNotATunnelToThisHostIsLeftAlone()
    {
        final byte[][] frames = {
            ethernet(HOST_MAC, ROUTER_MAC, 0x0800, ipv4(0, 4, MUX, ip("198.18.22.2"), 0, innerV4())),      // another host
            ethernet(HOST_MAC, ROUTER_MAC, 0x0800, innerV4()),                                           // plain TCP
            ethernet(HOST_MAC, ROUTER_MAC, 0x0800, ipv4(0, 17, MUX, HOST, 0, udp(1, 6081, new byte[56]))), // UDP, not GUE
            ethernet(-1L & 0xFFFF_FFFF_FFFFL, ROUTER_MAC, 0x0806, new byte[28]),                          // ARP
            ethernet(HOST_MAC, ROUTER_MAC, 0x0800, new byte[10]),                                        // short
        };
        for (final byte[] frame : frames)
        {
            final long m = TestFrames.mbuf(arena, frame);
            assertEquals(Decapsulator.NOT_A_TUNNEL, decapsulator.decapsulate(m));
            assertArrayEquals(frame, TestFrames.data(m), "unchanged");
        }
    }

    @Test
    void brokenOrFragmentedTunnelsAreReportedAndLeftUnchanged()
    {
        final byte[] inner = innerV4();
        final byte[] truncatedInner = ipv4(0, 4, MUX, HOST, 0, Arrays.copyOf(inner, 30));
        final byte[] wrongVersion = ipv4(0, 41, MUX, HOST, 0, inner);
        final byte[] notIp = ipv4(0, 4, MUX, HOST, 0, new byte[40]);
        final byte[] greVersion1 = ipv4(0, 47, MUX, HOST, 0, concat(new byte[] {0, 1, 0x08, 0}, inner));
        final byte[] greErspan = ipv4(0, 47, MUX, HOST, 0, concat(new byte[] {0, 0, (byte)0x88, (byte)0xBE}, inner));
        final byte[] outerCutShort = Arrays.copyOf(ipv4(0, 4, MUX, HOST, 0, inner), 30);
        for (final byte[] ip : new byte[][] {truncatedInner, wrongVersion, notIp, greVersion1, greErspan})
        {
            final byte[] frame = ethernet(HOST_MAC, ROUTER_MAC, 0x0800, ip);
            final long m = TestFrames.mbuf(arena, frame);
            assertEquals(Decapsulator.MALFORMED, decapsulator.decapsulate(m));
            assertArrayEquals(frame, TestFrames.data(m));
        }
        assertEquals(Decapsulator.MALFORMED, decapsulator.decapsulate(TestFrames.mbuf(arena, ethernet(HOST_MAC, ROUTER_MAC, 0x0800,
            outerCutShort))));
        final long fragment = TestFrames.mbuf(arena, ethernet(HOST_MAC, ROUTER_MAC, 0x0800, ipv4(0, 4, MUX, HOST, 0x2000, inner)));
        assertEquals(Decapsulator.FRAGMENT, decapsulator.decapsulate(fragment));
    }
}
