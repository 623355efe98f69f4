package io.panamux.slowpath.config;

/**
 * The {@code dataplane.flow-table:} section: the size and expiry of each worker's flow table.
 *
 * @param capacity           flow entries, at least 1.
 * @param idleTimeoutSeconds a flow not seen for this long is expired, at least 1.
 */
public record FlowTableConfig(int capacity, int idleTimeoutSeconds)
{
}
