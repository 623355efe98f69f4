package io.panamux.perf.bench;

/** The result of one scenario: {@link ThroughputResult}, {@link MemifThroughputResult} or {@link LatencyResult}. */
public sealed interface ScenarioResult permits ThroughputResult, MemifThroughputResult, LatencyResult
{
    /** @return the scenario's name. */
    String name();

    /** @return the scenario's title. */
    String title();

    /** @return the scenario's kind. */
    String kind();
}
