package io.panamux.perf.bench;

import java.util.List;
import java.util.Map;

/**
 * The figures of one throughput scenario on {@code net_null}: every alternated round, the medians, and
 * the ratio to testpmd.
 *
 * @param name             scenario name.
 * @param title            one-line title.
 * @param kind             {@code L2FWD} or {@code PIPELINE}.
 * @param device           the device and pool, as both loops used them.
 * @param measured         what exactly the Java figure measures.
 * @param parameters       the scenario's parameters (workers, flows, tracking, ...).
 * @param testpmdCommand   testpmd's command line.
 * @param tscHz            TSC frequency used to turn cycles into rates (EAL's measurement).
 * @param warmup           what the warm-up did (seconds, packets, flows in the table).
 * @param rounds           the alternated rounds, in order.
 * @param testpmdCyclesPerPacket median of testpmd's cycles per packet.
 * @param testpmdMpps      median of testpmd's capacity.
 * @param testpmdWallMpps  median of testpmd's wall-clock rate.
 * @param javaCyclesPerPacket median of the Java loop's cycles per packet.
 * @param javaMpps         median of the Java loop's capacity.
 * @param javaWallMpps     median of the Java loop's wall-clock rate (replay included for the MUX).
 * @param ratio            median over rounds of {@code java.mpps / testpmd.mpps}.
 * @param counters         the MUX's counters over the measured windows (flow hits, misses, ...).
 * @param mbufsInUseAtClose mbufs not back in the pool after the Java loop stopped.
 * @param loadAverage      the 1-minute load average before and after the scenario.
 * @param notes            anything a reader must know to trust the figure (drops, GC, noise).
 * @param cCyclesPerPacket median of the C baseline's cycles per packet (NaN: no C baseline for this scenario).
 * @param cMpps            median of the C baseline's capacity.
 * @param javaOverC        median over rounds of {@code java.mpps / c.mpps}: how close Java comes to the same work in C.
 */
public record ThroughputResult(String name, String title, String kind, String device, String measured, Map<String, Object> parameters,
    List<String> testpmdCommand, double tscHz, Map<String, Object> warmup, List<RoundResult> rounds, double testpmdCyclesPerPacket,
    double testpmdMpps, double testpmdWallMpps, double javaCyclesPerPacket, double javaMpps, double javaWallMpps, double ratio,
    Map<String, Long> counters, long mbufsInUseAtClose, double[] loadAverage, List<String> notes, double cCyclesPerPacket, double cMpps,
    double javaOverC) implements ScenarioResult
{
    /** A result without a C baseline. */
    public ThroughputResult(final String name, final String title, final String kind, final String device, final String measured,
        final Map<String, Object> parameters, final List<String> testpmdCommand, final double tscHz, final Map<String, Object> warmup,
        final List<RoundResult> rounds, final double testpmdCyclesPerPacket, final double testpmdMpps, final double testpmdWallMpps,
        final double javaCyclesPerPacket, final double javaMpps, final double javaWallMpps, final double ratio, final Map<String, Long> counters,
        final long mbufsInUseAtClose, final double[] loadAverage, final List<String> notes)
    {
        this(name, title, kind, device, measured, parameters, testpmdCommand, tscHz, warmup, rounds, testpmdCyclesPerPacket, testpmdMpps,
            testpmdWallMpps, javaCyclesPerPacket, javaMpps, javaWallMpps, ratio, counters, mbufsInUseAtClose, loadAverage, notes, Double.NaN,
            Double.NaN, Double.NaN);
    }
}
