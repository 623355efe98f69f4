package io.panamux.perf.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.panamux.dpdk.EthPort;
import io.panamux.dpdk.Vdev;
import io.panamux.slowpath.Mux;
import io.panamux.slowpath.MuxStats;
import io.panamux.slowpath.config.ConfigLoader;
import io.panamux.slowpath.config.MuxConfig;
import org.HdrHistogram.Histogram;

/**
 * Measures the MUX and {@code dpdk-testpmd --forward-mode=io} over {@code net_memif}, each driven by the
 * Java traffic generator ({@code bench generate}) in another JVM: the MUX runs in this process (the
 * real {@link Mux}, as {@code ./panamux run} starts it) as the memif server, the generator connects as
 * the client, sends client flows with a send-time trailer and measures what comes back.
 *
 * <p>One round is a MUX run and a testpmd run with the same generator schedule, one after the other;
 * the testpmd run is offered the same absolute rates as the MUX run before it, so both latencies are at
 * the same offered load. The MUX and testpmd are never up at the same time: each run starts its
 * forwarder on a fresh memif socket and stops it afterwards, so the forwarding CPU is never shared
 * between them.
 *
 * <p>Where the time goes, for a latency figure: the generator writes the frame and stamps its intended
 * send time, memif copies it into shared memory, the forwarder's RX copies it into an mbuf, the
 * forwarder processes it and sends it (the MUX buffers TX up to 32 packets or 100 µs), memif copies it
 * back, and the generator's next RX poll reads the trailer. Both directions of memif and the generator's
 * own polling are in every figure, for the MUX and for testpmd alike.
 */
public final class MemifRunner
{
    private static final AtomicInteger SEQUENCE = new AtomicInteger();
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * What a generator run may take beyond its schedule: JVM start, EAL, the memif connection, the drain at the
     * end, on a busy two-CPU machine. A generator that is not done by then will not be: it fails the scenario.
     */
    private static final double GENERATOR_MARGIN_S = 60;

    private final BenchSettings settings;
    private final PrintStream out;
    private final int[] muxCpus;

    /**
     * @param settings windows and rounds.
     * @param out      progress lines.
     */
    public MemifRunner(final BenchSettings settings, final PrintStream out)
    {
        this.settings = settings;
        this.out = out;
        this.muxCpus = ThroughputRunner.forwardingCpus(1, io.panamux.dpdk.Lcore.onlineCpus());
    }

    /** What one generator run reported: the measured phases, in order. */
    private record GeneratorRun(List<JsonNode> phases, List<Long> forwarderGc, List<Double> otherCpu, List<String> command)
    {
    }

    /** Forwarded rate at full speed with the scenario's size mix. */
    public MemifThroughputResult throughput(final Scenario s) throws Exception
    {
        final double[] loadBefore = Stats.loadAverage();
        out.printf("%n[%s] %s%n  device: %s%n", s.name(), s.title(), device());
        final String schedule = "warm:" + warm() + ",max:" + settings.seconds();
        final List<Map<String, Object>> rounds = new ArrayList<>();
        final List<MemifWindow> java = new ArrayList<>();
        final List<MemifWindow> testpmd = new ArrayList<>();
        final List<Double> ratios = new ArrayList<>();
        List<String> testpmdCommand = List.of();
        final double meanFrame = GenerateCommand.meanFrame(s.frameSizes().stream().mapToInt(Integer::intValue).toArray());
        for (int r = 1; r <= settings.latencyRounds(); r++)
        {
            final GeneratorRun t = runTestpmd(s, schedule, r);
            testpmdCommand = t.command();
            final MemifWindow tw = window("testpmd", t.phases().getFirst(), meanFrame, t.otherCpu().getFirst());
            out.printf("  round %d/%d  testpmd io: %6.2f Mpps forwarded (%5.2f Gbit/s), %d refused%n", r, settings.latencyRounds(),
                tw.receivedMpps(), tw.gbps(), tw.txRefused());
            final GeneratorRun j = runMux(s, schedule, r);
            final MemifWindow jw = window("java", j.phases().getFirst(), meanFrame, j.otherCpu().getFirst());
            out.printf("  round %d/%d  MUX       : %6.2f Mpps forwarded (%5.2f Gbit/s), %d refused%n", r, settings.latencyRounds(),
                jw.receivedMpps(), jw.gbps(), jw.txRefused());
            java.add(jw);
            testpmd.add(tw);
            final double ratio = jw.receivedMpps() / tw.receivedMpps();
            ratios.add(ratio);
            final Map<String, Object> round = new LinkedHashMap<>();
            round.put("index", r);
            round.put("testpmd", tw);
            round.put("java", jw);
            round.put("ratio", ratio);
            rounds.add(round);
        }
        final boolean refused = java.stream().anyMatch(w -> w.txRefused() > 0) || testpmd.stream().anyMatch(w -> w.txRefused() > 0);
        final List<String> notes = new ArrayList<>();
        final double[] loadAfter = Stats.loadAverage();
        noteLoad(notes, loadBefore, loadAfter, Math.max(java.stream().mapToDouble(MemifWindow::otherCpuPercent).max().orElse(0),
            testpmd.stream().mapToDouble(MemifWindow::otherCpuPercent).max().orElse(0)));
        if (!refused)
        {
            notes.add("neither forwarder refused a packet: the generator set the rate, and the ratio says only that both kept up");
        }
        final Map<String, Object> parameters = parameters(s);
        final MemifThroughputResult result = new MemifThroughputResult(s.name(), s.title(), s.kind().name(), device(),
            "Packets per second that came back to the generator through the forwarder at full speed (the generator sends as fast as "
                + "memif accepts); Gbit/s counts the client frames, not the encapsulation the MUX adds.",
            parameters, testpmdCommand, rounds, Stats.median(java, MemifWindow::receivedMpps), Stats.median(testpmd, MemifWindow::receivedMpps),
            Stats.median(java, MemifWindow::gbps), Stats.median(testpmd, MemifWindow::gbps), Stats.median(ratios, Double::doubleValue),
            refused ? "forwarder" : "generator", new double[] {loadBefore[0], loadAfter[0]}, notes);
        out.printf("  => MUX %.2f Mpps (%.2f Gbit/s), testpmd io %.2f Mpps, ratio %.1f %% (bound: %s)%n", result.javaMpps(), result.javaGbps(),
            result.testpmdMpps(), 100 * result.ratio(), result.bound());
        return result;
    }

    /** Latency at the scenario's offered loads, relative to the MUX's measured maximum. */
    public LatencyResult latency(final Scenario s) throws Exception
    {
        final double[] loadBefore = Stats.loadAverage();
        out.printf("%n[%s] %s%n  device: %s%n", s.name(), s.title(), device());
        final StringBuilder loads = new StringBuilder();
        for (final double f : s.loads())
        {
            loads.append(",load:").append(f).append(':').append(settings.seconds());
        }
        final String javaSchedule = "warm:" + warm() + ",max:" + settings.seconds() + loads;
        final List<Map<String, Object>> rounds = new ArrayList<>();
        final List<List<LatencyPoint>> javaRuns = new ArrayList<>();
        final List<List<LatencyPoint>> testpmdRuns = new ArrayList<>();
        final List<Double> javaMax = new ArrayList<>();
        final List<Double> testpmdMax = new ArrayList<>();
        List<String> testpmdCommand = List.of();
        for (int r = 1; r <= settings.latencyRounds(); r++)
        {
            final GeneratorRun j = runMux(s, javaSchedule, r);
            final List<LatencyPoint> jp = points(j, s.loads(), true);
            final StringBuilder rates = new StringBuilder("warm:" + warm() + ",max:" + settings.seconds());
            for (int i = 1; i < jp.size(); i++)
            {
                rates.append(",rate:").append(Math.max(1, jp.get(i).ratePps())).append(':').append(settings.seconds());
            }
            final GeneratorRun t = runTestpmd(s, rates.toString(), r);
            testpmdCommand = t.command();
            final List<LatencyPoint> tp = points(t, s.loads(), false);
            javaRuns.add(jp);
            testpmdRuns.add(tp);
            javaMax.add(jp.getFirst().receivedMpps());
            testpmdMax.add(tp.getFirst().receivedMpps());
            for (int i = 1; i < jp.size(); i++)
            {
                out.printf("  round %d/%d  load %3.0f%% (%6.2f Mpps): MUX p50 %7.1f p99 %7.1f p99.99 %8.1f max %8.1f us | testpmd p50 %7.1f "
                    + "p99 %7.1f p99.99 %8.1f us%n", r, settings.latencyRounds(), 100 * jp.get(i).fraction(), jp.get(i).ratePps() / 1e6,
                    jp.get(i).latency().p50Us(), jp.get(i).latency().p99Us(), jp.get(i).latency().p9999Us(), jp.get(i).latency().maxUs(),
                    tp.get(i).latency().p50Us(), tp.get(i).latency().p99Us(), tp.get(i).latency().p9999Us());
            }
            final Map<String, Object> round = new LinkedHashMap<>();
            round.put("index", r);
            round.put("java", Map.of("max_mpps", jp.getFirst().receivedMpps(), "points", jp));
            round.put("testpmd", Map.of("max_mpps", tp.getFirst().receivedMpps(), "points", tp));
            rounds.add(round);
        }
        final List<LatencyPoint> javaAll = combine(javaRuns);
        final List<LatencyPoint> testpmdAll = combine(testpmdRuns);
        long muxGc = 0;
        for (final LatencyPoint p : javaAll.subList(1, javaAll.size()))
        {
            muxGc += p.forwarderGcCollections();
        }
        final List<String> notes = new ArrayList<>();
        final double[] loadAfter = Stats.loadAverage();
        double other = 0;
        for (int i = 1; i < javaAll.size(); i++)
        {
            other = Math.max(other, Math.max(javaAll.get(i).otherCpuPercent(), testpmdAll.get(i).otherCpuPercent()));
        }
        noteLoad(notes, loadBefore, loadAfter, other);
        notes.add("the MUX flushes its TX buffer when 32 packets are waiting or the oldest has waited 100 us (as DPDK's l3fwd): "
            + "at low rates that interval, not the pipeline, sets the latency");
        final Map<String, Object> parameters = parameters(s);
        parameters.put("loads", s.loads());
        final LatencyResult result = new LatencyResult(s.name(), s.title(), s.kind().name(), device(),
            "Time from a packet's intended send time (written in its trailer by the rate-limited generator, so no coordinated "
                + "omission) to its return to the generator through the forwarder: generator TX, memif both ways, the forwarder, and "
                + "the generator's RX poll. Percentiles over every packet of the measured phases of all rounds.",
            parameters, testpmdCommand, rounds, Stats.median(javaMax, Double::doubleValue), Stats.median(testpmdMax, Double::doubleValue),
            javaAll, testpmdAll, muxGc, new double[] {loadBefore[0], loadAfter[0]}, notes);
        for (int i = 1; i < javaAll.size(); i++)
        {
            final Percentiles m = javaAll.get(i).latency();
            final Percentiles c = testpmdAll.get(i).latency();
            out.printf("  => load %3.0f%%: MUX p50 %.1f, p99 %.1f, p99.9 %.1f, p99.99 %.1f, max %.1f us (%d samples, %d GC) | testpmd p50 %.1f, "
                + "p99 %.1f, p99.99 %.1f us%n", 100 * javaAll.get(i).fraction(), m.p50Us(), m.p99Us(), m.p999Us(), m.p9999Us(), m.maxUs(),
                m.samples(), javaAll.get(i).forwarderGcCollections(), c.p50Us(), c.p99Us(), c.p9999Us());
        }
        return result;
    }

    private static List<LatencyPoint> combine(final List<List<LatencyPoint>> runs) throws Exception
    {
        final List<LatencyPoint> out = new ArrayList<>();
        for (int i = 0; i < runs.getFirst().size(); i++)
        {
            final Histogram h = new Histogram(3);
            long sent = 0;
            long received = 0;
            long refused = 0;
            long fgc = 0;
            long ggc = 0;
            double secs = 0;
            long rate = 0;
            double other = 0;
            for (final List<LatencyPoint> run : runs)
            {
                final LatencyPoint p = run.get(i);
                h.add(GenerateCommand.decode(p.histogram()));
                sent += p.sent();
                received += p.received();
                refused += p.txRefused();
                fgc += Math.max(0, p.forwarderGcCollections());
                ggc += p.generatorGcCollections();
                secs += p.seconds();
                rate += p.ratePps();
                other = Math.max(other, p.otherCpuPercent());
            }
            final LatencyPoint first = runs.getFirst().get(i);
            out.add(new LatencyPoint(first.fraction(), rate / runs.size(), secs, sent, received, refused, received / secs / 1e6, Percentiles.of(h),
                first.forwarderGcCollections() < 0 ? -1 : fgc, ggc, other, GenerateCommand.encode(h)));
        }
        return out;
    }

    private static List<LatencyPoint> points(final GeneratorRun run, final List<Double> loads, final boolean mux) throws Exception
    {
        final List<LatencyPoint> points = new ArrayList<>();
        for (int i = 0; i < run.phases().size(); i++)
        {
            final JsonNode p = run.phases().get(i);
            final Histogram h = GenerateCommand.decode(p.get("histogram").asText());
            final double fraction = i == 0 ? 0 : loads.get(i - 1);
            points.add(new LatencyPoint(fraction, p.get("rate_pps").asLong(), p.get("seconds").asDouble(), p.get("sent").asLong(),
                p.get("received").asLong(), p.get("tx_refused").asLong(), p.get("received_mpps").asDouble(), Percentiles.of(h),
                mux ? run.forwarderGc().get(i) : -1, p.get("gc_collections").asLong(), run.otherCpu().get(i), p.get("histogram").asText()));
        }
        if (points.size() != loads.size() + 1)
        {
            throw new IllegalStateException("the generator reported " + points.size() + " phases, expected " + (loads.size() + 1));
        }
        return points;
    }

    private static MemifWindow window(final String loop, final JsonNode p, final double meanFrame, final double otherCpu)
    {
        final double received = p.get("received_mpps").asDouble();
        return new MemifWindow(loop, p.get("seconds").asDouble(), p.get("sent").asLong(), p.get("received").asLong(),
            p.get("tx_refused").asLong(), p.get("sent_mpps").asDouble(), received, received * 1e6 * meanFrame * 8 / 1e9, otherCpu);
    }

    private GeneratorRun runMux(final Scenario s, final String schedule, final int round) throws Exception
    {
        final Path socket = socketPath();
        final String name = "net_memif" + (100 + SEQUENCE.get());
        final EthPort port = Vdev.create(name, "role=server,id=0,socket=" + socket);
        final MuxConfig config = ConfigLoader.parse(s.configYaml(false), "bench-" + s.name() + ".yaml");
        // Started at normal priority: the MUX's threads inherit it (this thread runs at low priority).
        final Mux mux = ThreadPlacement.inForeground(() -> Mux.start(config, port, new PrintStream(OutputStream.nullOutputStream())));
        try
        {
            workerOffGeneratorCpu();
            // An empty young generation before the measured phases: the little this process allocates while
            // reading the generator's lines then never fills it (the MUX's worker stops at every collection).
            System.gc();
            return generate(s, schedule, socket, "MUX", round, Stats::gcCollections, () ->
            {
            }, ProcessHandle.current().pid());
        }
        finally
        {
            final MuxStats stats = mux.stats();
            mux.close();
            Vdev.remove(name);
            Files.deleteIfExists(socket);
            if (stats.totalDrops() > 0)
            {
                out.printf("  note: the MUX dropped %d packets in this run: %s%n", stats.totalDrops(), stats.drops());
            }
        }
    }

    private GeneratorRun runTestpmd(final Scenario s, final String schedule, final int round) throws Exception
    {
        final Path socket = socketPath();
        final DeviceSetup pool = DeviceSetup.nullDevice(1);
        final List<String> args = List.of("--forward-mode=io", "--nb-cores=1", "--burst=" + pool.burst(), "--total-num-mbufs=" + pool.poolSize(),
            "--mbcache=" + pool.poolCache(), "--mbuf-size=" + pool.dataRoom(), "--rxd=" + pool.descriptors(), "--txd=" + pool.descriptors(),
            "--port-topology=loop");
        final TestpmdSession testpmd = ThreadPlacement.inForeground(() -> TestpmdSession.start(
            List.of("net_memif0,role=server,id=0,socket=" + socket), args, 0, muxCpus, settings.testpmdMemory()));
        try
        {
            testpmd.begin();
            // Forwarding is stopped when the generator reports its last phase, before it disconnects: testpmd has
            // been seen to exit when its memif peer went away while it forwarded. Its figures are not needed (the
            // generator's are), so a testpmd that is gone by then costs nothing but a note.
            final Runnable stop = () ->
            {
                try
                {
                    testpmd.stop();
                }
                catch (final IllegalStateException e)
                {
                    out.println("  note: testpmd had exited before its forwarding was stopped (the generator's figures stand)");
                }
            };
            // testpmd is C: no collector; -1 marks the count as not applicable.
            final GeneratorRun run = generate(s, schedule, socket, "testpmd", round, () -> -1, stop, ProcessHandle.current().pid(),
                testpmd.pid());
            return new GeneratorRun(run.phases(), run.forwarderGc(), run.otherCpu(), testpmd.command());
        }
        finally
        {
            testpmd.close();
            Files.deleteIfExists(socket);
        }
    }

    private GeneratorRun generate(final Scenario s, final String schedule, final Path socket, final String who, final int round,
        final LongSupplier forwarderGc, final Runnable atDone, final long... forwarderPids) throws Exception
    {
        final List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of("--enable-native-access=ALL-UNNAMED", "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "-Xms256m",
            "-Xmx512m", "-XX:+UseParallelGC", "-XX:-UsePerfData", "-cp", System.getProperty("java.class.path"), "io.panamux.perf.PerfMain",
            "bench", "generate", "--vdev", "net_memif0,role=client,id=0,socket=" + socket, "--json", "--schedule", schedule,
            "--flows", Long.toString(s.liveFlows()), "--new-flow-ratio", Double.toString(s.newFlowRatio()), "--sizes",
            String.join(",", s.frameSizes().stream().map(String::valueOf).toList()), "--vip", "192.0.2.10:80/tcp"));
        // Its standard error goes to a file, shown when it fails (an exception, DPDK's reason for a link that stays down).
        final Path errors = Files.createTempFile("pmx-generator-", ".err");
        final Process p = ThreadPlacement.inForeground(() -> new ProcessBuilder(cmd).redirectError(errors.toFile()).start());
        try
        {
            return readGenerator(p, cmd, schedule, who, round, forwarderGc, atDone, forwarderPids, errors);
        }
        finally
        {
            Files.deleteIfExists(errors);
        }
    }

    private GeneratorRun readGenerator(final Process p, final List<String> cmd, final String schedule, final String who, final int round,
        final LongSupplier forwarderGc, final Runnable atDone, final long[] forwarderPids, final Path errors) throws Exception
    {
        // The generator's whole run is bounded by its schedule and a margin: one that hangs (a memif peer that
        // never answers, a forwarder that starves it of CPU) is killed, its output ends, and the scenario fails
        // with its own message within a minute of when it should have ended, instead of the bench waiting on.
        final long boundMs = (long)((scheduleSeconds(schedule) + GENERATOR_MARGIN_S) * 1000);
        final long startedNs = System.nanoTime();
        Thread.ofPlatform().daemon().name("generator-watchdog").start(() ->
        {
            try
            {
                if (!p.waitFor(boundMs, TimeUnit.MILLISECONDS))
                {
                    p.destroyForcibly();
                }
            }
            catch (final InterruptedException e)
            {
                Thread.currentThread().interrupt();
            }
        });
        final List<JsonNode> phases = new ArrayList<>();
        final List<Long> gc = new ArrayList<>();
        final List<Double> otherCpu = new ArrayList<>();
        final List<String> unexpected = new ArrayList<>();
        final long[] measured = new long[forwarderPids.length + 1];
        System.arraycopy(forwarderPids, 0, measured, 0, forwarderPids.length);
        measured[forwarderPids.length] = p.pid();
        long[] cpuAtBegin = Stats.cpuTicks(measured);
        long gcAtBegin = 0;
        String phase = "";
        boolean done = false;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)))
        {
            String line;
            while ((line = in.readLine()) != null)
            {
                if (!line.startsWith("{"))
                {
                    unexpected.add(line);
                    continue;
                }
                final JsonNode e = JSON.readTree(line);
                switch (e.get("event").asText())
                {
                    case "begin" ->
                    {
                        gcAtBegin = forwarderGc.getAsLong();
                        cpuAtBegin = Stats.cpuTicks(measured);
                        phase = e.get("phase").asText() + (e.get("fraction").asDouble() > 0 ? " " + e.get("fraction").asDouble() : "");
                    }
                    case "tick" -> out.printf("    %-7s round %d %-8s %2d s: sent %6.2f Mpps, back %6.2f Mpps, p99 %8.1f us%n", who, round,
                        e.get("phase").asText().equals("warm") ? "warm-up" : phase, e.get("t").asInt(), e.get("sent_mpps").asDouble(),
                        e.get("received_mpps").asDouble(), e.get("p99_us").asDouble());
                    case "phase" ->
                    {
                        phases.add(e);
                        gc.add(gcAtBegin < 0 ? -1 : forwarderGc.getAsLong() - gcAtBegin);
                        otherCpu.add(Stats.otherCpuPercent(cpuAtBegin, Stats.cpuTicks(measured)));
                    }
                    case "done" ->
                    {
                        done = true;
                        atDone.run();
                    }
                    default -> unexpected.add(line);
                }
            }
        }
        catch (final IOException e)
        {
            // The watchdog's kill closes the pipe under this read ("Stream closed"): the message below says why, with
            // the generator's schedule and standard error. Any other broken read is this method's failure.
            if (p.isAlive() || System.nanoTime() - startedNs < boundMs * 1_000_000L)
            {
                throw e;
            }
        }
        if (!p.waitFor(Math.max(1, boundMs - (System.nanoTime() - startedNs) / 1_000_000), TimeUnit.MILLISECONDS))
        {
            // destroyForcibly only asks: wait for the end, or exitValue() throws "process hasn't exited" and
            // hides what the generator said.
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        final boolean overTime = System.nanoTime() - startedNs >= boundMs * 1_000_000L;
        if (!done || p.isAlive() || p.exitValue() != 0)
        {
            // The command without its class path (thousands of characters that say nothing here).
            final String shown = String.join(" ", cmd).replace(System.getProperty("java.class.path"), "CLASSPATH");
            throw new IllegalStateException("the generator (" + shown + ") failed with exit code "
                + (p.isAlive() ? "none (it did not end)" : Integer.toString(p.exitValue()))
                + (overTime ? String.format(" after %.0f s, its schedule's %.1f s and a %.0f s margin: it was killed", boundMs / 1e3,
                    scheduleSeconds(schedule), GENERATOR_MARGIN_S) : "")
                + "; its output:\n" + String.join("\n", unexpected) + "\nits standard error (end):\n" + tail(errors, 80));
        }
        return new GeneratorRun(phases, gc, otherCpu, List.of());
    }

    private static String tail(final Path file, final int lines) throws IOException
    {
        final List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }

    /** @return the seconds a generator schedule ({@code warm:S,max:S,load:F:S,rate:PPS:S}) lasts: the last field of each phase. */
    static double scheduleSeconds(final String schedule)
    {
        double total = 0;
        for (final String phase : schedule.split(","))
        {
            final String[] f = phase.trim().split(":");
            total += Double.parseDouble(f[f.length - 1]);
        }
        return total;
    }

    /**
     * Fails the run when the MUX's worker may run on CPU 0, the generator's, on a machine with more: the two
     * busy-polling threads then share one CPU, the generator (and its lower-priority control thread) gets a
     * fraction of it, and its schedule never ends. That is how the memif scenarios hung when the MUX could not
     * see the CPUs this process was given.
     */
    private void workerOffGeneratorCpu() throws InterruptedException, IOException
    {
        if (io.panamux.dpdk.Lcore.onlineCpus() < 2)
        {
            return;
        }
        // The worker pins itself as it starts, a moment after Mux.start returns.
        final long deadline = System.nanoTime() + 5_000_000_000L;
        String cpus = "no worker thread";
        while (System.nanoTime() < deadline)
        {
            cpus = workerCpus();
            if (cpus != null && java.util.Arrays.stream(io.panamux.dpdk.Lcore.cpuList(cpus)).noneMatch(c -> c == 0))
            {
                return;
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException("the MUX's worker may run on CPUs " + cpus + ", which include the generator's CPU 0: "
            + "the two would share it and the generator would not keep its schedule");
    }

    /** @return the {@code Cpus_allowed_list} of this process's first MUX worker thread, null when there is none yet. */
    private static String workerCpus() throws IOException
    {
        try (java.nio.file.DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task")))
        {
            for (final Path task : tasks)
            {
                try
                {
                    if (Files.readString(task.resolve("comm")).startsWith("panamux-worker"))
                    {
                        for (final String line : Files.readAllLines(task.resolve("status")))
                        {
                            if (line.startsWith("Cpus_allowed_list:"))
                            {
                                return line.substring("Cpus_allowed_list:".length()).strip();
                            }
                        }
                    }
                }
                catch (final java.nio.file.NoSuchFileException e)
                {
                    // The thread ended meanwhile.
                }
            }
        }
        return null;
    }

    private static Path socketPath() throws IOException
    {
        final Path socket = Path.of(System.getProperty("java.io.tmpdir"), "pmxb-" + ProcessHandle.current().pid() + "-"
            + SEQUENCE.incrementAndGet() + ".sock");
        Files.deleteIfExists(socket);
        return socket;
    }

    private double warm()
    {
        // The generator's JVM starts cold each run: it runs at full speed for the warm-up before anything is measured.
        return Math.max(0.3, settings.warmupSeconds());
    }

    private String device()
    {
        return "net_memif (copy mode, default rings) between this process (the forwarder's side, server, forwarding on CPU " + muxCpus[0]
            + ") and a generator JVM (client, on CPU 0); pool " + DeviceSetup.nullDevice(1).poolSize() + " mbufs on both forwarders";
    }

    private static Map<String, Object> parameters(final Scenario s)
    {
        final Map<String, Object> p = new LinkedHashMap<>();
        p.put("workers", s.workers());
        p.put("flows", s.liveFlows());
        p.put("new_flow_ratio", s.newFlowRatio());
        p.put("frame_sizes", s.frameSizes());
        p.put("flow_tracking", s.tracking());
        p.put("encapsulation", "ipip");
        return p;
    }

    private static void noteLoad(final List<String> notes, final double[] before, final double[] after, final double otherCpu)
    {
        if (otherCpu > 10)
        {
            notes.add(String.format("other processes used up to %.0f %% of the CPUs during the measured phases (load average %.2f before, "
                + "%.2f after): figures are noisy", otherCpu, before[0], after[0]));
        }
    }
}
