package io.panamux.perf.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The {@code pktgen} scenario: pktgen-DPDK (the independent C generator, {@code perf/pktgen/}) sweeps
 * offered rates over {@code net_memif} against the MUX ({@code ./panamux run}) and then against
 * {@code dpdk-testpmd --forward-mode=io} in its place, through the very scripts a user runs
 * ({@code build-pktgen.sh}, {@code run-memif.sh}, {@code mux-load.lua}); the returned rates of both at each
 * step, and the MUX's own counters, are the result.
 *
 * <p>pktgen is built once into {@code ~/.cache/panamux/pktgen-23.06.1} ({@code PKTGEN_DIR} overrides);
 * {@code build-pktgen.sh} rebuilds only when its source, the script or DPDK changed.
 */
public final class PktgenRunner
{
    /** Longest a build or one sweep may take before it is killed. */
    private static final long CHILD_TIMEOUT_S = 600;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final PrintStream out;
    private final Path root;

    /**
     * @param root the repository (holds {@code perf/pktgen} and the {@code panamux} launcher).
     * @param out  where progress lines go.
     */
    public PktgenRunner(final Path root, final PrintStream out)
    {
        this.root = root;
        this.out = out;
    }

    /** One rate step of a sweep, as {@code mux-load.lua} wrote it. */
    public record Step(int ratePercent, int size, double txPps, double rxPps)
    {
    }

    /**
     * One sweep.
     *
     * @param forwarder {@code mux} or {@code testpmd}.
     * @param steps     the steps in order.
     * @param muxStats  the MUX's counters ({@code --stats-json}) after the sweep; null for testpmd.
     * @param dir       where the sweep's files are (CSV, logs, pktgen's screen).
     */
    public record Sweep(String forwarder, List<Step> steps, JsonNode muxStats, Path dir)
    {
    }

    /** @return the repository this class was built in ({@code PANAMUX_ROOT} overrides): perf/target/classes/../../.. */
    public static Path repositoryRoot()
    {
        final String env = System.getenv("PANAMUX_ROOT");
        if (env != null && !env.isEmpty())
        {
            return Path.of(env);
        }
        try
        {
            final Path classes = Path.of(PktgenRunner.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return classes.toAbsolutePath().getParent().getParent().getParent();
        }
        catch (final URISyntaxException e)
        {
            throw new IllegalStateException(e);
        }
    }

    /** @return where pktgen is built: {@code PKTGEN_DIR}, else {@code ~/.cache/panamux/pktgen-23.06.1}. */
    public static Path pktgenDir()
    {
        final String env = System.getenv("PKTGEN_DIR");
        if (env != null && !env.isEmpty())
        {
            return Path.of(env);
        }
        return Path.of(System.getProperty("user.home"), ".cache", "panamux", "pktgen-23.06.1");
    }

    /** Builds pktgen into {@link #pktgenDir()} unless it is up to date (about a minute on 2 cores the first time). */
    public Path build() throws Exception
    {
        final Path dir = pktgenDir();
        final Path log = Files.createTempFile("pktgen-build", ".log");
        final int code = run(List.of("bash", root.resolve("perf/pktgen/build-pktgen.sh").toString(), dir.toString()), Map.of(), log);
        if (code != 0)
        {
            throw new IllegalStateException("build-pktgen.sh failed (" + code + "):\n" + tail(log));
        }
        Files.deleteIfExists(log);
        return dir;
    }

    /**
     * Runs {@code run-memif.sh} once.
     *
     * @param forwarder {@code mux} or {@code testpmd}.
     * @param rates     offered rates, percent of the link rate.
     * @param stepMs    milliseconds per step (the first second of each is not counted).
     * @param flows     client flows.
     * @param dir       results directory.
     */
    public Sweep sweep(final String forwarder, final List<Integer> rates, final int stepMs, final int flows, final Path dir) throws Exception
    {
        Files.createDirectories(dir);
        final Map<String, String> env = new LinkedHashMap<>();
        env.put("FORWARDER", forwarder);
        env.put("PKTGEN_DIR", pktgenDir().toString());
        env.put("RATES", String.join(",", rates.stream().map(String::valueOf).toList()));
        env.put("STEP_MS", Integer.toString(stepMs));
        env.put("FLOWS", Integer.toString(flows));
        env.put("OUT", dir.toString());
        // The MUX runs from this build, as the project's end-to-end tests run it.
        env.put("PANAMUX_CLASSPATH", System.getProperty("java.class.path"));
        final Path log = dir.resolve("run-memif.log");
        final int code = run(List.of("bash", root.resolve("perf/pktgen/run-memif.sh").toString()), env, log);
        if (code != 0)
        {
            throw new IllegalStateException("run-memif.sh (" + forwarder + ") failed (" + code + "):\n" + tail(log));
        }
        final List<Step> steps = new ArrayList<>();
        final Path csv = dir.resolve("pktgen-results.csv");
        for (final String line : Files.readAllLines(csv))
        {
            if (line.isBlank() || line.startsWith("rate_percent"))
            {
                continue;
            }
            final String[] f = line.split(",");
            steps.add(new Step(Integer.parseInt(f[0]), Integer.parseInt(f[1]), Double.parseDouble(f[3]), Double.parseDouble(f[4])));
        }
        final Path stats = dir.resolve("mux-stats.json");
        return new Sweep(forwarder, steps, forwarder.equals("mux") && Files.exists(stats) ? JSON.readTree(stats.toFile()) : null, dir);
    }

    /** The bench scenario: build, sweep the MUX, sweep testpmd; per step both returned rates and their ratio. */
    public MemifThroughputResult run(final Scenario s, final BenchSettings settings, final Path resultsDir) throws Exception
    {
        final double[] loadBefore = Stats.loadAverage();
        out.printf("%n[%s] %s%n", s.name(), s.title());
        out.printf("  building pktgen in %s (once) ...%n", pktgenDir());
        ThreadPlacement.inForeground(this::build);
        final List<Integer> rates = settings.quick() ? List.of(50, 100) : List.of(25, 50, 75, 100);
        final int stepMs = settings.quick() ? 3000 : (int)Math.max(3000, Math.round(1000 * (settings.seconds() + 1)));
        final int flows = (int)s.liveFlows();
        final Sweep mux = ThreadPlacement.inForeground(() -> sweep("mux", rates, stepMs, flows, resultsDir.resolve("pktgen-mux")));
        final Sweep testpmd = ThreadPlacement.inForeground(() -> sweep("testpmd", rates, stepMs, flows, resultsDir.resolve("pktgen-testpmd")));
        final List<Map<String, Object>> rounds = new ArrayList<>();
        final List<Double> ratios = new ArrayList<>();
        double muxBest = 0;
        double testpmdBest = 0;
        for (int i = 0; i < Math.min(mux.steps().size(), testpmd.steps().size()); i++)
        {
            final Step m = mux.steps().get(i);
            final Step t = testpmd.steps().get(i);
            final double ratio = t.rxPps() > 0 ? m.rxPps() / t.rxPps() : Double.NaN;
            final Map<String, Object> round = new LinkedHashMap<>();
            round.put("index", i + 1);
            round.put("rate_percent", m.ratePercent());
            round.put("java", Map.of("tx_pps", m.txPps(), "rx_pps", m.rxPps()));
            round.put("testpmd", Map.of("tx_pps", t.txPps(), "rx_pps", t.rxPps()));
            round.put("ratio", ratio);
            rounds.add(round);
            ratios.add(ratio);
            muxBest = Math.max(muxBest, m.rxPps());
            testpmdBest = Math.max(testpmdBest, t.rxPps());
            out.printf("  pktgen at %3d %%: MUX %6.2f of %6.2f Mpps back, testpmd io %6.2f of %6.2f Mpps back, ratio %.1f %%%n",
                m.ratePercent(), m.rxPps() / 1e6, m.txPps() / 1e6, t.rxPps() / 1e6, t.txPps() / 1e6, 100 * ratio);
        }
        final List<String> notes = new ArrayList<>();
        final JsonNode stats = mux.muxStats();
        final Map<String, Object> parameters = new LinkedHashMap<>();
        parameters.put("rates_percent", rates);
        parameters.put("step_ms", stepMs);
        parameters.put("flows", flows);
        parameters.put("frame_bytes", 64);
        parameters.put("pktgen", pktgenDir().toString());
        if (stats != null)
        {
            parameters.put("mux_rx_packets", stats.path("rx_packets").asLong());
            parameters.put("mux_tx_packets", stats.path("tx_packets").asLong());
            parameters.put("mux_drops", stats.path("drops_total").asLong());
            if (stats.path("drops_total").asLong() > 0)
            {
                notes.add("the MUX dropped " + stats.path("drops_total").asLong() + " packets: " + stats.path("drops"));
            }
        }
        final double ratio = testpmdBest > 0 ? muxBest / testpmdBest : Double.NaN;
        final double[] loadAfter = Stats.loadAverage();
        notes.add("pktgen, its display lcore and its TX/RX lcore share CPU 0 with the bench; the forwarder has CPU 1");
        final double bits = 8.0 * (64 + 20) / 1e9;
        final MemifThroughputResult result = new MemifThroughputResult(s.name(), s.title(), s.kind().name(),
            "net_memif between pktgen-DPDK 23.06.1 (client, CPU 0) and the forwarder (server, CPU 1), two processes",
            "Packets per second that came back to pktgen through the forwarder, per offered rate (pktgen's port rate counters, "
                + "averaged over each step after its first second); the figures are the best step of each forwarder.",
            parameters, List.of("perf/pktgen/run-memif.sh", "FORWARDER=testpmd"), rounds, muxBest / 1e6, testpmdBest / 1e6, muxBest * bits,
            testpmdBest * bits, ratio, ratios.stream().allMatch(r -> r > 0.99) ? "generator" : "forwarder",
            new double[] {loadBefore[0], loadAfter[0]}, notes);
        out.printf("  => MUX %.2f Mpps, testpmd io %.2f Mpps under pktgen's load, ratio %.1f %%%n", result.javaMpps(), result.testpmdMpps(),
            100 * result.ratio());
        return result;
    }

    private static int run(final List<String> command, final Map<String, String> env, final Path log) throws Exception
    {
        final ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(env);
        final Process p = pb.start();
        if (!p.waitFor(CHILD_TIMEOUT_S, TimeUnit.SECONDS))
        {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw new IllegalStateException(command + " did not finish in " + CHILD_TIMEOUT_S + " s:\n" + tail(log));
        }
        return p.exitValue();
    }

    private static String tail(final Path log) throws IOException
    {
        final List<String> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(Files.newInputStream(log), StandardCharsets.UTF_8)))
        {
            String line;
            while ((line = r.readLine()) != null)
            {
                lines.add(line);
            }
        }
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }
}
