package io.panamux.perf.worker;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.LongSupplier;

import io.panamux.dpdk.PacketPool;
import io.panamux.dpdk.RingPorts;
import io.panamux.fastpath.WorkerAgent;
import io.panamux.fastpath.WorkerCounters;
import io.panamux.fastpath.packet.DropReason;
import io.panamux.fastpath.snapshot.Backend;
import io.panamux.fastpath.snapshot.ForwardingSnapshot;
import io.panamux.fastpath.snapshot.Vip;
import io.panamux.fastpath.snapshot.VipTable;
import io.panamux.perf.traffic.ClientFrames;
import io.panamux.slowpath.config.IpAddress;
import io.panamux.slowpath.control.DataPathWatchdog;
import io.panamux.slowpath.router.InProcessRouterControl;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 9 item 2: a worker whose duty cycle throws part-way through a burst. The failure is injected with
 * a broken snapshot (a VIP whose Maglev table names a backend its array does not have), so the worker
 * throws in stage two after it has buffered some of the burst's packets: every mbuf comes back (sent or
 * freed), {@code worker_errors} counts the failed cycles, the log gets one stack trace and then a line per
 * interval at most, and the data-path watchdog withdraws the VIPs while the worker keeps failing and
 * announces them again once it forwards.
 */
class WorkerFailureTest
{
    private static final String CONFIG = """
        mux:
          name: mux-failure
          address: 10.0.0.10
          hash-seed: 0x5eed
        dataplane:
          eal: []
          port: 0
          workers: 1
          gateway-mac: "02:00:00:00:00:fe"
          flow-table: { capacity: 16384, idle-timeout-seconds: 300 }
          maglev-table-size: 1009
        vips:
          - address: 192.0.2.10
            port: 80
            protocol: tcp
            backends:
              - { address: 10.1.0.1, weight: 1 }
              - { address: 10.1.0.2, weight: 1 }
        """;
    private static final int VIP = 0xC000020A;
    private static final int CLIENT = 0xC6336407;
    private static final long MS = 1_000_000L;

    private static RingRig rig;
    private static PacketPool pool;
    private static RingPorts rings;

    @BeforeAll
    static void startDpdk()
    {
        rig = RingRig.open("failure", 4095, 64, 1024, 512);
        pool = rig.pool();
        rings = rig.rings();
    }

    @AfterAll
    static void stopDpdk()
    {
        rig.close();
    }

    /** The current snapshot with the VIP's second backend missing from its array (the table still names it). */
    private static ForwardingSnapshot broken(final ForwardingSnapshot s)
    {
        final Vip v = s.vips()[0];
        final Vip bad = new Vip(v.index(), v.v6(), v.v4(), v.v6Hi(), v.v6Lo(), v.port(), v.protocol(), v.encapsulation(), v.guePort(),
            v.tracking(), v.mode(), new Backend[] {v.backends()[0]}, v.table(), null, null, v.text());
        final Vip[] vips = {bad};
        return new ForwardingSnapshot(s.version() + 1, s.hashSeed(), s.tableSize(), vips, new VipTable(vips), s.backendsById(), s.owners(),
            s.self(), s.nextHopMac());
    }

    @Test
    void aFailingCycleFreesOrSendsItsBurstIsCountedAndLoggedAtABoundedRate()
    {
        final ByteArrayOutputStream log = new ByteArrayOutputStream();
        try (SteppedMux m = new SteppedMux(CONFIG, pool, rings.a(), rings.b()))
        {
            m.worker.errorLog(new PrintStream(log, true, StandardCharsets.UTF_8));
            final ForwardingSnapshot good = m.slot.current();
            m.slot.publish(broken(good));
            final long before = pool.inUse();

            int out = 0;
            for (int round = 0; round < 20; round++)
            {
                m.sendTcp(CLIENT, VIP, 10_000 + 100 * round, 100, ClientFrames.SYN);
                m.step();
                out += m.received().size();
                assertEquals(before, pool.inUse(), "round " + round + ": every mbuf of the failed bursts back in the pool");
            }
            final long errors = m.counters.get(WorkerCounters.WORKER_ERRORS);
            assertTrue(errors >= 20, "each round fails at least once: " + errors);
            assertTrue(out > 0, "the packets buffered before the failing one were sent");
            assertEquals(out, m.counters.get(WorkerCounters.TX_PACKETS), "and counted as sent, only they");
            assertEquals(2000 - out, m.counters.drops(DropReason.WORKER_ERROR.ordinal()), "the others freed and counted as worker_error drops");
            final String text = log.toString(StandardCharsets.UTF_8);
            assertEquals(1, count(text, "ArrayIndexOutOfBoundsException: Index 1 out of bounds for length 1\n"), text);
            assertEquals(1, count(text, "duty cycle failed"), "one stack trace, not one per burst: " + text);

            // Ten seconds on: one more line, with the number of failures since.
            m.clock.advance(WorkerAgent.ERROR_LOG_INTERVAL_NS);
            m.sendTcp(CLIENT, VIP, 30_000, 100, ClientFrames.SYN);
            m.step();
            m.received();
            final String later = log.toString(StandardCharsets.UTF_8).substring(text.length());
            assertEquals(1, later.lines().count(), later);
            assertTrue(later.matches("panamux: panamux-worker-0: \\d+ duty cycle\\(s\\) failed since the last report, the last with "
                + "java.lang.ArrayIndexOutOfBoundsException: Index 1 out of bounds for length 1 at .*\n"), later);

            m.slot.publish(good);
            m.sendTcp(CLIENT, VIP, 40_000, 100, ClientFrames.SYN);
            m.step();
            assertEquals(100, m.received().size(), "a good snapshot: everything forwarded again");
            assertEquals(before, pool.inUse());
        }
    }

    private static int count(final String text, final String what)
    {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1))
        {
            n++;
        }
        return n;
    }

    @Test
    void theWatchdogWithdrawsWhileTheWorkerKeepsFailingAndAnnouncesAgainWhenItForwards()
    {
        try (SteppedMux m = new SteppedMux(CONFIG, pool, rings.a(), rings.b()))
        {
            m.worker.errorLog(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
            final InProcessRouterControl router = new InProcessRouterControl();
            final ByteArrayOutputStream log = new ByteArrayOutputStream();
            final DataPathWatchdog watchdog = new DataPathWatchdog(router,
                List.<LongSupplier>of(() -> m.counters.get(WorkerCounters.DUTY_CYCLES)),
                List.<LongSupplier>of(() -> m.counters.get(WorkerCounters.WORKER_ERRORS)), 1000 * MS,
                new PrintStream(log, true, StandardCharsets.UTF_8));
            watchdog.announce("192.0.2.10:80/tcp", IpAddress.parse("192.0.2.10"));
            final ForwardingSnapshot good = m.slot.current();

            run(m, watchdog, 500 * MS, false);
            assertEquals(DataPathWatchdog.State.FORWARDING, watchdog.state());

            m.slot.publish(broken(good));
            run(m, watchdog, 1500 * MS, true);
            assertEquals(DataPathWatchdog.State.STALLED, watchdog.state(), log.toString(StandardCharsets.UTF_8));
            assertTrue(log.toString(StandardCharsets.UTF_8).contains("worker 0 has been failing (worker_errors rising)"), log.toString());
            assertTrue(router.instructions().stream().anyMatch(i -> i.kind() == InProcessRouterControl.Kind.WITHDRAW), router.instructions()
                .toString());

            m.slot.publish(good);
            run(m, watchdog, 2500 * MS, true);
            assertEquals(DataPathWatchdog.State.FORWARDING, watchdog.state(), "forwarding again: announced again");
        }
    }

    /** Steps the worker (with traffic when asked: a burst of 32 per check, each a failure with a broken snapshot) and the watchdog every 10 ms of fake time. */
    private static void run(final SteppedMux m, final DataPathWatchdog watchdog, final long durationNs, final boolean traffic)
    {
        final long end = m.now() + durationNs;
        int port = 50_000;
        while (m.now() < end)
        {
            if (traffic)
            {
                m.sendTcp(CLIENT, VIP, port, 32, ClientFrames.SYN);
                port = port + 32 & 0xFFFF;
            }
            m.step();
            m.received();
            m.clock.advance(10 * MS);
            watchdog.doWork(m.now());
        }
    }
}
