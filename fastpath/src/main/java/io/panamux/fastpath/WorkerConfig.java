package io.panamux.fastpath;

/**
 * How one worker runs: its queues, burst size, pinning and flow expiry.
 *
 * @param port               DPDK port.
 * @param rxQueue            RX queue it polls.
 * @param txQueue            TX queue it owns.
 * @param burstSize          packets per RX and TX burst (e.g. 32).
 * @param cpu                CPU to pin the thread to, or -1 to leave it.
 * @param txDrainNanos       how long a packet may wait in the TX buffer for company (~100 µs).
 * @param idleTimeoutSeconds flows idle this long are expired.
 */
public record WorkerConfig(int port, int rxQueue, int txQueue, int burstSize, int cpu, long txDrainNanos, int idleTimeoutSeconds)
{
    /** DPDK l3fwd's drain interval. */
    public static final long DEFAULT_TX_DRAIN_NANOS = 100_000;
}
