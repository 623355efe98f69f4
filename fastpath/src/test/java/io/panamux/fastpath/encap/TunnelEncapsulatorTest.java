package io.panamux.fastpath.encap;

import io.panamux.dpdk.Mbuf;
import io.panamux.fastpath.packet.DropReason;
import io.panamux.fastpath.packet.FakeMbuf;
import io.panamux.fastpath.packet.PacketInfo;
import io.panamux.fastpath.packet.PacketParser;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static io.panamux.fastpath.packet.Frames.*;
import static org.junit.jupiter.api.Assertions.*;

/** Runs the {@link EncapFixtures} table: each input through the parser and the encapsulator or reply writer. */
class TunnelEncapsulatorTest
{
    private final Arena arena = Arena.ofConfined();
    private final PacketInfo info = new PacketInfo();

    @AfterEach
    void free()
    {
        arena.close();
    }

    static List<EncapFixtures.Row> rows()
    {
        return EncapFixtures.rows();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    void producesTheExpectedFrame(final EncapFixtures.Row row)
    {
        final EncapFixtures.Outcome outcome = EncapFixtures.run(row, arena);
        assertEquals(row.verdict(), DropReason.of(outcome.verdict()));
        assertEquals(hex(row.expected()), hex(outcome.output()));
    }

    @Test
    void identificationCountsUpPerEncapsulator()
    {
        final TunnelEncapsulator encapsulator = EncapFixtures.encapsulator(1500);
        final byte[] inner = EncapFixtures.tcpV4Packet(20);
        for (int id = 0; id < 3; id++)
        {
            final long mbuf = parsed(toMux(0x0800, inner));
            assertEquals(PacketParser.OK, encapsulator.encapsulate(mbuf, info, TunnelEncapsulator.GRE, 0, false,
                BACKEND, 0, 0, EncapFixtures.FLOW_HASH));
            assertEquals(hex(EncapFixtures.encapsulated(inner, false, 0xB9, true, TunnelEncapsulator.GRE, false, id)),
                hex(FakeMbuf.data(mbuf)));
        }
    }

    @Test
    void gatewayMacCanChangeAndUnresolvedHoldsPacketsBack()
    {
        final TunnelEncapsulator encapsulator = new TunnelEncapsulator(PORT_MAC, 0, MUX, 0, 0, 1500);
        final byte[] frame = toMux(0x0800, EncapFixtures.tcpV4Packet(20));
        final long held = parsed(frame);
        assertEquals(DropReason.NO_NEXT_HOP, DropReason.of(encapsulator.encapsulate(held, info,
            TunnelEncapsulator.IPIP, 0, false, BACKEND, 0, 0, 1)));
        assertArrayEquals(frame, FakeMbuf.data(held));

        encapsulator.gatewayMac(0x0A_0B_0C_0D_0E_0FL);
        assertEquals(0x0A_0B_0C_0D_0E_0FL, encapsulator.gatewayMac());
        final long sent = parsed(frame);
        assertEquals(PacketParser.OK, encapsulator.encapsulate(sent, info, TunnelEncapsulator.IPIP, 0, false,
            BACKEND, 0, 0, 1));
        assertEquals("0a0b0c0d0e0f" + "02000000000a" + "0800", hex(slice(FakeMbuf.data(sent), 0, 14)));
    }

    @Test
    void overheadAndInnerMtu()
    {
        final TunnelEncapsulator encapsulator = EncapFixtures.encapsulator(1500);
        assertEquals(20, encapsulator.overhead(TunnelEncapsulator.IPIP, false));
        assertEquals(24, encapsulator.overhead(TunnelEncapsulator.GRE, false));
        assertEquals(28, encapsulator.overhead(TunnelEncapsulator.GUE, false));
        assertEquals(40, encapsulator.overhead(TunnelEncapsulator.IPIP, true));
        assertEquals(44, encapsulator.overhead(TunnelEncapsulator.GRE, true));
        assertEquals(48, encapsulator.overhead(TunnelEncapsulator.GUE, true));
        assertEquals(1452, encapsulator.innerMtu(TunnelEncapsulator.GUE, true));
        assertEquals(1480, encapsulator.innerMtu(TunnelEncapsulator.IPIP, false));
    }

    @Test
    void gueSourcePortsStayInTheDynamicRangeAndSpreadFlows()
    {
        final Set<Integer> ports = new HashSet<>();
        final Set<Integer> labels = new HashSet<>();
        long hash = 0x9E37_79B9_7F4A_7C15L;
        for (int i = 0; i < 4096; i++)
        {
            hash = hash * 0x5851_F42D_4C95_7F2DL + 0x14057B7EF767814FL;
            final int port = TunnelEncapsulator.sourcePort(hash);
            assertTrue(port >= 49152 && port <= 65535, "port " + port);
            ports.add(port);
            final int label = TunnelEncapsulator.flowLabel(hash);
            assertTrue(label >= 0 && label < (1 << 20));
            labels.add(label);
        }
        // 4096 flows over 16384 ports: a uniform spread leaves few collisions.
        assertTrue(ports.size() > 3500, "distinct ports " + ports.size());
        assertTrue(labels.size() > 4000, "distinct labels " + labels.size());
        assertEquals(EncapFixtures.GUE_SOURCE_PORT, TunnelEncapsulator.sourcePort(EncapFixtures.FLOW_HASH));
    }

    @Test
    void mbufLengthsDescribeTheNewFrame()
    {
        final long mbuf = parsed(cat(vlan(PORT_MAC, ROUTER_MAC, 5, 0x0800, EncapFixtures.udpV4Packet(4)), new byte[10]));
        final int headroom = Mbuf.headroom(mbuf);
        assertEquals(PacketParser.OK, EncapFixtures.encapsulator(1500).encapsulate(mbuf, info,
            TunnelEncapsulator.GUE, EncapFixtures.GUE_PORT, true, 0, high(BACKEND6), low(BACKEND6), 0));
        assertEquals(14 + 48 + 32, Mbuf.dataLength(mbuf));
        assertEquals(14 + 48 + 32, Mbuf.packetLength(mbuf));
        // The inner packet did not move: the new headers went in front of it.
        assertEquals(headroom + 18 - 14 - 48, Mbuf.headroom(mbuf));
    }

    private long parsed(final byte[] frame)
    {
        final long mbuf = FakeMbuf.create(arena, frame);
        assertEquals(PacketParser.OK, new PacketParser().parse(Mbuf.dataAddress(mbuf), Mbuf.dataLength(mbuf), info));
        return mbuf;
    }
}
