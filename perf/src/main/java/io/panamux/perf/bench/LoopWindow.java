package io.panamux.perf.bench;

/**
 * One measured window of one forwarding loop (the Java one or testpmd), with the raw counts the rates
 * are computed from.
 *
 * @param loop            {@code java} or {@code testpmd}.
 * @param seconds         wall-clock length of the window.
 * @param packets         packets the loop received in the window.
 * @param busyCycles      TSC cycles the loop's cores spent in polls that received packets.
 * @param cyclePackets    packets those cycles were spent on.
 * @param cyclesPerPacket {@code busyCycles / cyclePackets}.
 * @param mpps            per-core capacity over all the loop's cores: {@code cores * tscHz / cyclesPerPacket},
 *                        in millions of packets per second; what the ratios compare.
 * @param wallMpps        {@code packets / seconds} in millions: what went through in wall time.
 * @param drops           packets the loop dropped in the window (MUX drop counters; testpmd RX+TX drops).
 * @param gcCollections   garbage collections of the bench JVM during the window (-1 for testpmd).
 * @param otherCpuPercent share of all CPUs used during the window by processes other than the bench JVM
 *                        and testpmd: how quiet the machine was (0 is quiet).
 */
public record LoopWindow(String loop, double seconds, long packets, long busyCycles, long cyclePackets, double cyclesPerPacket,
    double mpps, double wallMpps, long drops, long gcCollections, double otherCpuPercent)
{
    /** Capacity in Mpps of {@code cores} cores spending {@code cyclesPerPacket} each, at {@code tscHz}. */
    public static double capacityMpps(final int cores, final double tscHz, final double cyclesPerPacket)
    {
        return cyclesPerPacket > 0 ? cores * tscHz / cyclesPerPacket / 1e6 : 0;
    }
}
