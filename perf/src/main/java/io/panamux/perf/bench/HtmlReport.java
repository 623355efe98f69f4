package io.panamux.perf.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static io.panamux.perf.bench.SvgChart.esc;
import static io.panamux.perf.bench.SvgChart.num;

/**
 * Renders a {@link BenchReport} as one self-contained HTML file: inline CSS and SVG, no script, nothing
 * fetched, so it opens offline. The document is well-formed XML (every element closed, no named
 * entities) so that tests can parse it and its plots.
 */
public final class HtmlReport
{
    /** How to read the figures: shown in the report and kept in step with perf/README.md. */
    static final String HOW_TO_READ = """
        <p>Every Java figure sits next to <code>dpdk-testpmd --forward-mode=io</code> measured in the same run, on the same
        virtual device, the same pool and the same CPU, in alternated windows (testpmd, Java, testpmd, Java, ...). The
        figure reported is the median over the rounds; the ratio is the median of the per-round ratios (each Java window
        against the testpmd window just before it), so slow drift of the machine cancels.</p>
        <p><b>Mpps (capacity)</b> is per-core capacity from busy cycles: the TSC cycles a forwarding core spent in polls
        that received packets, divided by those packets, turned into packets per second with the TSC frequency
        (times the number of forwarding cores). testpmd counts its own the same way (<code>--record-core-cycles</code>).
        On <code>net_null</code> testpmd's core is always busy, so its capacity equals its wall-clock rate (both are in
        the JSON). The MUX worker is fed by a replay on its own core that writes client frames into the mbufs its next
        RX burst gets; the replay's time is not counted, so the MUX's figure is what the worker could forward if frames
        arrived for free, as testpmd's is. <b>Cycles/packet</b> is the same figure the other way up: lower is better,
        and the difference between the MUX's and testpmd's is what the MUX's own work costs per packet.</p>
        <p><b>Wall Mpps</b> is what went through in wall time: for the MUX it includes the replay, which takes about as
        long as the MUX itself, so it is roughly half the capacity.</p>
        <p><b>net_memif</b> figures are measured by the Java generator in another process: packets it sent that came back
        through the forwarder. Over memif the generator and the copies are often the limit; <i>bound</i> says whether a
        forwarder pushed back (its ring filled) or the generator set the pace.</p>
        <p><b>Latency</b> is the time from a packet's <i>intended</i> send time to its return to the generator, so a
        stall of the generator or the forwarder shows instead of being hidden (no coordinated omission). It includes
        memif both ways and the generator's own polling, for testpmd as for the MUX. Offered loads are fractions of the
        maximum the MUX forwarded in the same round; testpmd is offered the same absolute rates. The MUX holds packets
        in its TX buffer until 32 are waiting or the oldest has waited 100 us, so at low loads that interval dominates.
        <b>GC</b> counts collections of the MUX's JVM during the measured phase: each one stops the worker. On two CPUs
        the generator shares CPU 0 with both JVMs' own threads (the forwarding CPU is the forwarder's alone), so its
        stalls are in the tails of both curves: the testpmd curve is the floor of the set-up.</p>
        <p><b>Other CPU %</b> is the share of all CPUs used by other processes during a window: above ~10 % the machine
        was not quiet and the figures are noise. The notes of each scenario say so.</p>
        """;

    private HtmlReport()
    {
    }

    /** Writes the report of {@code report} to {@code file}; {@code jsonName} is linked as the raw data. */
    public static void write(final BenchReport report, final Path file, final String jsonName) throws IOException
    {
        Files.writeString(file, render(report, jsonName), StandardCharsets.UTF_8);
    }

    /** @return the HTML text. */
    public static String render(final BenchReport report, final String jsonName)
    {
        final StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n");
        h.append("<title>panamux bench ").append(esc(report.startedAt())).append("</title>\n<style>\n");
        h.append("body{font-family:sans-serif;margin:24px;max-width:1100px;color:#222}table{border-collapse:collapse;margin:8px 0 16px}");
        h.append("td,th{border:1px solid #ccc;padding:3px 7px;text-align:right;font-size:13px}th{background:#f3f3f3}");
        h.append("td.l,th.l{text-align:left}.met{color:#197a19;font-weight:bold}.unmet{color:#b31b1b;font-weight:bold}");
        h.append(".note{color:#8a5a00;font-size:13px}code{background:#f5f5f5;padding:0 3px}details{margin:6px 0}");
        h.append("\n</style>\n</head>\n<body>\n");
        final Map<String, Object> env = report.environment();
        h.append("<h1>panamux bench</h1>\n<p>").append(esc(report.startedAt())).append(" to ").append(esc(report.finishedAt()))
            .append(String.format(Locale.ROOT, " (%.0f s)", report.durationSeconds())).append("; ")
            .append(esc(String.valueOf(env.get("cpu_model")))).append(", ").append(esc(String.valueOf(env.get("cpus_online"))))
            .append(" CPUs; DPDK ").append(esc(String.valueOf(env.get("dpdk_version")))).append("; JDK ")
            .append(esc(String.valueOf(((Map<?, ?>)env.get("jdk")).get("version")))).append("; ")
            .append(report.settings().hugepages() ? "hugepages" : "no hugepages (--no-huge)").append("; ")
            .append(report.settings().quick() ? "quick run" : "full run")
            .append(String.format(Locale.ROOT, ", %.1f s windows, %d rounds", report.settings().seconds(), report.settings().rounds()))
            .append(". Raw figures: <a href=\"").append(esc(jsonName)).append("\">").append(esc(jsonName)).append("</a>.</p>\n");

        goals(h, report.goals());

        final List<ThroughputResult> throughput = new ArrayList<>();
        final List<MemifThroughputResult> memif = new ArrayList<>();
        final List<LatencyResult> latency = new ArrayList<>();
        for (final ScenarioResult s : report.scenarios())
        {
            if (s instanceof ThroughputResult t)
            {
                throughput.add(t);
            }
            else if (s instanceof MemifThroughputResult m)
            {
                memif.add(m);
            }
            else if (s instanceof LatencyResult l)
            {
                latency.add(l);
            }
        }
        if (!throughput.isEmpty())
        {
            throughput(h, throughput);
        }
        if (!memif.isEmpty())
        {
            memif(h, memif);
        }
        for (final LatencyResult l : latency)
        {
            latency(h, l);
        }
        h.append("<h2>How to read these figures</h2>\n").append(HOW_TO_READ);
        h.append("<h2>Environment</h2>\n<table>\n");
        for (final Map.Entry<String, Object> e : env.entrySet())
        {
            h.append("<tr><th class=\"l\">").append(esc(e.getKey())).append("</th><td class=\"l\">").append(esc(String.valueOf(e.getValue())))
                .append("</td></tr>\n");
        }
        h.append("</table>\n</body>\n</html>\n");
        return h.toString();
    }

    private static void goals(final StringBuilder h, final List<Goal> goals)
    {
        h.append("<h2>Goals</h2>\n<table>\n<tr><th class=\"l\">goal</th><th class=\"l\">what</th><th>measured</th><th>target</th>"
            + "<th>result</th></tr>\n");
        for (final Goal g : goals)
        {
            final String value = g.unit().equals("ratio") ? pct(g.value()) : num(g.value()) + " " + g.unit();
            final String target = g.unit().equals("ratio") ? pct(g.target()) : num(g.target()) + " " + g.unit();
            h.append("<tr><td class=\"l\">").append(esc(g.name())).append("</td><td class=\"l\">").append(esc(g.description()))
                .append("</td><td>").append(esc(value)).append("</td><td>").append(esc(g.comparison() + " " + target)).append("</td><td class=\"")
                .append(g.met() ? "met\">met" : Double.isNaN(g.value()) ? "unmet\">not measured" : "unmet\">not met").append("</td></tr>\n");
        }
        h.append("</table>\n");
    }

    private static void throughput(final StringBuilder h, final List<ThroughputResult> results)
    {
        h.append("<h2>Throughput on one core and on all cores (net_null)</h2>\n");
        final List<SvgChart.Bar> bars = new ArrayList<>();
        for (final ThroughputResult t : results)
        {
            bars.add(new SvgChart.Bar(t.name(), t.testpmdMpps(), t.javaMpps(), "ratio " + pct(t.ratio())));
        }
        h.append(SvgChart.bars("Mpps (capacity from busy cycles), median of the rounds", bars));
        h.append("<table>\n<tr><th class=\"l\">scenario</th><th>workers</th><th>testpmd io Mpps</th><th>testpmd cycles/pkt</th>"
            + "<th>Java Mpps</th><th>Java cycles/pkt</th><th>ratio</th><th>C Mpps</th><th>C cycles/pkt</th><th>Java/C</th>"
            + "<th>Java wall Mpps</th><th>rounds</th><th>other CPU %</th></tr>\n");
        for (final ThroughputResult t : results)
        {
            final double other = Stats.median(t.rounds(), r -> Math.max(r.java().otherCpuPercent(), r.testpmd().otherCpuPercent()));
            h.append("<tr><td class=\"l\">").append(esc(t.name())).append("</td><td>").append(t.parameters().get("workers")).append("</td><td>")
                .append(num(t.testpmdMpps())).append("</td><td>").append(num(t.testpmdCyclesPerPacket())).append("</td><td>")
                .append(num(t.javaMpps())).append("</td><td>").append(num(t.javaCyclesPerPacket())).append("</td><td>").append(pct(t.ratio()))
                .append("</td><td>").append(num(t.cMpps())).append("</td><td>").append(num(t.cCyclesPerPacket())).append("</td><td><b>")
                .append(pct(t.javaOverC())).append("</b></td><td>").append(num(t.javaWallMpps())).append("</td><td>").append(t.rounds().size()).append("</td><td>")
                .append(num(other)).append("</td></tr>\n");
        }
        h.append("</table>\n");
        for (final ThroughputResult t : results)
        {
            h.append("<details><summary><b>").append(esc(t.name())).append("</b>: ").append(esc(t.title())).append("</summary>\n<p>")
                .append(esc(t.measured())).append("<br/>Device: ").append(esc(t.device())).append("<br/>Parameters: ")
                .append(esc(t.parameters().toString())).append("<br/>Warm-up: ").append(esc(t.warmup().toString()));
            if (!t.counters().isEmpty())
            {
                h.append("<br/>MUX counters over the Java windows: ").append(esc(t.counters().toString()));
            }
            h.append("<br/>testpmd: <code>").append(esc(String.join(" ", t.testpmdCommand()))).append("</code></p>\n");
            h.append("<table>\n<tr><th>round</th><th>testpmd Mpps</th><th>testpmd cycles/pkt</th><th>testpmd packets</th><th>Java Mpps</th>"
                + "<th>Java cycles/pkt</th><th>Java packets</th><th>Java wall Mpps</th><th>drops</th><th>GC</th><th>ratio</th><th>C Mpps</th>"
                + "<th>C cycles/pkt</th><th>Java/C</th><th>other CPU %</th></tr>\n");
            for (final RoundResult r : t.rounds())
            {
                h.append("<tr><td>").append(r.index()).append("</td><td>").append(num(r.testpmd().mpps())).append("</td><td>")
                    .append(num(r.testpmd().cyclesPerPacket())).append("</td><td>").append(r.testpmd().packets()).append("</td><td>")
                    .append(num(r.java().mpps())).append("</td><td>").append(num(r.java().cyclesPerPacket())).append("</td><td>")
                    .append(r.java().packets()).append("</td><td>").append(num(r.java().wallMpps())).append("</td><td>").append(r.java().drops())
                    .append("</td><td>").append(r.java().gcCollections()).append("</td><td>").append(pct(r.ratio())).append("</td><td>")
                    .append(r.c() == null ? "n/a" : num(r.c().mpps())).append("</td><td>")
                    .append(r.c() == null ? "n/a" : num(r.c().cyclesPerPacket())).append("</td><td>").append(pct(r.javaOverC())).append("</td><td>")
                    .append(num(Math.max(r.java().otherCpuPercent(), r.testpmd().otherCpuPercent()))).append("</td></tr>\n");
            }
            h.append("</table>\n");
            notes(h, t.notes());
            h.append("</details>\n");
        }
    }

    private static void memif(final StringBuilder h, final List<MemifThroughputResult> results)
    {
        h.append("<h2>Throughput over net_memif from another process</h2>\n");
        final List<SvgChart.Bar> bars = new ArrayList<>();
        for (final MemifThroughputResult m : results)
        {
            bars.add(new SvgChart.Bar(m.name(), m.testpmdMpps(), m.javaMpps(), "ratio " + pct(m.ratio()) + ", bound: " + m.bound()));
        }
        h.append(SvgChart.bars("Mpps forwarded back to the generator, median of the rounds", bars));
        h.append("<table>\n<tr><th class=\"l\">scenario</th><th>testpmd Mpps</th><th>testpmd Gbit/s</th><th>MUX Mpps</th><th>MUX Gbit/s</th>"
            + "<th>ratio</th><th class=\"l\">bound</th></tr>\n");
        for (final MemifThroughputResult m : results)
        {
            h.append("<tr><td class=\"l\">").append(esc(m.name())).append("</td><td>").append(num(m.testpmdMpps())).append("</td><td>")
                .append(num(m.testpmdGbps())).append("</td><td>").append(num(m.javaMpps())).append("</td><td>").append(num(m.javaGbps()))
                .append("</td><td>").append(pct(m.ratio())).append("</td><td class=\"l\">").append(esc(m.bound())).append("</td></tr>\n");
        }
        h.append("</table>\n");
        for (final MemifThroughputResult m : results)
        {
            h.append("<p>").append(esc(m.title())).append(": ").append(esc(m.measured())).append(" Device: ").append(esc(m.device()))
                .append(".</p>\n");
            notes(h, m.notes());
        }
    }

    private static void latency(final StringBuilder h, final LatencyResult l)
    {
        h.append("<h2>Latency through the MUX over net_memif</h2>\n<p>").append(esc(l.measured())).append(" Device: ").append(esc(l.device()))
            .append(String.format(Locale.ROOT, ". Maximum forwarded in this setup: MUX %.2f Mpps, testpmd io %.2f Mpps (medians).</p>%n",
                l.javaMaxMpps(), l.testpmdMaxMpps()));
        final List<SvgChart.Curve> curves = new ArrayList<>();
        int colour = 0;
        for (int i = 0; i < l.java().size(); i++)
        {
            final LatencyPoint j = l.java().get(i);
            if (j.fraction() <= 0)
            {
                continue;
            }
            final String load = String.format(Locale.ROOT, "%.0f%% (%.2f Mpps)", 100 * j.fraction(), j.ratePps() / 1e6);
            curves.add(new SvgChart.Curve("MUX " + load, true, colour, j.latency().curve()));
            curves.add(new SvgChart.Curve("testpmd io " + load, false, colour, l.testpmd().get(i).latency().curve()));
            colour++;
        }
        h.append(SvgChart.percentiles("Latency percentiles (microseconds) at each offered load", curves));
        h.append("<table>\n<tr><th class=\"l\">load</th><th class=\"l\">forwarder</th><th>rate Mpps</th><th>samples</th><th>p50 us</th>"
            + "<th>p90 us</th><th>p99 us</th><th>p99.9 us</th><th>p99.99 us</th><th>max us</th><th>refused</th><th>GC (MUX JVM)</th>"
            + "<th>other CPU %</th></tr>\n");
        for (int i = 0; i < l.java().size(); i++)
        {
            row(h, l.java().get(i), "MUX");
            row(h, l.testpmd().get(i), "testpmd io");
        }
        h.append("</table>\n");
        notes(h, l.notes());
    }

    private static void row(final StringBuilder h, final LatencyPoint p, final String who)
    {
        final Percentiles q = p.latency();
        h.append("<tr><td class=\"l\">").append(p.fraction() > 0 ? pct(p.fraction()) : "full speed").append("</td><td class=\"l\">").append(who)
            .append("</td><td>").append(num(p.receivedMpps())).append("</td><td>").append(q.samples()).append("</td><td>").append(num(q.p50Us()))
            .append("</td><td>").append(num(q.p90Us())).append("</td><td>").append(num(q.p99Us())).append("</td><td>").append(num(q.p999Us()))
            .append("</td><td>").append(num(q.p9999Us())).append("</td><td>").append(num(q.maxUs())).append("</td><td>").append(p.txRefused())
            .append("</td><td>").append(p.forwarderGcCollections() < 0 ? "n/a" : Long.toString(p.forwarderGcCollections())).append("</td><td>")
            .append(num(p.otherCpuPercent())).append("</td></tr>\n");
    }

    private static void notes(final StringBuilder h, final List<String> notes)
    {
        for (final String n : notes)
        {
            h.append("<p class=\"note\">Note: ").append(esc(n)).append("</p>\n");
        }
    }

    private static String pct(final double ratio)
    {
        return Double.isNaN(ratio) ? "n/a" : String.format(Locale.ROOT, "%.1f %%", 100 * ratio);
    }
}
