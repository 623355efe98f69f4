package io.panamux.slowpath.control;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

import org.junit.jupiter.api.Test;

import io.panamux.slowpath.config.IpAddress;
import io.panamux.slowpath.router.InProcessRouterControl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The data-path watchdog on a fake clock, fake workers (cycle counts the test advances) and a recording
 * router: nothing announced before every worker cycles, every VIP withdrawn when one stops, announced again
 * (in its state of then) after they all cycle again for the stall time, withdrawn for good at stop.
 */
class DataPathWatchdogTest
{
    private static final long MS = 1_000_000L;
    private static final long STALL = 1000 * MS;
    private static final IpAddress VIP = IpAddress.parse("192.0.2.10");
    private static final IpAddress VIP2 = IpAddress.parse("192.0.2.11");
    private static final IpAddress B3 = IpAddress.parse("198.18.23.2");

    private final AtomicLong worker0 = new AtomicLong();
    private final AtomicLong worker1 = new AtomicLong();
    private final InProcessRouterControl router = new InProcessRouterControl();
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final DataPathWatchdog watchdog = new DataPathWatchdog(router, List.<LongSupplier>of(worker0::get, worker1::get), STALL,
        new PrintStream(out, true, StandardCharsets.UTF_8));
    private long now = 1_000_000_000_000L;

    /** Advances the clock in check-sized steps, each worker cycling when told, running the duty each step. */
    private void run(final long durationNs, final boolean cycle0, final boolean cycle1)
    {
        final long end = now + durationNs;
        while (now < end)
        {
            now += DataPathWatchdog.CHECK_INTERVAL_NS;
            if (cycle0)
            {
                worker0.addAndGet(1000);
            }
            if (cycle1)
            {
                worker1.addAndGet(1000);
            }
            watchdog.doWork(now);
        }
    }

    private List<String> told()
    {
        return router.instructions().stream().map(Object::toString).toList();
    }

    private String log()
    {
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void announcesNothingUntilEveryWorkerCyclesThenTheWantedState()
    {
        // What the MUX decides at start, before its workers run.
        watchdog.announce("192.0.2.10:80/tcp", VIP);
        watchdog.announce("192.0.2.11:80/tcp", VIP2);
        watchdog.routeDirect("192.0.2.11:80/tcp", VIP2, B3);
        watchdog.doWork(now);
        run(5 * STALL, true, false);
        assertEquals(List.of(), told(), "one worker has not started: nothing announced");
        assertEquals(DataPathWatchdog.State.STARTING, watchdog.state());
        assertTrue(log().contains("panamux: data path: worker 1 has not started cycling after 10"), log());

        run(DataPathWatchdog.CHECK_INTERVAL_NS, true, true);
        assertEquals(DataPathWatchdog.State.FORWARDING, watchdog.state());
        assertEquals(List.of("announce 192.0.2.10:80/tcp", "announce 192.0.2.11:80/tcp", "route-direct 192.0.2.11:80/tcp 198.18.23.2"),
            told());
        assertTrue(log().contains("panamux: data path: every worker is cycling: announcing 2 VIP(s)"), log());

        // Forwarding: instructions pass straight through, in order.
        watchdog.routeToPool("192.0.2.11:80/tcp", VIP2);
        watchdog.withdraw("192.0.2.10:80/tcp", VIP);
        assertEquals(List.of("route-to-pool 192.0.2.11:80/tcp", "withdraw 192.0.2.10:80/tcp"), told().subList(3, 5));
        assertEquals(Map.of("192.0.2.11:80/tcp", "pool"), watchdog.wanted());
    }

    @Test
    void withdrawsEveryVipWhenAWorkerStopsAndAnnouncesAgainOnceAllCycleForTheStallTime()
    {
        watchdog.announce("192.0.2.10:80/tcp", VIP);
        watchdog.announce("192.0.2.11:80/tcp", VIP2);
        run(100 * MS, true, true);
        assertEquals(2, told().size());

        // Worker 1 stops: not yet a stall at just under the stall time, one after.
        run(STALL - 20 * MS, true, false);
        assertEquals(DataPathWatchdog.State.FORWARDING, watchdog.state());
        run(40 * MS, true, false);
        assertEquals(DataPathWatchdog.State.STALLED, watchdog.state());
        assertEquals(List.of("withdraw 192.0.2.10:80/tcp", "withdraw 192.0.2.11:80/tcp"), told().subList(2, 4));
        assertTrue(log().contains("panamux: data path: worker 1 has not completed a duty cycle for 10"), log());
        assertEquals(1, watchdog.stalls());

        // Decisions while stalled are recorded, not sent.
        watchdog.routeDirect("192.0.2.11:80/tcp", VIP2, B3);
        watchdog.withdraw("192.0.2.10:80/tcp", VIP);
        assertEquals(4, told().size());

        // It cycles a little, stops again: no flapping back.
        run(300 * MS, true, true);
        run(STALL + 20 * MS, true, false);
        assertEquals(DataPathWatchdog.State.STALLED, watchdog.state());
        assertEquals(4, told().size());

        // Both cycle for the stall time: the state of now is announced, once.
        run(STALL + 20 * MS, true, true);
        assertEquals(DataPathWatchdog.State.FORWARDING, watchdog.state());
        assertEquals(List.of("announce 192.0.2.11:80/tcp", "route-direct 192.0.2.11:80/tcp 198.18.23.2"), told().subList(4, told().size()));
        assertTrue(log().contains("panamux: data path: every worker has been cycling again for 10"), log());
        run(5 * STALL, true, true);
        assertEquals(6, told().size());
        assertEquals(1, watchdog.stalls(), "the second stop came while already withdrawn");
    }

    @Test
    void aControlThreadThatRanLateJudgesNoWorkerOnThatCheck()
    {
        watchdog.announce("192.0.2.10:80/tcp", VIP);
        run(100 * MS, true, true);
        assertEquals(DataPathWatchdog.State.FORWARDING, watchdog.state());

        // The whole process paused for three stall times (the control thread with it): the workers have not
        // run yet when the control thread looks again.
        now += 3 * STALL;
        watchdog.doWork(now);
        assertEquals(DataPathWatchdog.State.FORWARDING, watchdog.state());
        run(200 * MS, true, true);
        assertEquals(DataPathWatchdog.State.FORWARDING, watchdog.state());
        assertEquals(List.of("announce 192.0.2.10:80/tcp"), told());

        // The same pause, after which a worker really stands still: withdrawn one stall time later.
        now += 3 * STALL;
        watchdog.doWork(now);
        run(STALL / 2, true, false);
        assertEquals(DataPathWatchdog.State.FORWARDING, watchdog.state());
        run(STALL / 2 + 20 * MS, true, false);
        assertEquals(DataPathWatchdog.State.STALLED, watchdog.state());
    }

    @Test
    void stopWithdrawsWhatIsAnnouncedAndSendsNothingAfter()
    {
        watchdog.announce("192.0.2.10:80/tcp", VIP);
        watchdog.announce("192.0.2.11:80/tcp", VIP2);
        run(100 * MS, true, true);

        assertTrue(watchdog.stop());
        assertEquals(DataPathWatchdog.State.STOPPED, watchdog.state());
        assertEquals(List.of("announce 192.0.2.10:80/tcp", "announce 192.0.2.11:80/tcp", "withdraw 192.0.2.10:80/tcp",
            "withdraw 192.0.2.11:80/tcp"), told());
        watchdog.announce("192.0.2.12:80/tcp", IpAddress.parse("192.0.2.12"));
        run(5 * STALL, true, true);
        assertEquals(4, told().size());
        assertFalse(watchdog.stop(), "stopped once");
        assertTrue(log().contains("panamux: data path: stopping: withdrawing every VIP"), log());
    }

    @Test
    void stopBeforeForwardingWithdrawsNothing()
    {
        watchdog.announce("192.0.2.10:80/tcp", VIP);
        run(100 * MS, false, false);

        assertFalse(watchdog.stop());
        assertEquals(List.of(), told());
    }
}
