package io.panamux.perf.bench;

/**
 * What the generator measured through one forwarder (the MUX or testpmd) over {@code net_memif} in one
 * phase at full speed.
 *
 * @param loop            {@code java} (the MUX) or {@code testpmd}.
 * @param seconds         length of the phase.
 * @param sent            packets the generator sent.
 * @param received        packets that came back through the forwarder.
 * @param txRefused       packets the memif ring refused (the forwarder did not keep up).
 * @param sentMpps        offered rate.
 * @param receivedMpps    forwarded rate: the figure compared.
 * @param gbps            forwarded client-frame bits per second (without the encapsulation the MUX adds).
 * @param otherCpuPercent share of all CPUs used by other processes than the forwarder and the generator.
 */
public record MemifWindow(String loop, double seconds, long sent, long received, long txRefused, double sentMpps, double receivedMpps,
    double gbps, double otherCpuPercent)
{
}
