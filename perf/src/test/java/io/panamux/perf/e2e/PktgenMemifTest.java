package io.panamux.perf.e2e;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import io.panamux.perf.bench.PktgenRunner;
import io.panamux.perf.bench.PktgenRunner.Step;
import io.panamux.perf.bench.PktgenRunner.Sweep;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End to end: pktgen-DPDK as the README runs it. {@code perf/pktgen/build-pktgen.sh} builds pktgen
 * (from the vendored source; cached in {@code ~/.cache/panamux} between runs), then
 * {@code perf/pktgen/run-memif.sh} runs {@code mux-load.lua}'s rate sweep over {@code net_memif} against
 * {@code ./panamux run} and against {@code dpdk-testpmd --forward-mode=io}. pktgen's returned rates and
 * the MUX's counters must agree with each other: the MUX forwards what pktgen sends, to every backend.
 * About a minute and a half, plus the first build.
 */
class PktgenMemifTest
{
    private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
    private static final List<Integer> RATES = List.of(20, 100);
    private static final int STEP_MS = 3000;

    @TempDir
    Path dir;

    @Test
    void pktgenSweepsTheMuxAndTestpmdOverMemif() throws Exception
    {
        final PktgenRunner runner = new PktgenRunner(ROOT, new PrintStream(System.out));
        final Path pktgen = runner.build();
        assertTrue(Files.isExecutable(pktgen.resolve("build/app/pktgen")), "pktgen built at " + pktgen);

        final long t0 = System.nanoTime();
        final Sweep mux = runner.sweep("mux", RATES, STEP_MS, 1000, dir.resolve("mux"));
        final Sweep testpmd = runner.sweep("testpmd", RATES, STEP_MS, 1000, dir.resolve("testpmd"));
        System.out.printf("pktgen sweeps took %.1f s%n", (System.nanoTime() - t0) / 1e9);
        System.out.println("pktgen over memif: MUX " + mux.steps() + ", testpmd " + testpmd.steps());
        for (final Sweep s : List.of(mux, testpmd))
        {
            assertEquals(RATES, s.steps().stream().map(Step::ratePercent).toList(), s.forwarder() + ": one row per rate step");
            // At a fifth of the link rate both forwarders keep up: (nearly) everything comes back.
            final Step low = s.steps().getFirst();
            assertTrue(low.txPps() > 100_000, s.forwarder() + ": pktgen sent at 20 %: " + low);
            assertTrue(low.rxPps() >= 0.95 * low.txPps(), s.forwarder() + ": what came back at 20 %: " + low);
            // At full rate memif between two processes on two CPUs carries a few Mpps (DPDK-FFM.md: ~9 at most).
            final Step full = s.steps().getLast();
            assertTrue(full.rxPps() > 1_000_000, s.forwarder() + ": returned at 100 %: " + full);
            assertTrue(full.rxPps() <= 1.01 * full.txPps(), s.forwarder() + ": no more back than sent: " + full);
        }

        final JsonNode stats = mux.muxStats();
        assertNotNull(stats, "the MUX wrote its counters");
        final long rx = stats.get("rx_packets").asLong();
        final long tx = stats.get("tx_packets").asLong();
        final long drops = stats.get("drops_total").asLong();
        assertEquals(0, stats.get("mbufs_in_use").asLong(), "no mbuf left in use");
        final long txFull = stats.get("drops").path("tx_full").asLong();
        // Every packet received was sent or dropped. tx_packets is documented as "accepted by the driver", but
        // the worker counts a packet when it queues it for TX, so today the ones the TX ring then refused
        // (tx_full) are in tx_packets and in drops both; either reading must add up exactly.
        assertTrue(rx == tx + drops || rx == tx + drops - txFull, "received = sent + dropped: " + stats);
        // Drops can only be memif's ring being full at 100 %: every frame is for the VIP and well formed.
        stats.get("drops").properties().forEach(e ->
            assertTrue(e.getKey().equals("tx_full"), "unexpected drop reason " + e + " in " + stats.get("drops")));
        // pktgen counted (rate x measured time) at least this much coming back; the MUX saw all of it and more.
        double returned = 0;
        for (final Step s : mux.steps())
        {
            returned += s.rxPps() * (STEP_MS - 1000) / 1000.0;
        }
        assertTrue(tx >= 0.9 * returned, "MUX tx_packets " + tx + " against pktgen's returned " + (long)returned);
        assertTrue(tx > 0.9 * rx, "the MUX forwarded " + tx + " of " + rx);
        // Maglev spreads 1000 flows over the VIP's four backends.
        long toBackends = 0;
        int tcpBackends = 0;
        for (final var e : stats.get("backend_packets").properties())
        {
            if (e.getKey().startsWith("192.0.2.10:80/tcp"))
            {
                tcpBackends++;
                assertTrue(e.getValue().asLong() > tx / 8, "backend " + e + " got its share of " + tx);
            }
            toBackends += e.getValue().asLong();
        }
        assertEquals(4, tcpBackends, "four TCP backends: " + stats.get("backend_packets"));
        assertTrue(toBackends == tx || toBackends == tx + txFull, "every packet sent went to a backend: " + toBackends + " of " + tx);
    }
}
