package io.panamux.hostagent;

import java.lang.foreign.Arena;
import java.util.HexFormat;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.panamux.dpdk.Memory;
import io.panamux.fastpath.packet.PacketInfo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Fastpath for IPv6 flows: the version 2 message and the same checks as IPv4's, in the same order. */
class Redirects6Test
{
    private static final byte[] KEY = HexFormat.of().parseHex("00112233445566778899aabbccddeeff0123456789abcdef");
    private static final Ip6 CLIENT = Ip6.parse("2001:db8:2::2");
    private static final Ip6 VIP = Ip6.parse("2001:db8:f::12");
    private static final Ip6 OTHER_VIP = Ip6.parse("2001:db8:f::99");
    private static final Ip6 B1 = Ip6.parse("2001:db8:21::2");
    private static final Ip6 B2 = Ip6.parse("2001:db8:22::2");
    private static final Ip6 MUX = Ip6.parse("2001:db8:11::2");
    private static final long NOW = 1_800_000_000_000L;
    private static final HostAgentConfig.ServedVip SERVED = new HostAgentConfig.ServedVip(0, 80, 6, VIP);
    private static final TunnelSources SOURCES = new TunnelSources(List.of(), List.of(), List.of(SERVED), List.of(SERVED), List.of(MUX),
        List.of(Prefix6.parse("2001:db8:2::/64")));

    private final Arena arena = Arena.ofConfined();
    private final long message = arena.allocate(RedirectMessage.LENGTH_6).address();
    private final RedirectMessage codec = new RedirectMessage(KEY);
    private final HostAgentCounters counters = new HostAgentCounters();
    private final Redirects redirects = new Redirects(1024, 0, CLIENT, true, 30_000, 2000, List.of(), SOURCES, counters);
    private long sequence = 100;

    @AfterEach
    void close()
    {
        redirects.close();
        arena.close();
    }

    private void write(final int type, final Ip6 client, final Ip6 vip, final int clientPort, final Ip6 backend, final long issuedAt, final long seq)
    {
        codec.write6(message, type, 6, client.hi(), client.lo(), vip.hi(), vip.lo(), clientPort, 80, backend.hi(), backend.lo(), issuedAt, seq);
    }

    private int send(final Ip6 sender)
    {
        return redirects.onMessage6(message, sender.hi(), sender.lo(), codec, NOW, 10);
    }

    @Test
    void theMessageIsVersionTwoWithSixteenByteAddressesAndTheIpv4FormIsUnchanged()
    {
        write(RedirectMessage.REDIRECT, CLIENT, VIP, 40000, B1, NOW, 7);
        assertEquals(92, RedirectMessage.LENGTH_6);
        assertEquals(56, RedirectMessage.LENGTH, "the IPv4 wire format");
        assertEquals(RedirectMessage.MAGIC, Memory.getU16Be(message));
        assertEquals(2, Memory.getU8(message + RedirectMessage.VERSION_OFFSET));
        assertEquals(CLIENT, new Ip6(RedirectMessage.client6Hi(message), RedirectMessage.client6Lo(message)));
        assertEquals(B1, new Ip6(RedirectMessage.backend6Hi(message), RedirectMessage.backend6Lo(message)));
        assertTrue(codec.verify6(message));
        assertFalse(codec.verify(message), "a version 2 message is not a valid version 1 one");
        for (int i = 0; i < RedirectMessage.TAG6_OFFSET; i++)
        {
            // Every signed byte is covered by the tag.
            Memory.putU8(message + i, Memory.getU8(message + i) ^ 0x40);
            assertFalse(codec.verify6(message), "byte " + i);
            Memory.putU8(message + i, Memory.getU8(message + i) ^ 0x40);
        }
        assertTrue(codec.verify6(message));
    }

    @Test
    void anAcceptedRedirectSendsTheIpv6FlowToTheBackendAndARevokeSendsItBack()
    {
        assertEquals(-1, redirects.lookup6(CLIENT.hi(), CLIENT.lo(), VIP.hi(), VIP.lo(), 40000, 80, 6, 10));
        write(RedirectMessage.REDIRECT, CLIENT, VIP, 40000, B1, NOW - 5, ++sequence);
        assertEquals(HostAgentCounters.REDIRECTS_ACCEPTED, send(B1));
        final int id = redirects.lookup6(CLIENT.hi(), CLIENT.lo(), VIP.hi(), VIP.lo(), 40000, 80, 6, 11);
        assertTrue(id >= 0);
        assertEquals(B1, new Ip6(redirects.backendHi(id), redirects.backendLo(id)));
        assertEquals(-1, redirects.lookup6(CLIENT.hi(), CLIENT.lo(), VIP.hi(), VIP.lo(), 40001, 80, 6, 11), "another flow");

        // An unreachable quoting the flow's tunnel to B1: every flow to B1 falls back.
        assertFalse(redirects.unreachable6(B2.hi(), B2.lo(), CLIENT.hi(), CLIENT.lo(), VIP.hi(), VIP.lo(), 40000, 80, 6), "not its backend");
        assertTrue(redirects.unreachable6(B1.hi(), B1.lo(), CLIENT.hi(), CLIENT.lo(), VIP.hi(), VIP.lo(), 40000, 80, 6));
        assertEquals(-1, redirects.lookup6(CLIENT.hi(), CLIENT.lo(), VIP.hi(), VIP.lo(), 40000, 80, 6, 12));
        assertEquals(1, counters.get(HostAgentCounters.FALLBACKS));

        write(RedirectMessage.REDIRECT, CLIENT, VIP, 40002, B1, NOW, ++sequence);
        assertEquals(HostAgentCounters.REDIRECTS_ACCEPTED, send(B1));
        write(RedirectMessage.REVOKE, CLIENT, VIP, 40002, B1, NOW, ++sequence);
        assertEquals(HostAgentCounters.REVOKES_ACCEPTED, send(B1));
        assertEquals(-1, redirects.lookup6(CLIENT.hi(), CLIENT.lo(), VIP.hi(), VIP.lo(), 40002, 80, 6, 13));
    }

    @Test
    void forgedStaleMisdirectedForeignReplayedAndNonVipMessagesAreRefused()
    {
        new RedirectMessage(HexFormat.of().parseHex("ffeeddccbbaa99887766554433221100")).write6(message, RedirectMessage.REDIRECT, 6, CLIENT.hi(),
            CLIENT.lo(), VIP.hi(), VIP.lo(), 40000, 80, B1.hi(), B1.lo(), NOW, ++sequence);
        assertEquals(HostAgentCounters.REFUSED_FORGED, send(B1));
        write(RedirectMessage.REDIRECT, CLIENT, VIP, 40000, B1, NOW - 2001, ++sequence);
        assertEquals(HostAgentCounters.REFUSED_STALE, send(B1));
        write(RedirectMessage.REDIRECT, CLIENT, VIP, 40000, B2, NOW, ++sequence);
        assertEquals(HostAgentCounters.REFUSED_NOT_FROM_BACKEND, send(B1));
        write(RedirectMessage.REDIRECT, Ip6.parse("2001:db8:2::3"), VIP, 40000, B1, NOW, ++sequence);
        assertEquals(HostAgentCounters.REFUSED_NOT_OURS, send(B1));
        write(RedirectMessage.REDIRECT, CLIENT, OTHER_VIP, 40000, B1, NOW, ++sequence);
        assertEquals(HostAgentCounters.REFUSED_NOT_A_VIP, send(B1));
        write(RedirectMessage.REDIRECT, CLIENT, VIP, 40000, B1, NOW, 9000);
        assertEquals(HostAgentCounters.REDIRECTS_ACCEPTED, send(B1));
        assertEquals(HostAgentCounters.REFUSED_REPLAYED, send(B1), "the same message again");
        // An IPv4-form message: not valid as an IPv6 one.
        codec.write(message, RedirectMessage.REDIRECT, 6, 1, 2, 40000, 80, 3, NOW, ++sequence);
        assertEquals(HostAgentCounters.REFUSED_FORGED, send(B1));

        final Redirects knowing = new Redirects(1024, 0, CLIENT, true, 30_000, 2000, List.of(new HostAgentConfig.SourceVip(0, 80, 6, 0,
            List.of(new HostAgentConfig.SourceBackend(0, 1, B1)), VIP)), SOURCES, counters);
        try
        {
            write(RedirectMessage.REDIRECT, CLIENT, VIP, 40000, B2, NOW, ++sequence);
            assertEquals(HostAgentCounters.REFUSED_UNKNOWN_BACKEND, knowing.onMessage6(message, B2.hi(), B2.lo(), codec, NOW, 10));
        }
        finally
        {
            knowing.close();
        }
    }

    @Test
    void theIssuerOffersIpv6FlowsFromAMuxToABackedVipOnly()
    {
        final RedirectIssuer issuer = new RedirectIssuer(1024, List.of(), List.of(Prefix6.parse("2001:db8:2::/64")), 500, 30_000, SOURCES, counters);
        try
        {
            final PacketInfo info = new PacketInfo();
            info.ipVersion = 6;
            info.protocol = 6;
            info.srcHi = CLIENT.hi();
            info.srcLo = CLIENT.lo();
            info.dstHi = VIP.hi();
            info.dstLo = VIP.lo();
            info.srcPort = 40000;
            info.dstPort = 80;
            info.tcpFlags = 0x02;
            assertFalse(issuer.due(info, false, false, 10), "not through a MUX");
            assertEquals(1, counters.get(HostAgentCounters.REDIRECTS_NOT_OFFERED));
            assertFalse(issuer.due(info, true, true, 10), "already direct");
            assertTrue(issuer.due(info, true, false, 10));
            assertFalse(issuer.due(info, true, false, 20), "offered again only after resend-millis");
            assertTrue(issuer.due(info, true, false, 600));
            info.dstPort = 81;
            assertFalse(issuer.due(info, true, false, 700), "a VIP this host does not back");
            info.dstPort = 80;
            info.srcHi = Ip6.parse("2001:db8:3::2").hi();
            assertFalse(issuer.due(info, true, false, 800), "a host outside offer-to");
        }
        finally
        {
            issuer.close();
        }
    }
}
