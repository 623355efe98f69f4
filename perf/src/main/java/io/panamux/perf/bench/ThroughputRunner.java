package io.panamux.perf.bench;

import java.io.PrintStream;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

import io.panamux.dpdk.Burst;
import io.panamux.dpdk.Lcore;
import io.panamux.fastpath.CounterDescriptor;
import io.panamux.fastpath.WorkerAgent;
import io.panamux.fastpath.WorkerCounters;
import io.panamux.slowpath.config.ConfigLoader;
import io.panamux.slowpath.config.MuxConfig;

/**
 * Measures the throughput scenarios ({@link Scenario.Kind#L2FWD}, {@link Scenario.Kind#PIPELINE}) on
 * {@code net_null}: builds the Java loop on its device, warms it up, then alternates windows of
 * {@code dpdk-testpmd --forward-mode=io} and of the Java loop on the same device setup and the same
 * CPUs ({@code rounds} pairs), and takes medians.
 *
 * <p>The figure compared is per-core capacity from busy cycles: TSC cycles spent in polls that received
 * packets divided by those packets, turned into Mpps with the TSC frequency. testpmd counts its cycles
 * the same way ({@code --record-core-cycles}). For testpmd on {@code net_null} the core is always busy,
 * so this equals its wall-clock rate; for the MUX it excludes the replay that feeds it (see
 * {@link FrameReplay}), which takes about as long again on the same core.
 *
 * <p>testpmd sessions are kept open between scenarios that use the same device setup and closed when
 * the setup changes, so at most one testpmd process exists at a time.
 */
public final class ThroughputRunner implements AutoCloseable
{
    private static final long WARMUP_LIMIT_NS = 60_000_000_000L;
    /** Longest a flow-table fill may take (10M flows on a starved core). */
    private static final long FILL_LIMIT_NS = 180_000_000_000L;
    /** Packets a loop handles before its first window, whatever the warm-up time: enough bursts for C2 to compile it. */
    private static final long WARMUP_PACKETS = 2_000_000;
    /** Packets a window must see before it may end; a starved core makes it longer (up to ten times). */
    private static final long WINDOW_MIN_PACKETS = 100_000;

    private final BenchSettings settings;
    private final PrintStream out;
    private final double tscHz;
    private final int cpus;
    private TestpmdSession session;
    private String sessionKey;

    /**
     * @param settings windows, rounds, memory.
     * @param out      where progress lines go.
     */
    public ThroughputRunner(final BenchSettings settings, final PrintStream out)
    {
        this.settings = settings;
        this.out = out;
        this.tscHz = Burst.tscHz();
        this.cpus = Lcore.onlineCpus();
    }

    /**
     * The CPUs of {@code n} forwarding loops: the last CPU first, so one loop runs on CPU 1 of a
     * two-CPU machine and CPU 0 is left to the JVM's own threads, testpmd's main lcore and the shell.
     */
    public static int[] forwardingCpus(final int n, final int cpus)
    {
        final int[] c = new int[n];
        for (int i = 0; i < n; i++)
        {
            c[i] = cpus > 1 ? cpus - 1 - i % cpus : 0;
        }
        return c;
    }

    /** Runs one throughput scenario. */
    public ThroughputResult run(final Scenario scenario) throws Exception
    {
        final double[] loadBefore = Stats.loadAverage();
        final DeviceSetup device = DeviceSetup.nullDevice(scenario.workers());
        final int[] forward = forwardingCpus(scenario.workers(), cpus);
        final TestpmdSession testpmd = session(device, forward);
        final boolean pipeline = scenario.kind() == Scenario.Kind.PIPELINE;
        final MuxConfig config = pipeline ? ConfigLoader.parse(scenario.configYaml(false), "bench-" + scenario.name() + ".yaml") : null;
        final List<String> notes = new ArrayList<>();
        final Map<String, Object> warm = new LinkedHashMap<>();
        final List<RoundResult> rounds = new ArrayList<>();
        final Map<String, Long> counters = new LinkedHashMap<>();
        out.printf("%n[%s] %s%n  device: %s; forwarding CPU(s) %s%n", scenario.name(), scenario.title(), device.describe(),
            java.util.Arrays.toString(forward));
        // The C baseline does the stateless and flow-table work; the stateful phase (previous Maglev table) is not in it.
        final boolean withC = pipeline && !scenario.backendChange();
        final NullDeviceRig rig = pipeline ? NullDeviceRig.mux(device, config, plans(scenario), withC ? plans(scenario) : null, forward)
            : NullDeviceRig.l2Forward(device, forward[0]);
        final Loops java = new Loops("java", rig.agents(), rig::drops, () -> rig.counter(WorkerCounters.FLOWS));
        final Loops c = new Loops("c", rig.cAgents(),
            () -> rig.cLoops().stream().mapToLong(l -> l.counter(CBaseline.DROPS) + l.counter(CBaseline.TX_DROPPED)).sum(),
            () -> rig.cLoops().stream().mapToLong(l -> l.counter(CBaseline.FLOWS)).sum());
        try
        {
            warmUp(scenario, java, warm, "");
            if (withC)
            {
                warmUp(scenario, c, warm, "c_");
            }
            if (scenario.backendChange())
            {
                final MuxConfig changed = ConfigLoader.parse(scenario.configYaml(true), "bench-" + scenario.name() + "-changed.yaml");
                rig.apply(changed);
                out.println("  backend 10.1.0.9 added: the VIP is in its stateful phase");
                warmUp(scenario, java, warm, "after_change_");
            }
            if (!Boolean.TRUE.equals(warm.get("settled")) || Boolean.FALSE.equals(warm.get("after_change_settled")))
            {
                notes.add("the warm-up did not settle (JIT still compiling or cycles per packet still moving) within "
                    + WARMUP_LIMIT_NS / 1_000_000_000L + " s");
            }
            final long[] before = countersOf(rig);
            for (int r = 1; r <= settings.rounds(); r++)
            {
                final long[] cpu0 = Stats.cpuTicks(ProcessHandle.current().pid(), testpmd.pid());
                final TestpmdSession.Window t = testpmd.forward(settings.seconds());
                final LoopWindow tw = testpmdWindow(t, scenario.workers(),
                    Stats.otherCpuPercent(cpu0, Stats.cpuTicks(ProcessHandle.current().pid(), testpmd.pid())));
                out.printf("  round %d/%d  testpmd io: %8.2f Mpps  (%6.1f cycles/packet, %d packets in %.2f s; other CPU use %.0f %%)%n", r,
                    settings.rounds(), tw.mpps(), tw.cyclesPerPacket(), tw.packets(), tw.seconds(), tw.otherCpuPercent());
                final LoopWindow jw = window(scenario, java, r);
                final double ratio = jw.mpps() / tw.mpps();
                out.printf("  round %d/%d  java      : %8.2f Mpps  (%6.1f cycles/packet; other CPU use %.0f %%)  ratio %.1f %%%n", r,
                    settings.rounds(), jw.mpps(), jw.cyclesPerPacket(), jw.otherCpuPercent(), 100 * ratio);
                if (withC)
                {
                    final LoopWindow cw = window(scenario, c, r);
                    final double javaOverC = jw.mpps() / cw.mpps();
                    out.printf("  round %d/%d  c         : %8.2f Mpps  (%6.1f cycles/packet; other CPU use %.0f %%)  java/c %.1f %%%n", r,
                        settings.rounds(), cw.mpps(), cw.cyclesPerPacket(), cw.otherCpuPercent(), 100 * javaOverC);
                    rounds.add(new RoundResult(r, tw, jw, ratio, cw, javaOverC));
                    if (cw.drops() > 0)
                    {
                        notes.add("round " + r + ": the C baseline dropped " + cw.drops() + " packets in the window");
                    }
                }
                else
                {
                    rounds.add(new RoundResult(r, tw, jw, ratio));
                }
                if (jw.drops() > 0)
                {
                    notes.add("round " + r + ": the MUX dropped " + jw.drops() + " packets in the window");
                }
                if (jw.gcCollections() > 0)
                {
                    notes.add("round " + r + ": " + jw.gcCollections() + " garbage collection(s) in the Java window");
                }
            }
            final long[] after = countersOf(rig);
            if (pipeline)
            {
                counters.put("rx_packets", after[WorkerCounters.RX_PACKETS.id()] - before[WorkerCounters.RX_PACKETS.id()]);
                counters.put("tx_packets", after[WorkerCounters.TX_PACKETS.id()] - before[WorkerCounters.TX_PACKETS.id()]);
                counters.put("flow_hits", after[WorkerCounters.FLOW_HITS.id()] - before[WorkerCounters.FLOW_HITS.id()]);
                counters.put("flow_misses", after[WorkerCounters.FLOW_MISSES.id()] - before[WorkerCounters.FLOW_MISSES.id()]);
                counters.put("flows_inserted", after[WorkerCounters.FLOWS_INSERTED.id()] - before[WorkerCounters.FLOWS_INSERTED.id()]);
                counters.put("flow_evictions", after[WorkerCounters.FLOW_EVICTIONS.id()] - before[WorkerCounters.FLOW_EVICTIONS.id()]);
                counters.put("previous_table_hits", after[WorkerCounters.PREVIOUS_TABLE_HITS.id()] - before[WorkerCounters.PREVIOUS_TABLE_HITS.id()]);
                counters.put("drops", after[WorkerCounters.FIXED] - before[WorkerCounters.FIXED]);
                counters.put("flows_in_table", after[WorkerCounters.FLOWS.id()]);
                long replayFailures = 0;
                for (final FrameReplay replay : rig.replays())
                {
                    replayFailures += replay.allocFailures();
                }
                counters.put("replay_alloc_failures", replayFailures);
                if (withC)
                {
                    counters.put("c_rx_packets", rig.cLoops().stream().mapToLong(l -> l.counter(CBaseline.RX)).sum());
                    counters.put("c_tx_packets", rig.cLoops().stream().mapToLong(l -> l.counter(CBaseline.TX)).sum());
                    counters.put("c_flow_hits", rig.cLoops().stream().mapToLong(l -> l.counter(CBaseline.FLOW_HITS)).sum());
                    counters.put("c_flow_misses", rig.cLoops().stream().mapToLong(l -> l.counter(CBaseline.FLOW_MISSES)).sum());
                    counters.put("c_flows_in_table", c.flows().getAsLong());
                }
                out.printf("  MUX counters over the windows: %s%n", counters);
            }
            java.pause();
            c.pause();
        }
        finally
        {
            rig.close();
        }
        final long mbufsInUse = rig.mbufsInUseAtClose();
        if (mbufsInUse != 0)
        {
            notes.add(mbufsInUse + " mbufs were not back in the pool after the Java loop stopped");
        }
        final double[] loadAfter = Stats.loadAverage();
        final double other = Stats.median(rounds, r -> Math.max(r.testpmd().otherCpuPercent(), r.java().otherCpuPercent()));
        if (other > 10)
        {
            notes.add(String.format("other processes used %.0f %% of the CPUs during the windows (median; load average %.2f before, "
                + "%.2f after): figures are noisy", other, loadBefore[0], loadAfter[0]));
        }
        final ThroughputResult result = new ThroughputResult(scenario.name(), scenario.title(), scenario.kind().name(), device.describe(),
            measured(scenario), parameters(scenario, forward), testpmd.command(), tscHz, warm, rounds,
            Stats.median(rounds, r -> r.testpmd().cyclesPerPacket()), Stats.median(rounds, r -> r.testpmd().mpps()),
            Stats.median(rounds, r -> r.testpmd().wallMpps()), Stats.median(rounds, r -> r.java().cyclesPerPacket()),
            Stats.median(rounds, r -> r.java().mpps()), Stats.median(rounds, r -> r.java().wallMpps()),
            Stats.median(rounds, RoundResult::ratio), counters, mbufsInUse, new double[] {loadBefore[0], loadAfter[0]}, notes,
            withC ? Stats.median(rounds, r -> r.c().cyclesPerPacket()) : Double.NaN, withC ? Stats.median(rounds, r -> r.c().mpps()) : Double.NaN,
            withC ? Stats.median(rounds, RoundResult::javaOverC) : Double.NaN);
        out.printf("  => testpmd io %.2f Mpps, java %.2f Mpps (%.1f cycles/packet), ratio %.1f %% (median of %d rounds)%n",
            result.testpmdMpps(), result.javaMpps(), result.javaCyclesPerPacket(), 100 * result.ratio(), rounds.size());
        if (withC)
        {
            out.printf("     C baseline %.2f Mpps (%.1f cycles/packet), java/c %.1f %% (median of %d rounds)%n", result.cMpps(),
                result.cCyclesPerPacket(), 100 * result.javaOverC(), rounds.size());
        }
        return result;
    }

    private static List<FlowPlan> plans(final Scenario s)
    {
        final List<FlowPlan> plans = new ArrayList<>();
        for (int q = 0; q < s.workers(); q++)
        {
            // Each worker cycles through its own share of the live flows, and opens new flows from its own id range.
            final long live = s.liveFlows() / s.workers();
            plans.add(new FlowPlan(live, s.newFlowRatio(), 42 + q, (long)(q + 1) << 36));
        }
        return plans;
    }

    /**
     * Fills the flow table (flow scenarios), then runs until the loop has settled: at least the warm-up
     * time and {@link #WARMUP_PACKETS}, the JIT idle and cycles per packet steady (within 10% over two
     * half-second intervals in a row), or the time limit. On a busy machine the JIT's threads are starved
     * and the first windows would otherwise measure code that is not compiled yet.
     */
    private void warmUp(final Scenario scenario, final Loops rig, final Map<String, Object> warm, final String prefix)
        throws InterruptedException
    {
        warmUpFlows(scenario, rig, warm, prefix);
        final CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        final long t0 = System.nanoTime();
        rig.resume();
        final long start = rig.packets();
        long[] last = rig.cycles();
        long lastJit = jit.getTotalCompilationTime();
        double lastCpp = Double.NaN;
        int steady = 0;
        int ticks = 0;
        while (System.nanoTime() - t0 < WARMUP_LIMIT_NS)
        {
            Thread.sleep(500);
            final long[] now = rig.cycles();
            final long jitNow = jit.getTotalCompilationTime();
            final double cpp = now[1] == last[1] ? Double.NaN : (double)(now[0] - last[0]) / (now[1] - last[1]);
            final boolean jitQuiet = jitNow == lastJit;
            steady = jitQuiet && Math.abs(cpp - lastCpp) <= 0.1 * lastCpp ? steady + 1 : 0;
            if (++ticks % 2 == 0)
            {
                out.printf("  %swarm-up %5.1f s: %6.2f M packets, %7.1f cycles/packet%s%n", label(prefix),
                    (System.nanoTime() - t0) / 1e9, (now[1] - start) / 1e6, cpp, jitQuiet ? "" : " (JIT compiling)");
            }
            last = now;
            lastJit = jitNow;
            lastCpp = cpp;
            if (System.nanoTime() - t0 >= settings.warmupSeconds() * 1e9 && now[1] - start >= WARMUP_PACKETS && steady >= 2)
            {
                break;
            }
        }
        rig.pause();
        warm.put(prefix + "seconds", (System.nanoTime() - t0) / 1e9);
        warm.put(prefix + "packets", rig.packets() - start);
        warm.put(prefix + "settled", steady >= 2);
        warm.put(prefix + "cycles_per_packet_at_end", lastCpp);
    }

    /** Runs until every live flow has been seen once since the call (the table is full of them). */
    private void warmUpFlows(final Scenario scenario, final Loops rig, final Map<String, Object> warm, final String prefix)
        throws InterruptedException
    {
        if (scenario.kind() != Scenario.Kind.PIPELINE)
        {
            return;
        }
        final long t0 = System.nanoTime();
        final long start = rig.packets();
        final long needed = (long)(scenario.liveFlows() * 1.05) + 1;
        rig.resume();
        int ticks = 0;
        while (rig.packets() - start < needed && System.nanoTime() - t0 < FILL_LIMIT_NS)
        {
            Thread.sleep(200);
            if (++ticks % 5 == 0)
            {
                out.printf("  %sfilling: %6.2f M of %.2f M packets, flows in table %d%n", label(prefix), (rig.packets() - start) / 1e6,
                    needed / 1e6, rig.flows().getAsLong());
            }
        }
        rig.pause();
        warm.put(prefix + "fill_seconds", (System.nanoTime() - t0) / 1e9);
        warm.put(prefix + "fill_packets", rig.packets() - start);
        warm.put(prefix + "flows_in_table", rig.flows().getAsLong());
        out.printf("  %sflows in table: %d%n", label(prefix), rig.flows().getAsLong());
        reportTablePages(rig, warm, prefix);
    }

    /**
     * Whether the Java workers' flow tables really are on transparent huge pages once filled
     * ({@code AnonHugePages} of their mappings): the advice alone does not say, and a table on 4 KB pages
     * costs a TLB miss per lookup.
     */
    private void reportTablePages(final Loops rig, final Map<String, Object> warm, final String prefix)
    {
        long bytes = 0;
        long huge = 0;
        for (final MeasuredAgent agent : rig.agents())
        {
            if (agent.delegate() instanceof WorkerAgent worker)
            {
                final long h = worker.flows().hugePageBytes();
                bytes += worker.flows().memoryBytes();
                huge = huge < 0 || h < 0 ? -1 : huge + h;
            }
        }
        if (bytes > 0)
        {
            warm.put(prefix + "flow_table_bytes", bytes);
            warm.put(prefix + "flow_table_huge_page_bytes", huge);
            out.printf("  %sflow table: %d MB, %s on transparent huge pages%s%n", label(prefix), bytes >> 20,
                huge < 0 ? "unknown how much" : (huge >> 20) + " MB",
                rig.flows().getAsLong() == 0 ? " (empty: the kernel gives pages at the first touch)" : "");
        }
    }

    private static String label(final String prefix)
    {
        return prefix.isEmpty() ? "" : prefix.equals("c_") ? "C baseline, " : "after the change, ";
    }

    private LoopWindow window(final Scenario scenario, final Loops rig, final int round) throws InterruptedException
    {
        rig.resume();
        // Let caches and the branch predictors settle after the testpmd window.
        Thread.sleep(100);
        final long gc0 = Stats.gcCollections();
        final long[] cpu0 = Stats.cpuTicks(ProcessHandle.current().pid());
        final long drops0 = rig.drops().getAsLong();
        final long[] c0 = rig.cycles();
        final long p0 = rig.packets();
        final long t0 = System.nanoTime();
        final long windowNs = (long)(settings.seconds() * 1e9);
        long endNs = t0 + windowNs;
        long lastP = p0;
        long lastC = c0[0];
        long lastNs = t0;
        int second = 0;
        while (true)
        {
            final long now = System.nanoTime();
            if (now >= endNs)
            {
                if (rig.packets() - p0 >= WINDOW_MIN_PACKETS || now - t0 >= 10 * windowNs)
                {
                    break;
                }
                // A starved core saw too few packets for a figure: measure a little longer.
                endNs = now + windowNs / 4;
            }
            Thread.sleep(Math.max(1, Math.min(1000, (endNs - now) / 1_000_000)));
            final long p = rig.packets();
            final long c = rig.cycles()[0];
            final long n = System.nanoTime();
            if (n - lastNs >= 900_000_000L)
            {
                second++;
                final double cpp = p == lastP ? 0 : (double)(c - lastC) / (p - lastP);
                out.printf("    %s %s round %d, %d s: %6.2f Mpps capacity, %6.2f Mpps wall, %6.1f cycles/packet%n", rig.name(), scenario.name(), round,
                    second, LoopWindow.capacityMpps(scenario.workers(), tscHz, cpp), (p - lastP) / ((n - lastNs) / 1e9) / 1e6, cpp);
                lastP = p;
                lastC = c;
                lastNs = n;
            }
        }
        final long[] c1 = rig.cycles();
        final long p1 = rig.packets();
        final long t1 = System.nanoTime();
        final long drops = rig.drops().getAsLong() - drops0;
        final long gc = Stats.gcCollections() - gc0;
        final double other = Stats.otherCpuPercent(cpu0, Stats.cpuTicks(ProcessHandle.current().pid()));
        rig.pause();
        final long packets = p1 - p0;
        final long busy = c1[0] - c0[0];
        final long cyclePackets = c1[1] - c0[1];
        final double cpp = cyclePackets == 0 ? Double.NaN : (double)busy / cyclePackets;
        final double seconds = (t1 - t0) / 1e9;
        return new LoopWindow(rig.name(), seconds, packets, busy, cyclePackets, cpp, LoopWindow.capacityMpps(scenario.workers(), tscHz, cpp),
            packets / seconds / 1e6, drops, gc, other);
    }

    private LoopWindow testpmdWindow(final TestpmdSession.Window t, final int cores, final double otherCpu)
    {
        final double cpp = t.cyclesPerPacket();
        return new LoopWindow("testpmd", t.seconds(), t.rxPackets(), t.busyCycles(), t.cyclePackets(), cpp,
            LoopWindow.capacityMpps(cores, tscHz, cpp), t.wallMpps(), t.rxDropped() + t.txDropped(), -1, otherCpu);
    }

    /**
     * The loops measured together in a window: a rig's Java loops, or its C baseline's.
     *
     * @param name   {@code java} or {@code c}.
     * @param agents the measured loops, one per queue.
     * @param drops  their drops so far.
     * @param flows  flows in their tables.
     */
    private record Loops(String name, List<MeasuredAgent> agents, LongSupplier drops, LongSupplier flows)
    {
        void resume()
        {
            agents.forEach(MeasuredAgent::resume);
        }

        void pause()
        {
            agents.forEach(a -> a.pause(1000));
        }

        long packets()
        {
            long p = 0;
            for (final MeasuredAgent a : agents)
            {
                p += a.packets();
            }
            return p;
        }

        /** @return {busy cycles, packets} summed over the loops (cycles per packet is then the cores' mean). */
        long[] cycles()
        {
            long c = 0;
            long p = 0;
            for (final MeasuredAgent a : agents)
            {
                c += a.busyCycles();
                p += a.packets();
            }
            return new long[] {c, p};
        }
    }

    private static long[] countersOf(final NullDeviceRig rig)
    {
        final long[] c = new long[WorkerCounters.FIXED + 1];
        for (final CounterDescriptor d : WorkerCounters.DESCRIPTORS)
        {
            c[d.id()] = rig.counter(d);
        }
        c[WorkerCounters.FIXED] = rig.drops();
        return c;
    }

    private static String measured(final Scenario s)
    {
        if (s.kind() == Scenario.Kind.L2FWD)
        {
            return "Java loop (RX burst, read EtherType and IPv4 addresses and protocol of every packet in place, TX burst) on net_null; "
                + "Mpps = TSC Hz / busy cycles per packet, as testpmd io on the same device and pool.";
        }
        return "The MUX worker (parse, VIP lookup, flow hash, " + (s.tracking().equals("always") || s.backendChange() ? "flow table, " : "")
            + "Maglev, IPIP encapsulation, buffered TX) on net_null, fed on its own core by a replay that writes client frames "
            + "into the mbufs its next RX burst gets; Mpps = workers x TSC Hz / busy cycles per packet of the worker's polls "
            + "(replay excluded), as testpmd io on the same device and pool with --record-core-cycles.";
    }

    private static Map<String, Object> parameters(final Scenario s, final int[] cpus)
    {
        final Map<String, Object> p = new LinkedHashMap<>();
        p.put("workers", s.workers());
        p.put("cpus", cpus);
        p.put("frame_bytes", 64);
        if (s.kind() == Scenario.Kind.PIPELINE)
        {
            p.put("live_flows", s.liveFlows());
            p.put("new_flow_ratio", s.newFlowRatio());
            p.put("flow_tracking", s.tracking());
            p.put("flow_table_capacity", s.capacity());
            p.put("backend_change", s.backendChange());
            p.put("encapsulation", "ipip");
            p.put("backends", s.backendChange() ? 9 : 8);
        }
        return p;
    }

    private TestpmdSession session(final DeviceSetup device, final int[] forward) throws Exception
    {
        final String key = device + java.util.Arrays.toString(forward);
        if (session != null && key.equals(sessionKey))
        {
            return session;
        }
        quitTestpmd();
        final List<String> vdevs = List.of(device.testpmdVdev());
        // Started at normal priority, as the Java loops run (this thread runs at low priority).
        session = ThreadPlacement.inForeground(() -> TestpmdSession.start(vdevs, device.testpmdArguments(), 0, forward,
            settings.testpmdMemory()));
        sessionKey = key;
        return session;
    }

    /** Quits the open testpmd session, if any (before another forwarder uses the CPU). */
    public void quitTestpmd()
    {
        if (session != null)
        {
            session.close();
            session = null;
            sessionKey = null;
        }
    }

    /** Quits the open testpmd session, if any. */
    @Override
    public void close()
    {
        quitTestpmd();
    }
}
