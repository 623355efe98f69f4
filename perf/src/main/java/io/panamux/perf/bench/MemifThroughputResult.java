package io.panamux.perf.bench;

import java.util.List;
import java.util.Map;

/**
 * Forwarded rate through the MUX and through testpmd io over {@code net_memif}, driven by the Java
 * generator in another process.
 *
 * @param name           scenario name.
 * @param title          one-line title.
 * @param kind           {@code MEMIF_THROUGHPUT}.
 * @param device         devices and processes.
 * @param measured       what the figure is.
 * @param parameters     flows, sizes, ...
 * @param testpmdCommand testpmd's command line.
 * @param rounds         alternated rounds: {index, java, testpmd, ratio}.
 * @param javaMpps       median forwarded Mpps through the MUX.
 * @param testpmdMpps    median forwarded Mpps through testpmd.
 * @param javaGbps       median Gbit/s through the MUX.
 * @param testpmdGbps    median Gbit/s through testpmd.
 * @param ratio          median over rounds of {@code java / testpmd} forwarded Mpps.
 * @param bound          {@code generator} when neither forwarder refused packets, else {@code forwarder}.
 * @param loadAverage    1-minute load average before and after.
 * @param notes          caveats.
 */
public record MemifThroughputResult(String name, String title, String kind, String device, String measured, Map<String, Object> parameters,
    List<String> testpmdCommand, List<Map<String, Object>> rounds, double javaMpps, double testpmdMpps, double javaGbps, double testpmdGbps,
    double ratio, String bound, double[] loadAverage, List<String> notes) implements ScenarioResult
{
}
