package io.panamux.slowpath.admin;

import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

import io.panamux.fastpath.WorkerCounters;
import io.panamux.fastpath.snapshot.ForwardingSnapshot;
import io.panamux.flow.FlowTable;
import io.panamux.slowpath.MuxStats;
import io.panamux.slowpath.config.ConfigSource;
import io.panamux.slowpath.control.BackendChanges;
import io.panamux.slowpath.control.ControlAgent;
import io.panamux.slowpath.pool.PoolStatus;

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
 * @param workers      every worker's counters, in worker order (read-only use; {@code GET /v1/workers}).
 * @param pool         the pool as this MUX sees it ({@code GET /v1/pool}, {@code ctl pool}), or null when there is no view.
 */
public record AdminTarget(ControlAgent control, BackendChanges changes, Supplier<MuxStats> stats,
    Supplier<ForwardingSnapshot> snapshot, List<FlowTable> flowTables, ConfigSource configSource, List<WorkerCounters> workers,
    Supplier<PoolStatus> pool)
{
    /** A target without a pool view ({@code GET /v1/pool} answers 404). */
    public AdminTarget(final ControlAgent control, final BackendChanges changes, final Supplier<MuxStats> stats,
        final Supplier<ForwardingSnapshot> snapshot, final List<FlowTable> flowTables, final ConfigSource configSource,
        final List<WorkerCounters> workers)
    {
        this(control, changes, stats, snapshot, flowTables, configSource, workers, null);
    }

    /** A target without per-worker counters ({@code GET /v1/workers} lists none). */
    public AdminTarget(final ControlAgent control, final BackendChanges changes, final Supplier<MuxStats> stats,
        final Supplier<ForwardingSnapshot> snapshot, final List<FlowTable> flowTables, final ConfigSource configSource)
    {
        this(control, changes, stats, snapshot, flowTables, configSource, List.of(), null);
    }

    /** Rejects nulls (but {@code configSource} and {@code pool}); copies the list. */
    public AdminTarget
    {
        Objects.requireNonNull(control, "control");
        Objects.requireNonNull(changes, "changes");
        Objects.requireNonNull(stats, "stats");
        Objects.requireNonNull(snapshot, "snapshot");
        flowTables = List.copyOf(flowTables);
        workers = List.copyOf(workers);
    }
}
