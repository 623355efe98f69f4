package io.panamux.perf;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import io.panamux.dpdk.Eal;
import io.panamux.dpdk.Lcore;
import io.panamux.perf.bench.BenchReport;
import io.panamux.perf.bench.BenchSettings;
import io.panamux.perf.bench.Environment;
import io.panamux.perf.bench.GenerateCommand;
import io.panamux.perf.bench.Goal;
import io.panamux.perf.bench.HtmlReport;
import io.panamux.perf.bench.HugePages;
import io.panamux.perf.bench.MemifRunner;
import io.panamux.perf.bench.PktgenRunner;
import io.panamux.perf.bench.ReportJson;
import io.panamux.perf.bench.Scenario;
import io.panamux.perf.bench.ScenarioResult;
import io.panamux.perf.bench.ThreadPlacement;
import io.panamux.perf.bench.ThroughputRunner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ./panamux bench [SCENARIO...] [--quick]}: the performance harness. Runs the named scenarios
 * (all by default) and, in the same run, alternated with each Java window, {@code dpdk-testpmd
 * --forward-mode=io} on the same virtual devices, so every figure is also a ratio to C on the same
 * machine at the same moment. Prints a line per second while it measures and writes
 * {@code bench.json} (every figure, the environment) and {@code bench.html} (plots, no network needed)
 * into {@code --out}. See {@link io.panamux.perf.bench} for what each figure means.
 *
 * <p>{@code ./panamux bench generate ...} is the traffic generator on its own ({@link GenerateCommand}).
 */
@Command(name = "bench", mixinStandardHelpOptions = true, subcommands = GenerateCommand.class,
    description = "Performance harness: each Java figure next to dpdk-testpmd io on the same devices, same run; JSON and HTML report")
public final class BenchCommand implements Callable<Integer>
{
    /** 2 MB pages a hugepage run needs free: 1 GB for this process, 512 MB for testpmd, some to spare. */
    private static final long HUGEPAGES_NEEDED = 800;

    @Parameters(arity = "0..*", paramLabel = "SCENARIO", description = "scenarios to run (default: all); --list shows them")
    List<String> names = new ArrayList<>();

    @Option(names = "--quick", description = "short windows and fewer rounds (about 1.5 minutes for everything on 2 CPUs; the full run about 7)")
    boolean quick;

    @Option(names = "--seconds", defaultValue = "-1", description = "seconds per measured window (default 3; quick 1)")
    double seconds;

    @Option(names = "--rounds", defaultValue = "-1", description = "alternated testpmd/Java pairs per throughput scenario (default 5; quick 2)")
    int rounds;

    @Option(names = "--latency-rounds", defaultValue = "-1", description = "alternated pairs of the memif scenarios (default 3; quick 1)")
    int latencyRounds;

    @Option(names = "--warmup", defaultValue = "-1", description = "seconds of warm-up before a Java loop's first window (default 3; quick 1.5)")
    double warmup;

    @Option(names = "--flow-scale", defaultValue = "1", description = "multiplies flow counts and table sizes (default ${DEFAULT-VALUE})")
    double flowScale;

    @Option(names = "--out", description = "directory of bench.json and bench.html (default bench-results/<time>)")
    Path out;

    @Option(names = "--hugepages", description = "require 2 MB hugepages (default: use them when the machine has them or, as root, "
        + "can reserve them; 4 KB pages otherwise)")
    boolean hugepages;

    @Option(names = "--no-hugepages", description = "measure on 4 KB pages (--no-huge) even where hugepages are available")
    boolean noHugepages;

    @Option(names = "--list", description = "list the scenarios and exit")
    boolean list;

    @Override
    public Integer call() throws Exception
    {
        final PrintStream o = System.out;
        final int cpus = Lcore.onlineCpus();
        final List<Scenario> all = Scenario.all(cpus, flowScale);
        if (list)
        {
            for (final Scenario s : all)
            {
                o.printf("%-15s %s%n", s.name(), s.title());
            }
            return 0;
        }
        final List<Scenario> chosen = new ArrayList<>();
        for (final Scenario s : all)
        {
            // pktgen runs when named: it needs a pktgen build (about a minute, once) and its own sweep.
            if (names.contains(s.name()) || (names.isEmpty() || names.contains("all")) && s.kind() != Scenario.Kind.PKTGEN)
            {
                chosen.add(s);
            }
        }
        for (final String n : names)
        {
            if (!n.equals("all") && all.stream().noneMatch(s -> s.name().equals(n)))
            {
                System.err.println("unknown scenario " + n + " (--list shows them)");
                return 2;
            }
        }
        if (TestpmdBaseline.binary() == null)
        {
            System.err.println("dpdk-testpmd is not installed: every figure needs its baseline (apt-get install -y dpdk)");
            return 2;
        }
        // 2 MB pages for the bench process (1 GB) and testpmd (512 MB), reserved here as root and given back at the end.
        final HugePages pages = noHugepages ? null : HugePages.reserve(HUGEPAGES_NEEDED);
        if (pages != null && !pages.available() && hugepages)
        {
            System.err.println("--hugepages: " + pages.reason());
            return 2;
        }
        try
        {
            return run(o, chosen, pages != null && pages.available(), pages);
        }
        finally
        {
            if (pages != null)
            {
                pages.close();
            }
        }
    }

    private int run(final PrintStream o, final List<Scenario> chosen, final boolean huge, final HugePages pages) throws Exception
    {
        final int cpus = Lcore.onlineCpus();
        o.println(huge ? "panamux bench: on 2 MB hugepages" + (pages.reserved() > 0 ? " (" + pages.reserved() + " reserved for this run)" : "")
            : "panamux bench: on 4 KB pages (--no-huge)" + (noHugepages ? "" : ": " + pages.reason()));
        final List<String> eal = new ArrayList<>(huge ? List.of("--in-memory", "-m", "1024") : List.of("--no-huge", "-m", "1024"));
        eal.addAll(List.of("--no-pci", "--no-shconf", "--file-prefix=pmxb" + ProcessHandle.current().pid(), "--no-telemetry",
            "--log-level=lib.eal:error", "-l", "0"));
        final BenchSettings settings = new BenchSettings(quick, seconds > 0 ? seconds : quick ? 1 : 3, rounds > 0 ? rounds : quick ? 2 : 5,
            latencyRounds > 0 ? latencyRounds : quick ? 1 : 3, warmup >= 0 ? warmup : quick ? 1.5 : 3, flowScale, eal,
            huge ? List.of("--in-memory", "-m", "512") : List.of(), huge);
        final Path dir = out != null ? out : Path.of("bench-results", LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        Files.createDirectories(dir);

        final Instant started = Instant.now();
        final long t0 = System.nanoTime();
        final double[] load = io.panamux.perf.bench.Stats.loadAverage();
        o.printf("panamux bench: %d scenario(s) %s, %.1f s windows, %d rounds, load average %.2f %.2f %.2f%s%n", chosen.size(),
            chosen.stream().map(Scenario::name).toList(), settings.seconds(), settings.rounds(), load[0], load[1], load[2],
            load[0] > 1.5 ? " (busy machine: figures will be noisy)" : "");
        if (cpus > 1)
        {
            // Every thread of this JVM (JIT, GC, this one) and every thread started from now on (testpmd's output
            // reader, EAL's) stays on CPU 0 at low priority, as "taskset -c 0 nice" would keep them; forwarding
            // threads pin themselves to the other CPUs at normal priority, and have them to themselves.
            ThreadPlacement.background(0);
        }
        Eal.init(eal);
        final var environment = Environment.collect(eal, huge);
        final List<ScenarioResult> results = new ArrayList<>();
        final List<String> failures = new ArrayList<>();
        try (ThroughputRunner throughput = new ThroughputRunner(settings, o))
        {
            final MemifRunner memif = new MemifRunner(settings, o);
            for (final Scenario s : chosen)
            {
                try
                {
                    switch (s.kind())
                    {
                        case L2FWD, PIPELINE -> results.add(throughput.run(s));
                        case MEMIF_THROUGHPUT ->
                        {
                            throughput.quitTestpmd();
                            results.add(memif.throughput(s));
                        }
                        case MEMIF_LATENCY ->
                        {
                            throughput.quitTestpmd();
                            results.add(memif.latency(s));
                        }
                        case PKTGEN ->
                        {
                            throughput.quitTestpmd();
                            results.add(new PktgenRunner(PktgenRunner.repositoryRoot(), o).run(s, settings, dir));
                        }
                    }
                }
                catch (final Exception e)
                {
                    failures.add(s.name() + ": " + e);
                    System.err.println("scenario " + s.name() + " failed:");
                    e.printStackTrace();
                }
            }
        }
        final double duration = (System.nanoTime() - t0) / 1e9;
        final BenchReport report = new BenchReport(BenchReport.SCHEMA, started.toString(), Instant.now().toString(), duration,
            commandLine(), settings, environment, results, BenchReport.headline(results), BenchReport.goals(results), failures);
        final Path json = dir.resolve("bench.json");
        ReportJson.write(report, json);
        HtmlReport.write(report, dir.resolve("bench.html"), "bench.json");
        o.printf("%nsummary (%.0f s)%n", duration);
        for (final Goal g : report.goals())
        {
            o.printf(Locale.ROOT, "  %-24s %10s  (goal %s %s)  %s%n", g.name(), format(g.value(), g.unit()), g.comparison(),
                format(g.target(), g.unit()), Double.isNaN(g.value()) ? "not measured" : g.met() ? "met" : "NOT met");
        }
        o.printf("  report: %s%n  data:   %s%n", dir.resolve("bench.html").toAbsolutePath(), json.toAbsolutePath());
        if (!failures.isEmpty())
        {
            o.println("  failed scenarios: " + failures);
        }
        return failures.isEmpty() ? 0 : 1;
    }

    private List<String> commandLine()
    {
        // The effective windows and rounds are in the settings; this is what was asked for.
        final List<String> c = new ArrayList<>(names);
        if (quick)
        {
            c.add("--quick");
        }
        if (flowScale != 1)
        {
            c.add("--flow-scale=" + flowScale);
        }
        return c;
    }

    private static String format(final double v, final String unit)
    {
        if (Double.isNaN(v))
        {
            return "n/a";
        }
        return unit.equals("ratio") ? String.format(Locale.ROOT, "%.1f %%", 100 * v) : String.format(Locale.ROOT, "%.2f %s", v, unit);
    }
}
