package io.panamux.perf.bench;

/**
 * Latency through one forwarder at one offered load.
 *
 * @param fraction         offered load as a fraction of the measured maximum (0 for the full-speed phase).
 * @param ratePps          offered rate, packets per second (0: as fast as possible).
 * @param seconds          length of the measured phase.
 * @param sent             packets sent in the phase.
 * @param received         packets received back in the phase.
 * @param txRefused        packets the memif ring refused.
 * @param receivedMpps     forwarded rate.
 * @param latency          time from the packet's intended send time to its return, percentiles.
 * @param forwarderGcCollections garbage collections of the MUX's JVM during the phase (-1 for testpmd).
 * @param generatorGcCollections garbage collections of the generator's JVM during the phase.
 * @param otherCpuPercent  share of all CPUs used during the phase by processes other than the forwarder and
 *                         the generator (the most of any round when rounds are combined).
 * @param histogram        the HdrHistogram, compressed and base64-encoded (nanoseconds).
 */
public record LatencyPoint(double fraction, long ratePps, double seconds, long sent, long received, long txRefused, double receivedMpps,
    Percentiles latency, long forwarderGcCollections, long generatorGcCollections, double otherCpuPercent, String histogram)
{
}
