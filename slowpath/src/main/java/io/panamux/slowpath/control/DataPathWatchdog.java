package io.panamux.slowpath.control;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

import io.panamux.slowpath.config.IpAddress;
import io.panamux.slowpath.router.RouterControl;

/**
 * Lets the router send this MUX traffic only while the MUX forwards it: the {@link RouterControl} that the
 * MUX's decisions ({@link BackendChanges}, {@link BypassStateMachine}) go through, and a control-thread
 * duty that watches the workers.
 * <pre>
 *                every worker has cycled                     a worker's cycle count stood still
 *   STARTING ──────────────────────────────► FORWARDING ──────────────────────────────────────► STALLED
 *   (nothing       announce every VIP        (instructions     for stallNs: withdraw every VIP   (nothing
 *    announced)                               pass through)  ◄──────────────────────────────────  announced)
 *                                                              every worker cycling steadily again
 *                                   stop() from any state:     for stallNs: announce every VIP again
 *                                   withdraw every VIP, STOPPED
 * </pre>
 * A worker's progress is its duty-cycle count ({@code WorkerCounters.DUTY_CYCLES}), advanced at the end
 * of each cycle, busy or idle: a worker thread that died, hangs or fails on every cycle stops advancing it.
 * A check in which the worker's error count ({@code WorkerCounters.WORKER_ERRORS}: duty cycles that threw)
 * rose is not progress either, even if other cycles completed between the failures: a worker that fails
 * on every burst but cycles when idle is as useless to the router as a stopped one.
 * While not forwarding, the instructions are only recorded: the wanted state (each VIP key, its address, and
 * the backend of a direct route) is what is announced when forwarding starts or resumes, so the router
 * learns the state as it is then, not the history. If the control thread itself ran late by more than
 * {@code stallNs} (a long pause of the whole process), no worker is judged on that check.
 *
 * <p>Instructions and {@link #doWork} come from the control thread, {@link #stop()} from the thread that
 * closes the MUX; every method is synchronized (uncontended but for the stop).
 */
public final class DataPathWatchdog implements ControlAgent.Duty, RouterControl
{
    /** How long a worker's cycle count may stand still before the MUX withdraws its VIPs. */
    public static final long DEFAULT_STALL_NS = 1_000_000_000L;
    /** Time between two readings of the workers' counts. */
    static final long CHECK_INTERVAL_NS = 10_000_000L;
    /**
     * After a stall, a worker counts as cycling again only while its count never stands still for more
     * than the stall time divided by this: it must cycle steadily, not now and then, for the VIPs to return.
     */
    static final long RECOVERY_GAP_DIVISOR = 10;

    /** Whether the router is told the VIPs. */
    public enum State
    {
        /** Not every worker has cycled yet: nothing announced. */
        STARTING,
        /** Every worker cycling: the VIPs are announced and instructions pass through. */
        FORWARDING,
        /** A worker stopped cycling: every VIP withdrawn until they all cycle again. */
        STALLED,
        /** The MUX is stopping: every VIP withdrawn for good. */
        STOPPED
    }

    private record Wanted(IpAddress vip, IpAddress direct)
    {
    }

    private final RouterControl router;
    private final List<LongSupplier> cycles;
    private final List<LongSupplier> errors;
    private final long[] lastErrors;
    private final boolean[] failing;
    private final long stallNs;
    private final PrintStream log;
    private final long[] lastCycles;
    private final long[] progressNs;
    private final boolean[] cycled;
    private final Map<String, Wanted> wanted = new LinkedHashMap<>();
    private State state = State.STARTING;
    private boolean checked;
    private long firstCheckNs;
    private long lastCheckNs;
    private long liveSinceNs = -1;
    private boolean slowStartLogged;
    private long stalls;

    /**
     * @param router  the router instructions go to while the workers forward.
     * @param cycles  each worker's duty-cycle count (any thread may read it).
     * @param stallNs how long a count may stand still before the VIPs are withdrawn, and how long every
     *                count must advance again before they are announced again.
     * @param log     where changes of state are reported, one line each.
     */
    public DataPathWatchdog(final RouterControl router, final List<LongSupplier> cycles, final long stallNs, final PrintStream log)
    {
        this(router, cycles, cycles.stream().<LongSupplier>map(c -> () -> 0).toList(), stallNs, log);
    }

    /**
     * @param router  the router instructions go to while the workers forward.
     * @param cycles  each worker's duty-cycle count (any thread may read it).
     * @param errors  each worker's count of failed duty cycles, in the same order (any thread may read it).
     * @param stallNs how long a worker may make no progress (cycles without failures) before the VIPs are
     *                withdrawn, and how long every worker must progress again before they are announced again.
     * @param log     where changes of state are reported, one line each.
     */
    public DataPathWatchdog(final RouterControl router, final List<LongSupplier> cycles, final List<LongSupplier> errors, final long stallNs,
        final PrintStream log)
    {
        if (errors.size() != cycles.size())
        {
            throw new IllegalArgumentException(cycles.size() + " cycle counts but " + errors.size() + " error counts");
        }
        if (cycles.isEmpty())
        {
            throw new IllegalArgumentException("no worker to watch");
        }
        if (stallNs / RECOVERY_GAP_DIVISOR <= CHECK_INTERVAL_NS)
        {
            throw new IllegalArgumentException("stall time " + stallNs + " ns is not longer than " + RECOVERY_GAP_DIVISOR + " check intervals of " + CHECK_INTERVAL_NS + " ns");
        }
        this.router = router;
        this.cycles = List.copyOf(cycles);
        this.errors = List.copyOf(errors);
        this.lastErrors = new long[cycles.size()];
        this.failing = new boolean[cycles.size()];
        this.stallNs = stallNs;
        this.log = log;
        this.lastCycles = new long[cycles.size()];
        this.progressNs = new long[cycles.size()];
        this.cycled = new boolean[cycles.size()];
        for (int i = 0; i < lastCycles.length; i++)
        {
            lastCycles[i] = this.cycles.get(i).getAsLong();
            lastErrors[i] = this.errors.get(i).getAsLong();
        }
    }

    @Override
    public synchronized int doWork(final long nowNs)
    {
        if (state == State.STOPPED || (checked && nowNs - lastCheckNs < CHECK_INTERVAL_NS))
        {
            return 0;
        }
        // A control thread that did not run for that long saw nothing: the workers get a new chance.
        final boolean blind = checked && nowNs - lastCheckNs > stallNs;
        if (!checked)
        {
            firstCheckNs = nowNs;
        }
        checked = true;
        lastCheckNs = nowNs;
        int notStarted = -1;
        int stalled = -1;
        boolean lagging = false;
        for (int i = 0; i < lastCycles.length; i++)
        {
            final long c = cycles.get(i).getAsLong();
            final long e = errors.get(i).getAsLong();
            failing[i] = e != lastErrors[i];
            lastErrors[i] = e;
            if (failing[i])
            {
                // Cycles completed between failures are no progress: only what it forwards counts.
                lastCycles[i] = c;
            }
            else if (c != lastCycles[i])
            {
                lastCycles[i] = c;
                progressNs[i] = nowNs;
                cycled[i] = true;
            }
            else if (blind)
            {
                progressNs[i] = nowNs;
            }
            if (!cycled[i])
            {
                notStarted = notStarted < 0 ? i : notStarted;
            }
            else if (nowNs - progressNs[i] > stallNs && stalled < 0)
            {
                stalled = i;
            }
            lagging |= !cycled[i] || nowNs - progressNs[i] > stallNs / RECOVERY_GAP_DIVISOR;
        }
        return switch (state)
        {
            case STARTING -> starting(nowNs, notStarted);
            case FORWARDING -> forwarding(nowNs, stalled);
            case STALLED -> stalled(nowNs, lagging);
            case STOPPED -> 0;
        };
    }

    private int starting(final long nowNs, final int notStarted)
    {
        if (notStarted >= 0)
        {
            if (!slowStartLogged && nowNs - firstCheckNs > stallNs)
            {
                slowStartLogged = true;
                log.printf("panamux: data path: worker %d has not started cycling after %d ms: nothing announced yet%n", notStarted,
                    (nowNs - firstCheckNs) / 1_000_000);
            }
            return 0;
        }
        log.printf("panamux: data path: every worker is cycling: announcing %d VIP(s)%n", wanted.size());
        state = State.FORWARDING;
        announceAll();
        return 1;
    }

    private int forwarding(final long nowNs, final int stalled)
    {
        if (stalled < 0)
        {
            return 0;
        }
        stalls++;
        log.printf("panamux: data path: worker %d has %s for %d ms: withdrawing every VIP%n", stalled,
            failing[stalled] ? "been failing (worker_errors rising)" : "not completed a duty cycle", (nowNs - progressNs[stalled]) / 1_000_000);
        state = State.STALLED;
        liveSinceNs = -1;
        withdrawAll();
        return 1;
    }

    private int stalled(final long nowNs, final boolean lagging)
    {
        if (lagging)
        {
            liveSinceNs = -1;
            return 0;
        }
        if (liveSinceNs < 0)
        {
            liveSinceNs = nowNs;
            return 0;
        }
        if (nowNs - liveSinceNs < stallNs)
        {
            return 0;
        }
        log.printf("panamux: data path: every worker has been cycling again for %d ms: announcing %d VIP(s) again%n",
            (nowNs - liveSinceNs) / 1_000_000, wanted.size());
        state = State.FORWARDING;
        announceAll();
        return 1;
    }

    private void announceAll()
    {
        for (final Map.Entry<String, Wanted> e : wanted.entrySet())
        {
            final Wanted w = e.getValue();
            router.announce(e.getKey(), w.vip());
            if (w.direct() != null)
            {
                router.routeDirect(e.getKey(), w.vip(), w.direct());
            }
        }
    }

    private void withdrawAll()
    {
        for (final Map.Entry<String, Wanted> e : wanted.entrySet())
        {
            router.withdraw(e.getKey(), e.getValue().vip());
        }
    }

    /**
     * Withdraws every VIP for good (the MUX is stopping): the router moves the traffic away while the
     * workers still forward what is on its way. Instructions after this are recorded only.
     *
     * @return whether anything was announced (and so withdrawn now).
     */
    public synchronized boolean stop()
    {
        if (state == State.STOPPED)
        {
            return false;
        }
        final boolean announced = state == State.FORWARDING;
        state = State.STOPPED;
        if (announced)
        {
            log.printf("panamux: data path: stopping: withdrawing every VIP%n");
            withdrawAll();
        }
        return announced;
    }

    @Override
    public void onClose()
    {
        stop();
    }

    /** @return whether the router is told the VIPs, and why not. */
    public synchronized State state()
    {
        return state;
    }

    /** @return how many times the workers stalled while forwarding. */
    public synchronized long stalls()
    {
        return stalls;
    }

    /**
     * @return what is to be announced when forwarding (whether or not it is now), per VIP key: {@code pool}
     *         or {@code direct BACKEND}.
     */
    public synchronized Map<String, String> wanted()
    {
        final Map<String, String> out = new LinkedHashMap<>();
        wanted.forEach((key, w) -> out.put(key, w.direct() == null ? "pool" : "direct " + w.direct()));
        return out;
    }

    @Override
    public synchronized void announce(final String vipKey, final IpAddress vip)
    {
        wanted.put(vipKey, new Wanted(vip, null));
        if (state == State.FORWARDING)
        {
            router.announce(vipKey, vip);
        }
    }

    @Override
    public synchronized void withdraw(final String vipKey, final IpAddress vip)
    {
        wanted.remove(vipKey);
        if (state == State.FORWARDING)
        {
            router.withdraw(vipKey, vip);
        }
    }

    @Override
    public synchronized void routeDirect(final String vipKey, final IpAddress vip, final IpAddress backend)
    {
        wanted.put(vipKey, new Wanted(vip, backend));
        if (state == State.FORWARDING)
        {
            router.routeDirect(vipKey, vip, backend);
        }
    }

    @Override
    public synchronized void routeToPool(final String vipKey, final IpAddress vip)
    {
        wanted.put(vipKey, new Wanted(vip, null));
        if (state == State.FORWARDING)
        {
            router.routeToPool(vipKey, vip);
        }
    }
}
