package io.panamux.slowpath.control;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.panamux.fastpath.snapshot.Backend;
import io.panamux.fastpath.snapshot.ForwardingSnapshot;
import io.panamux.fastpath.snapshot.SnapshotSlot;
import io.panamux.fastpath.snapshot.Vip;
import io.panamux.fastpath.snapshot.VipTable;
import io.panamux.flow.FlowHash;
import io.panamux.flow.FlowTable;
import io.panamux.flow.FlowVisitor;
import io.panamux.slowpath.control.SnapshotPublisher.VipState;

/**
 * Ends stateful phases (ARCHITECTURE.md §1 item 2): a control-thread duty that decides when the
 * connections a backend change had to protect are gone, without ever blocking a worker.
 *
 * <h2>How</h2>
 * While any VIP is stateful, it scans the workers' flow tables with {@link FlowTable#forEach}, which is
 * safe beside the table's writer: one table per duty cycle, a whole pass every {@code scanIntervalNs}, or
 * every ten times the last pass's cost when that is longer (a table of millions of slots takes a good part of
 * a second to read; the control thread has other duties). A
 * recorded flow <em>still needs state</em> when its VIP is stateful, its recorded backend is still one of
 * the VIP's backends, and the VIP's current Maglev table would send it elsewhere (recomputing the flow
 * hash exactly as the workers do). Flows whose backend is the current table's choice need nothing: the
 * stateless VIP sends them to the same place. Flows of a removed backend cannot be kept anyway.
 *
 * <p>A VIP's phase ends at the end of a pass that began after the phase began, once the phase is at least
 * {@code minimumPhaseNs} old, when either no flow of the VIP still needs state, or none of those flows was
 * seen by a worker for {@code idleTimeoutNs} (their last-seen times did not advance between passes). The
 * minimum exists because connections opened before the change that have not sent a packet since are not
 * in any table yet: they are kept only while the phase lasts (the MUX runs it for the flow idle timeout,
 * the time after which such a connection counts as idled out anyway).
 *
 * <p>The estimate shown by {@code ctl vips} is the later of the minimum's end and the last observed
 * activity of a flow that needs state plus the idle timeout. Control thread only.
 */
public final class StatefulPhaseTracker implements ControlAgent.Duty
{
    /** A pass starts no sooner than this many times its own cost after the previous one (the thread's share). */
    public static final int DEFAULT_COST_FACTOR = 10;

    /** Per-VIP progress of the current phase. */
    private static final class Phase
    {
        final long sinceNs;
        long lastActivityNs;
        long pendingFlows = -1;
        int[] lastSeenMax;

        Phase(final long sinceNs, final int workers)
        {
            this.sinceNs = sinceNs;
            this.lastActivityNs = sinceNs;
            this.lastSeenMax = new int[workers];
            Arrays.fill(lastSeenMax, Integer.MIN_VALUE);
        }
    }

    /** What one pass found for one VIP. */
    private static final class Found
    {
        long pending;
        final int[] lastSeenMax;

        Found(final int workers)
        {
            lastSeenMax = new int[workers];
            Arrays.fill(lastSeenMax, Integer.MIN_VALUE);
        }
    }

    /** Counts, for one table and one snapshot, the flows that still need state, by VIP index. */
    private static final class Scan implements FlowVisitor
    {
        ForwardingSnapshot snapshot;
        long[] pending = new long[0];
        int[] lastSeenMax = new int[0];

        void reset(final ForwardingSnapshot s)
        {
            snapshot = s;
            final int n = s.vips().length;
            if (pending.length < n)
            {
                pending = new long[n];
                lastSeenMax = new int[n];
            }
            Arrays.fill(pending, 0);
            Arrays.fill(lastSeenMax, Integer.MIN_VALUE);
        }

        @Override
        public void onV4(final int srcAddr, final int dstAddr, final int srcPort, final int dstPort, final int protocol,
            final int backendId, final int lastSeen, final int flags)
        {
            final int index = snapshot.vipTable().findV4(dstAddr, dstPort, protocol);
            if (index >= 0 && snapshot.vips()[index].mode() == Vip.MODE_STATEFUL)
            {
                count(index, backendId, lastSeen, FlowHash.hashV4(snapshot.hashSeed(), srcAddr, dstAddr, srcPort, dstPort, protocol));
            }
        }

        @Override
        public void onV6(final long srcHi, final long srcLo, final long dstHi, final long dstLo, final int srcPort, final int dstPort,
            final int protocol, final int backendId, final int lastSeen, final int flags)
        {
            final int index = snapshot.vipTable().findV6(dstHi, dstLo, dstPort, protocol);
            if (index >= 0 && snapshot.vips()[index].mode() == Vip.MODE_STATEFUL)
            {
                count(index, backendId, lastSeen,
                    FlowHash.hashV6(snapshot.hashSeed(), srcHi, srcLo, dstHi, dstLo, srcPort, dstPort, protocol));
            }
        }

        private void count(final int index, final int backendId, final int lastSeen, final long hash)
        {
            final Vip vip = snapshot.vips()[index];
            final Backend recorded = snapshot.backend(backendId);
            if (recorded == null || recorded.vipIndex() != index)
            {
                return;
            }
            final Backend current = vip.backendForNew(hash);
            if (current == null || current.id() != backendId)
            {
                pending[index]++;
                lastSeenMax[index] = Math.max(lastSeenMax[index], lastSeen);
            }
        }
    }

    private final ControlAgent control;
    private final SnapshotSlot slot;
    private final List<FlowTable> tables;
    private final long minimumPhaseNs;
    private final long idleTimeoutNs;
    private final long scanIntervalNs;
    private final int costFactor;
    private final Scan scan = new Scan();
    private final Map<String, Found> found = new HashMap<>();
    private final Map<String, Phase> phases = new HashMap<>();
    private int cursor;
    private long passStartNs;
    private long nextPassNs = Long.MIN_VALUE;
    private long passes;
    private long passCostNs;

    /**
     * @param control        the agent whose VIP state this reads and ends phases in.
     * @param slot           where the current snapshot is (the tables' flows are judged against it).
     * @param tables         every worker's flow table, in worker order.
     * @param minimumPhaseNs the shortest phase (the MUX uses the flow idle timeout).
     * @param idleTimeoutNs  the flow idle timeout.
     * @param scanIntervalNs time between the starts of two passes over the tables.
     */
    public StatefulPhaseTracker(final ControlAgent control, final SnapshotSlot slot, final List<FlowTable> tables,
        final long minimumPhaseNs, final long idleTimeoutNs, final long scanIntervalNs)
    {
        this(control, slot, tables, minimumPhaseNs, idleTimeoutNs, scanIntervalNs, DEFAULT_COST_FACTOR);
    }

    /**
     * @param control        the agent whose VIP state this reads and ends phases in.
     * @param slot           where the current snapshot is (the tables' flows are judged against it).
     * @param tables         every worker's flow table, in worker order.
     * @param minimumPhaseNs the shortest phase (the MUX uses the flow idle timeout).
     * @param idleTimeoutNs  the flow idle timeout.
     * @param scanIntervalNs time between the starts of two passes over the tables.
     * @param costFactor     a pass starts no sooner than this many times the real time the previous one took
     *                       (0: only {@code scanIntervalNs} paces them, as tests on a fake clock want).
     */
    public StatefulPhaseTracker(final ControlAgent control, final SnapshotSlot slot, final List<FlowTable> tables,
        final long minimumPhaseNs, final long idleTimeoutNs, final long scanIntervalNs, final int costFactor)
    {
        this.costFactor = costFactor;
        this.control = control;
        this.slot = slot;
        this.tables = List.copyOf(tables);
        this.minimumPhaseNs = minimumPhaseNs;
        this.idleTimeoutNs = idleTimeoutNs;
        this.scanIntervalNs = scanIntervalNs;
    }

    @Override
    public int doWork(final long nowNs)
    {
        if (!anyStateful())
        {
            phases.clear();
            found.clear();
            cursor = 0;
            return 0;
        }
        if (cursor == 0)
        {
            if (nowNs - nextPassNs < 0 && nextPassNs != Long.MIN_VALUE)
            {
                return 0;
            }
            passStartNs = nowNs;
            // A full table costs milliseconds per million slots: large tables are scanned less often, so
            // the scans never take more than a tenth of the control thread.
            nextPassNs = nowNs + Math.max(scanIntervalNs, costFactor * passCostNs);
            passCostNs = 0;
            found.clear();
        }
        if (cursor < tables.size())
        {
            // Real time, not the agent's clock: this measures work done, to pace the next pass.
            final long started = System.nanoTime();
            scanTable(cursor);
            passCostNs += System.nanoTime() - started;
            cursor++;
        }
        if (cursor >= tables.size())
        {
            cursor = 0;
            passes++;
            endPass(nowNs);
        }
        return 1;
    }

    private boolean anyStateful()
    {
        for (final VipState s : control.publisher().vips().values())
        {
            if (s.mode() == Vip.MODE_STATEFUL)
            {
                return true;
            }
        }
        return false;
    }

    private void scanTable(final int worker)
    {
        final ForwardingSnapshot snapshot = slot.current();
        scan.reset(snapshot);
        tables.get(worker).forEach(scan, Integer.MAX_VALUE);
        final Vip[] vips = snapshot.vips();
        for (int i = 0; i < vips.length; i++)
        {
            if (scan.pending[i] > 0)
            {
                final Found f = found.computeIfAbsent(vips[i].text(), k -> new Found(tables.size()));
                f.pending += scan.pending[i];
                f.lastSeenMax[worker] = Math.max(f.lastSeenMax[worker], scan.lastSeenMax[i]);
            }
        }
    }

    private void endPass(final long nowNs)
    {
        boolean ended = false;
        for (final VipState s : control.publisher().vips().values())
        {
            final String key = s.config().key();
            if (s.mode() != Vip.MODE_STATEFUL)
            {
                phases.remove(key);
                continue;
            }
            Phase p = phases.get(key);
            if (p == null || p.sinceNs != s.statefulSinceNs())
            {
                p = new Phase(s.statefulSinceNs(), tables.size());
                phases.put(key, p);
            }
            if (passStartNs - p.sinceNs < 0)
            {
                // The pass began before the change: it judged flows against an older table.
                continue;
            }
            final Found f = found.get(key);
            p.pendingFlows = f == null ? 0 : f.pending;
            if (f != null)
            {
                for (int w = 0; w < tables.size(); w++)
                {
                    if (f.lastSeenMax[w] > p.lastSeenMax[w])
                    {
                        p.lastActivityNs = nowNs;
                    }
                }
                p.lastSeenMax = f.lastSeenMax.clone();
            }
            final boolean oldEnough = nowNs - p.sinceNs >= minimumPhaseNs;
            if (oldEnough && (p.pendingFlows == 0 || nowNs - p.lastActivityNs >= idleTimeoutNs))
            {
                control.publisher().endStatefulPhase(s);
                phases.remove(key);
                ended = true;
            }
        }
        if (ended)
        {
            control.snapshotChanged();
        }
    }

    /**
     * @param vip a VIP in its stateful phase.
     * @return when its phase is expected to end, on the control clock.
     */
    public long estimatedEndNs(final VipState vip)
    {
        final long minimumEnd = vip.statefulSinceNs() + minimumPhaseNs;
        final Phase p = phases.get(vip.config().key());
        if (p == null || p.sinceNs != vip.statefulSinceNs() || p.pendingFlows <= 0)
        {
            return minimumEnd;
        }
        return Math.max(minimumEnd, p.lastActivityNs + idleTimeoutNs);
    }

    /**
     * @param vip a VIP in its stateful phase.
     * @return the flows that still needed state at the last complete pass, or -1 before the first.
     */
    public long pendingFlows(final VipState vip)
    {
        final Phase p = phases.get(vip.config().key());
        return p == null || p.sinceNs != vip.statefulSinceNs() ? -1 : p.pendingFlows;
    }

    /** @return complete passes over the tables so far. */
    public long passes()
    {
        return passes;
    }
}
