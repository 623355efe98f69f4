package io.panamux.slowpath.config;

import io.panamux.flow.FlowTable;

/**
 * The {@code dataplane.flow-table:} section: the size and expiry of the flow tables (the capacity is shared
 * out between the workers).
 *
 * @param capacity           flow entries, at least 1 (default {@link #DEFAULT_CAPACITY}).
 * @param idleTimeoutSeconds a flow not seen for this long is expired, at least 1 (default
 *                           {@link #DEFAULT_IDLE_TIMEOUT_SECONDS}).
 */
public record FlowTableConfig(int capacity, int idleTimeoutSeconds)
{
    /** The architecture's example: a million flows, 32 MiB of IPv4 entries. */
    public static final int DEFAULT_CAPACITY = 1_048_576;
    /** The architecture's example: five minutes. */
    public static final int DEFAULT_IDLE_TIMEOUT_SECONDS = 300;

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
