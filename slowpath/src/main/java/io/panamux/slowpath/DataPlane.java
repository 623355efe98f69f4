package io.panamux.slowpath;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

import io.panamux.dpdk.Lcore;
import io.panamux.fastpath.WorkerAgent;
import io.panamux.fastpath.WorkerConfig;
import io.panamux.fastpath.WorkerCounters;
import io.panamux.fastpath.encap.TunnelEncapsulator;
import io.panamux.fastpath.ring.ControlToWorker;
import io.panamux.fastpath.ring.WorkerToControl;
import io.panamux.fastpath.snapshot.SnapshotSlot;
import io.panamux.flow.FlowTable;
import io.panamux.slowpath.config.Dataplane;
import io.panamux.slowpath.config.MuxConfig;
import io.panamux.slowpath.control.WorkerHandle;
import io.panamux.slowpath.health.TunnelProbes;
import org.agrona.concurrent.SystemNanoClock;

/**
 * The fast path as the MUX wires it, written once: one {@link WorkerAgent} per queue of a started port, each
 * with its own flow table ({@code flow-table.capacity / workers}, at least 1024), encapsulator (the port's MAC
 * and MTU, the MUX's addresses; each VIP's GUE port comes with it in the snapshot), counters and pair of rings of {@link #RING_BYTES}
 * to and from the control thread, reading one {@link SnapshotSlot} (which carries the next hop's MAC). Built,
 * not started: {@link Mux} runs each worker on its own pinned thread, the bench ({@code NullDeviceRig}) wraps
 * each for cycle counting, and the JMH {@code PipelineBenchmark} calls one directly, so that what is measured
 * is what runs.
 *
 * <p>The control side reaches the workers only through {@link #handles()} (their rings, counters and flow
 * tables' read methods); {@link #agents()} is for whoever runs them.
 */
public final class DataPlane implements AutoCloseable
{
    /** Bytes of each ring between a worker and the control thread (about 900 records each way). */
    public static final int RING_BYTES = 1 << 16;

    private final List<WorkerAgent> agents;
    private final List<WorkerHandle> handles;
    private final int capacityPerWorker;
    private boolean closed;

    private DataPlane(final List<WorkerAgent> agents, final List<WorkerHandle> handles, final int capacityPerWorker)
    {
        this.agents = List.copyOf(agents);
        this.handles = List.copyOf(handles);
        this.capacityPerWorker = capacityPerWorker;
    }

    /**
     * @param config the MUX's configuration ({@code dataplane}, {@code mux.address}, {@code mux.address6}).
     * @param slot   where the workers read their snapshots.
     * @return a builder; {@link Builder#port} is required, everything else has the MUX's defaults.
     */
    public static Builder builder(final MuxConfig config, final SnapshotSlot slot)
    {
        return new Builder(config, slot);
    }

    /** How the data plane is built; each setting is independent of the others and of their order. */
    public static final class Builder
    {
        private final MuxConfig config;
        private final SnapshotSlot slot;
        private int portId = -1;
        private long portMac;
        private int mtu;
        private int workers;
        private int[] cpus;
        private long[] placementSeeds;
        private boolean newFlowLimit = true;

        private Builder(final MuxConfig config, final SnapshotSlot slot)
        {
            this.config = Objects.requireNonNull(config, "config");
            this.slot = Objects.requireNonNull(slot, "slot");
            this.workers = config.dataplane().workers();
        }

        /**
         * @param id  the DPDK port, with one RX and one TX queue per worker set up (worker q uses queue q).
         * @param mac the port's MAC (the source of encapsulated frames).
         * @param mtu the port's IP MTU (largest outer packet).
         */
        public Builder port(final int id, final long mac, final int mtu)
        {
            this.portId = id;
            this.portMac = mac;
            this.mtu = mtu;
            return this;
        }

        /** @param count the workers (default {@code dataplane.workers}). */
        public Builder workers(final int count)
        {
            this.workers = count;
            return this;
        }

        /**
         * @param cpu one CPU per worker (-1: not pinned). By default worker q goes on the process's CPU q+1
         *            ({@link #defaultCpus}).
         */
        public Builder cpus(final int... cpu)
        {
            this.cpus = cpu.clone();
            return this;
        }

        /** @param seeds one flow-table placement seed per worker (by default each table draws its own at random). */
        public Builder placementSeeds(final long... seeds)
        {
            this.placementSeeds = seeds.clone();
            return this;
        }

        /**
         * Records every new flow, whatever {@code flow-table.new-flows-per-second} says: the benchmarks of the
         * insert path measure the table, not the limit.
         */
        public Builder unlimitedNewFlows()
        {
            this.newFlowLimit = false;
            return this;
        }

        /** @return the workers, not started. */
        public DataPlane build()
        {
            if (portId < 0)
            {
                throw new IllegalStateException("DataPlane.builder(...).port(...) is required");
            }
            final int[] cpu = cpus == null ? defaultCpus(workers) : cpus;
            if (cpu.length < workers || (placementSeeds != null && placementSeeds.length < workers))
            {
                throw new IllegalArgumentException("one CPU and placement seed per worker: " + workers + " worker(s), "
                    + cpu.length + " CPU(s), " + (placementSeeds == null ? "random" : placementSeeds.length) + " seed(s)");
            }
            final Dataplane dp = config.dataplane();
            final int capacity = dp.flowTable().capacityPerWorker(workers);
            final int muxV4 = config.mux().address().ipv4();
            final boolean hasV6 = config.mux().address6().isPresent();
            final long muxV6Hi = config.mux().address6().map(a -> a.high()).orElse(0L);
            final long muxV6Lo = config.mux().address6().map(a -> a.low()).orElse(0L);
            final List<WorkerAgent> agents = new ArrayList<>(workers);
            final List<WorkerHandle> handles = new ArrayList<>(workers);
            for (int q = 0; q < workers; q++)
            {
                final WorkerConfig wc = new WorkerConfig(portId, q, q, dp.burstSize(), cpu[q], WorkerConfig.DEFAULT_TX_DRAIN_NANOS,
                    dp.flowTable().idleTimeoutSeconds(), newFlowLimit ? dp.flowTable().newFlowsPerSecond() : 0);
                // The gateway MAC given here is replaced by the snapshot's (ForwardingSnapshot.nextHopMac).
                final TunnelEncapsulator encapsulator = new TunnelEncapsulator(portMac, dp.gatewayMac().orElse(0L), muxV4, muxV6Hi,
                    muxV6Lo, mtu);
                final FlowTable flows = placementSeeds == null ? new FlowTable(capacity) : new FlowTable(capacity, placementSeeds[q]);
                final WorkerCounters counters = new WorkerCounters();
                final WorkerToControl records = new WorkerToControl(RING_BYTES);
                final ControlToWorker commands = new ControlToWorker(RING_BYTES);
                final WorkerAgent worker = new WorkerAgent(wc, slot, flows, encapsulator, counters, records, commands,
                    new SystemNanoClock());
                // The answers to the health checks' probes through the tunnel come back to the MUX's own address.
                worker.probeAnswers(muxV4, hasV6, muxV6Hi, muxV6Lo, TunnelProbes.FIRST_PORT, TunnelProbes.LAST_PORT);
                agents.add(worker);
                handles.add(new WorkerHandle(q, commands, records, flows, counters));
            }
            return new DataPlane(agents, handles, capacity);
        }
    }

    /**
     * Worker q on the process's CPU q+1 (its first is left to the JVM's own threads and the control thread)
     * when there are enough CPUs; otherwise they share. The process's CPUs (taskset, systemd's
     * {@code CPUAffinity=}, a cpuset), not every online one: a worker pinned outside them ignored the
     * operator's choice (or, in a cpuset, failed to start).
     *
     * @param workers the workers.
     * @return one CPU per worker (-1 when the process has a single CPU: not pinned).
     */
    public static int[] defaultCpus(final int workers)
    {
        final int[] processCpus = Lcore.processCpus();
        final int[] out = new int[workers];
        Arrays.fill(out, -1);
        if (processCpus.length > 1)
        {
            for (int q = 0; q < workers; q++)
            {
                out[q] = processCpus[1 + (q % (processCpus.length - 1))];
            }
        }
        return out;
    }

    /** @return the workers, in queue order, for whoever runs them. */
    public List<WorkerAgent> agents()
    {
        return agents;
    }

    /** @return what the control side may hold of each worker, in queue order. */
    public List<WorkerHandle> handles()
    {
        return handles;
    }

    /** @return every worker's flow table, in worker order (other threads: read methods only). */
    public List<FlowTable> flowTables()
    {
        return handles.stream().map(WorkerHandle::flows).toList();
    }

    /** @return every worker's counters, in worker order. */
    public List<WorkerCounters> counters()
    {
        return handles.stream().map(WorkerHandle::counters).toList();
    }

    /** @return the flow-table capacity of each worker. */
    public int capacityPerWorker()
    {
        return capacityPerWorker;
    }

    /**
     * Frees every mbuf still referenced by the rings between the workers and the control thread. Only when
     * nobody reads or writes them any more: the workers and the control thread have stopped.
     *
     * @return the mbufs freed.
     */
    public int freeQueued()
    {
        int freed = 0;
        for (final WorkerHandle h : handles)
        {
            freed += h.records().freeAll() + h.commands().freeAll();
        }
        return freed;
    }

    /** Frees the flow tables (the workers have stopped). */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        for (final WorkerHandle h : handles)
        {
            h.flows().close();
        }
    }
}
