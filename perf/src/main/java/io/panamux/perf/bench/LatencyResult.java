package io.panamux.perf.bench;

import java.util.List;
import java.util.Map;

/**
 * Latency through the MUX and through testpmd io over {@code net_memif} at several offered loads.
 *
 * @param name           scenario name.
 * @param title          one-line title.
 * @param kind           {@code MEMIF_LATENCY}.
 * @param device         devices and processes.
 * @param measured       what the latency is.
 * @param parameters     flows, sizes, loads.
 * @param testpmdCommand testpmd's command line.
 * @param rounds         alternated rounds: {index, java: {max_mpps, points}, testpmd: {...}}.
 * @param javaMaxMpps    median maximum forwarded rate through the MUX in this setup.
 * @param testpmdMaxMpps median maximum forwarded rate through testpmd in this setup.
 * @param java           per load, the MUX's percentiles over every round's histograms together.
 * @param testpmd        per load, testpmd's percentiles over every round's histograms together.
 * @param muxGcCollectionsInWindows garbage collections of the MUX's JVM in all measured load phases.
 * @param loadAverage    1-minute load average before and after.
 * @param notes          caveats.
 */
public record LatencyResult(String name, String title, String kind, String device, String measured, Map<String, Object> parameters,
    List<String> testpmdCommand, List<Map<String, Object>> rounds, double javaMaxMpps, double testpmdMaxMpps, List<LatencyPoint> java,
    List<LatencyPoint> testpmd, long muxGcCollectionsInWindows, double[] loadAverage, List<String> notes) implements ScenarioResult
{
}
