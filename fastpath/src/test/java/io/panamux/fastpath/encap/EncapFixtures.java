package io.panamux.fastpath.encap;

import io.panamux.dpdk.Mbuf;
import io.panamux.fastpath.packet.DropReason;
import io.panamux.fastpath.packet.FakeMbuf;
import io.panamux.fastpath.packet.PacketInfo;
import io.panamux.fastpath.packet.PacketParser;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;

import static io.panamux.fastpath.packet.Frames.*;

/**
 * The encapsulation and too-big reply fixture table, Katran {@code lib/testing} style: {description,
 * input frame, what to do, expected output frame or verdict}. Expected frames are built by the
 * test-only {@code Frames} builder with its own checksum code; {@link EncapsulationScapyTest} also
 * hands the outputs to scapy.
 */
final class EncapFixtures
{
    /** Flow hash used by every row. */
    static final long FLOW_HASH = 0x0123_4567_89AB_CDEFL;
    /** GUE source port of {@link #FLOW_HASH}: 0xC000 | fold, worked out by hand from the formula. */
    static final int GUE_SOURCE_PORT = 0xEAAA;
    /** IPv6 flow label of {@link #FLOW_HASH}. */
    static final int FLOW_LABEL = 0xEF000;
    /** The port MTU. */
    static final int PORT_MTU = 1500;
    /** A GUE port other than the default (6080), to see the configured one used. */
    static final int GUE_PORT = 7777;

    private static final int TCP = 6;
    private static final int UDP = 17;
    private static final int ICMP = 1;
    private static final int IPV4 = 0x0800;
    private static final int IPV6 = 0x86DD;
    private static final String[] TYPE_NAMES = {"ipip", "gre", "gue"};

    private EncapFixtures()
    {
    }

    /** What a row does with its input. */
    enum Action
    {
        ENCAPSULATE, REPLY
    }

    /**
     * One row.
     *
     * @param description what it shows.
     * @param input       the input frame.
     * @param action      encapsulate, or write a too-big reply.
     * @param type        encapsulation type (ENCAPSULATE).
     * @param outerV6     outer IPv6 (ENCAPSULATE).
     * @param portMtu     port MTU (ENCAPSULATE) or advertised MTU (REPLY).
     * @param headroom    mbuf headroom.
     * @param verdict     expected verdict.
     * @param expected    expected output frame when the verdict is NONE (else the input, unchanged).
     * @param df          expected outer DF (ENCAPSULATE, outer IPv4).
     */
    record Row(
        String description,
        byte[] input,
        Action action,
        int type,
        boolean outerV6,
        int portMtu,
        int headroom,
        DropReason verdict,
        byte[] expected,
        boolean df)
    {
        @Override
        public String toString()
        {
            return description;
        }

        /** @return the encapsulation name as configured ("ipip", "gre", "gue"). */
        String typeName()
        {
            return TYPE_NAMES[type];
        }
    }

    /** The outcome of running a row. */
    record Outcome(int verdict, byte[] output, PacketInfo info)
    {
    }

    /** Parses the row's input in a fake mbuf, then encapsulates or replies; returns what came out. */
    static Outcome run(final Row row, final Arena arena)
    {
        final long mbuf = FakeMbuf.create(arena, row.input(), row.headroom());
        final PacketInfo info = new PacketInfo();
        final int parsed = new PacketParser().parse(Mbuf.dataAddress(mbuf), Mbuf.dataLength(mbuf), info);
        if (parsed != PacketParser.OK)
        {
            throw new AssertionError(row + ": input does not parse: " + DropReason.of(parsed));
        }
        final int verdict;
        if (row.action() == Action.ENCAPSULATE)
        {
            verdict = encapsulator(row.portMtu()).encapsulate(mbuf, info, row.type(), GUE_PORT, row.outerV6(),
                BACKEND, high(BACKEND6), low(BACKEND6), FLOW_HASH);
        }
        else
        {
            verdict = new IcmpTooBigWriter().write(mbuf, info, row.portMtu(), 0);
        }
        return new Outcome(verdict, FakeMbuf.data(mbuf), info);
    }

    /** @return an encapsulator of the test topology. */
    static TunnelEncapsulator encapsulator(final int portMtu)
    {
        return new TunnelEncapsulator(PORT_MAC, GATEWAY_MAC, MUX, high(MUX6), low(MUX6), portMtu);
    }

    // ---------------------------------------------------------------- inputs

    /** IPv4 TCP, DSCP EF with ECT(1), DF. */
    static byte[] tcpV4Packet(final int payload)
    {
        return ipv4(0xB9, 0x4242, 0x4000, 61, TCP, CLIENT, VIP, new byte[0], tcp(40000, 80, 0x18, payload(payload)));
    }

    /** IPv4 UDP without DF. */
    static byte[] udpV4Packet(final int payload)
    {
        return ipv4(0x00, 0x0101, 0, 64, UDP, CLIENT, VIP, new byte[0], udp(5353, 53, payload(payload)));
    }

    /** IPv6 TCP, traffic class 0x28. */
    static byte[] tcpV6Packet(final int payload)
    {
        return ipv6(0x28, 0xABCDE, TCP, 60, CLIENT6, VIP6, tcp(40001, 443, 0x10, payload(payload)));
    }

    /** An ICMP port unreachable from a router to the VIP, about the VIP's reply to the client. */
    static byte[] icmpErrorPacket()
    {
        final byte[] quoted = ipv4(0, 7, 0, 1, UDP, VIP, CLIENT, new byte[0], udp(53, 5353, payload(30)));
        return ipv4(0, 1, 0, 250, ICMP, REPORTER, VIP, new byte[0], icmp(3, 3, 0, slice(quoted, 0, 28)));
    }

    // ---------------------------------------------------------------- the table

    static List<Row> rows()
    {
        final List<Row> rows = new ArrayList<>();
        final Object[][] inputs = {
            {"IPv4 TCP", toMux(IPV4, tcpV4Packet(100)), tcpV4Packet(100), 0xB9, true},
            {"802.1Q IPv4 UDP without DF, Ethernet padding", cat(vlan(PORT_MAC, ROUTER_MAC, 100, IPV4,
                udpV4Packet(4)), new byte[10]), udpV4Packet(4), 0x00, false},
            {"IPv6 TCP", toMux(IPV6, tcpV6Packet(200)), tcpV6Packet(200), 0x28, true},
            {"ICMP error", toMux(IPV4, icmpErrorPacket()), icmpErrorPacket(), 0x00, false},
        };
        for (final Object[] input : inputs)
        {
            final byte[] inner = (byte[])input[2];
            final boolean innerV6 = (inner[0] >>> 4) == 6;
            for (int type = TunnelEncapsulator.IPIP; type <= TunnelEncapsulator.GUE; type++)
            {
                for (final boolean outerV6 : new boolean[] {false, true})
                {
                    final String description = input[0] + " in " + TYPE_NAMES[type] + " over IPv" + (outerV6 ? 6 : 4);
                    rows.add(new Row(description, (byte[])input[1], Action.ENCAPSULATE, type, outerV6, PORT_MTU,
                        FakeMbuf.DEFAULT_HEADROOM, DropReason.NONE,
                        encapsulated(inner, innerV6, (int)input[3], (boolean)input[4], type, outerV6, 0),
                        (boolean)input[4]));
                }
            }
        }

        // Exactly at the MTU, and one byte over.
        final byte[] full = tcpV4Packet(1500 - 20 - 20 - 20);
        rows.add(new Row("IPv4 TCP of 1480 bytes in ipip fits a 1500 MTU", toMux(IPV4, full), Action.ENCAPSULATE,
            TunnelEncapsulator.IPIP, false, PORT_MTU, FakeMbuf.DEFAULT_HEADROOM, DropReason.NONE,
            encapsulated(full, false, 0xB9, true, TunnelEncapsulator.IPIP, false, 0), true));
        final byte[] over = tcpV4Packet(1500 - 20 - 20 - 20 + 1);
        rows.add(unchanged("IPv4 TCP with DF of 1481 bytes in ipip is too big", toMux(IPV4, over),
            TunnelEncapsulator.IPIP, false, DropReason.TOO_BIG));
        rows.add(unchanged("IPv4 UDP without DF of 1481 bytes in ipip is dropped, not fragmented",
            toMux(IPV4, udpV4Packet(1481 - 28)), TunnelEncapsulator.IPIP, false, DropReason.TOO_BIG_NO_DF));
        rows.add(unchanged("IPv6 TCP of 1453 bytes in gue over IPv6 is too big",
            toMux(IPV6, tcpV6Packet(1453 - 60)), TunnelEncapsulator.GUE, true, DropReason.TOO_BIG));
        final byte[] fullV6 = tcpV6Packet(1452 - 60);
        rows.add(new Row("IPv6 TCP of 1452 bytes in gue over IPv6 fits", toMux(IPV6, fullV6), Action.ENCAPSULATE,
            TunnelEncapsulator.GUE, true, PORT_MTU, FakeMbuf.DEFAULT_HEADROOM, DropReason.NONE,
            encapsulated(fullV6, true, 0x28, true, TunnelEncapsulator.GUE, true, 0), true));

        // Headroom: ipip over IPv4 needs 14 + 20 bytes in front of the IP header, 14 of them are the old L2.
        rows.add(new Row("20 bytes of headroom are enough for ipip over IPv4", toMux(IPV4, tcpV4Packet(10)),
            Action.ENCAPSULATE, TunnelEncapsulator.IPIP, false, PORT_MTU, 20, DropReason.NONE,
            encapsulated(tcpV4Packet(10), false, 0xB9, true, TunnelEncapsulator.IPIP, false, 0), true));
        rows.add(new Row("19 bytes of headroom are not", toMux(IPV4, tcpV4Packet(10)), Action.ENCAPSULATE,
            TunnelEncapsulator.IPIP, false, PORT_MTU, 19, DropReason.HEADROOM, toMux(IPV4, tcpV4Packet(10)), false));

        // Too-big replies.
        rows.add(reply("IPv4 1500-byte TCP: fragmentation needed, quote cut to a 576-byte reply",
            toMux(IPV4, tcpV4Packet(1460)), 1480, DropReason.NONE,
            ethernet(ROUTER_MAC, PORT_MAC, IPV4, ipv4(0xC0, 0, 0, 64, ICMP, VIP, CLIENT, new byte[0],
                icmp(3, 4, 1480, slice(tcpV4Packet(1460), 0, 548))))));
        rows.add(reply("IPv4 300-byte TCP with padding: whole packet quoted, padding dropped",
            cat(toMux(IPV4, tcpV4Packet(260)), new byte[7]), 1476, DropReason.NONE,
            ethernet(ROUTER_MAC, PORT_MAC, IPV4, ipv4(0xC0, 0, 0, 64, ICMP, VIP, CLIENT, new byte[0],
                icmp(3, 4, 1476, tcpV4Packet(260))))));
        rows.add(reply("802.1Q IPv4: reply on the same VLAN", vlan(PORT_MAC, ROUTER_MAC, (3 << 13) | 42, IPV4,
            tcpV4Packet(1460)), 1472, DropReason.NONE,
            vlan(ROUTER_MAC, PORT_MAC, (3 << 13) | 42, IPV4, ipv4(0xC0, 0, 0, 64, ICMP, VIP, CLIENT, new byte[0],
                icmp(3, 4, 1472, slice(tcpV4Packet(1460), 0, 548))))));
        rows.add(reply("IPv6 1500-byte TCP: packet too big, quote cut to a 1280-byte reply",
            toMux(IPV6, tcpV6Packet(1440)), 1460, DropReason.NONE,
            ethernet(ROUTER_MAC, PORT_MAC, IPV6, ipv6(0, 0, 58, 64, VIP6, CLIENT6,
                icmpv6(2, 0, 1460, slice(tcpV6Packet(1440), 0, 1232), VIP6, CLIENT6)))));
        rows.add(reply("IPv6 small TCP: whole packet quoted", toMux(IPV6, tcpV6Packet(3)), 1452, DropReason.NONE,
            ethernet(ROUTER_MAC, PORT_MAC, IPV6, ipv6(0, 0, 58, 64, VIP6, CLIENT6,
                icmpv6(2, 0, 1452, tcpV6Packet(3), VIP6, CLIENT6)))));
        rows.add(reply("no reply to an ICMP error", toMux(IPV4, icmpErrorPacket()), 1480,
            DropReason.TOO_BIG_NO_REPLY, toMux(IPV4, icmpErrorPacket())));
        final byte[] later = ipv4(0, 9, 0x4000 | 185, 64, TCP, CLIENT, VIP, new byte[0], payload(1000));
        rows.add(reply("no reply to a later fragment", toMux(IPV4, later), 1480, DropReason.TOO_BIG_NO_REPLY,
            toMux(IPV4, later)));
        final byte[] multicast = ipv4(0, 9, 0x4000, 64, UDP, ipv4("224.0.0.5"), VIP, new byte[0], udp(1, 2, payload(9)));
        rows.add(reply("no reply to a multicast source", toMux(IPV4, multicast), 1480, DropReason.TOO_BIG_NO_REPLY,
            toMux(IPV4, multicast)));
        final byte[] multicast6 = ipv6(0, 0, UDP, 64, ipv6("ff02::1"), VIP6, udp(1, 2, payload(9)));
        rows.add(reply("no reply to an IPv6 multicast source", toMux(IPV6, multicast6), 1480,
            DropReason.TOO_BIG_NO_REPLY, toMux(IPV6, multicast6)));
        return rows;
    }

    private static Row unchanged(
        final String description, final byte[] input, final int type, final boolean outerV6, final DropReason verdict)
    {
        return new Row(description, input, Action.ENCAPSULATE, type, outerV6, PORT_MTU, FakeMbuf.DEFAULT_HEADROOM,
            verdict, input, false);
    }

    private static Row reply(final String description, final byte[] input, final int mtu, final DropReason verdict,
        final byte[] expected)
    {
        return new Row(description, input, Action.REPLY, 0, false, mtu, FakeMbuf.DEFAULT_HEADROOM, verdict, expected,
            false);
    }

    /**
     * The frame an encapsulator must produce, built field by field.
     *
     * @param inner   the inner IP packet.
     * @param innerV6 whether it is IPv6.
     * @param tos     its DSCP/ECN.
     * @param df      the expected outer DF (outer IPv4).
     * @param type    the encapsulation.
     * @param outerV6 outer IPv6.
     * @param id      the expected outer IPv4 identification.
     * @return the expected frame.
     */
    static byte[] encapsulated(final byte[] inner, final boolean innerV6, final int tos, final boolean df,
        final int type, final boolean outerV6, final int id)
    {
        final byte[] tunnel;
        final int protocol;
        switch (type)
        {
            case TunnelEncapsulator.GRE ->
            {
                tunnel = new byte[] {0, 0, (byte)(innerV6 ? 0x86 : 0x08), (byte)(innerV6 ? 0xDD : 0x00)};
                protocol = 47;
            }
            case TunnelEncapsulator.GUE ->
            {
                final int length = 8 + inner.length;
                final byte[] udp = new byte[] {(byte)(GUE_SOURCE_PORT >>> 8), (byte)GUE_SOURCE_PORT,
                    (byte)(GUE_PORT >>> 8), (byte)GUE_PORT, (byte)(length >>> 8), (byte)length, 0, 0};
                if (outerV6)
                {
                    final byte[] datagram = cat(udp, inner);
                    int checksum = checksum(datagram, 0, datagram.length, pseudoHeaderV6(MUX6, BACKEND6, 17, length));
                    checksum = checksum == 0 ? 0xFFFF : checksum;
                    put16(udp, 6, checksum);
                }
                tunnel = udp;
                protocol = 17;
            }
            default ->
            {
                tunnel = new byte[0];
                protocol = innerV6 ? 41 : 4;
            }
        }
        final byte[] payload = cat(tunnel, inner);
        if (outerV6)
        {
            return ethernet(GATEWAY_MAC, PORT_MAC, IPV6, ipv6(tos, FLOW_LABEL, protocol, 64, MUX6, BACKEND6, payload));
        }
        return ethernet(GATEWAY_MAC, PORT_MAC, IPV4,
            ipv4(tos, id, df ? 0x4000 : 0, 64, protocol, MUX, BACKEND, new byte[0], payload));
    }
}
