package io.panamux.perf.worker;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import io.panamux.dpdk.Burst;
import io.panamux.dpdk.EthPort;
import io.panamux.dpdk.Mbuf;
import io.panamux.dpdk.Memory;
import io.panamux.dpdk.PacketPool;
import io.panamux.fastpath.WorkerAgent;
import io.panamux.fastpath.WorkerConfig;
import io.panamux.fastpath.WorkerCounters;
import io.panamux.fastpath.encap.TunnelEncapsulator;
import io.panamux.fastpath.ring.ControlToWorker;
import io.panamux.fastpath.ring.WorkerToControl;
import io.panamux.fastpath.snapshot.ForwardingSnapshot;
import io.panamux.fastpath.snapshot.SnapshotSlot;
import io.panamux.flow.FlowTable;
import io.panamux.perf.traffic.ClientFrames;
import io.panamux.slowpath.config.ConfigLoader;
import io.panamux.slowpath.config.MuxConfig;
import io.panamux.slowpath.control.BackendChanges;
import io.panamux.slowpath.control.BackendIds;
import io.panamux.slowpath.control.ControlAgent;
import io.panamux.slowpath.control.SnapshotPublisher;
import io.panamux.slowpath.control.StatefulPhaseTracker;
import io.panamux.slowpath.router.InProcessRouterControl;
import org.agrona.concurrent.CachedNanoClock;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * One worker of a MUX stepped by a test ({@code doWork()}, fake clock) on a DPDK port pair, fed by the real
 * control plane: the configuration loaded as {@code run} loads it, {@link BackendChanges} and the
 * {@link SnapshotPublisher} publishing what {@code ctl backend ...} and the health checks would. The
 * client sends TCP frames from the other port and reads what the worker sent. Not thread-safe: the test's
 * thread is the control thread and the worker.
 */
final class SteppedMux implements AutoCloseable
{
    static final long SECOND = 1_000_000_000L;
    /** The stateful phase's minimum and the idle time after which a flow no longer holds it open. */
    static final long PHASE_NS = 300 * SECOND;

    final CachedNanoClock clock = new CachedNanoClock();
    final MuxConfig config;
    final SnapshotSlot slot;
    final BackendChanges changes;
    final FlowTable flows;
    final WorkerCounters counters = new WorkerCounters();
    final WorkerAgent worker;
    private final ControlAgent control;
    private final PacketPool pool;
    private final EthPort client;
    private final EthPort mux;
    private final MemorySegment burst = Arena.ofAuto().allocate(JAVA_LONG, 64);

    SteppedMux(final String yaml, final PacketPool pool, final EthPort client, final EthPort mux)
    {
        this.pool = pool;
        this.client = client;
        this.mux = mux;
        clock.update(1_000 * SECOND);
        config = ConfigLoader.parse(yaml, "mux.yaml");
        slot = new SnapshotSlot(ForwardingSnapshot.empty(config.mux().hashSeed()));
        final SnapshotPublisher publisher = new SnapshotPublisher(slot, new BackendIds(600 * SECOND));
        control = new ControlAgent(publisher, clock);
        flows = new FlowTable(config.dataplane().flowTable().capacity());
        final StatefulPhaseTracker tracker = new StatefulPhaseTracker(control, slot, List.of(flows), PHASE_NS, PHASE_NS, SECOND);
        control.addDuty(tracker);
        changes = new BackendChanges(config, publisher, new InProcessRouterControl(), tracker);
        changes.start(clock.nanoTime());
        final TunnelEncapsulator encapsulator = new TunnelEncapsulator(mux.macAddress(), config.dataplane().gatewayMac().orElseThrow(),
            config.mux().address().ipv4(), 0, 0, 1500);
        worker = new WorkerAgent(new WorkerConfig(mux.id(), 0, 0, 32, -1, WorkerConfig.DEFAULT_TX_DRAIN_NANOS,
            config.dataplane().flowTable().idleTimeoutSeconds(), config.dataplane().flowTable().newFlowsPerSecond()), slot, flows,
            encapsulator, counters, new WorkerToControl(1 << 16), new ControlToWorker(1 << 16), clock);
    }

    /**
     * Lets {@code ns} pass a second at a time, the control thread's duties (the stateful-phase tracker) running
     * each second, the worker idle.
     */
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

    /** @return the time now, for {@link BackendChanges} calls. */
    long now()
    {
        return clock.nanoTime();
    }

    /** Sends one TCP frame per source port from {@code client} to {@code vip}:80 with {@code flags}. */
    void sendTcp(final int src, final int vip, final int firstPort, final int count, final int flags)
    {
        int sent = 0;
        while (sent < count)
        {
            final int n = Math.min(32, count - sent);
            if (!Burst.allocBulk(pool.address(), burst, n))
            {
                throw new AssertionError("pool empty");
            }
            for (int k = 0; k < n; k++)
            {
                final long m = burst.getAtIndex(JAVA_LONG, k);
                final int length = ClientFrames.minimumLength(false, ClientFrames.TCP);
                Mbuf.length(m, length);
                ClientFrames.ipv4(Mbuf.dataAddress(m), length, mux.macAddress(), 0x020000000001L, src, vip, ClientFrames.TCP,
                    firstPort + sent + k, 80, flags, 1, 0);
            }
            final int accepted = Burst.tx(client.id(), 0, burst, n);
            if (accepted != n)
            {
                throw new AssertionError("the client port took " + accepted + " of " + n);
            }
            sent += n;
        }
    }

    /** Runs the worker until its input is drained and its TX buffer flushed. */
    void step()
    {
        for (int i = 0; i < 1000 && worker.doWork() > 0; i++)
        {
            clock.advance(1_000);
        }
        clock.advance(WorkerConfig.DEFAULT_TX_DRAIN_NANOS);
        worker.doWork();
    }

    /** @return the outer IPv4 destination of every frame the worker sent, freeing them. */
    List<Integer> received()
    {
        final List<Integer> out = new ArrayList<>();
        int n;
        while ((n = Burst.rx(client.id(), 0, burst, 64)) > 0)
        {
            for (int k = 0; k < n; k++)
            {
                out.add(Memory.getI32Be(Mbuf.dataAddress(burst.getAtIndex(JAVA_LONG, k)) + 30));
            }
            Burst.freeTail(burst, 0, n);
        }
        return out;
    }

    @Override
    public void close()
    {
        step();
        received();
        flows.close();
    }
}
