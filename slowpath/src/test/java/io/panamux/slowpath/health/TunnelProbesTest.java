package io.panamux.slowpath.health;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.panamux.dpdk.Memory;
import io.panamux.fastpath.encap.TunnelEncapsulator;
import io.panamux.slowpath.config.Encapsulation;
import io.panamux.slowpath.config.HealthCheckConfig;
import io.panamux.slowpath.config.HealthCheckType;
import io.panamux.slowpath.config.IpAddress;
import io.panamux.slowpath.control.FakeControlPort;
import io.panamux.slowpath.control.WatchedBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Health checks through the tunnel on fake mbufs: the probes' bytes decoded by scapy
 * ({@code src/test/python/check_probe.py}: outer header, tunnel, inner SYN to VIP:port, every checksum), the
 * matching of answers (only a SYN+ACK or RST from VIP:port to the probe's port acknowledging its ISN ends
 * it), the verdicts through {@link HealthChecks}' rise/fall on a fake clock, and every mbuf returned.
 */
class TunnelProbesTest
{
    private static final String PYTHON = "/usr/bin/python3";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MS = 1_000_000L;
    private static final long PORT_MAC = 0x02_00_00_00_00_0aL;
    private static final long GATEWAY_MAC = 0x02_00_00_00_00_feL;
    private static final IpAddress MUX = IpAddress.parse("10.0.0.10");
    private static final IpAddress MUX6 = IpAddress.parse("2001:db8::a");
    private static final IpAddress VIP = IpAddress.parse("192.0.2.10");
    private static final IpAddress VIP6 = IpAddress.parse("2001:db8:f::10");
    private static final IpAddress BACKEND = IpAddress.parse("10.1.0.1");
    private static final IpAddress BACKEND6 = IpAddress.parse("2001:db8:1::1");

    private final FakeControlPort io = new FakeControlPort();
    private final TunnelEncapsulator encapsulator = new TunnelEncapsulator(PORT_MAC, GATEWAY_MAC, MUX.ipv4(), MUX6.high(), MUX6.low(), 1500);
    private final List<String> done = new ArrayList<>();
    private final TunnelProbes probes = new TunnelProbes(io, encapsulator, MUX, MUX6,
        (p, good, problem, now) -> done.add(p.port() + (good ? " good" : " bad: " + problem)));

    @AfterEach
    void noMbufLeft()
    {
        assertEquals(Set.of(), io.outstanding(), "every mbuf taken is sent or freed");
    }

    private static WatchedBackend target(final IpAddress vip, final IpAddress backend, final Encapsulation e, final int port)
    {
        final HealthCheckConfig check = new HealthCheckConfig(HealthCheckType.TCP, port, "/", 200, 500, 400, 1, 1, 1000, true);
        return new WatchedBackend(vip + ":80/tcp", backend, check, vip, e);
    }

    @Test
    void scapyDecodesEveryProbeAsTheVipsData() throws Exception
    {
        final TunnelProbes.Probe ipip = probes.start(target(VIP, BACKEND, Encapsulation.IPIP, 80), null, 0);
        final TunnelProbes.Probe gre = probes.start(target(VIP, BACKEND, Encapsulation.GRE, 8080), null, 0);
        final TunnelProbes.Probe gue = probes.start(target(VIP, BACKEND, Encapsulation.GUE, 80), null, 0);
        final TunnelProbes.Probe v6 = probes.start(target(VIP6, BACKEND6, Encapsulation.IPIP, 80), null, 0);
        final TunnelProbes.Probe v6gue = probes.start(target(VIP6, BACKEND6, Encapsulation.GUE, 443), null, 0);
        final TunnelProbes.Probe v4inv6 = probes.start(target(VIP, BACKEND6, Encapsulation.GRE, 80), null, 0);

        final List<JsonNode> d = decode(io.sent());
        assertEquals(6, d.size());
        final TunnelProbes.Probe[] all = {ipip, gre, gue, v6, v6gue, v4inv6};
        final int[] ports = {80, 8080, 80, 80, 443, 80};
        for (int i = 0; i < all.length; i++)
        {
            final JsonNode f = d.get(i);
            final String at = "probe " + i + ": " + f;
            assertEquals("02:00:00:00:00:fe", f.get("eth_dst").asText(), at);
            assertEquals("02:00:00:00:00:0a", f.get("eth_src").asText(), at);
            final boolean outer6 = i >= 3;
            final boolean inner6 = i == 3 || i == 4;
            assertEquals(outer6 ? MUX6.toString() : MUX.toString(), f.get("outer_src").asText(), at);
            assertEquals(outer6 ? BACKEND6.toString() : BACKEND.toString(), f.get("outer_dst").asText(), at);
            assertEquals(TunnelEncapsulator.OUTER_TTL, f.get("outer_ttl").asInt(), at);
            if (!outer6)
            {
                assertTrue(f.get("outer_chksum_ok").asBoolean(), at);
                assertTrue(f.get("outer_df").asBoolean(), at);
            }
            assertEquals(inner6 ? MUX6.toString() : MUX.toString(), f.get("inner_src").asText(), at);
            assertEquals(inner6 ? VIP6.toString() : VIP.toString(), f.get("inner_dst").asText(), at);
            if (!inner6)
            {
                assertTrue(f.get("inner_chksum_ok").asBoolean(), at);
                assertTrue(f.get("inner_df").asBoolean(), at);
            }
            assertEquals(all[i].port(), f.get("tcp_sport").asInt(), at);
            assertTrue(all[i].port() >= TunnelProbes.FIRST_PORT && all[i].port() <= TunnelProbes.LAST_PORT, at);
            assertEquals(ports[i], f.get("tcp_dport").asInt(), at);
            assertEquals("S", f.get("tcp_flags").asText(), at);
            assertEquals(all[i].isn() & 0xFFFFFFFFL, f.get("tcp_seq").asLong(), at);
            assertEquals(0, f.get("tcp_ack").asLong(), at);
            assertEquals(0, f.get("tcp_payload").asInt(), at);
            assertEquals("MSS", f.get("tcp_options").get(0).get(0).asText(), at);
            assertTrue(f.get("tcp_options").get(0).get(1).asInt() >= 536, at);
            assertTrue(f.get("tcp_chksum_ok").asBoolean(), at);
        }
        assertEquals(4, d.get(0).get("outer_proto").asInt());
        assertEquals(47, d.get(1).get("outer_proto").asInt());
        assertEquals(0x0800, d.get(1).get("gre_proto").asInt());
        assertEquals(17, d.get(2).get("outer_proto").asInt());
        assertEquals(6080, d.get(2).get("udp_dport").asInt());
        assertEquals(0, d.get(2).get("udp_chksum").asInt(), "no UDP checksum over IPv4, as data");
        assertEquals(41, d.get(3).get("outer_proto").asInt());
        assertEquals(17, d.get(4).get("outer_proto").asInt());
        assertTrue(d.get(4).get("udp_chksum_ok").asBoolean(), "UDP checksum over IPv6");
        assertEquals(47, d.get(5).get("outer_proto").asInt());
        assertEquals(6, probes.inFlight());
        assertEquals(6, probes.get(TunnelProbes.SENT));
        for (final TunnelProbes.Probe p : all)
        {
            probes.cancel(p, false);
        }
        assertEquals(0, probes.inFlight());
    }

    @Test
    void synAckIsGoodAndIsAnsweredWithRst() throws Exception
    {
        final TunnelProbes.Probe p = probes.start(target(VIP, BACKEND, Encapsulation.IPIP, 80), null, 0);
        io.receive(answer(VIP, 80, MUX, p.port(), 7777, p.isn() + 1, 0x12));

        assertEquals(1, probes.poll(0));
        assertEquals(List.of(p.port() + " good"), done);
        assertEquals(0, probes.inFlight());
        assertEquals(1, probes.get(TunnelProbes.ANSWERED));
        final JsonNode rst = decode(List.of(io.sent().get(1))).get(0);
        assertEquals("R", rst.get("tcp_flags").asText(), rst.toString());
        assertEquals((p.isn() + 1) & 0xFFFFFFFFL, rst.get("tcp_seq").asLong());
        assertEquals(p.port(), rst.get("tcp_sport").asInt());
        assertEquals(80, rst.get("tcp_dport").asInt());
        assertEquals(VIP.toString(), rst.get("inner_dst").asText());
        assertEquals(BACKEND.toString(), rst.get("outer_dst").asText());
        assertTrue(rst.get("tcp_chksum_ok").asBoolean());
    }

    @Test
    void rstAcknowledgingTheSynIsRefused()
    {
        final TunnelProbes.Probe p = probes.start(target(VIP6, BACKEND6, Encapsulation.IPIP, 80), null, 0);
        io.receive(answer(VIP6, 80, MUX6, p.port(), 0, p.isn() + 1, 0x14));

        probes.poll(0);
        assertEquals(List.of(p.port() + " bad: connection refused (RST through the tunnel)"), done);
        assertEquals(1, probes.get(TunnelProbes.REFUSED));
        assertEquals(1, io.sent().size(), "nothing answers a RST");
    }

    @Test
    void answersThatDoNotMatchTheProbeAreIgnored()
    {
        final TunnelProbes.Probe p = probes.start(target(VIP, BACKEND, Encapsulation.GRE, 80), null, 0);
        final int ack = p.isn() + 1;
        io.receive(answer(VIP, 80, MUX, p.port() == TunnelProbes.LAST_PORT ? p.port() - 1 : p.port() + 1, 1, ack, 0x12)); // another port
        io.receive(answer(VIP, 81, MUX, p.port(), 1, ack, 0x12));                            // another VIP port
        io.receive(answer(IpAddress.parse("192.0.2.99"), 80, MUX, p.port(), 1, ack, 0x12));  // another source
        io.receive(answer(VIP, 80, IpAddress.parse("10.0.0.11"), p.port(), 1, ack, 0x12));   // not the MUX's address
        io.receive(answer(VIP, 80, MUX, p.port(), 1, ack + 1, 0x12));                        // wrong acknowledgment
        io.receive(answer(VIP, 80, MUX, p.port(), 1, p.isn(), 0x12));                        // acknowledges nothing sent
        io.receive(answer(VIP, 80, MUX, p.port(), 1, ack, 0x04));                            // RST without ACK
        io.receive(answer(VIP, 80, MUX, p.port(), 1, ack, 0x10));                            // a bare ACK
        io.receive(answer(VIP, 80, MUX, p.port(), 1, ack, 0x02));                            // a SYN
        io.receive(answer(VIP6, 80, MUX6, p.port(), 1, ack, 0x12));                          // the other family
        io.receive(new byte[] {1, 2, 3});                                                    // garbage

        assertEquals(11, probes.poll(0));
        assertEquals(List.of(), done);
        assertEquals(1, probes.inFlight());
        assertEquals(11, probes.get(TunnelProbes.IGNORED));
        assertEquals(1, io.sent().size(), "nothing sent for ignored frames");

        io.receive(answer(VIP, 80, MUX, p.port(), 1, ack, 0x12));
        probes.poll(0);
        assertEquals(List.of(p.port() + " good"), done);
        io.receive(answer(VIP, 80, MUX, p.port(), 1, ack, 0x12));
        probes.poll(0);
        assertEquals(1, done.size(), "a repeated SYN+ACK ends nothing more");
        assertEquals(12, probes.get(TunnelProbes.IGNORED));
    }

    @Test
    void probesThatCannotBeSentFailAndFreeTheirMbuf()
    {
        io.refuseSends(true);
        assertNull(probes.start(target(VIP, BACKEND, Encapsulation.IPIP, 80), null, 0));
        assertEquals("the data port's TX queue is full", probes.lastFailure());
        io.refuseSends(false);
        io.poolEmpty(true);
        assertNull(probes.start(target(VIP, BACKEND, Encapsulation.IPIP, 80), null, 0));
        assertEquals("no mbuf free for the probe", probes.lastFailure());
        io.poolEmpty(false);
        encapsulator.gatewayMac(0);
        assertNull(probes.start(target(VIP, BACKEND, Encapsulation.IPIP, 80), null, 0));
        assertEquals("the gateway's MAC is not resolved yet", probes.lastFailure());
        final TunnelProbes noV6 = new TunnelProbes(io, encapsulator, MUX, null, (p, good, problem, now) -> { });
        assertNull(noV6.start(target(VIP6, BACKEND6, Encapsulation.IPIP, 80), null, 0));
        assertEquals("no mux.address6 to send an IPv6 probe from", noV6.lastFailure());
        assertEquals(3, probes.get(TunnelProbes.SEND_FAILURES));
        assertEquals(0, probes.inFlight());
        assertEquals(List.of(), io.sent());
    }

    @Test
    void healthChecksJudgeTunnelProbesWithRiseAndFall()
    {
        final List<String> verdicts = new ArrayList<>();
        final HealthChecks checks = new HealthChecks((vip, backend, healthy, now) -> verdicts.add(backend + (healthy ? " up" : " down")));
        final TunnelProbes tunnel = new TunnelProbes(io, encapsulator, MUX, MUX6, checks.probeListener());
        checks.tunnelProbes(tunnel);
        final WatchedBackend b = target(VIP, BACKEND, Encapsulation.IPIP, 80);
        long now = 1_000_000 * MS;
        checks.watch(List.of(b), now);

        // No answer: fall = 1 failed check within timeout-ms (400) makes it unhealthy.
        checks.doWork(now);
        assertEquals(1, tunnel.inFlight());
        now += 399 * MS;
        checks.doWork(now);
        assertEquals(List.of(), verdicts);
        now += MS;
        checks.doWork(now);
        assertEquals(List.of(BACKEND + " down"), verdicts);
        assertEquals(0, tunnel.inFlight());
        assertEquals(1, tunnel.get(TunnelProbes.TIMED_OUT));
        assertTrue(checks.statuses().get(0).lastProblem().contains("through the tunnel"), checks.statuses().toString());

        // The next check (interval 500) is answered: rise = 1 makes it healthy again.
        now += 100 * MS;
        checks.doWork(now);
        assertEquals(2, io.sent().size());
        final int port = Memory.getU16Be(io.sentAddress(1) + 14 + 20 + 20);
        final int isn = Memory.getI32Be(io.sentAddress(1) + 14 + 20 + 20 + 4);
        io.receive(answer(VIP, 80, MUX, port, 5, isn + 1, 0x12));
        now += 10 * MS;
        checks.doWork(now);
        assertEquals(List.of(BACKEND + " down", BACKEND + " up"), verdicts);

        // Refused: down again; the watched set emptied: the probe in flight is forgotten.
        now += 490 * MS;
        checks.doWork(now);
        final int port3 = Memory.getU16Be(io.sentAddress(3) + 14 + 20 + 20);
        final int isn3 = Memory.getI32Be(io.sentAddress(3) + 14 + 20 + 20 + 4);
        io.receive(answer(VIP, 80, MUX, port3, 0, isn3 + 1, 0x14));
        checks.doWork(now + MS);
        assertEquals(List.of(BACKEND + " down", BACKEND + " up", BACKEND + " down"), verdicts);
        now += 500 * MS;
        checks.doWork(now);
        assertEquals(1, tunnel.inFlight());
        checks.watch(List.of(), now);
        assertEquals(0, tunnel.inFlight());
        checks.onClose();
    }

    @Test
    void aProbeTheMuxCannotSendJudgesNothing()
    {
        final List<String> verdicts = new ArrayList<>();
        final HealthChecks checks = new HealthChecks((vip, backend, healthy, now) -> verdicts.add(backend + (healthy ? " up" : " down")));
        checks.tunnelProbes(new TunnelProbes(io, encapsulator, MUX, MUX6, checks.probeListener()));
        encapsulator.gatewayMac(0);
        long now = 1_000_000 * MS;
        checks.watch(List.of(target(VIP, BACKEND, Encapsulation.IPIP, 80)), now);
        for (int i = 0; i < 5; i++, now += 500 * MS)
        {
            checks.doWork(now);
        }
        assertEquals(List.of(), verdicts, "fall 1, yet no verdict: the gateway is not resolved, the backend untested");
        assertEquals("probe not sent: the gateway's MAC is not resolved yet", checks.statuses().get(0).lastProblem());
        assertEquals(0, checks.statuses().get(0).checks());
        checks.onClose();
    }

    @Test
    void workerFramesAreSortedIntoIpAndArp()
    {
        final long ip = io.mbuf(answer(VIP, 80, MUX, 61440, 1, 1, 0x12));
        final byte[] arp = new byte[42];
        arp[12] = 0x08;
        arp[13] = 0x06;
        final long a = io.mbuf(arp);
        assertTrue(TunnelProbes.isIp(ip));
        assertFalse(TunnelProbes.isIp(a));
        assertFalse(TunnelProbes.isIp(io.mbuf(new byte[4])));
    }

    private static HealthCheckConfig http(final int expect)
    {
        return new HealthCheckConfig(HealthCheckType.HTTP, 80, "/id", expect, 500, 400, 1, 1, 1000, true);
    }

    /** Starts an http probe and answers its SYN with a SYN+ACK of sequence number {@code serverIsn}. */
    private TunnelProbes.Probe established(final IpAddress vip, final IpAddress mux, final IpAddress backend, final int serverIsn)
    {
        final TunnelProbes.Probe p = probes.start(new WatchedBackend(vip + ":80/tcp", backend, http(200), vip, Encapsulation.IPIP), null, 0);
        io.receive(answer(vip, 80, mux, p.port(), serverIsn, p.isn() + 1, 0x12));
        probes.poll(0);
        return p;
    }

    private static final String REQUEST = "GET /id HTTP/1.0\r\nHost: 192.0.2.10:80\r\nUser-Agent: panamux-health-check\r\n" +
        "Connection: close\r\n\r\n";

    @Test
    void httpCheckSendsItsGetThroughTheTunnelAndJudgesTheStatusLine() throws Exception
    {
        final int s = 1_000_000;
        final TunnelProbes.Probe p = established(VIP, MUX, BACKEND, s);
        assertEquals(List.of(), done, "no verdict on the handshake alone");
        assertEquals(1, probes.inFlight());
        final JsonNode get = decode(List.of(io.sent().get(1))).get(0);
        assertEquals("PA", get.get("tcp_flags").asText(), get.toString());
        assertEquals((p.isn() + 1) & 0xFFFFFFFFL, get.get("tcp_seq").asLong());
        assertEquals(s + 1, get.get("tcp_ack").asLong());
        assertEquals(REQUEST, get.get("tcp_payload_text").asText());
        assertEquals(BACKEND.toString(), get.get("outer_dst").asText());
        assertEquals(VIP.toString(), get.get("inner_dst").asText());
        assertTrue(get.get("tcp_chksum_ok").asBoolean() && get.get("inner_chksum_ok").asBoolean());

        // Out of order: left for the server to resend. Then the status line in two segments.
        io.receive(answer(VIP, 80, MUX, p.port(), s + 50, p.isn() + 1 + REQUEST.length(), 0x18, "junk"));
        io.receive(answer(VIP, 80, MUX, p.port(), s + 1, p.isn() + 1 + REQUEST.length(), 0x18, "HTTP/1.0 2"));
        probes.poll(0);
        assertEquals(List.of(), done);
        final JsonNode ack = decode(List.of(io.sent().get(2))).get(0);
        assertEquals("A", ack.get("tcp_flags").asText());
        assertEquals(s + 11, ack.get("tcp_ack").asLong(), "the in-order bytes acknowledged");
        io.receive(answer(VIP, 80, MUX, p.port(), s + 11, p.isn() + 1 + REQUEST.length(), 0x18, "00 OK\r\nServer: x\r\n\r\nbody"));
        probes.poll(0);
        assertEquals(List.of(p.port() + " good"), done);
        assertEquals(0, probes.inFlight());
        final JsonNode rst = decode(List.of(io.sent().get(3))).get(0);
        assertEquals("R", rst.get("tcp_flags").asText());
        assertEquals((p.isn() + 1 + REQUEST.length()) & 0xFFFFFFFFL, rst.get("tcp_seq").asLong(), "the RST at the next sequence number");
    }

    @Test
    void httpCheckFailsOnAnotherStatusAResetAnEarlyCloseAndATimeoutMidAnswer()
    {
        final TunnelProbes.Probe wrong = established(VIP, MUX, BACKEND, 7);
        io.receive(answer(VIP, 80, MUX, wrong.port(), 8, wrong.isn() + 1 + REQUEST.length(), 0x18, "HTTP/1.1 503 Unavailable\r\n"));
        final TunnelProbes.Probe reset = established(VIP, MUX, BACKEND, 70);
        io.receive(answer(VIP, 80, MUX, reset.port(), 5, 0, 0x04));        // a RST out of the window: ignored
        io.receive(answer(VIP, 80, MUX, reset.port(), 71, 0, 0x04));
        final TunnelProbes.Probe closed = established(VIP, MUX, BACKEND, 700);
        io.receive(answer(VIP, 80, MUX, closed.port(), 701, closed.isn() + 1 + REQUEST.length(), 0x11));
        probes.poll(0);
        assertEquals(List.of(wrong.port() + " bad: HTTP status 503, expected 200 (through the tunnel)",
            reset.port() + " bad: connection reset through the tunnel",
            closed.port() + " bad: connection closed without an answer (through the tunnel)"), done);
        assertEquals(1, probes.get(TunnelProbes.IGNORED));

        final TunnelProbes.Probe slow = established(VIP6, MUX6, BACKEND6, 9);
        final int sentBefore = io.sent().size();
        probes.cancel(slow, true);
        final JsonNode rst = decodeQuietly(io.sent().get(sentBefore));
        assertEquals("R", rst.get("tcp_flags").asText(), "a check given up mid-connection resets it");
        assertEquals(1, probes.get(TunnelProbes.TIMED_OUT));
        assertEquals(0, probes.inFlight());
    }

    private static JsonNode decodeQuietly(final byte[] frame)
    {
        try
        {
            return decode(List.of(frame)).get(0);
        }
        catch (final Exception e)
        {
            throw new AssertionError(e);
        }
    }

    /** A frame from {@code src:srcPort} to {@code dst:dstPort} with the given TCP flags, as a backend's stack sends it. */
    private static byte[] answer(final IpAddress src, final int srcPort, final IpAddress dst, final int dstPort, final int seq, final int ack,
        final int flags)
    {
        return answer(src, srcPort, dst, dstPort, seq, ack, flags, "");
    }

    /** The same with a payload. */
    private static byte[] answer(final IpAddress src, final int srcPort, final IpAddress dst, final int dstPort, final int seq, final int ack,
        final int flags, final String text)
    {
        final byte[] payload = text.getBytes(StandardCharsets.ISO_8859_1);
        final boolean v6 = src.ipv6();
        final int ipLength = v6 ? 40 : 20;
        final ByteBuffer b = ByteBuffer.allocate(14 + ipLength + 20 + payload.length);
        b.putLong(0, PORT_MAC << 16);
        b.position(6);
        b.put(new byte[] {2, 0, 0, 0, 0, (byte)0xfe});
        b.putShort((short)(v6 ? 0x86DD : 0x0800));
        if (v6)
        {
            b.putInt(0x6000_0000).putShort((short)(20 + payload.length)).put((byte)6).put((byte)64);
            b.putLong(src.high()).putLong(src.low()).putLong(dst.high()).putLong(dst.low());
        }
        else
        {
            b.putShort((short)0x4500).putShort((short)(40 + payload.length)).putInt(0x4000).put((byte)64).put((byte)6).putShort((short)0);
            b.putInt(src.ipv4()).putInt(dst.ipv4());
        }
        b.putShort((short)srcPort).putShort((short)dstPort).putInt(seq).putInt(ack).putShort((short)(0x5000 | flags))
            .putShort((short)65535).putInt(0).put(payload);
        return b.array();
    }

    private static List<JsonNode> decode(final List<byte[]> frames) throws Exception
    {
        final Path script = Path.of(System.getProperty("basedir", "."), "src/test/python/check_probe.py");
        assertTrue(Files.isExecutable(Path.of(PYTHON)), PYTHON + " is needed (with python3-scapy)");
        final Process process = new ProcessBuilder(PYTHON, script.toString()).redirectErrorStream(false).start();
        try (Writer w = process.outputWriter(StandardCharsets.US_ASCII))
        {
            for (final byte[] f : frames)
            {
                w.write(HexFormat.of().formatHex(f) + "\n");
            }
        }
        final List<JsonNode> out = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)))
        {
            String line;
            while ((line = r.readLine()) != null)
            {
                out.add(JSON.readTree(line));
            }
        }
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "scapy timed out");
        assertEquals(0, process.exitValue(), new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
        assertNotNull(out);
        return out;
    }
}
