package io.panamux.fastpath;

/**
 * What one worker counter is (as Aeron's {@code SystemCounterDescriptor}): its slot in every worker's
 * {@link WorkerCounters} block, its stable name (the key in {@code ctl stats --json} and
 * {@code --stats-json}; {@code panamux_} + name is the Prometheus metric), the help text, how it is
 * summed over workers and reported, and its unit. The constants are declared once, in
 * {@link WorkerCounters}; storage, stats, JSON and metrics iterate {@link WorkerCounters#DESCRIPTORS}, so a
 * counter added there appears everywhere with nothing else to change.
 *
 * <p>A record, so that the JIT trusts {@link #id()} as a constant: {@code counters.add(RX_PACKETS, n)} on
 * a {@code static final} descriptor compiles to the same single store as an {@code int} index.
 *
 * @param id   the slot (dense, from 0, in declaration order; process-local, never on disk or the wire).
 * @param name the stable snake_case name (the contract: scripts and dashboards read it).
 * @param help one line for the metric's help.
 * @param kind how the value is summed and reported.
 * @param unit what it counts ("packets", "bytes", "flows", ...), for the reader.
 */
public record CounterDescriptor(int id, String name, String help, Kind kind, String unit)
{
    /** How a counter is summed over workers and reported. */
    public enum Kind
    {
        /** Only goes up; summed over workers; a Prometheus counter ({@code _total}). */
        COUNTER,
        /** Goes up and down; summed over workers; a Prometheus gauge. */
        GAUGE,
        /** A gauge whose value over workers is the lowest one (e.g. the oldest snapshot version in use). */
        LOWEST,
        /** Kept for the MUX's own use (the watchdog's heartbeat, housekeeping pacing); not reported. */
        INTERNAL
    }

    /** @return the Prometheus metric name ({@code panamux_} + {@link #name()}; counters get {@code _total} in the text). */
    public String metricName()
    {
        return "panamux_" + name;
    }

    /** @return whether the counter is reported by stats, JSON and metrics. */
    public boolean reported()
    {
        return kind != Kind.INTERNAL;
    }
}
