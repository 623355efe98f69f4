package io.panamux.slowpath.control;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

import io.panamux.fastpath.snapshot.Backend;
import io.panamux.fastpath.snapshot.ForwardingSnapshot;
import io.panamux.fastpath.snapshot.SnapshotSlot;
import io.panamux.fastpath.snapshot.Vip;
import io.panamux.flow.FlowHash;
import io.panamux.flow.FlowTable;
import io.panamux.flow.MaglevTable;
import io.panamux.slowpath.config.ConfigLoader;
import io.panamux.slowpath.config.IpAddress;
import io.panamux.slowpath.config.MuxConfig;
import io.panamux.slowpath.router.InProcessRouterControl;
import io.panamux.slowpath.router.RouterControl;
import org.agrona.concurrent.CachedNanoClock;

/**
 * A control thread without DPDK, stepped by hand: publisher, slot, control agent on a fake clock, two
 * workers' flow tables (filled directly, as workers would), the stateful-phase tracker, the backend
 * changes and a recording router.
 */
final class ControlHarness implements AutoCloseable
{
    static final long SECOND = 1_000_000_000L;
    /** Shortest stateful phase in these tests. */
    static final long MINIMUM_PHASE_NS = 10 * SECOND;
    /** Flow idle timeout in these tests. */
    static final long IDLE_NS = 30 * SECOND;

    static final String CONFIG = """
        mux:
          name: mux-test
          address: 10.0.0.10
          hash-seed: 0x5eed
        dataplane:
          eal: []
          port: 0
          workers: 2
          gateway-mac: "02:00:00:00:00:fe"
          flow-table: { capacity: 4096, idle-timeout-seconds: 30 }
          maglev-table-size: 1009
        vips:
          - address: 192.0.2.10
            port: 80
            protocol: tcp
            health-check: { type: tcp, port: 8080 }
            backends:
              - { address: 10.1.0.1, weight: 1 }
              - { address: 10.1.0.2, weight: 1 }
              - { address: 10.1.0.3, weight: 1 }
          - address: 192.0.2.11
            port: 53
            protocol: udp
            backends:
              - { address: 10.1.1.1 }
        """;
    static final String WEB = "192.0.2.10:80/tcp";
    static final String DNS = "192.0.2.11:53/udp";
    static final int WEB_ADDRESS = 0xC000020A;
    static final int DNS_ADDRESS = 0xC000020B;

    final CachedNanoClock clock = new CachedNanoClock();
    final SnapshotSlot slot;
    final SnapshotPublisher publisher;
    final ControlAgent control;
    final List<FlowTable> tables = new ArrayList<>();
    final StatefulPhaseTracker tracker;
    final InProcessRouterControl router;
    /** At each router call: the snapshot version and the VIP's mode in the published snapshot. */
    final List<String> seenByRouter = new ArrayList<>();
    final BackendChanges changes;
    final MuxConfig config;

    ControlHarness()
    {
        this(CONFIG, new InProcessRouterControl());
    }

    ControlHarness(final String yaml, final InProcessRouterControl router)
    {
        clock.update(1_000 * SECOND);
        config = ConfigLoader.parse(yaml, "mux.yaml");
        slot = new SnapshotSlot(ForwardingSnapshot.empty(config.mux().hashSeed()));
        publisher = new SnapshotPublisher(slot, new BackendIds(2 * IDLE_NS));
        control = new ControlAgent(publisher, clock);
        for (int w = 0; w < 2; w++)
        {
            tables.add(new FlowTable(4096));
        }
        tracker = new StatefulPhaseTracker(control, slot, tables, MINIMUM_PHASE_NS, IDLE_NS, SECOND, 0);
        control.addDuty(tracker);
        this.router = router;
        final RouterControl observed = new RouterControl()
        {
            @Override
            public void announce(final String vipKey, final IpAddress vip)
            {
                observe("announce", vipKey);
                router.announce(vipKey, vip);
            }

            @Override
            public void withdraw(final String vipKey, final IpAddress vip)
            {
                observe("withdraw", vipKey);
                router.withdraw(vipKey, vip);
            }

            @Override
            public void routeDirect(final String vipKey, final IpAddress vip, final IpAddress backend)
            {
                observe("route-direct", vipKey);
                router.routeDirect(vipKey, vip, backend);
            }

            @Override
            public void routeToPool(final String vipKey, final IpAddress vip)
            {
                observe("route-to-pool", vipKey);
                router.routeToPool(vipKey, vip);
            }
        };
        changes = new BackendChanges(config, publisher, observed, tracker);
        changes.start(clock.nanoTime());
    }

    private void observe(final String what, final String vipKey)
    {
        String mode = "absent";
        for (final Vip v : slot.current().vips())
        {
            if (v.text().equals(vipKey))
            {
                mode = Integer.toString(v.mode());
            }
        }
        seenByRouter.add(what + " " + vipKey + " at v" + slot.current().version() + " mode " + mode);
    }

    /** Runs {@code command} on the control thread (a duty cycle) and returns its result or throws its rejection. */
    <T> T run(final ControlAgent.Command<T> command) throws Exception
    {
        final CompletableFuture<T> f = control.submit(command);
        control.doWork();
        try
        {
            return f.getNow(null);
        }
        catch (final java.util.concurrent.CompletionException e)
        {
            throw (Exception)e.getCause();
        }
    }

    /** Advances the clock by {@code ns} in one-second steps, one duty cycle after each (and a few more). */
    void advance(final long ns)
    {
        for (long t = 0; t < ns; t += SECOND)
        {
            clock.advance(Math.min(SECOND, ns - t));
            for (int i = 0; i < 4; i++)
            {
                control.doWork();
            }
        }
    }

    Vip vip(final String key)
    {
        for (final Vip v : slot.current().vips())
        {
            if (v.text().equals(key))
            {
                return v;
            }
        }
        throw new AssertionError("no VIP " + key);
    }

    int mode(final String key)
    {
        return publisher.vips().get(key).mode();
    }

    static long hash(final ForwardingSnapshot s, final int src, final int dst, final int srcPort, final int dstPort, final int protocol)
    {
        return FlowHash.hashV4(s.hashSeed(), src, dst, srcPort, dstPort, protocol);
    }

    static Backend choice(final ForwardingSnapshot s, final Vip vip, final int src, final int srcPort)
    {
        final long h = hash(s, src, vip.v4(), srcPort, vip.port(), vip.protocol());
        return vip.table().length == 0 ? null : vip.backends()[MaglevTable.lookup(vip.table(), h)];
    }

    static Backend previousChoice(final ForwardingSnapshot s, final Vip vip, final int src, final int srcPort)
    {
        final long h = hash(s, src, vip.v4(), srcPort, vip.port(), vip.protocol());
        return vip.previousBackends()[MaglevTable.lookup(vip.previousTable(), h)];
    }

    /** A flow of the given client port as a worker records it: src 198.51.100.1. */
    static final int CLIENT = 0xC6336401;

    static IpAddress ip(final String text)
    {
        return IpAddress.parse(text);
    }

    static Object get(final CompletableFuture<Object> f) throws ExecutionException, InterruptedException
    {
        return f.get();
    }

    @Override
    public void close()
    {
        for (final FlowTable t : tables)
        {
            t.close();
        }
    }
}
