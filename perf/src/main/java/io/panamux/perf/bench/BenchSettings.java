package io.panamux.perf.bench;

import java.util.List;

/**
 * How long and how often a run measures.
 *
 * @param quick           the short run ({@code --quick}).
 * @param seconds         seconds per measured window (testpmd and Java alike).
 * @param rounds          alternated testpmd/Java pairs per throughput scenario.
 * @param latencyRounds   alternated Java/testpmd pairs of the memif scenarios.
 * @param warmupSeconds   minimum warm-up of a Java loop before its first window.
 * @param flowScale       multiplies every flow count and table size.
 * @param javaEal         EAL memory arguments of the bench process.
 * @param testpmdMemory   EAL memory arguments of testpmd (empty: {@code --no-huge -m 256}).
 * @param hugepages       true when both run on hugepages.
 */
public record BenchSettings(boolean quick, double seconds, int rounds, int latencyRounds, double warmupSeconds, double flowScale,
    List<String> javaEal, List<String> testpmdMemory, boolean hugepages)
{
}
