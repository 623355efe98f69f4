package io.panamux.slowpath.config;

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

    /** @return the sizes used when the configuration leaves the section out. */
    public static FlowTableConfig defaults()
    {
        return new FlowTableConfig(DEFAULT_CAPACITY, DEFAULT_IDLE_TIMEOUT_SECONDS);
    }
}
