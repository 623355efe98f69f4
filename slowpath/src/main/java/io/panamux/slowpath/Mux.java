package io.panamux.slowpath;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

import io.panamux.common.net.MacAddress;
import io.panamux.dpdk.DpdkException;
import io.panamux.dpdk.EthPort;
import io.panamux.dpdk.Lcore;
import io.panamux.dpdk.PacketPool;
import io.panamux.fastpath.WorkerAgent;
import io.panamux.fastpath.WorkerCounters;
import io.panamux.fastpath.encap.TunnelEncapsulator;
import io.panamux.fastpath.snapshot.ForwardingSnapshot;
import io.panamux.fastpath.snapshot.SnapshotSlot;
import io.panamux.flow.FlowTable;
import io.panamux.slowpath.admin.AdminTarget;
import io.panamux.slowpath.arp.ArpEndpoint;
import io.panamux.slowpath.bgp.BirdRouterControl;
import io.panamux.slowpath.config.BgpSettings;
import io.panamux.slowpath.config.ConfigSource;
import io.panamux.slowpath.config.Dataplane;
import io.panamux.slowpath.config.IpAddress;
import io.panamux.slowpath.config.MuxConfig;
import io.panamux.slowpath.config.PoolMembership;
import io.panamux.slowpath.config.StaticPoolMembership;
import io.panamux.slowpath.control.BackendChanges;
import io.panamux.slowpath.control.BackendIds;
import io.panamux.slowpath.control.ChangeRejectedException;
import io.panamux.slowpath.control.ControlAgent;
import io.panamux.slowpath.control.DataPathWatchdog;
import io.panamux.slowpath.control.DpdkControlPort;
import io.panamux.slowpath.control.LinkWatch;
import io.panamux.slowpath.control.SnapshotPublisher;
import io.panamux.slowpath.control.StatefulPhaseTracker;
import io.panamux.slowpath.control.WorkerHandle;
import io.panamux.slowpath.control.WorkerRecords;
import io.panamux.slowpath.peer.FlowOwnership;
import io.panamux.slowpath.peer.PoolRing;
import io.panamux.slowpath.health.HealthChecks;
import io.panamux.slowpath.health.TunnelProbes;
import io.panamux.slowpath.pool.PoolStatus;
import io.panamux.slowpath.router.CompositeRouterControl;
import io.panamux.slowpath.router.InProcessRouterControl;
import io.panamux.slowpath.router.RouterControl;
import io.panamux.slowpath.router.RouterSession;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.SystemEpochClock;
import org.agrona.concurrent.SystemNanoClock;

/**
 * One running MUX on one DPDK port: the packet pool, the port with one RX/TX queue pair per worker, the
 * workers ({@link DataPlane}, each run on its own pinned lcore thread) and the control thread with its
 * duties. The control side holds only each worker's {@link WorkerHandle} (rings, counters, flow table); a
 * gateway MAC learnt by ARP reaches the workers in the snapshot. EAL must be initialised by
 * the caller. {@link #close()} stops it cleanly: the router is told to send nothing more (the BGP speaker
 * stopped, while the workers still forward what is on its way), then workers flush and stop, then the
 * control thread, the rings between them are emptied, the port is stopped and closed (a {@code tx_pcap}
 * file is then complete), and the pool is freed after counting the mbufs not back in it.
 *
 * <h2>What the router is told, and when</h2>
 * The MUX's routing decisions go through a {@link DataPathWatchdog} to an {@link InProcessRouterControl}
 * that logs them ({@code panamux: router: ...}) and, with a {@code router.bgp} section, to the MUX's own
 * BGP speaker ({@link BirdRouterControl}), or to the {@link RouterSession} the caller gave
 * {@link #start(MuxConfig, PoolMembership, RouterSession, EthPort, PrintStream)}. Nothing is announced until every worker cycles; every VIP is
 * withdrawn when a worker stops cycling for {@link DataPathWatchdog#DEFAULT_STALL_NS} and announced again
 * once they all cycle again.
 */
public final class Mux implements AutoCloseable
{
    /** RX and TX descriptors per queue. */
    public static final int DESCRIPTORS = 1024;
    /** Per-lcore cache of the packet pool. */
    public static final int POOL_CACHE = 256;
    /** Time between two passes of the stateful-phase tracker over the flow tables. */
    public static final long PHASE_SCAN_INTERVAL_NS = 1_000_000_000L;
    /** Time between ARP requests for an unresolved gateway. */
    public static final long ARP_RETRY_NS = 1_000_000_000L;
    /** Time after which a resolved gateway is asked again. */
    public static final long ARP_REFRESH_NS = 60_000_000_000L;
    /**
     * How long the workers go on forwarding at {@link #close()} after the BGP speaker stopped: the router
     * takes the withdrawal into its forwarding table and the packets already sent to this MUX arrive.
     */
    public static final long WITHDRAW_GRACE_MS = 1_000;

    private final MuxConfig config;
    private final EthPort port;
    private final PacketPool pool;
    private final SnapshotSlot slot;
    private final SnapshotPublisher publisher;
    private final DataPlane dataPlane;
    private final List<AgentRunner> runners = new ArrayList<>();
    private final ControlAgent control;
    /** The control thread's own encapsulators (tunnel probes, owner traffic): ARP changes their gateway MAC directly. */
    private final List<TunnelEncapsulator> controlEncapsulators = new ArrayList<>();
    /** The session to the routers (the BGP speaker), or null: the instructions are only logged. */
    private final RouterSession speaker;
    private final DataPathWatchdog watchdog;
    private final BackendChanges changes;
    private final DpdkControlPort arpIo;
    private final DpdkControlPort probeIo;
    private final TunnelProbes tunnelProbes;
    private final AgentRunner controlRunner;
    private final long portMac;
    private final FlowOwnership ownership;
    private final PoolRing poolRing;
    private final PrintStream log;
    private boolean closed;
    private long mbufsInUseAtClose = -1;

    private Mux(final MuxConfig config, final PoolMembership membership, final EthPort port, final PrintStream log,
        final RouterSession speaker)
    {
        this.config = config;
        this.port = port;
        this.log = log;
        this.speaker = speaker;
        final Dataplane dp = config.dataplane();
        final int workerCount = dp.workers();
        final int perWorker = 2 * DESCRIPTORS + 4 * dp.burstSize() + POOL_CACHE;
        this.pool = packetPool(port.id(), poolSize(workerCount * perWorker + 2048), workerCount, dp.burstSize());
        // One extra TX queue for the control thread (ARP replies, owner traffic) where the device allows it
        // (net_tap, for one, wants as many TX as RX queues); otherwise its packets are sent by worker 0.
        final EthPort.Configuration portConfiguration = port.configureForWorkers(workerCount, dp.mtu().orElse(0));
        final int txQueues = portConfiguration.txQueues();
        final int controlTxQueue = txQueues > workerCount ? workerCount : -1;
        if (!portConfiguration.note().isEmpty())
        {
            log.println("panamux: " + portConfiguration.note());
        }
        for (int q = 0; q < workerCount; q++)
        {
            port.setupRxQueue(q, DESCRIPTORS, pool);
        }
        for (int q = 0; q < txQueues; q++)
        {
            port.setupTxQueue(q, DESCRIPTORS);
        }
        port.start();
        this.portMac = port.macAddress();
        final int mtu = dp.mtu().orElseGet(port::mtu);

        final long nowNs = System.nanoTime();
        this.slot = new SnapshotSlot(ForwardingSnapshot.empty(config.mux().hashSeed()));
        this.publisher = new SnapshotPublisher(slot,
            new BackendIds(2L * dp.flowTable().idleTimeoutSeconds() * 1_000_000_000L));
        this.control = new ControlAgent(publisher, new SystemNanoClock());
        // The owner ring follows the membership (a file's mux.pool, or the live members of a store, §7).
        this.poolRing = new PoolRing(membership, config.mux().address(), config.mux().hashSeed(), config.peers(), publisher,
            control::snapshotChanged, log);
        poolRing.update();
        this.dataPlane = DataPlane.builder(config, slot).port(port.id(), portMac, mtu).build();
        final List<WorkerHandle> workers = dataPlane.handles();
        // Every instruction is logged; the speaker, when there is one, tells the routers.
        final InProcessRouterControl router = new InProcessRouterControl(log);
        final RouterControl routers = speaker == null ? router : new CompositeRouterControl(List.of(router, speaker));
        final List<LongSupplier> cycles = new ArrayList<>();
        final List<LongSupplier> errors = new ArrayList<>();
        for (final WorkerCounters c : dataPlane.counters())
        {
            cycles.add(() -> c.get(WorkerCounters.DUTY_CYCLES));
            errors.add(() -> c.get(WorkerCounters.WORKER_ERRORS));
        }
        // The VIPs are announced by the watchdog once the workers cycle, not here: a router must not send
        // traffic to a MUX that cannot forward it yet.
        this.watchdog = new DataPathWatchdog(routers, cycles, errors, DataPathWatchdog.DEFAULT_STALL_NS, log);
        final long idleNs = dp.flowTable().idleTimeoutSeconds() * 1_000_000_000L;
        // A stateful phase lasts at least the idle timeout: connections that have sent nothing since the
        // change are in no table, and after that long they count as idled out anyway.
        final StatefulPhaseTracker tracker = new StatefulPhaseTracker(control, slot, dataPlane.flowTables(), idleNs, idleNs,
            PHASE_SCAN_INTERVAL_NS);
        this.changes = new BackendChanges(config, publisher, watchdog, tracker);
        // Published before the workers start, so that the first packets find their VIPs (and the next hop).
        changes.start(nowNs);
        for (final WorkerAgent worker : dataPlane.agents())
        {
            final AgentRunner runner = new AgentRunner(new BusySpinIdleStrategy(), Throwable::printStackTrace, null, worker);
            runners.add(runner);
        }
        for (final AgentRunner r : runners)
        {
            AgentRunner.startOnThread(r);
        }
        final HealthChecks health = new HealthChecks(changes::healthChanged);
        changes.watcher(health, nowNs);
        // ARP frames come from the workers' rings (WorkerRecords, below) and leave through worker 0. No
        // gratuitous ARP: a MUX says nothing on the wire that it was not asked, but for its gateway question.
        this.arpIo = DpdkControlPort.onPool(pool.address(), port.id(), -1, workers.get(0).commands());
        final ArpEndpoint arp = new ArpEndpoint(arpIo, portMac, config.mux().address(),
            dp.gatewayMac().isPresent() ? null : dp.gateway().orElse(null), this::nextHop, ARP_RETRY_NS, ARP_REFRESH_NS, log, false);
        // Checks through the tunnel: probes leave through worker 0 as ARP does, encapsulated by the control
        // thread's own encapsulator (its gateway MAC follows ARP as the snapshot's does); answers are IP frames.
        this.probeIo = DpdkControlPort.onPool(pool.address(), port.id(), -1, workers.get(0).commands());
        this.tunnelProbes = new TunnelProbes(probeIo, controlEncapsulator(mtu), config.mux().address(),
            config.mux().address6().orElse(null), health.probeListener());
        health.tunnelProbes(tunnelProbes).log(log);
        control.addDuty(watchdog);
        control.addDuty(tracker);
        control.addDuty(health);
        // Withdraws a VIP whose backends all fail their checks, after its hold-down (issue 13).
        control.addDuty(changes.healthGate().log(log));
        control.addDuty(arp);
        control.addDuty(new LinkWatch(port::link, "port " + port.id() + " (" + port.info().driverName() + ")", log));
        this.ownership = flowOwnership(membership, controlTxQueue, mtu);
        control.addDuty(new WorkerRecords(workers, (worker, mbuf) -> (TunnelProbes.isIp(mbuf) ? probeIo : arpIo).onFrame(worker, mbuf),
            ownership));
        if (ownership != null)
        {
            control.addDuty(ownership);
        }
        if (membership.dynamic())
        {
            control.addDuty(poolRing);
        }
        // Backoff: spin briefly, then yield, then park up to 1 ms: the control thread must not take a core.
        this.controlRunner = new AgentRunner(new BackoffIdleStrategy(100, 10, 1_000, 1_000_000), Throwable::printStackTrace, null, control);
        log.printf("panamux: %s on port %d (%s, mac %s, mtu %d): %d worker(s)%s, %d VIP(s), flow table %d per worker%n",
            config.mux().name(), port.id(), port.info().driverName(), MacAddress.format(portMac), mtu, workerCount,
            portConfiguration.rss() ? " with RSS" : "", config.vips().size(), dataPlane.capacityPerWorker());
        final int[] cpus = Lcore.processCpus();
        if (workerCount > cpus.length)
        {
            // Not refused: busy-polling workers that share a CPU still forward every packet (a test VM, a
            // container given fewer CPUs than the config was written for), only slower and with more jitter.
            log.printf("panamux: warning: %d workers but %d CPU(s) this process may use (%s): workers share CPUs and take each other's "
                + "time; set dataplane.workers to at most %d, or give the process more CPUs (taskset, CPUAffinity=, cpuset)%n",
                workerCount, cpus.length, java.util.Arrays.toString(cpus), cpus.length);
        }
        // 2048 data bytes per mbuf: a longer frame arrives chained (where the device scatters), and the worker
        // drops chains (multi_segment); a device that does not scatter drops it itself.
        final int frameRoom = PacketPool.DEFAULT_DATA_ROOM - 128;
        if (mtu + 18 > frameRoom)
        {
            log.printf("panamux: warning: mtu %d: frames longer than an mbuf's %d data bytes are dropped (multi_segment, or by the device); "
                + "IP packets up to %d bytes (%d with a VLAN tag) are forwarded%n", mtu, frameRoom, frameRoom - 14, frameRoom - 18);
        }
        if (dp.gatewayMac().isEmpty())
        {
            log.println("panamux: no gateway-mac configured: encapsulated packets are dropped (no_next_hop) until ARP resolves the gateway");
        }
    }

    /** A new encapsulator for the control thread's own packets, with the next hop known now. */
    private TunnelEncapsulator controlEncapsulator(final int mtu)
    {
        final TunnelEncapsulator e = new TunnelEncapsulator(portMac, publisher.nextHopMac(), config.mux().address().ipv4(),
            config.mux().address6().map(a -> a.high()).orElse(0L), config.mux().address6().map(a -> a.low()).orElse(0L), mtu);
        controlEncapsulators.add(e);
        return e;
    }

    /**
     * Starts a MUX on {@code port} with {@code config} (EAL already initialised), and its BGP speaker when
     * the configuration has a {@code router.bgp} section.
     *
     * @param log where start-up lines go.
     * @throws UncheckedIOException when the BGP speaker cannot be started (nothing is left running then).
     */
    public static Mux start(final MuxConfig config, final EthPort port, final PrintStream log)
    {
        return start(config, StaticPoolMembership.fromConfig(config), port, log);
    }

    /**
     * Starts a MUX whose pool members come from {@code membership} (a store's live members, ARCHITECTURE.md §7).
     *
     * @param log where start-up lines go.
     * @throws UncheckedIOException when the BGP speaker cannot be started (nothing is left running then).
     */
    public static Mux start(final MuxConfig config, final PoolMembership membership, final EthPort port, final PrintStream log)
    {
        return start(config, membership, config.bgp().isPresent() ? startSpeaker(config.bgp().get(), log) : null, port, log);
    }

    /**
     * Starts a MUX that tells {@code routers} what to route (besides logging it), whatever the configuration's
     * {@code router} section says: a test's or an embedder's own router, or a speaker started elsewhere.
     *
     * @param routers the session to the routers in front of the pool, or null for none (the instructions are only
     *                logged). The MUX owns it from here: it is closed first at {@link #close()}, or at once when the
     *                MUX cannot start.
     * @param log     where start-up lines go.
     */
    public static Mux start(final MuxConfig config, final PoolMembership membership, final RouterSession routers, final EthPort port,
        final PrintStream log)
    {
        final RouterSession speaker = routers;
        final Mux mux;
        try
        {
            mux = new Mux(config, membership, port, log, speaker);
        }
        catch (final RuntimeException | Error e)
        {
            if (speaker != null)
            {
                speaker.close();
            }
            throw e;
        }
        AgentRunner.startOnThread(mux.controlRunner);
        return mux;
    }

    private static BirdRouterControl startSpeaker(final BgpSettings bgp, final PrintStream log)
    {
        try
        {
            return BirdRouterControl.start(bgp, log);
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException("cannot start the BGP speaker (router.bgp): " + e.getMessage(), e);
        }
    }

    /**
     * The packet pool; when DPDK's memory cannot hold it, one line with what it needed, why, and what to change
     * (DPDK says only "Cannot allocate memory": 40 workers need 131,071 mbufs, more than {@code --no-huge -m 256}).
     */
    private static PacketPool packetPool(final int portId, final int mbufs, final int workers, final int burst)
    {
        try
        {
            return PacketPool.create("pmx_pool_" + portId, mbufs, POOL_CACHE, PacketPool.DEFAULT_DATA_ROOM, 0);
        }
        catch (final DpdkException e)
        {
            // The data room and about 200 bytes of mbuf and mempool headers per packet.
            final long mib = ((long)mbufs * (PacketPool.DEFAULT_DATA_ROOM + 200) + (1 << 20) - 1) >> 20;
            throw new DpdkException("the packet pool does not fit in the memory DPDK has: " + mbufs + " mbufs (about " + mib +
                " MiB) for dataplane.workers " + workers + " x (2 x " + DESCRIPTORS + " descriptors + 4 x dataplane.burst-size " + burst +
                " + " + POOL_CACHE + " cached) + 2048; give the EAL more memory (-m, hugepages) or lower dataplane.workers (" +
                e.getMessage() + ")");
        }
    }

    private static int poolSize(final int atLeast)
    {
        int n = 1024;
        while (n - 1 < atLeast)
        {
            n <<= 1;
        }
        return n - 1;
    }

    /**
     * A gateway MAC learnt by ARP (control thread): it reaches the workers in the next snapshot, which each
     * takes at its next burst, and the control thread's own encapsulators at once.
     */
    private void nextHop(final long mac)
    {
        publisher.learntNextHop(mac);
        control.snapshotChanged();
        for (final TunnelEncapsulator e : controlEncapsulators)
        {
            e.gatewayMac(mac);
        }
    }

    /**
     * The flow-ownership protocol with the pool's other members (ARCHITECTURE.md §1 item 3), told of the
     * owner ring's changes; none when this MUX is alone in its pool.
     */
    private FlowOwnership flowOwnership(final PoolMembership membership, final int controlTxQueue, final int mtu)
    {
        final List<IpAddress> members = poolRing.members();
        if (config.peers().isEmpty() || (members.size() < 2 && !membership.dynamic()))
        {
            return null;
        }
        final List<WorkerHandle> workers = dataPlane.handles();
        // The control thread's own encapsulator: packets it forwards as a flow's owner.
        final FlowOwnership o = new FlowOwnership(config.peers().get(), config.mux().address(), members, slot,
            dataPlane.flowTables(), workers.stream().map(WorkerHandle::commands).toList(),
            DpdkControlPort.onPool(pool.address(), port.id(), controlTxQueue, workers.get(0).commands()), controlEncapsulator(mtu),
            new SystemEpochClock(), config.dataplane().flowTable().idleTimeoutSeconds() * 1_000_000_000L);
        poolRing.ownership(o);
        log.printf("panamux: flow ownership with %d peer(s), listening on udp %s:%d%n", members.size() - 1,
            o.localAddress().getAddress().getHostAddress(), o.localAddress().getPort());
        return o;
    }

    /**
     * What the admin API works on: every change and every read of VIP state goes through the control thread.
     *
     * @param source where {@code ctl reload} reads the configuration, or null when there is none.
     * @param pool   the pool as this MUX sees it, or null when there is no view.
     */
    public AdminTarget adminTarget(final ConfigSource source, final Supplier<PoolStatus> pool)
    {
        return new AdminTarget(control, changes, this::stats, this::snapshot, dataPlane.flowTables(), source, dataPlane.counters(),
            pool);
    }

    /**
     * Applies a new configuration as {@code ctl reload} does: on the control thread, whole or not at all (any
     * thread may call this).
     *
     * @return what changed, one line per VIP.
     * @throws ChangeRejectedException when it cannot be applied while running; nothing changed then.
     * @throws TimeoutException        when the control thread did not answer within {@code timeoutMs}.
     */
    public List<String> reload(final MuxConfig next, final long timeoutMs)
        throws ChangeRejectedException, TimeoutException, InterruptedException
    {
        try
        {
            return control.submit((c, now) -> changes.reload(next, now)).get(timeoutMs, TimeUnit.MILLISECONDS);
        }
        catch (final ExecutionException e)
        {
            if (e.getCause() instanceof ChangeRejectedException rejected)
            {
                throw rejected;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    /** @return whether every worker cycles and the VIPs have been announced (any thread). */
    public boolean forwarding()
    {
        return watchdog.state() == DataPathWatchdog.State.FORWARDING;
    }

    /** @return every worker's counters, in worker order (read from any thread). */
    public List<WorkerCounters> workerCounters()
    {
        return dataPlane.counters();
    }

    /** @return every worker's flow table, in worker order (other threads: read methods only). */
    public List<FlowTable> flowTables()
    {
        return dataPlane.flowTables();
    }

    /** @return the port's MAC address. */
    public long portMac()
    {
        return portMac;
    }

    /** @return the pool's members as this MUX's owner ring has them now (itself included). */
    public List<IpAddress> poolMembers()
    {
        return poolRing.members();
    }

    /** @return the current snapshot. */
    public ForwardingSnapshot snapshot()
    {
        return slot.current();
    }

    /** @return the counters summed now. */
    public MuxStats stats()
    {
        final List<WorkerCounters> counters = dataPlane.counters();
        final EthPort.Stats ps = closed ? null : port.stats();
        return MuxStats.of(counters, slot.current(), closed ? mbufsInUseAtClose : pool.inUse(), ps == null ? 0 : ps.rxMissed(),
            ps == null ? 0 : ps.rxNoMbuf(), ownership == null ? Map.of() : ownership.stats().toMap(), tunnelProbes.toMap());
    }

    /**
     * Withdraws every VIP from the router first (with a BGP speaker: stops it, so the routers withdraw this
     * MUX, and lets the workers forward for {@link #WITHDRAW_GRACE_MS} more), then stops the workers (each
     * flushes its TX buffer), then the control thread, frees the mbufs still queued in the rings between
     * them (frames and owner queries for the control thread, frames it took but did not answer yet,
     * packets it asked a worker to send), stops and closes the port (releasing the mbufs its queues hold),
     * counts the mbufs still out of the pool and frees the pool. In that order every queue is empty when the
     * pool is counted, whatever traffic was arriving.
     */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        final boolean wasAnnounced = watchdog.stop();
        if (speaker != null)
        {
            speaker.close();
            if (wasAnnounced)
            {
                log.printf("panamux: withdrawn from the router; forwarding for %d ms more%n", WITHDRAW_GRACE_MS);
                try
                {
                    Thread.sleep(WITHDRAW_GRACE_MS);
                }
                catch (final InterruptedException e)
                {
                    Thread.currentThread().interrupt();
                }
            }
        }
        // Workers first: while they run they hand frames (ARP, owner queries) to the control thread. Each
        // flushes its TX buffer as it stops.
        for (final AgentRunner r : runners)
        {
            r.close();
        }
        // Then the control thread: what it still sends goes to the workers' command queues, freed below.
        controlRunner.close();
        if (ownership != null)
        {
            log.println("panamux: peers: " + ownership.stats());
        }
        // Nobody reads or writes the rings now: free every mbuf they still reference, and the frames the
        // control thread had taken from them but not answered yet.
        final int stranded = arpIo.freePending() + probeIo.freePending() + dataPlane.freeQueued();
        if (stranded > 0)
        {
            log.printf("panamux: %d packet(s) still queued between the workers and the control thread, freed%n", stranded);
        }
        log.println("panamux: forwarding stopped");
        port.stop();
        port.close();
        closed = true;
        mbufsInUseAtClose = pool.inUse();
        dataPlane.close();
        if (mbufsInUseAtClose == 0)
        {
            pool.close();
        }
    }

    /** @return the mbufs that were not back in the pool when the MUX closed (-1 while it runs). */
    public long mbufsInUseAtClose()
    {
        return mbufsInUseAtClose;
    }
}
