package io.panamux.hostagent;

import java.lang.foreign.Arena;
import java.util.HexFormat;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

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
    private final Redirects redirects = new Redirects(1024, CLIENT, true, 30_000, 2000, List.of(), counters);
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
            List.of(new HostAgentConfig.SourceBackend(B1, 1)))), counters);
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
        assertFalse(redirects.unreachable(ip("198.18.29.2")), "no redirect names that one");
        assertTrue(redirects.unreachable(B1));
        assertEquals(Redirects.NONE, redirects.lookup(CLIENT, VIP, 40000, 80, 6, 11));
        assertEquals(Redirects.NONE, redirects.lookup(CLIENT, VIP, 40001, 80, 6, 11));
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
        final Redirects closed = new Redirects(1024, CLIENT, false, 30_000, 2000, List.of(), counters);
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
        final RedirectIssuer issuer = new RedirectIssuer(1024, List.of(Prefix.parse("198.18.2.0/24")), 500, 30_000);
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
        }
        finally
        {
            issuer.close();
        }
    }
}
