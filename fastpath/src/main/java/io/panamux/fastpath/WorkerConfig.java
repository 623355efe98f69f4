package io.panamux.fastpath;

/**
 * How one worker runs: its queues, burst size, pinning, flow expiry and SYN-flood guard.
 *
 * @param port                DPDK port.
 * @param rxQueue             RX queue it polls.
 * @param txQueue             TX queue it owns.
 * @param burstSize           packets per RX and TX burst (e.g. 32).
 * @param cpu                 CPU to pin the thread to, or -1 to leave it.
 * @param txDrainNanos        how long a packet may wait in the TX buffer for company (~100 µs).
 * @param idleTimeoutSeconds  flows idle this long are expired.
 * @param newFlowsPerSecond   new connections recorded per second at most (Katran's LRU bypass); beyond it
 *                            they are forwarded by Maglev alone, unrecorded ({@code flows_unrecorded_flood});
 *                            0: no limit.
 */
public record WorkerConfig(int port, int rxQueue, int txQueue, int burstSize, int cpu, long txDrainNanos, int idleTimeoutSeconds,
    int newFlowsPerSecond)
{
    /** DPDK l3fwd's drain interval. */
    public static final long DEFAULT_TX_DRAIN_NANOS = 100_000;

    /** A worker without a new-flow limit (benchmarks of the insert path, tests). */
    public WorkerConfig(final int port, final int rxQueue, final int txQueue, final int burstSize, final int cpu, final long txDrainNanos,
        final int idleTimeoutSeconds)
    {
        this(port, rxQueue, txQueue, burstSize, cpu, txDrainNanos, idleTimeoutSeconds, 0);
    }
}
