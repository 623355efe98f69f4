package io.panamux.hostagent;

import java.lang.foreign.Arena;
import java.util.HexFormat;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.panamux.common.auth.ReplayWindow;
import io.panamux.dpdk.Memory;
import io.panamux.fastpath.packet.PacketInfo;

import static io.panamux.hostagent.TestFrames.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RedirectsTest
{
    private static final byte[] KEY = HexFormat.of().parseHex("00112233445566778899aabbccddeeff0123456789abcdef");
    private static final int CLIENT = ip("198.18.2.2");
    private static final int VIP = ip("192.0.2.12");
    private static final int B1 = ip("198.18.21.2");
    private static final int B2 = ip("198.18.22.2");
    private static final long NOW = 1_800_000_000_000L;

    private final Arena arena = Arena.ofConfined();
    private final long message = arena.allocate(RedirectMessage.LENGTH).address();
    private final RedirectMessage codec = new RedirectMessage(KEY);
    private final HostAgentCounters counters = new HostAgentCounters();
    private static final int MUX = ip("198.18.11.2");
    private static final int OUTSIDER = ip("203.0.113.66");
    private static final int NTP_SERVER = ip("9.9.9.9");
    private static final int WEB_SERVER = ip("203.0.113.80");
    /** The pool: one MUX, one VIP (VIP:80/tcp), which the backend host of the issuer tests backs. */
    private static final TunnelSources SOURCES = new TunnelSources(List.of(MUX), List.of(Prefix.parse("198.18.2.0/24")),
        List.of(new HostAgentConfig.ServedVip(VIP, 80, 6)), List.of(new HostAgentConfig.ServedVip(VIP, 80, 6)));
    private final Redirects redirects = new Redirects(1024, CLIENT, true, 30_000, 2000, List.of(), SOURCES, counters);
    private long sequence = 100;

    @AfterEach
    void close()
    {
        redirects.close();
        arena.close();
    }

    private int send(final int type, final int clientPort, final int backend, final long issuedAt, final int sender)
    {
        codec.write(message, type, 6, CLIENT, VIP, clientPort, 80, backend, issuedAt, ++sequence);
        return redirects.onMessage(message, sender, codec, NOW, 10);
    }

    @Test
    void anAcceptedRedirectSendsTheFlowToTheBackendAndARevokeSendsItBack()
    {
        assertEquals(Redirects.NONE, redirects.lookup(CLIENT, VIP, 40000, 80, 6, 10));
        assertEquals(HostAgentCounters.REDIRECTS_ACCEPTED, send(RedirectMessage.REDIRECT, 40000, B1, NOW - 5, B1));
        assertEquals(B1 & 0xFFFF_FFFFL, redirects.lookup(CLIENT, VIP, 40000, 80, 6, 11));
        assertEquals(Redirects.NONE, redirects.lookup(CLIENT, VIP, 40001, 80, 6, 11), "another flow of the same client");
        assertEquals(1, counters.get(HostAgentCounters.REDIRECTED_FLOWS));

        assertEquals(HostAgentCounters.REVOKES_ACCEPTED, send(RedirectMessage.REVOKE, 40000, B1, NOW, B1));
        assertEquals(Redirects.NONE, redirects.lookup(CLIENT, VIP, 40000, 80, 6, 12));
        assertEquals(0, counters.get(HostAgentCounters.REDIRECTED_FLOWS));
    }

    @Test
    void forgedStaleMisdirectedForeignAndReplayedMessagesAreRefused()
    {
        // A tag made with another key.
        final RedirectMessage other = new RedirectMessage(HexFormat.of().parseHex("ffeeddccbbaa99887766554433221100"));
        other.write(message, RedirectMessage.REDIRECT, 6, CLIENT, VIP, 40000, 80, B1, NOW, ++sequence);
        assertEquals(HostAgentCounters.REFUSED_FORGED, redirects.onMessage(message, B1, codec, NOW, 10));

        // A good message with one byte changed after signing (the backend).
        codec.write(message, RedirectMessage.REDIRECT, 6, CLIENT, VIP, 40000, 80, B1, NOW, ++sequence);
        Memory.putU8(message + RedirectMessage.BACKEND_OFFSET + 3, 3);
        assertEquals(HostAgentCounters.REFUSED_FORGED, redirects.onMessage(message, ip("198.18.21.3"), codec, NOW, 10));

        assertEquals(HostAgentCounters.REFUSED_STALE, send(RedirectMessage.REDIRECT, 40000, B1, NOW - 2001, B1));
        assertEquals(HostAgentCounters.REFUSED_STALE, send(RedirectMessage.REDIRECT, 40000, B1, NOW + 2001, B1));
        assertEquals(HostAgentCounters.REFUSED_NOT_FROM_BACKEND, send(RedirectMessage.REDIRECT, 40000, B2, NOW, B1));

        codec.write(message, RedirectMessage.REDIRECT, 6, ip("198.18.2.3"), VIP, 40000, 80, B1, NOW, ++sequence);
        assertEquals(HostAgentCounters.REFUSED_NOT_OURS, redirects.onMessage(message, B1, codec, NOW, 10));

        codec.write(message, RedirectMessage.REDIRECT, 6, CLIENT, VIP, 40000, 80, B1, NOW, 5000);
        assertEquals(HostAgentCounters.REDIRECTS_ACCEPTED, redirects.onMessage(message, B1, codec, NOW, 10));
        assertEquals(HostAgentCounters.REFUSED_REPLAYED, redirects.onMessage(message, B1, codec, NOW, 10), "the same message again");
        codec.write(message, RedirectMessage.REDIRECT, 6, CLIENT, VIP, 40001, 80, B1, NOW, 5000 - ReplayWindow.SIZE);
        assertEquals(HostAgentCounters.REFUSED_REPLAYED, redirects.onMessage(message, B1, codec, NOW, 10), "older than the window");
        codec.write(message, RedirectMessage.REDIRECT, 6, CLIENT, VIP, 40002, 80, B1, NOW, 4990);
        assertEquals(HostAgentCounters.REDIRECTS_ACCEPTED, redirects.onMessage(message, B1, codec, NOW, 10), "late but in the window");

        for (final int reason : new int[] {HostAgentCounters.REFUSED_FORGED, HostAgentCounters.REFUSED_STALE})
        {
            assertEquals(2, counters.get(reason), HostAgentCounters.name(reason));
        }
        for (final int reason : new int[] {HostAgentCounters.REFUSED_NOT_FROM_BACKEND, HostAgentCounters.REFUSED_NOT_OURS})
        {
            assertEquals(1, counters.get(reason), HostAgentCounters.name(reason));
        }
        assertEquals(2, counters.get(HostAgentCounters.REFUSED_REPLAYED));
        assertEquals(Redirects.NONE, redirects.lookup(CLIENT, VIP, 40001, 80, 6, 11), "nothing refused was recorded");
    }

    @Test
    void aBackendUnknownForAVipThisAgentSelectsForIsRefused()
    {
        final Redirects knowing = new Redirects(1024, CLIENT, true, 30_000, 2000, List.of(new HostAgentConfig.SourceVip(VIP, 80, 6, 0,
            List.of(new HostAgentConfig.SourceBackend(B1, 1)))), SOURCES, counters);
        try
        {
            codec.write(message, RedirectMessage.REDIRECT, 6, CLIENT, VIP, 40000, 80, B2, NOW, ++sequence);
            assertEquals(HostAgentCounters.REFUSED_UNKNOWN_BACKEND, knowing.onMessage(message, B2, codec, NOW, 10));
            codec.write(message, RedirectMessage.REDIRECT, 6, CLIENT, VIP, 40000, 80, B1, NOW, ++sequence);
            assertEquals(HostAgentCounters.REDIRECTS_ACCEPTED, knowing.onMessage(message, B1, codec, NOW, 10));
        }
        finally
        {
            knowing.close();
        }
    }

    @Test
    void flowsOfABackendThatWentAwayFallBackToTheVipAndNewRedirectsToItWorkAgain()
    {
        send(RedirectMessage.REDIRECT, 40000, B1, NOW, B1);
        send(RedirectMessage.REDIRECT, 40001, B1, NOW, B1);
        send(RedirectMessage.REDIRECT, 40002, B2, NOW, B2);
        assertFalse(redirects.unreachable(ip("198.18.29.2"), CLIENT, VIP, 40000, 80, 6), "no redirect names that one");
        assertFalse(redirects.unreachable(B1, CLIENT, VIP, 40002, 80, 6), "that flow goes to B2, not B1");
        assertFalse(redirects.unreachable(B1, CLIENT, VIP, 40009, 80, 6), "no such flow");
        assertEquals(B1 & 0xFFFF_FFFFL, redirects.lookup(CLIENT, VIP, 40000, 80, 6, 11), "an unverified error moves nothing");
        assertTrue(redirects.unreachable(B1, CLIENT, VIP, 40001, 80, 6));
        assertEquals(Redirects.NONE, redirects.lookup(CLIENT, VIP, 40000, 80, 6, 12));
        assertEquals(Redirects.NONE, redirects.lookup(CLIENT, VIP, 40001, 80, 6, 12));
        assertEquals(B2 & 0xFFFF_FFFFL, redirects.lookup(CLIENT, VIP, 40002, 80, 6, 11), "other backends' flows stay");
        assertEquals(2, counters.get(HostAgentCounters.FALLBACKS));
        assertEquals(1, counters.get(HostAgentCounters.BACKENDS_UNREACHABLE));

        send(RedirectMessage.REDIRECT, 40000, B1, NOW, B1);
        assertEquals(B1 & 0xFFFF_FFFFL, redirects.lookup(CLIENT, VIP, 40000, 80, 6, 12), "a redirect after it came back");
    }

    @Test
    void anIdleRedirectLapsesAfterTheLease()
    {
        send(RedirectMessage.REDIRECT, 40000, B1, NOW, B1);
        assertEquals(B1 & 0xFFFF_FFFFL, redirects.lookup(CLIENT, VIP, 40000, 80, 6, 20_000));
        int expired = 0;
        for (int i = 0; i < 10_000 && expired == 0; i++)
        {
            expired += redirects.expire(50_001);
        }
        assertEquals(1, expired);
        assertEquals(Redirects.NONE, redirects.lookup(CLIENT, VIP, 40000, 80, 6, 50_002));
    }

    @Test
    void anAgentThatDoesNotAcceptRedirectsRefusesThemAll()
    {
        final Redirects closed = new Redirects(1024, CLIENT, false, 30_000, 2000, List.of(), SOURCES, counters);
        try
        {
            codec.write(message, RedirectMessage.REDIRECT, 6, CLIENT, VIP, 40000, 80, B1, NOW, ++sequence);
            assertEquals(HostAgentCounters.REFUSED_DISABLED, closed.onMessage(message, B1, codec, NOW, 10));
            assertEquals(Redirects.NONE, closed.lookup(CLIENT, VIP, 40000, 80, 6, 11));
        }
        finally
        {
            closed.close();
        }
    }

    @Test
    void theIssuerOffersAFlowFromAnAgentHostOnceItsFirstPacketComesThroughAMuxAndAgainOnlyAfterTheResendInterval()
    {
        final RedirectIssuer issuer = new RedirectIssuer(1024, List.of(Prefix.parse("198.18.2.0/24")), 500, 30_000, SOURCES, counters);
        try
        {
            final PacketInfo p = new PacketInfo();
            p.ipVersion = 4;
            p.protocol = 6;
            p.srcV4 = CLIENT;
            p.dstV4 = VIP;
            p.srcPort = 40000;
            p.dstPort = 80;
            p.tcpFlags = 0x02;
            final int mux = ip("198.18.11.2");
            assertTrue(issuer.due(p, mux, 1000), "the first packet through a MUX");
            assertFalse(issuer.due(p, mux, 1200), "not again within the resend interval");
            assertTrue(issuer.due(p, mux, 1600), "the flow still comes through a MUX: offered again");
            assertFalse(issuer.due(p, CLIENT, 5000), "a packet tunnelled by the client's own agent");

            p.tcpFlags = 0x11;
            p.srcPort = 40001;
            assertFalse(issuer.due(p, mux, 5000), "a closing flow gains nothing");
            p.tcpFlags = 0x10;
            p.srcV4 = ip("198.18.1.2");
            assertFalse(issuer.due(p, mux, 5000), "a client without an agent");
            p.srcV4 = CLIENT;
            p.isFragment = true;
            assertFalse(issuer.due(p, mux, 5000), "fragments are not redirected");
            p.isFragment = false;
            p.ipVersion = 6;
            assertFalse(issuer.due(p, mux, 5000), "IPv6 flows are not redirected");
            assertEquals(1, issuer.size());
            assertEquals(0, counters.get(HostAgentCounters.REDIRECTS_NOT_OFFERED));
        }
        finally
        {
            issuer.close();
        }
    }

    /**
     * Issue 10 finding 1, the destination side: an outsider sends backend B1 IP-in-IP whose inner packets
     * claim to come from client host V (inside {@code offer-to}) and go to 9.9.9.9:123/udp and
     * 203.0.113.80:443/tcp. Before the fix B1 offered V a redirect for both, naming itself.
     */
    @Test
    void theIssuerOffersNothingForATunnelFromOutsideThePoolOrToAVipThisHostDoesNotBack()
    {
        final RedirectIssuer issuer = new RedirectIssuer(1024, List.of(Prefix.parse("198.18.2.0/24")), 500, 30_000, SOURCES, counters);
        try
        {
            final PacketInfo ntp = flow(17, NTP_SERVER, 40123, 123);
            final PacketInfo https = flow(6, WEB_SERVER, 40443, 443);
            assertFalse(issuer.due(ntp, OUTSIDER, 1000), "an outsider's tunnel to 9.9.9.9:123/udp");
            assertFalse(issuer.due(https, OUTSIDER, 1000), "an outsider's tunnel to 203.0.113.80:443/tcp");
            assertFalse(issuer.due(ntp, MUX, 1000), "outer source spoofed as the MUX, but 9.9.9.9:123 is no VIP of this host");
            assertFalse(issuer.due(https, MUX, 1000), "the same for 203.0.113.80:443");
            assertFalse(issuer.due(flow(6, VIP, 40000, 80), OUTSIDER, 1000), "the VIP, but not through a MUX of the pool");
            assertFalse(issuer.due(flow(6, VIP, 40000, 80), ip("198.18.2.9"), 1000), "nor from another agent's host");
            assertEquals(0, issuer.size());
            assertEquals(6, counters.get(HostAgentCounters.REDIRECTS_NOT_OFFERED));
            assertTrue(issuer.due(flow(6, VIP, 40000, 80), MUX, 1000), "the pool's own flow still is offered");
        }
        finally
        {
            issuer.close();
        }
    }

    /**
     * Issue 10 finding 1, the source side: a redirect signed with the key (as the backend of the finding did)
     * for a destination that is not a VIP of the pool is refused, so the client's NTP traffic is not moved.
     */
    @Test
    void aRedirectForADestinationThatIsNotAVipOfThePoolIsRefused()
    {
        codec.write(message, RedirectMessage.REDIRECT, 17, CLIENT, NTP_SERVER, 40123, 123, B1, NOW, ++sequence);
        assertEquals(HostAgentCounters.REFUSED_NOT_A_VIP, redirects.onMessage(message, B1, codec, NOW, 10));
        codec.write(message, RedirectMessage.REDIRECT, 6, CLIENT, WEB_SERVER, 40443, 443, B1, NOW, ++sequence);
        assertEquals(HostAgentCounters.REFUSED_NOT_A_VIP, redirects.onMessage(message, B1, codec, NOW, 10));
        codec.write(message, RedirectMessage.REDIRECT, 6, CLIENT, VIP, 40443, 443, B1, NOW, ++sequence);
        assertEquals(HostAgentCounters.REFUSED_NOT_A_VIP, redirects.onMessage(message, B1, codec, NOW, 10), "the VIP's address, another port");
        assertEquals(Redirects.NONE, redirects.lookup(CLIENT, NTP_SERVER, 40123, 123, 17, 11));
        assertEquals(Redirects.NONE, redirects.lookup(CLIENT, WEB_SERVER, 40443, 443, 6, 11));
        assertEquals(3, counters.get(HostAgentCounters.REFUSED_NOT_A_VIP));
        assertEquals(0, counters.get(HostAgentCounters.REDIRECTS_ACCEPTED));
    }

    private static PacketInfo flow(final int protocol, final int destination, final int srcPort, final int dstPort)
    {
        final PacketInfo p = new PacketInfo();
        p.ipVersion = 4;
        p.protocol = protocol;
        p.srcV4 = CLIENT;
        p.dstV4 = destination;
        p.srcPort = srcPort;
        p.dstPort = dstPort;
        p.tcpFlags = protocol == 6 ? 0x02 : 0;
        return p;
    }
}
