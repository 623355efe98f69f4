package io.panamux.slowpath.control;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.panamux.fastpath.snapshot.Vip;
import io.panamux.slowpath.config.IpAddress;
import io.panamux.slowpath.config.VipConfig;
import io.panamux.slowpath.control.SnapshotPublisher.BackendState;
import io.panamux.slowpath.control.SnapshotPublisher.VipState;
import io.panamux.slowpath.router.RouterControl;

/**
 * The single-backend bypass of ARCHITECTURE.md §1 item 4, per VIP:
 * <pre>
 *            one backend (healthy, not draining, weight &gt; 0)
 *   pool ─────────────────────────────────────────────► bypass
 *    ▲    mark BYPASS, publish, router: routeDirect(VIP, B) │
 *    │                                                      │ any other backend set
 *    └──────────────────────────────────────────────────────┘
 *       clear the mark: stateful phase with the bypass table [B] as the previous table,
 *       publish, router: routeToPool(VIP)
 * </pre>
 * While a VIP is bypassed the MUX keeps no flow state for it (workers still forward what reaches them, to
 * the one backend, statelessly). When it stops being bypassed, the connections opened during the bypass
 * never went through the MUX: their next packets arrive mid-connection, unrecorded, and the previous table
 * (the single backend) keeps them on it; the {@link StatefulPhaseTracker} ends the phase when they are gone.
 *
 * <p>Router instructions are queued by {@link #settle} and sent by {@link #flush}, which the caller runs
 * after publishing the snapshot, so the MUX is ready for a VIP's traffic before the router sends it back.
 * Control thread only.
 */
public final class BypassStateMachine
{
    private final SnapshotPublisher publisher;
    private final RouterControl router;
    private final Map<String, IpAddress> direct = new HashMap<>();
    private final List<Runnable> pending = new ArrayList<>();

    /**
     * @param publisher the VIP state to mark.
     * @param router    where routing instructions go.
     */
    public BypassStateMachine(final SnapshotPublisher publisher, final RouterControl router)
    {
        this.publisher = publisher;
        this.router = router;
    }

    /**
     * @param backends a VIP's published backends.
     * @return the one backend that takes every new flow when there is exactly one and it may take flows
     *         (not draining, weight above 0), else null.
     */
    public static BackendState singleBackend(final List<BackendState> backends)
    {
        if (backends.size() != 1)
        {
            return null;
        }
        final BackendState b = backends.get(0);
        return b.draining() || b.weight() <= 0 ? null : b;
    }

    /**
     * Sets or clears the VIP's mark after its backends changed (or at start) and queues the router
     * instructions that follow.
     *
     * @param vip   the VIP, its backends already changed.
     * @param nowNs the control thread's clock.
     */
    public void settle(final VipState vip, final long nowNs)
    {
        final String key = vip.config().key();
        final IpAddress address = vip.config().address();
        final BackendState single = singleBackend(vip.backends());
        if (single != null)
        {
            if (vip.mode() != Vip.MODE_BYPASS)
            {
                publisher.markBypass(vip);
            }
            final IpAddress target = single.address();
            if (!target.equals(direct.get(key)))
            {
                direct.put(key, target);
                pending.add(() -> router.routeDirect(key, address, target));
            }
        }
        else
        {
            publisher.leaveBypass(vip, nowNs);
            if (direct.remove(key) != null)
            {
                pending.add(() -> router.routeToPool(key, address));
            }
        }
    }

    /** Queues the announcement of a VIP that is new to this MUX. */
    public void announce(final VipConfig vip)
    {
        final String key = vip.key();
        final IpAddress address = vip.address();
        pending.add(() -> router.announce(key, address));
    }

    /** Queues the withdrawal of a VIP that is no longer configured (its direct route goes with it). */
    public void withdraw(final VipConfig vip)
    {
        final String key = vip.key();
        final IpAddress address = vip.address();
        direct.remove(key);
        pending.add(() -> router.withdraw(key, address));
    }

    /** Sends the queued router instructions, in order; call after publishing the snapshot they follow. */
    public void flush()
    {
        for (final Runnable r : pending)
        {
            r.run();
        }
        pending.clear();
    }

    /** @return what the router was told for the VIP: {@code pool} or {@code direct ADDRESS}. */
    public String route(final String vipKey)
    {
        final IpAddress to = direct.get(vipKey);
        return to == null ? "pool" : "direct " + to;
    }
}
