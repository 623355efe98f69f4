package io.panamux.slowpath.admin;

import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

import io.panamux.fastpath.snapshot.ForwardingSnapshot;
import io.panamux.flow.FlowTable;
import io.panamux.slowpath.MuxStats;
import io.panamux.slowpath.config.ConfigSource;
import io.panamux.slowpath.control.BackendChanges;
import io.panamux.slowpath.control.ControlAgent;

/**
 * What the admin API works on. {@code changes} is touched only inside commands submitted to
 * {@code control}; the other members are safe to read from the admin threads.
 *
 * @param control      the control agent (every change and every read of VIP state goes through it).
 * @param changes      the backend state (control thread only).
 * @param stats        the counters summed now.
 * @param snapshot     the current forwarding snapshot (to name flows' VIPs and backends).
 * @param flowTables   every worker's flow table, in worker order (read-only use).
 * @param configSource where {@code ctl reload} reads the configuration, or null when there is none.
 */
public record AdminTarget(ControlAgent control, BackendChanges changes, Supplier<MuxStats> stats,
    Supplier<ForwardingSnapshot> snapshot, List<FlowTable> flowTables, ConfigSource configSource)
{
    /** Rejects nulls (but {@code configSource}); copies the list. */
    public AdminTarget
    {
        Objects.requireNonNull(control, "control");
        Objects.requireNonNull(changes, "changes");
        Objects.requireNonNull(stats, "stats");
        Objects.requireNonNull(snapshot, "snapshot");
        flowTables = List.copyOf(flowTables);
    }
}
