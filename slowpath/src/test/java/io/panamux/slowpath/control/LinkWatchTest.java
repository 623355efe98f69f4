package io.panamux.slowpath.control;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import io.panamux.dpdk.DpdkException;
import io.panamux.dpdk.EthPort;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link LinkWatch}: a down link at start and every change after it are said once, at most every interval. */
class LinkWatchTest
{
    private static final EthPort.Link UP = new EthPort.Link(true, 10_000, true);
    private static final EthPort.Link DOWN = new EthPort.Link(false, 0, false);

    @Test
    void saysADownLinkAtStartAndEveryChangeOnce()
    {
        final AtomicReference<EthPort.Link> link = new AtomicReference<>(DOWN);
        final AtomicInteger reads = new AtomicInteger();
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final LinkWatch watch = new LinkWatch(() ->
        {
            reads.incrementAndGet();
            return link.get();
        }, "port 0 (net_memif)", new PrintStream(out, true, StandardCharsets.UTF_8));
        long now = 5_000_000_000L;
        assertEquals(1, watch.doWork(now));
        assertFalse(watch.up());
        link.set(UP);
        // Not read again before the interval.
        assertEquals(0, watch.doWork(now + LinkWatch.INTERVAL_NS - 1));
        assertEquals(1, reads.get());
        now += LinkWatch.INTERVAL_NS;
        assertEquals(1, watch.doWork(now));
        assertTrue(watch.up());
        now += LinkWatch.INTERVAL_NS;
        assertEquals(0, watch.doWork(now), "no change, nothing said");
        link.set(DOWN);
        now += LinkWatch.INTERVAL_NS;
        assertEquals(1, watch.doWork(now));
        assertEquals(2, watch.changes());
        final String[] lines = out.toString(StandardCharsets.UTF_8).lines().toArray(String[]::new);
        assertEquals(3, lines.length, out.toString(StandardCharsets.UTF_8));
        assertTrue(lines[0].startsWith("panamux: port 0 (net_memif): link down: nothing is received"), lines[0]);
        assertEquals("panamux: port 0 (net_memif): link up (10000 Mbit/s)", lines[1]);
        assertTrue(lines[2].startsWith("panamux: port 0 (net_memif): link down (the peer went away"), lines[2]);
    }

    @Test
    void anUpLinkAtStartSaysNothing()
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final LinkWatch watch = new LinkWatch(() -> UP, "port 0 (net_null)", new PrintStream(out, true, StandardCharsets.UTF_8));
        watch.doWork(0);
        watch.doWork(LinkWatch.INTERVAL_NS);
        assertEquals("", out.toString(StandardCharsets.UTF_8));
        assertTrue(watch.up());
    }

    @Test
    void aDriverWithoutLinkStateIsSaidOnceAndNotAskedAgain()
    {
        final AtomicInteger reads = new AtomicInteger();
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final LinkWatch watch = new LinkWatch(() ->
        {
            reads.incrementAndGet();
            throw new DpdkException("rte_eth_link_get_nowait(port 0): Operation not supported");
        }, "port 0 (net_x)", new PrintStream(out, true, StandardCharsets.UTF_8));
        for (int i = 0; i < 5; i++)
        {
            watch.doWork(i * LinkWatch.INTERVAL_NS);
        }
        assertEquals(1, reads.get());
        assertEquals(1, out.toString(StandardCharsets.UTF_8).lines().count());
    }
}
