package io.panamux.perf.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.panamux.perf.TestpmdBaseline;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Runs {@code bench --quick} for real (every scenario, DPDK virtual devices, dpdk-testpmd, the generator
 * in another JVM), with windows of a fraction of a second and a hundredth of the flows so the suite stays
 * fast, and checks the JSON: every scenario is there, and every rate, ratio and median is what the raw
 * counts measured in this run give (packets, busy cycles, TSC, histograms), not a constant.
 */
class BenchQuickTest
{
    private static final double EPS = 1e-9;

    @TempDir
    Path out;

    @Test
    void quickRunMeasuresEveryScenarioAndComputesEveryRatioFromItsOwnFigures() throws Exception
    {
        assumeTrue(TestpmdBaseline.binary() != null, "dpdk-testpmd is needed for the baselines");
        final int rounds = 2;
        // The bench reserves hugepages and gives them back as it ends; killed, it cannot (SIGKILL runs no hook).
        final Path hugepages = Path.of("/proc/sys/vm/nr_hugepages");
        final String hugepagesBefore = Files.isReadable(hugepages) ? Files.readString(hugepages).strip() : null;
        // Every scenario but pktgen's (PktgenMemifTest runs it), the two over net_memif included: their generator JVM
        // did not end in about one MUX run in three while its schedule-driving thread sat at nice 19 beside its own
        // busy thread (GeneratorPlacementTest).
        final List<String> command = new ArrayList<>(List.of("bench"));
        command.addAll(covered());
        command.addAll(List.of("--quick", "--seconds", "0.3", "--rounds", Integer.toString(rounds),
            "--latency-rounds", "1", "--warmup", "0.3", "--flow-scale", "0.01", "--out", out.toString()));
        final Process p = new ProcessBuilder(javaCommand(command.toArray(String[]::new)))
            .redirectErrorStream(true).redirectOutput(out.resolve("bench.log").toFile()).start();
        if (!p.waitFor(600, TimeUnit.SECONDS))
        {
            // Say where it stood: the JVM's threads (SIGQUIT prints them into the log) and what it printed last.
            new ProcessBuilder("kill", "-QUIT", Long.toString(p.pid())).start().waitFor(10, TimeUnit.SECONDS);
            Thread.sleep(2000);
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            if (hugepagesBefore != null && Files.isWritable(hugepages))
            {
                Files.writeString(hugepages, hugepagesBefore);
            }
            final List<String> lines = Files.readAllLines(out.resolve("bench.log"));
            throw new AssertionError("bench --quick did not finish in 600 s; the end of its log:\n"
                + String.join("\n", lines.subList(Math.max(0, lines.size() - 300), lines.size())));
        }
        final String log = Files.readString(out.resolve("bench.log"));
        assertEquals(0, p.exitValue(), () -> "bench --quick failed:\n" + log);
        assertTrue(log.contains("round 1/2  java"), "a progress line per window");

        final JsonNode report = new ObjectMapper().readTree(out.resolve("bench.json").toFile());
        assertEquals(BenchReport.SCHEMA, report.get("schema").asText());
        assertEquals(0, report.get("failures").size());
        environment(report.get("environment"), report.get("settings").get("hugepages").asBoolean());

        final Set<String> names = new HashSet<>();
        for (final JsonNode s : report.get("scenarios"))
        {
            names.add(s.get("name").asText());
            switch (s.get("kind").asText())
            {
                case "L2FWD", "PIPELINE" -> throughput(s, rounds);
                case "MEMIF_THROUGHPUT" -> memif(s);
                case "MEMIF_LATENCY" -> latency(s);
                default -> throw new AssertionError("unknown kind " + s.get("kind"));
            }
        }
        assertEquals(new HashSet<>(covered()), names, "every scenario named ran");

        goals(report);
        final Document html = ReportRenderingTest.parse(Files.readString(out.resolve("bench.html")));
        // Three charts: the pipeline ratios, the memif rates and the latency percentiles.
        assertEquals(3, html.getElementsByTagNameNS("http://www.w3.org/2000/svg", "svg").getLength());
        ReportRenderingTest.assertNoUndefinedNumbers(html.getDocumentElement());
    }

    private static void environment(final JsonNode env, final boolean hugepages)
    {
        for (final String key : List.of("cpu_model", "cpus_online", "tsc_hz", "kernel", "dpdk_version", "jdk", "hugepages", "eal_arguments"))
        {
            assertNotNull(env.get(key), "environment." + key);
        }
        assertTrue(env.get("tsc_hz").asLong() > 0);
        assertTrue(env.get("dpdk_version").asText().startsWith("DPDK 22.11"), env.get("dpdk_version").asText());
        // 2 MB pages where the machine has them (or root can reserve them), else 4 KB: the report says which.
        assertEquals(hugepages, env.get("hugepages").get("used").asBoolean());
        assertTrue(env.get("jdk").get("version").asText().startsWith("25"));
    }

    private static void throughput(final JsonNode s, final int rounds)
    {
        final String name = s.get("name").asText();
        final double tsc = s.get("tsc_hz").asDouble();
        final int workers = s.get("parameters").get("workers").asInt();
        assertTrue(tsc > 0, name);
        assertEquals(rounds, s.get("rounds").size(), name + ": alternated rounds");
        final List<Double> ratios = new ArrayList<>();
        final List<Double> java = new ArrayList<>();
        final List<Double> testpmd = new ArrayList<>();
        final List<Double> javaCycles = new ArrayList<>();
        for (final JsonNode r : s.get("rounds"))
        {
            final JsonNode t = r.get("testpmd");
            final JsonNode j = r.get("java");
            window(name + " testpmd", t, tsc, workers);
            window(name + " java", j, tsc, workers);
            assertEquals(j.get("mpps").asDouble() / t.get("mpps").asDouble(), r.get("ratio").asDouble(), EPS, name + ": round ratio");
            ratios.add(r.get("ratio").asDouble());
            java.add(j.get("mpps").asDouble());
            testpmd.add(t.get("mpps").asDouble());
            javaCycles.add(j.get("cycles_per_packet").asDouble());
            assertEquals(0, j.get("gc_collections").asLong(), name + ": no collection while the loop runs");
        }
        assertEquals(median(ratios), s.get("ratio").asDouble(), EPS, name + ": ratio is the median of the rounds' ratios");
        assertEquals(median(java), s.get("java_mpps").asDouble(), EPS, name);
        assertEquals(median(testpmd), s.get("testpmd_mpps").asDouble(), EPS, name);
        assertEquals(median(javaCycles), s.get("java_cycles_per_packet").asDouble(), EPS, name);
        assertEquals(0, s.get("mbufs_in_use_at_close").asLong(), name + ": no mbuf leaked");
        final String command = s.get("testpmd_command").toString();
        assertTrue(command.contains("--forward-mode=io") && command.contains("net_null0,size=64") && command.contains("--record-core-cycles"),
            command);
        if (s.get("kind").asText().equals("PIPELINE"))
        {
            final JsonNode c = s.get("counters");
            final long rx = c.get("rx_packets").asLong();
            assertTrue(rx > 0, name);
            assertEquals(rx, c.get("tx_packets").asLong(), name + ": the MUX forwarded every replayed frame");
            assertEquals(0, c.get("drops").asLong(), name);
            switch (name)
            {
                case "stateless", "workers-n" -> assertEquals(0, c.get("flow_hits").asLong() + c.get("flow_misses").asLong(), name);
                case "always-1m", "always-10m" -> assertTrue(c.get("flow_hits").asLong() > 0.9 * rx, name + ": live flows hit the table");
                case "new-flows" -> assertEquals(rx, c.get("flows_inserted").asLong(), name + ": every packet is a new flow");
                case "stateful-phase" -> assertTrue(c.get("flow_hits").asLong() > 0 && c.get("flows_inserted").asLong() > 0, name);
                default -> throw new AssertionError(name);
            }
            cBaseline(s, name, tsc, workers);
        }
    }

    /** The C baseline's windows and Java/C, in every MUX scenario but the stateful phase (which it does not do). */
    private static void cBaseline(final JsonNode s, final String name, final double tsc, final int workers)
    {
        if (name.equals("stateful-phase"))
        {
            assertTrue(s.get("java_over_c").isNull(), name + ": no C figure");
            return;
        }
        final List<Double> javaOverC = new ArrayList<>();
        final List<Double> cMpps = new ArrayList<>();
        for (final JsonNode r : s.get("rounds"))
        {
            final JsonNode c = r.get("c");
            window(name + " c", c, tsc, workers);
            assertEquals(r.get("java").get("mpps").asDouble() / c.get("mpps").asDouble(), r.get("java_over_c").asDouble(), EPS,
                name + ": round Java/C");
            javaOverC.add(r.get("java_over_c").asDouble());
            cMpps.add(c.get("mpps").asDouble());
        }
        assertEquals(median(javaOverC), s.get("java_over_c").asDouble(), EPS, name + ": Java/C is the median of the rounds'");
        assertEquals(median(cMpps), s.get("c_mpps").asDouble(), EPS, name);
        final JsonNode counters = s.get("counters");
        assertEquals(counters.get("c_rx_packets").asLong(), counters.get("c_tx_packets").asLong(), name + ": C forwarded every frame");
    }

    /** Every rate of a window is what its own packets, cycles and seconds give. */
    private static void window(final String what, final JsonNode w, final double tsc, final int cores)
    {
        final long packets = w.get("packets").asLong();
        final long cycles = w.get("busy_cycles").asLong();
        final long cyclePackets = w.get("cycle_packets").asLong();
        assertTrue(packets > 0 && cycles > 0 && cyclePackets > 0, what + ": measured something " + w);
        final double cpp = (double)cycles / cyclePackets;
        assertEquals(cpp, w.get("cycles_per_packet").asDouble(), EPS * cpp, what);
        assertEquals(cores * tsc / cpp / 1e6, w.get("mpps").asDouble(), EPS * w.get("mpps").asDouble(), what);
        assertEquals(packets / w.get("seconds").asDouble() / 1e6, w.get("wall_mpps").asDouble(), EPS * w.get("wall_mpps").asDouble(), what);
    }

    private static void memif(final JsonNode s)
    {
        final List<Double> ratios = new ArrayList<>();
        for (final JsonNode r : s.get("rounds"))
        {
            final JsonNode j = r.get("java");
            final JsonNode t = r.get("testpmd");
            for (final JsonNode w : List.of(j, t))
            {
                assertTrue(w.get("received").asLong() > 0, s.get("name") + " " + w);
                assertEquals(w.get("received").asLong() / w.get("seconds").asDouble() / 1e6, w.get("received_mpps").asDouble(), 1e-6);
            }
            assertEquals(j.get("received_mpps").asDouble() / t.get("received_mpps").asDouble(), r.get("ratio").asDouble(), EPS);
            ratios.add(r.get("ratio").asDouble());
        }
        assertFalse(ratios.isEmpty());
        assertEquals(median(ratios), s.get("ratio").asDouble(), EPS);
        assertTrue(List.of("generator", "forwarder").contains(s.get("bound").asText()));
    }

    private static void latency(final JsonNode s) throws Exception
    {
        final JsonNode java = s.get("java");
        final JsonNode testpmd = s.get("testpmd");
        final List<Double> fractions = new ArrayList<>();
        for (final JsonNode p : java)
        {
            fractions.add(p.get("fraction").asDouble());
        }
        assertEquals(List.of(0.0, 0.1, 0.5, 0.9), fractions, "the full-speed phase, then each load");
        for (int i = 0; i < java.size(); i++)
        {
            percentiles(java.get(i));
            percentiles(testpmd.get(i));
            if (i > 0)
            {
                final long rate = java.get(i).get("rate_pps").asLong();
                assertTrue(rate > 0);
                assertEquals(rate, testpmd.get(i).get("rate_pps").asLong(), "testpmd is offered the MUX's rates");
                assertEquals(Math.round(java.get(i).get("fraction").asDouble() * s.get("rounds").get(0).get("java").get("max_mpps").asDouble() * 1e6),
                    rate, 2.0, "the load is its fraction of the maximum measured in this run");
                assertTrue(java.get(i).get("forwarder_gc_collections").asLong() >= 0);
                assertEquals(-1, testpmd.get(i).get("forwarder_gc_collections").asLong());
            }
        }
    }

    /** The percentiles are those of the histogram that travelled with them. */
    private static void percentiles(final JsonNode point) throws Exception
    {
        final Histogram h = GenerateCommand.decode(point.get("histogram").asText());
        final JsonNode l = point.get("latency");
        assertTrue(h.getTotalCount() > 0, "latency samples " + point.get("fraction"));
        assertEquals(h.getTotalCount(), l.get("samples").asLong());
        assertEquals(h.getValueAtPercentile(99) / 1e3, l.get("p99_us").asDouble(), EPS);
        assertEquals(h.getValueAtPercentile(99.99) / 1e3, l.get("p9999_us").asDouble(), EPS);
        assertEquals(h.getMaxValue() / 1e3, l.get("max_us").asDouble(), EPS);
        assertTrue(point.get("received").asLong() > 0);
    }

    private static void goals(final JsonNode report)
    {
        JsonNode stateless = null;
        for (final JsonNode s : report.get("scenarios"))
        {
            if (s.get("name").asText().equals("stateless"))
            {
                stateless = s;
            }
        }
        assertNotNull(stateless);
        assertEquals(stateless.get("testpmd_mpps").asDouble(), report.get("headline").get("testpmd_io_mpps").asDouble(), EPS);
        final JsonNode first = report.get("goals").get(0);
        assertEquals("stateless", first.get("scenario").asText());
        assertEquals(stateless.get("ratio").asDouble(), first.get("value").asDouble(), EPS, "goals read the run's own figures");
        assertEquals(first.get("value").asDouble() >= 0.5, first.get("met").asBoolean());
        assertEquals(6, report.get("goals").size());
    }

    private static double median(final List<Double> values)
    {
        final double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    /** A JVM running {@code PerfMain} with this test's class path and the launcher's flags. */
    static List<String> javaCommand(final String... args) throws IOException
    {
        final List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--enable-native-access=ALL-UNNAMED", "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "-Xms512m", "-Xmx2g",
            "-XX:+UseParallelGC", "-XX:-UsePerfData", "-cp", System.getProperty("java.class.path"), "io.panamux.perf.PerfMain"));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** @return the scenarios this test runs: all but pktgen's (PktgenMemifTest). */
    private static List<String> covered()
    {
        final List<String> names = new ArrayList<>();
        for (final Scenario s : Scenario.all(io.panamux.dpdk.Lcore.onlineCpus(), 0.01))
        {
            if (s.kind() != Scenario.Kind.PKTGEN)
            {
                names.add(s.name());
            }
        }
        return names;
    }
}
