package io.panamux.slowpath.arp;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import io.panamux.slowpath.config.IpAddress;
import io.panamux.slowpath.control.FakeControlPort;
import io.panamux.sys.LineRateLimit;
import io.panamux.sys.LogLines;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Log lines a packet can cause are bounded: a flood of ARP replies for the gateway's address with a new
 * MAC each (anyone on the segment can send them) follows every change but logs 5 lines, then one per 10 s
 * saying how many were held back. And the daemons' line format: timestamp and level.
 */
class ArpLogRateTest
{
    private static final long SECOND = 1_000_000_000L;

    @Test
    void aFloodOfGatewayMovesLogsABoundedNumberOfLines()
    {
        final FakeControlPort io = new FakeControlPort();
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final PrintStream log = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        final List<Long> learnt = new ArrayList<>();
        final ArpEndpoint arp = new ArpEndpoint(io, 0x0200_0000_0010L, IpAddress.parse("10.0.0.10"), IpAddress.parse("10.0.0.1"),
            learnt::add, SECOND, 60 * SECOND, log, false);
        arp.doWork(0);
        // 10,000 replies from "the gateway", each with another MAC, within one second.
        for (int i = 0; i < 10_000; i++)
        {
            io.receive(reply(String.format("02aa%08x", i)));
            arp.doWork(i * 100_000L);
        }
        assertEquals(10_000, learnt.size(), "every change is followed");
        final List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().filter(l -> l.contains("gateway 10.0.0.1 is at")).toList();
        assertEquals(5, lines.size(), "the burst only:\n" + String.join("\n", lines));
        // 10 s later one more line passes, with the count of the held-back ones.
        io.receive(reply("02bb00000001"));
        arp.doWork(11 * SECOND);
        final List<String> after = bytes.toString(StandardCharsets.UTF_8).lines().filter(l -> l.contains("gateway 10.0.0.1 is at")).toList();
        assertEquals(6, after.size());
        assertTrue(after.get(5).endsWith("(9995 similar line(s) suppressed)"), after.get(5));
    }

    @Test
    void rateLimitRefillsWithTime()
    {
        final LineRateLimit limit = new LineRateLimit(2, SECOND);
        assertTrue(limit.permit(0));
        assertTrue(limit.permit(1));
        assertFalse(limit.permit(2));
        assertFalse(limit.permit(SECOND / 2));
        assertEquals(2, limit.suppressed());
        assertTrue(limit.permit(SECOND + 2), "one token back after an interval");
        assertEquals(" (2 similar line(s) suppressed)", limit.suppressedNote());
        assertEquals("", limit.suppressedNote());
        assertFalse(limit.permit(SECOND + 3));
    }

    @Test
    void linesCarryATimestampAndALevel()
    {
        final Instant t = Instant.parse("2026-12-06T19:40:01.123Z");
        assertEquals("2026-12-06T19:40:01.123Z INFO  panamux: admin API on http://127.0.0.1:9480", LogLines.format(
            "panamux: admin API on http://127.0.0.1:9480", false, t));
        assertEquals("2026-12-06T19:40:01.123Z WARN  panamux: warning: admin API not started", LogLines.format(
            "panamux: warning: admin API not started", true, t));
        assertEquals("2026-12-06T19:40:01.123Z ERROR panamux: cannot listen", LogLines.format("panamux: cannot listen", true, t));
    }

    /** An ARP reply from 10.0.0.1 with sender MAC {@code mac} to the MUX. */
    private static byte[] reply(final String mac)
    {
        final byte[] bytes = HexFormat.of().parseHex("020000000010" + mac + "0806" + "0001" + "0800" + "06" + "04" + "0002" + mac + "0a000001"
            + "020000000010" + "0a00000a");
        final byte[] padded = new byte[60];
        System.arraycopy(bytes, 0, padded, 0, bytes.length);
        return padded;
    }
}
