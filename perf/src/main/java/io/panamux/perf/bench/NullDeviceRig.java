package io.panamux.perf.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import io.panamux.dpdk.EthPort;
import io.panamux.dpdk.PacketPool;
import io.panamux.dpdk.Vdev;
import io.panamux.fastpath.CounterDescriptor;
import io.panamux.fastpath.WorkerAgent;
import io.panamux.fastpath.WorkerConfig;
import io.panamux.fastpath.snapshot.ForwardingSnapshot;
import io.panamux.fastpath.snapshot.SnapshotSlot;
import io.panamux.perf.L2ForwardAgent;
import io.panamux.slowpath.DataPlane;
import io.panamux.slowpath.config.Dataplane;
import io.panamux.slowpath.config.MuxConfig;
import io.panamux.slowpath.config.VipConfig;
import io.panamux.slowpath.control.BackendIds;
import io.panamux.slowpath.control.ControlAgent;
import io.panamux.slowpath.control.SnapshotPublisher;
import io.panamux.slowpath.control.WorkerRecords;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.SystemNanoClock;

/**
 * One {@code net_null} port with one queue pair per measured loop, its pool, and the loops on their
 * pinned lcore threads, each wrapped in a {@link MeasuredAgent}: either the MUX's fast path (one
 * {@link WorkerAgent} per queue, fed by a {@link FrameReplay}) or the foundation's
 * {@link L2ForwardAgent}. The pool and device are those {@link DeviceSetup} describes, so that
 * {@code dpdk-testpmd} can be started on the same ones.
 *
 * <p>The fast path is the MUX's own ({@link DataPlane}, as {@code Mux} builds it), with every new flow
 * recorded (the insert path is measured, not the new-flow limit); its worker/control rings are drained by
 * a control agent on a backoff thread. Each worker is wrapped for cycle counting and paused while testpmd
 * runs on its CPU.
 */
public final class NullDeviceRig implements AutoCloseable
{
    private static final AtomicInteger SEQUENCE = new AtomicInteger();
    /** Router MAC written as the source of replayed frames. */
    public static final long ROUTER_MAC = 0x02_00_00_00_00_FEL;

    private final String deviceName;
    private final EthPort port;
    private final PacketPool pool;
    private final List<MeasuredAgent> agents = new ArrayList<>();
    private final List<AgentRunner> runners = new ArrayList<>();
    private final List<WorkerAgent> workers = new ArrayList<>();
    private final List<FrameReplay> replays = new ArrayList<>();
    private final List<MeasuredAgent> cAgents = new ArrayList<>();
    private final List<AgentRunner> cRunners = new ArrayList<>();
    private final List<CBaseline> cLoops = new ArrayList<>();
    private DataPlane dataPlane;
    private ControlAgent control;
    private AgentRunner controlRunner;
    private long mbufsInUseAtClose = -1;
    private boolean closed;

    private NullDeviceRig(final String deviceName, final EthPort port, final PacketPool pool)
    {
        this.deviceName = deviceName;
        this.port = port;
        this.pool = pool;
    }

    private static NullDeviceRig open(final DeviceSetup setup)
    {
        final int id = SEQUENCE.incrementAndGet();
        final String name = "net_null_pmxb" + id;
        final EthPort port = Vdev.create(name, "size=" + setup.frameLength());
        final PacketPool pool = PacketPool.create("pmxb_pool" + id, setup.poolSize(), setup.poolCache(), setup.dataRoom(), 0);
        port.configure(setup.queues(), setup.queues(), 0);
        for (int q = 0; q < setup.queues(); q++)
        {
            port.setupRxQueue(q, setup.descriptors(), pool);
            port.setupTxQueue(q, setup.descriptors());
        }
        port.start();
        return new NullDeviceRig(name, port, pool);
    }

    /**
     * The foundation's loop on one {@code net_null} queue: RX, read Ethernet/IPv4, TX.
     *
     * @param setup device and pool (one queue).
     * @param cpu   CPU of the loop.
     */
    public static NullDeviceRig l2Forward(final DeviceSetup setup, final int cpu)
    {
        final NullDeviceRig rig = open(setup);
        final L2ForwardAgent agent = new L2ForwardAgent(rig.port.id(), rig.port.id(), setup.burst(), cpu);
        rig.add(new MeasuredAgent(agent, null, true));
        return rig;
    }

    /**
     * The MUX fast path on a {@code net_null} port, one worker per queue, each fed by its own replay.
     *
     * @param setup  device and pool (one queue per worker).
     * @param config the MUX configuration (VIPs, flow table, MTU, burst).
     * @param plans  one flow plan per worker.
     * @param cPlans one flow plan per C baseline loop (the same flows as {@code plans}), or null for none:
     *               then each queue also gets a {@link CBaseline} on the worker's CPU, fed by its own
     *               replay and paused while the worker runs.
     * @param cpus   one CPU per worker.
     */
    public static NullDeviceRig mux(final DeviceSetup setup, final MuxConfig config, final List<FlowPlan> plans, final List<FlowPlan> cPlans,
        final int[] cpus)
    {
        final Dataplane dp = config.dataplane();
        final int workerCount = setup.queues();
        final SnapshotSlot slot = new SnapshotSlot(ForwardingSnapshot.empty(config.mux().hashSeed()));
        final SnapshotPublisher publisher = new SnapshotPublisher(slot,
            new BackendIds(2L * dp.flowTable().idleTimeoutSeconds() * 1_000_000_000L));
        publisher.apply(config, System.nanoTime());
        final NullDeviceRig rig = open(setup);
        final long portMac = rig.port.macAddress();
        final int mtu = dp.mtu().orElseGet(rig.port::mtu);
        final int muxV4 = config.mux().address().ipv4();
        // The placement seeds are random, as in the MUX; the C baseline's tables get the same, so both place flows alike.
        final long[] placementSeeds = new long[workerCount];
        final java.security.SecureRandom random = new java.security.SecureRandom();
        for (int q = 0; q < workerCount; q++)
        {
            placementSeeds[q] = random.nextLong();
        }
        rig.dataPlane = DataPlane.builder(config, slot).port(rig.port.id(), portMac, mtu).workers(workerCount).cpus(cpus)
            .placementSeeds(placementSeeds).unlimitedNewFlows().build();
        final int capacityPerWorker = rig.dataPlane.capacityPerWorker();
        final List<VipConfig> vips = config.vips().stream().filter(v -> !v.address().ipv6()).toList();
        final int[] vipAddress = vips.stream().mapToInt(v -> v.address().ipv4()).toArray();
        final int[] vipPort = vips.stream().mapToInt(VipConfig::port).toArray();
        final int protocol = vips.getFirst().protocol().ipProtocol();
        for (int q = 0; q < workerCount; q++)
        {
            final WorkerAgent worker = rig.dataPlane.agents().get(q);
            final long placementSeed = placementSeeds[q];
            final FrameReplay replay = new FrameReplay(plans.get(q), vipAddress, vipPort, protocol, setup.frameLength(), portMac,
                ROUTER_MAC, rig.pool.address(), dp.burstSize());
            rig.workers.add(worker);
            rig.replays.add(replay);
            rig.add(new MeasuredAgent(worker, replay::refill, true));
            if (cPlans != null)
            {
                final CBaseline c = new CBaseline(rig.port.id(), q, dp.burstSize(), cpus[q], slot.current(), portMac, dp.gatewayMac().orElse(0L),
                    muxV4, mtu, dp.guePort(), WorkerConfig.DEFAULT_TX_DRAIN_NANOS, capacityPerWorker, placementSeed);
                final FrameReplay cReplay = new FrameReplay(cPlans.get(q), vipAddress, vipPort, protocol, setup.frameLength(), portMac,
                    ROUTER_MAC, rig.pool.address(), dp.burstSize());
                final MeasuredAgent measured = new MeasuredAgent(c, cReplay::refill, true);
                rig.cLoops.add(c);
                rig.cAgents.add(measured);
                final AgentRunner runner = new AgentRunner(new BusySpinIdleStrategy(), Throwable::printStackTrace, null, measured);
                rig.cRunners.add(runner);
                AgentRunner.startOnThread(runner);
            }
        }
        rig.control = new ControlAgent(publisher, new SystemNanoClock());
        rig.control.addDuty(new WorkerRecords(rig.dataPlane.handles()));
        // As the MUX's: spin briefly, then yield, then park up to 1 ms; it must not take a core.
        rig.controlRunner = new AgentRunner(new BackoffIdleStrategy(100, 10, 1_000, 1_000_000), Throwable::printStackTrace, null,
            rig.control);
        AgentRunner.startOnThread(rig.controlRunner);
        return rig;
    }

    private void add(final MeasuredAgent agent)
    {
        agents.add(agent);
        final AgentRunner runner = new AgentRunner(new BusySpinIdleStrategy(), Throwable::printStackTrace, null, agent);
        runners.add(runner);
        AgentRunner.startOnThread(runner);
    }

    /** Lets every loop poll. */
    public void resume()
    {
        agents.forEach(MeasuredAgent::resume);
    }

    /** @return the C baseline's loops, one per queue (empty when the rig has none). */
    public List<MeasuredAgent> cAgents()
    {
        return cAgents;
    }

    /** @return the C baseline's loops themselves (for their counters). */
    public List<CBaseline> cLoops()
    {
        return cLoops;
    }

    /** Parks every loop (waits until each has). */
    public void pause()
    {
        agents.forEach(a -> a.pause(1000));
    }

    /** Applies a new configuration on the control thread (e.g. a backend change) and waits for it. */
    public void apply(final MuxConfig config) throws Exception
    {
        if (control == null)
        {
            throw new IllegalStateException("not a MUX rig");
        }
        control.submit((c, nowNs) -> c.publisher().apply(config, nowNs)).get(10, java.util.concurrent.TimeUnit.SECONDS);
    }

    /** @return the measured loops, one per queue. */
    public List<MeasuredAgent> agents()
    {
        return agents;
    }

    /** @return the MUX workers (empty for the L2 loop). */
    public List<WorkerAgent> workers()
    {
        return workers;
    }

    /** @return the replays feeding the workers. */
    public List<FrameReplay> replays()
    {
        return replays;
    }

    /** @return the sum of a counter over the workers (read from any thread). */
    public long counter(final CounterDescriptor counter)
    {
        long sum = 0;
        for (final WorkerAgent w : workers)
        {
            sum += w.counters().get(counter);
        }
        return sum;
    }

    /** @return the sum of every worker's drops. */
    public long drops()
    {
        long sum = 0;
        for (final WorkerAgent w : workers)
        {
            sum += w.counters().totalDrops();
        }
        return sum;
    }

    /** @return the device name. */
    public String deviceName()
    {
        return deviceName;
    }

    /**
     * Stops the loops (workers flush), stops and closes the port, frees flow tables and the pool.
     */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        runners.forEach(AgentRunner::close);
        cRunners.forEach(AgentRunner::close);
        if (controlRunner != null)
        {
            controlRunner.close();
        }
        port.stop();
        port.close();
        Vdev.remove(deviceName);
        if (dataPlane != null)
        {
            dataPlane.close();
        }
        cLoops.forEach(CBaseline::destroy);
        mbufsInUseAtClose = pool.inUse();
        pool.close();
    }

    /** @return mbufs not back in the pool when the rig closed (-1 while open). */
    public long mbufsInUseAtClose()
    {
        return mbufsInUseAtClose;
    }

    /** @return the port. */
    public EthPort port()
    {
        return port;
    }
}
