package io.panamux.slowpath.control;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;

import io.panamux.slowpath.config.IpAddress;
import io.panamux.slowpath.router.RouterControl;

/**
 * Withdraws a VIP from the router while none of its backends is healthy, so that the router sends its
 * traffic to MUXes (or pools) that can deliver it instead of to this one, which could only drop it; and
 * announces it again as soon as one backend is healthy. A {@link RouterControl} between the MUX's decisions
 * ({@link BypassStateMachine}) and the router, and a control-thread duty for the hold-down timer.
 * <pre>
 *              no healthy backend                  still none after hold-down
 *   ANNOUNCED ───────────────────► DOWN ───────────────────────────────────► WITHDRAWN
 *      ▲  ▲      a backend healthy  │                                           │
 *      │  └─────────────────────────┘        a backend healthy: announce again   │
 *      └─────────────────────────────────────────────────────────────────────────┘
 * </pre>
 * <ul>
 *   <li><b>Hold-down</b>: a VIP is withdrawn only after it has had no healthy backend for its
 *   {@code health-check.hold-down-ms}; a backend that fails and recovers within it moves no route. It comes
 *   back as soon as a backend is healthy again, which the backend's {@code rise} good checks in a row already
 *   damp: a flapping backend changes the route at most once per hold-down.</li>
 *   <li><b>Start-up grace</b>: a backend counts as healthy until its first {@code fall} checks have failed
 *   ({@code io.panamux.slowpath.health.HealthChecks}), so a MUX that starts or restarts announces its VIPs
 *   as soon as its workers forward and withdraws only those whose backends prove dead: no black hole while
 *   the first checks run.</li>
 *   <li>Only VIPs with a health check and at least one configured backend can be withdrawn this way.</li>
 * </ul>
 * While a VIP is withdrawn, the instructions for it are recorded, not passed on: when it comes back, the
 * router is told the state as it is then (the pool, or the direct route of a single backend).
 *
 * <p>Control thread only.
 */
public final class VipHealthGate implements RouterControl, ControlAgent.Duty
{
    /** One VIP key as the MUX wants it announced, and whether its backends let it be. */
    private static final class Entry
    {
        final IpAddress vip;
        IpAddress direct;
        boolean down;
        long downSinceNs;
        long holdDownNs;
        boolean withdrawn;

        Entry(final IpAddress vip)
        {
            this.vip = vip;
        }
    }

    private final RouterControl router;
    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private PrintStream log;
    private long withdrawals;

    /** @param router where the instructions go while a VIP may be announced. */
    public VipHealthGate(final RouterControl router)
    {
        this.router = router;
    }

    /**
     * @param log where each health withdrawal and return is reported, one line each (null: nowhere).
     * @return this gate.
     */
    public VipHealthGate log(final PrintStream log)
    {
        this.log = log;
        return this;
    }

    /**
     * Told after every change of a VIP's table (and at start): whether none of its backends is healthy.
     *
     * @param vipKey     the VIP.
     * @param down       whether it has a health check, backends, and not one of them healthy.
     * @param holdDownNs how long it must stay so before it is withdrawn.
     * @param nowNs      the control thread's clock.
     */
    public void health(final String vipKey, final boolean down, final long holdDownNs, final long nowNs)
    {
        final Entry e = entries.get(vipKey);
        if (e == null)
        {
            return;
        }
        e.holdDownNs = holdDownNs;
        if (down && !e.down)
        {
            e.down = true;
            e.downSinceNs = nowNs;
        }
        else if (!down && e.down)
        {
            e.down = false;
            if (e.withdrawn)
            {
                e.withdrawn = false;
                say("panamux: health: " + vipKey + " has a healthy backend again: announcing it");
                router.announce(vipKey, e.vip);
                if (e.direct != null)
                {
                    router.routeDirect(vipKey, e.vip, e.direct);
                }
            }
        }
    }

    @Override
    public int doWork(final long nowNs)
    {
        int work = 0;
        for (final Map.Entry<String, Entry> m : entries.entrySet())
        {
            final Entry e = m.getValue();
            if (e.down && !e.withdrawn && nowNs - e.downSinceNs >= e.holdDownNs)
            {
                e.withdrawn = true;
                withdrawals++;
                say("panamux: health: " + m.getKey() + " has had no healthy backend for " + (nowNs - e.downSinceNs) / 1_000_000 +
                    " ms (hold-down " + e.holdDownNs / 1_000_000 + " ms): withdrawing it");
                router.withdraw(m.getKey(), e.vip);
                work++;
            }
        }
        return work;
    }

    /**
     * @param vipKey the VIP.
     * @return whether its backends let it be announced (true for a VIP this gate does not know).
     */
    public boolean announced(final String vipKey)
    {
        final Entry e = entries.get(vipKey);
        return e == null || !e.withdrawn;
    }

    /**
     * @param vipKey the VIP.
     * @param nowNs  the control thread's clock.
     * @return {@code announced}, {@code withdrawing in N ms (no healthy backend)} or
     *         {@code withdrawn (no healthy backend for N ms)}.
     */
    public String announcement(final String vipKey, final long nowNs)
    {
        final Entry e = entries.get(vipKey);
        if (e == null || !e.down)
        {
            return "announced";
        }
        if (!e.withdrawn)
        {
            return "withdrawing in " + Math.max(0, (e.downSinceNs + e.holdDownNs - nowNs) / 1_000_000) + " ms (no healthy backend)";
        }
        return "withdrawn (no healthy backend for " + (nowNs - e.downSinceNs) / 1_000_000 + " ms)";
    }

    /** @return how many times a VIP was withdrawn because none of its backends was healthy. */
    public long withdrawals()
    {
        return withdrawals;
    }

    @Override
    public void announce(final String vipKey, final IpAddress vip)
    {
        final Entry e = entries.computeIfAbsent(vipKey, k -> new Entry(vip));
        e.direct = null;
        if (!e.withdrawn)
        {
            router.announce(vipKey, vip);
        }
    }

    @Override
    public void withdraw(final String vipKey, final IpAddress vip)
    {
        final Entry e = entries.remove(vipKey);
        // A VIP withdrawn for its health is withdrawn already.
        if (e == null || !e.withdrawn)
        {
            router.withdraw(vipKey, vip);
        }
    }

    @Override
    public void routeDirect(final String vipKey, final IpAddress vip, final IpAddress backend)
    {
        final Entry e = entries.computeIfAbsent(vipKey, k -> new Entry(vip));
        e.direct = backend;
        if (!e.withdrawn)
        {
            router.routeDirect(vipKey, vip, backend);
        }
    }

    @Override
    public void routeToPool(final String vipKey, final IpAddress vip)
    {
        final Entry e = entries.computeIfAbsent(vipKey, k -> new Entry(vip));
        e.direct = null;
        if (!e.withdrawn)
        {
            router.routeToPool(vipKey, vip);
        }
    }

    private void say(final String line)
    {
        if (log != null)
        {
            log.println(line);
        }
    }
}
