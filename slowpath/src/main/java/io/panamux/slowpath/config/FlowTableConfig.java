package io.panamux.slowpath.config;

import io.panamux.flow.FlowTable;

/**
 * The {@code dataplane.flow-table:} section: the size and expiry of the flow tables (the capacity is shared
 * out between the workers), and their SYN-flood guard.
 *
 * @param capacity           flow entries, at least 1 (default {@link #DEFAULT_CAPACITY}).
 * @param idleTimeoutSeconds a flow not seen for this long is expired, at least 1 (default
 *                           {@link #DEFAULT_IDLE_TIMEOUT_SECONDS}).
 * @param newFlowsPerSecond  new flows each worker records per second at most; beyond it, new flows are
 *                           forwarded by Maglev alone without being recorded ({@code flows_unrecorded_flood}),
 *                           so that a flood of new 5-tuples cannot evict the recorded ones; 0: no limit.
 */
public record FlowTableConfig(int capacity, int idleTimeoutSeconds, int newFlowsPerSecond)
{
    /** The architecture's example: a million flows, 32 MiB of IPv4 entries. */
    public static final int DEFAULT_CAPACITY = 1_048_576;
    /** The architecture's example: five minutes. */
    public static final int DEFAULT_IDLE_TIMEOUT_SECONDS = 300;
    /**
     * Default of {@link #newFlowsPerSecond}, per worker: Katran's {@code MAX_CONN_RATE}. Well below what a
     * worker can record (millions per second: bench {@code new-flows}), well above the new connections a
     * core normally sees; at that rate a flood churns at most 125000 entries a second of each worker's table.
     */
    public static final int DEFAULT_NEW_FLOWS_PER_SECOND = 125_000;

    /** Size and expiry, with the default new-flow rate. */
    public FlowTableConfig(final int capacity, final int idleTimeoutSeconds)
    {
        this(capacity, idleTimeoutSeconds, DEFAULT_NEW_FLOWS_PER_SECOND);
    }

    /**
     * @param workers the workers, each with a table of its own.
     * @return entries of each worker's table: an even share of {@link #capacity}, at least 1024.
     */
    public int capacityPerWorker(final int workers)
    {
        return Math.max(1024, capacity / workers);
    }

    /**
     * @param workers the workers, each with a table of its own.
     * @return bytes of all the workers' tables, each rounded up as {@link FlowTable} does (a power of two
     * of {@link FlowTable#BUCKET_BYTES}-byte buckets).
     */
    public long memoryBytes(final int workers)
    {
        final long buckets = (capacityPerWorker(workers) + FlowTable.SLOTS_PER_BUCKET - 1) / FlowTable.SLOTS_PER_BUCKET;
        final long rounded = buckets == 1 ? 1 : Long.highestOneBit(buckets - 1) << 1;
        return workers * rounded * FlowTable.BUCKET_BYTES;
    }

    /** @return the sizes used when the configuration leaves the section out. */
    public static FlowTableConfig defaults()
    {
        return new FlowTableConfig(DEFAULT_CAPACITY, DEFAULT_IDLE_TIMEOUT_SECONDS);
    }
}
