package io.panamux.slowpath.arp;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import io.panamux.slowpath.config.IpAddress;
import io.panamux.slowpath.control.FakeControlPort;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ARP on fake mbufs: frames are written here byte by byte from RFC 826 (not with {@link ArpFrame}), the
 * answers compared byte for byte, and every mbuf accounted for (sent or freed once).
 */
class ArpEndpointTest
{
    private static final long SECOND = 1_000_000_000L;
    private static final String PORT_MAC = "020000000010";
    private static final String MUX_IP = "0a00000a";          // 10.0.0.10
    private static final String GATEWAY_IP = "0a000001";      // 10.0.0.1
    private static final String GATEWAY_MAC = "02aabbccdd01";
    private static final String CLIENT_MAC = "02aabbccdd77";
    private static final String CLIENT_IP = "0a000077";       // 10.0.0.119

    private final FakeControlPort io = new FakeControlPort();
    private final List<Long> learnt = new ArrayList<>();

    @AfterEach
    void close()
    {
        assertEquals(0, io.outstanding().size(), "every mbuf sent or freed");
    }

    private ArpEndpoint endpoint(final boolean resolveGateway)
    {
        return new ArpEndpoint(io, 0x0200_0000_0010L, IpAddress.parse("10.0.0.10"), resolveGateway ? IpAddress.parse("10.0.0.1") : null,
            learnt::add, SECOND, 60 * SECOND, null, true);
    }

    @Test
    void announcesNothingUnlessAsked()
    {
        final ArpEndpoint arp = new ArpEndpoint(io, 0x0200_0000_0010L, IpAddress.parse("10.0.0.10"), null, learnt::add, SECOND,
            60 * SECOND, null, false);
        arp.doWork(0);
        arp.doWork(10 * SECOND);

        assertEquals(0, io.sent().size(), "no gratuitous ARP, no gateway to resolve: silent until asked");
    }

    /** Ethernet + ARP for IPv4, optionally one 802.1Q tag, padded to 60 bytes. */
    private static byte[] frame(final String ethDst, final String ethSrc, final String vlanTci, final int op, final String senderMac,
        final String senderIp, final String targetMac, final String targetIp)
    {
        final String hex = ethDst + ethSrc + (vlanTci == null ? "" : "8100" + vlanTci) + "0806" + "0001" + "0800" + "06" + "04" +
            String.format("%04x", op) + senderMac + senderIp + targetMac + targetIp;
        final byte[] bytes = HexFormat.of().parseHex(hex);
        final byte[] padded = new byte[Math.max(60, bytes.length)];
        System.arraycopy(bytes, 0, padded, 0, bytes.length);
        return padded;
    }

    @Test
    void announcesItsAddressOnceThenAnswersRequestsForIt()
    {
        final ArpEndpoint arp = endpoint(false);
        arp.doWork(0);
        assertEquals(1, io.sent().size());
        assertArrayEquals(frame("ffffffffffff", PORT_MAC, null, 1, PORT_MAC, MUX_IP, "000000000000", MUX_IP), io.sent().get(0),
            "gratuitous ARP");

        io.receive(frame("ffffffffffff", CLIENT_MAC, null, 1, CLIENT_MAC, CLIENT_IP, "000000000000", MUX_IP));
        arp.doWork(SECOND);

        assertEquals(2, io.sent().size(), "no second gratuitous ARP");
        assertArrayEquals(frame(CLIENT_MAC, PORT_MAC, null, 2, PORT_MAC, MUX_IP, CLIENT_MAC, CLIENT_IP), io.sent().get(1));
        assertEquals(1, arp.requestsAnswered());
    }

    @Test
    void answersATaggedRequestWithTheSameTag()
    {
        final ArpEndpoint arp = endpoint(false);
        arp.doWork(0);
        io.receive(frame("ffffffffffff", CLIENT_MAC, "0064", 1, CLIENT_MAC, CLIENT_IP, "000000000000", MUX_IP));

        arp.doWork(1);

        assertArrayEquals(frame(CLIENT_MAC, PORT_MAC, "0064", 2, PORT_MAC, MUX_IP, CLIENT_MAC, CLIENT_IP), io.sent().get(1));
    }

    @Test
    void framesNotAskingForItAreFreed()
    {
        final ArpEndpoint arp = endpoint(false);
        arp.doWork(0);
        final int before = io.sent().size();
        io.receive(frame("ffffffffffff", CLIENT_MAC, null, 1, CLIENT_MAC, CLIENT_IP, "000000000000", "0a000063"));
        io.receive(frame(PORT_MAC, CLIENT_MAC, null, 2, CLIENT_MAC, CLIENT_IP, PORT_MAC, MUX_IP));
        final byte[] notEthernet = frame("ffffffffffff", CLIENT_MAC, null, 1, CLIENT_MAC, CLIENT_IP, "000000000000", MUX_IP);
        notEthernet[15] = 6;                                    // hardware type 6 (IEEE 802)
        io.receive(notEthernet);
        io.receive(HexFormat.of().parseHex("ffffffffffff" + CLIENT_MAC + "0806" + "00010800"));   // truncated

        arp.doWork(1);

        assertEquals(before, io.sent().size(), "nothing answered");
        assertEquals(4, io.freed());
        assertEquals(2, arp.framesIgnored());
    }

    @Test
    void resolvesTheGatewayRetriesUntilAnsweredRefreshesAndFollowsAChange()
    {
        final ArpEndpoint arp = endpoint(true);
        final byte[] whoHas = frame("ffffffffffff", PORT_MAC, null, 1, PORT_MAC, MUX_IP, "000000000000", GATEWAY_IP);

        arp.doWork(0);
        assertEquals(2, io.sent().size(), "gratuitous ARP, then who-has the gateway");
        assertArrayEquals(whoHas, io.sent().get(1));
        arp.doWork(SECOND / 2);
        assertEquals(2, io.sent().size(), "not again before the retry interval");
        arp.doWork(SECOND);
        assertEquals(3, io.sent().size(), "unanswered: asked again");
        assertEquals(List.of(), learnt);

        io.receive(frame(PORT_MAC, GATEWAY_MAC, null, 2, GATEWAY_MAC, GATEWAY_IP, PORT_MAC, MUX_IP));
        arp.doWork(SECOND + 1);
        assertEquals(List.of(0x02AA_BBCC_DD01L), learnt, "published to the encapsulators");
        assertEquals(0x02AA_BBCC_DD01L, arp.gatewayMac());

        arp.doWork(30 * SECOND);
        assertEquals(3, io.sent().size(), "resolved: no question before the refresh");
        arp.doWork(61 * SECOND + 1);
        assertEquals(4, io.sent().size(), "refreshed after 60 s");

        // The gateway moved (failover): its gratuitous ARP carries the new MAC.
        io.receive(frame("ffffffffffff", "02aabbccdd02", null, 1, "02aabbccdd02", GATEWAY_IP, "000000000000", GATEWAY_IP));
        arp.doWork(62 * SECOND);
        assertEquals(List.of(0x02AA_BBCC_DD01L, 0x02AA_BBCC_DD02L), learnt);

        // The same MAC again is not news.
        io.receive(frame(PORT_MAC, "02aabbccdd02", null, 2, "02aabbccdd02", GATEWAY_IP, PORT_MAC, MUX_IP));
        arp.doWork(63 * SECOND);
        assertEquals(2, learnt.size());
        assertTrue(arp.queriesSent() >= 3);
    }

    @Test
    void anUnsentReplyAndAnEmptyPoolLeakNothing()
    {
        final ArpEndpoint arp = endpoint(true);
        io.poolEmpty(true);
        arp.doWork(0);
        assertEquals(0, io.sent().size());

        io.refuseSends(true);
        io.receive(frame("ffffffffffff", CLIENT_MAC, null, 1, CLIENT_MAC, CLIENT_IP, "000000000000", MUX_IP));
        arp.doWork(1);

        assertEquals(1, io.freed(), "the reply that could not be queued is freed");
        assertTrue(arp.sendFailures() >= 3, "allocation and send failures counted: " + arp.sendFailures());
    }
}
