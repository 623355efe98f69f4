package io.panamux.perf.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything one {@code ./panamux bench} run measured, as written to its JSON file and rendered into its
 * HTML report.
 *
 * @param schema          format name and version.
 * @param startedAt       start time (ISO-8601).
 * @param finishedAt      end time (ISO-8601).
 * @param durationSeconds wall time of the run.
 * @param command         the command line (after {@code bench}).
 * @param settings        windows, rounds, scale.
 * @param environment     machine and versions ({@link Environment}).
 * @param scenarios       one result per scenario, in run order.
 * @param headline        the figures the perf issue asks for, copied from the scenarios.
 * @param goals           the goals against those figures.
 * @param failures        scenarios that failed, with the error (their figures are absent).
 */
public record BenchReport(String schema, String startedAt, String finishedAt, double durationSeconds, List<String> command,
    BenchSettings settings, Map<String, Object> environment, List<ScenarioResult> scenarios, Map<String, Object> headline,
    List<Goal> goals, List<String> failures)
{
    /** The schema name of this format. */
    public static final String SCHEMA = "panamux-bench/1";

    /** @return the headline figures of {@code scenarios} (absent scenarios are left out). */
    public static Map<String, Object> headline(final List<ScenarioResult> scenarios)
    {
        final Map<String, Object> h = new LinkedHashMap<>();
        for (final ScenarioResult s : scenarios)
        {
            if (s instanceof ThroughputResult t)
            {
                if (t.name().equals("stateless"))
                {
                    h.put("testpmd_io_mpps", t.testpmdMpps());
                }
                h.put(t.name().replace('-', '_') + "_mpps", t.javaMpps());
                h.put(t.name().replace('-', '_') + "_ratio", t.ratio());
                if (!Double.isNaN(t.javaOverC()))
                {
                    // The headline comparison: the Java worker against the same work in C, same machine, same run.
                    h.put(t.name().replace('-', '_') + "_c_mpps", t.cMpps());
                    h.put(t.name().replace('-', '_') + "_java_over_c", t.javaOverC());
                }
            }
            else if (s instanceof MemifThroughputResult m)
            {
                h.put(m.name() + "_mpps", m.javaMpps());
                h.put(m.name() + "_ratio", m.ratio());
            }
            else if (s instanceof LatencyResult l)
            {
                for (final LatencyPoint p : l.java())
                {
                    if (p.fraction() > 0)
                    {
                        final String key = "latency_" + Math.round(p.fraction() * 100) + "pct";
                        final Map<String, Object> v = new LinkedHashMap<>();
                        v.put("rate_pps", p.ratePps());
                        v.put("p50_us", p.latency().p50Us());
                        v.put("p99_us", p.latency().p99Us());
                        v.put("p99_9_us", p.latency().p999Us());
                        v.put("p99_99_us", p.latency().p9999Us());
                        v.put("max_us", p.latency().maxUs());
                        v.put("gc_collections", p.forwarderGcCollections());
                        h.put(key, v);
                    }
                }
            }
        }
        return h;
    }

    /** @return the perf issue's goals, checked against {@code scenarios}. */
    public static List<Goal> goals(final List<ScenarioResult> scenarios)
    {
        final List<Goal> g = new ArrayList<>();
        double statelessRatio = Double.NaN;
        double alwaysRatio = Double.NaN;
        double newFlows = Double.NaN;
        double p99 = Double.NaN;
        double p9999 = Double.NaN;
        double gc = Double.NaN;
        for (final ScenarioResult s : scenarios)
        {
            if (s instanceof ThroughputResult t && t.name().equals("stateless"))
            {
                statelessRatio = t.ratio();
            }
            if (s instanceof ThroughputResult t && t.name().equals("always-1m"))
            {
                alwaysRatio = t.ratio();
            }
            if (s instanceof ThroughputResult t && t.name().equals("new-flows"))
            {
                newFlows = t.javaMpps();
            }
            if (s instanceof LatencyResult l)
            {
                for (final LatencyPoint p : l.java())
                {
                    if (Math.abs(p.fraction() - 0.5) < 1e-9)
                    {
                        p99 = p.latency().p99Us();
                        p9999 = p.latency().p9999Us();
                        gc = p.forwarderGcCollections();
                    }
                }
            }
        }
        g.add(Goal.of("stateless ratio", "stateless pipeline, 1 worker, over testpmd io on the same device", "stateless", "ratio",
            statelessRatio, "ratio", ">=", 0.5));
        g.add(Goal.of("always 1M ratio", "flow-tracking always with 1M live flows, 1 worker, over testpmd io", "always-1m", "ratio",
            alwaysRatio, "ratio", ">=", 0.3));
        g.add(Goal.of("new-flow rate", "new flows per second (every packet a SYN on a new 5-tuple), 1 worker", "new-flows", "java_mpps",
            newFlows, "Mpps", ">=", 5));
        g.add(Goal.of("latency p99 at 50%", "p99 through the MUX over net_memif at 50% of the measured maximum", "latency",
            "java[fraction=0.5].latency.p99_us", p99, "us", "<=", 20));
        g.add(Goal.of("latency p99.99 at 50%", "p99.99 through the MUX over net_memif at 50% of the measured maximum", "latency",
            "java[fraction=0.5].latency.p9999_us", p9999, "us", "<=", 100));
        g.add(Goal.of("no GC at 50%", "garbage collections of the MUX's JVM in the measured window at 50% load", "latency",
            "java[fraction=0.5].forwarder_gc_collections", gc, "collections", "<=", 0));
        return g;
    }
}
