package io.panamux.slowpath.health;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.function.BooleanSupplier;

import io.panamux.fastpath.snapshot.Backend;
import io.panamux.fastpath.snapshot.ForwardingSnapshot;
import io.panamux.fastpath.snapshot.SnapshotSlot;
import io.panamux.fastpath.snapshot.Vip;
import io.panamux.slowpath.config.ConfigLoader;
import io.panamux.slowpath.config.MuxConfig;
import io.panamux.slowpath.control.BackendChanges;
import io.panamux.slowpath.control.BackendIds;
import io.panamux.slowpath.control.ControlAgent;
import io.panamux.slowpath.control.SnapshotPublisher;
import io.panamux.slowpath.router.InProcessRouterControl;
import org.agrona.concurrent.CachedNanoClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Health checks driving the forwarding table, on a stepped control agent: backends on 127.0.0.1 and
 * 127.0.0.2, a real server on the first only; the second falls and leaves the table (its VIP then has one
 * backend: bypass), then a server opens on it, it rises and returns (stateful phase, back to the pool).
 */
class HealthToTableTest
{
    private final CachedNanoClock clock = new CachedNanoClock();
    private ServerSocket first;
    private ServerSocket second;
    private ControlAgent control;

    @AfterEach
    void close() throws IOException
    {
        if (control != null)
        {
            control.onClose();
        }
        for (final ServerSocket s : new ServerSocket[] {first, second})
        {
            if (s != null)
            {
                s.close();
            }
        }
    }

    @Test
    void fallTakesABackendOutAndRiseBringsItBack() throws Exception
    {
        first = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
        final int port = first.getLocalPort();
        final MuxConfig config = ConfigLoader.parse("""
            mux: { name: m, address: 10.0.0.10 }
            dataplane:
              eal: []
              port: 0
              workers: 1
              gateway-mac: "02:00:00:00:00:fe"
              flow-table: { capacity: 1024, idle-timeout-seconds: 30 }
              maglev-table-size: 251
            vips:
              - address: 192.0.2.10
                port: 80
                protocol: tcp
                health-check: { type: tcp, port: %d, interval-ms: 200, timeout-ms: 150, rise: 2, fall: 2 }
                backends: [{ address: 127.0.0.1 }, { address: 127.0.0.2 }]
            """.formatted(port), "mux.yaml");
        clock.update(1_000_000_000_000L);
        final SnapshotSlot slot = new SnapshotSlot(ForwardingSnapshot.empty(config.mux().hashSeed()));
        final SnapshotPublisher publisher = new SnapshotPublisher(slot, new BackendIds(60_000_000_000L));
        control = new ControlAgent(publisher, clock);
        final InProcessRouterControl router = new InProcessRouterControl();
        final BackendChanges changes = new BackendChanges(config, publisher, router, null);
        changes.start(clock.nanoTime());
        final HealthChecks health = new HealthChecks(changes::healthChanged);
        changes.watcher(health, clock.nanoTime());
        control.addDuty(health);
        assertEquals(List.of("127.0.0.1", "127.0.0.2"), backends(slot));

        // Nothing listens on 127.0.0.2: refused twice, it leaves; one backend left: bypass.
        step(() -> backends(slot).size() == 1);
        assertEquals(List.of("127.0.0.1"), backends(slot));
        assertEquals(Vip.MODE_BYPASS, slot.current().vips()[0].mode());
        assertEquals("direct 127.0.0.1", router.routes().get("192.0.2.10:80/tcp"));

        second = new ServerSocket();
        second.setReuseAddress(true);
        second.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.2"), port));
        step(() -> backends(slot).size() == 2);
        assertEquals(List.of("127.0.0.1", "127.0.0.2"), backends(slot));
        assertEquals(Vip.MODE_STATEFUL, slot.current().vips()[0].mode(), "a backend change, out of the bypass");
        assertEquals("pool", router.routes().get("192.0.2.10:80/tcp"));
    }

    /** Steps the agent, 50 ms of fake time per cycle, until {@code done} (at most 10 s of real time). */
    private void step(final BooleanSupplier done)
    {
        // In this thread: the control agent is single-threaded.
        await("a verdict within 10 s of real time").atMost(Duration.ofSeconds(10)).pollInSameThread().pollDelay(Duration.ZERO)
            .pollInterval(Duration.ofMillis(2)).until(() ->
            {
                if (done.getAsBoolean())
                {
                    return true;
                }
                clock.advance(50_000_000L);
                control.doWork();
                return false;
            });
    }

    private static List<String> backends(final SnapshotSlot slot)
    {
        return Arrays.stream(slot.current().vips()[0].backends()).map(Backend::text).toList();
    }
}
