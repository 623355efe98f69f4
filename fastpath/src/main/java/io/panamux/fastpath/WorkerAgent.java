package io.panamux.fastpath;

import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import io.panamux.dpdk.Burst;
import io.panamux.dpdk.Lcore;
import io.panamux.dpdk.Mbuf;
import io.panamux.dpdk.Memory;
import io.panamux.fastpath.encap.IcmpTooBigWriter;
import io.panamux.fastpath.encap.TunnelEncapsulator;
import io.panamux.fastpath.packet.DropReason;
import io.panamux.fastpath.packet.PacketInfo;
import io.panamux.fastpath.packet.PacketParser;
import io.panamux.fastpath.ring.ControlToWorker;
import io.panamux.fastpath.ring.WorkerToControl;
import io.panamux.fastpath.snapshot.Backend;
import io.panamux.fastpath.snapshot.ForwardingSnapshot;
import io.panamux.fastpath.snapshot.SnapshotSlot;
import io.panamux.fastpath.snapshot.Vip;
import io.panamux.fastpath.snapshot.VipTable;
import io.panamux.flow.FlowHash;
import io.panamux.flow.FlowTable;
import io.panamux.flow.MaglevTable;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentTerminationException;
import org.agrona.concurrent.NanoClock;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The fast path of one RX queue (ARCHITECTURE.md §1, §3): RX burst, parse the whole burst in place, look
 * up VIPs and flows, choose backends by Maglev, encapsulate into the headroom, TX buffered (sent when the
 * buffer is full, when the RX queue came back with less than a full burst, or after the drain interval). One thread
 * runs it, pinned and registered as a DPDK lcore; it owns its RX and TX queue, its flow table and its
 * counters, and nobody else writes them.
 *
 * <h2>Choosing a backend</h2>
 * The flow hash is {@link FlowHash} of the 5-tuple with the pool-wide seed (3-tuple for fragments, so a
 * datagram's fragments stay together whatever their order). A VIP that does not record flows maps the
 * hash through its Maglev table. A VIP that records flows ({@code flow-tracking: always}, or its stateful
 * phase after a backend change) looks the flow up first; a hit whose backend is still in the snapshot
 * keeps it. On a miss, a new connection (TCP SYN without ACK; any UDP packet) takes the current table; a
 * mid-connection packet keeps what the previous table gives when that backend is still present (so a
 * connection opened before the change survives it), else the current table; the choice is recorded.
 * ICMP errors follow their flow's recorded backend when there is one, and are never recorded. Later
 * fragments carry no ports: their VIP is the only VIP on their address and protocol, or they are dropped
 * as {@code fragment_unknown_vip}; fragments are forwarded by the current table without flow state.
 *
 * <h2>Flow ownership</h2>
 * In a VIP's stateful phase, when the MUX pool has several members, a recorded flow is reported to the
 * control thread ({@link WorkerToControl#FLOW_LEARNED}) for its owner; a mid-connection packet of an
 * unknown flow is handed to the control thread ({@link WorkerToControl#OWNER_QUERY}), which forwards it to
 * the flow's owner (or, when this MUX owns it, answers from what its peers reported), and the flow is
 * recorded as pending with the local (rule 2) choice; later
 * packets of a pending flow follow the same path until the control thread records the owner's answer (or,
 * when the owner is silent, confirms the local choice) through {@link ControlToWorker#PUT_FLOW}. A full ring
 * never blocks: it is counted ({@code ring_full}) and the worker decides locally.
 *
 * <h2>Packets that are not forwarded</h2>
 * Every one is counted under its {@link DropReason} and its mbuf freed in the same burst; ARP goes to
 * the control thread. A packet that would exceed the MTU after
 * encapsulation and may not be fragmented becomes, in place, an ICMP "fragmentation needed" / "packet too
 * big" reply sent back out of the port.
 *
 * <h2>Why this class is long (about 930 lines)</h2>
 * Its length is the per-packet path: the two stages of a burst ({@code parseBurst}, {@code forwardBurst}), the
 * backend choice ({@code chooseBackend}, its rare branch, {@code afterLookup}, {@code floodGuard}), the prefetch
 * steps and the sweep. They share the burst's arrays, the current snapshot and the flow table as fields of one final
 * class, so that C2 compiles a duty cycle as one unit with these small private methods inlined
 * ({@code HotMethodSizeTest} keeps the hottest under {@code FreqInlineSize}, and a test checks that a cycle allocates
 * nothing). Moving a stage to another object would put a field load and a call site that the profile may leave
 * un-inlined in front of every packet, for no gain in clarity. What does not run per packet lives apart: the
 * control thread's commands ({@link WorkerCommands}) and the reports of failed cycles ({@link WorkerErrorLog}).
 */
public final class WorkerAgent implements Agent
{
    private static final int OK = PacketParser.OK;
    private static final int ARP = DropReason.ARP.ordinal();
    private static final int NOT_VIP = DropReason.NOT_VIP.ordinal();
    private static final int NO_BACKEND = DropReason.NO_BACKEND.ordinal();
    private static final int FRAGMENT_UNKNOWN_VIP = DropReason.FRAGMENT_UNKNOWN_VIP.ordinal();
    private static final int MULTI_SEGMENT = DropReason.MULTI_SEGMENT.ordinal();
    private static final int TOO_BIG = DropReason.TOO_BIG.ordinal();
    private static final int WORKER_ERROR = DropReason.WORKER_ERROR.ordinal();
    private static final int TCP = 6;
    private static final int TCP_SYN = 0x02;
    private static final int TCP_ACK = 0x10;
    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    /**
     * The flow table is swept for idle flows once per sweep period, a share of its buckets at each
     * housekeeping step, so that the sweep costs the same whatever the packet rate (it was 64 buckets every
     * 16 busy cycles: at 10 Mpps a million-flow table swept three times a second, 4 KB of buckets through the
     * cache per 128 packets). The period is an eighth of the idle timeout, between these bounds: an idle flow
     * goes at most 12.5% of its timeout late (about 1 s for short timeouts), and a 64 MB table is not read
     * through once a second for flows that idle out after minutes (that sweep was 2.3% of the worker's time
     * at 8.7 Mpps with 1M flows, and the C baseline has none).
     */
    private static final long MIN_SWEEP_PERIOD_NS = NANOS_PER_SECOND;
    /** The longest sweep period; also keeps {@code elapsed * buckets} in a long for the largest tables. */
    private static final long MAX_SWEEP_PERIOD_NS = 30 * NANOS_PER_SECOND;
    /** At most this many buckets per housekeeping step (catching up after a pause of the clock). */
    private static final int MAX_EXPIRY_BUCKETS_PER_CYCLE = 1024;
    /** Failed duty cycles are logged at most this often (after the first, logged with its stack trace). */
    public static final long ERROR_LOG_INTERVAL_NS = 10 * NANOS_PER_SECOND;
    /** Control commands applied per duty cycle at most. */
    private static final int COMMANDS_PER_CYCLE = 32;
    /** Flow flag: waiting for the owner's answer; the recorded backend is the local choice. */
    public static final int FLAG_PENDING = 1;
    /**
     * Packets whose flow-table buckets are asked for together, in one downcall: stage one asks for a group's
     * buckets as soon as it has parsed the group, and the probe between the stages for a group's second
     * buckets. Groups of two (twice the downcalls) measured 295 and 438 cycles a packet on always-1m against 239
     * and 378 for four in the same conditions (issue 14).
     */
    private static final int PREFETCH_GROUP = 4;
    /** {@link BurstPacket#hint}: the packet's flow is to be looked for in its first bucket ahead of its use. */
    private static final long PROBE = -2;
    /** Stage one's choice: the packet's VIP records flows; stage two decides through the flow table. */
    private static final int BY_FLOW_TABLE = -2;
    /** Stage one's choice: the VIP has no backend that takes flows. */
    private static final int NONE = -1;
    /** What {@link #chooseBackend} returns when the packet went to the control thread. */
    private static final Backend HANDED_OVER = new Backend(-1, -1, false, 0, 0, 0, 0, false, "control");

    private final WorkerConfig config;
    private final SnapshotSlot snapshots;
    private final FlowTable flows;
    private final TunnelEncapsulator encapsulator;
    private final IcmpTooBigWriter tooBig = new IcmpTooBigWriter();
    private final PacketParser parser = new PacketParser();
    private final WorkerCounters counters;
    private final WorkerToControl toControl;
    private final ControlToWorker commands;
    private final WorkerCommands commandHandler;
    private final NanoClock clock;
    private final long startNs;

    private final MemorySegment rxBurst;
    private final long rxBurstAddress;
    private final TxBuffer tx;
    /** The packets of the burst being forwarded, and what the stages decided about each. */
    private final BurstPacket[] packets;
    private final long prefetchAddress;
    /** Native list of the second buckets asked for at one probe step of stage two. */
    private final long linesAddress;
    private ForwardingSnapshot snapshot;
    private boolean running;
    /** Packets of the burst being processed (0 between bursts): what {@link #recover} must account for. */
    private int inFlight;
    /** Packets of that burst already handed on (sent, buffered, freed, given to the control thread). */
    private int disposed;
    private final WorkerErrorLog errors;
    /** New connections recorded per second at most (0: no limit), and the count in the current second. */
    private final int newFlowLimit;
    private int floodSecond = -1;
    private int newFlowsThisSecond;
    /** Whether TCP to the MUX's own address and the probes' ports goes to the control thread (set before start). */
    private boolean probeAnswers;
    private int probeV4;
    private boolean probeHasV6;
    private long probeV6Hi;
    private long probeV6Lo;
    private int probeFirstPort;
    private int probeLastPort;
    /** The time the expiry sweep has covered up to: the buckets due since are {@link #sweepPeriodNs}'s share. */
    private long sweptNs;
    /** One whole sweep of the table per this many nanoseconds ({@link #sweepPeriodNs(int)}). */
    private final long sweepPeriodNs;

    /**
     * @param config       queue, burst and flow-table settings.
     * @param snapshots    where the control thread publishes forwarding snapshots.
     * @param flows        this worker's flow table (owned by it from now on).
     * @param encapsulator this worker's encapsulator (its identification counter is per worker).
     * @param counters     this worker's counters.
     * @param toControl    the ring to the control thread (ARP, owner queries, learned flows).
     * @param commands     the control thread's commands to this worker.
     * @param clock        time source (a fake clock in tests).
     */
    public WorkerAgent(final WorkerConfig config, final SnapshotSlot snapshots, final FlowTable flows,
        final TunnelEncapsulator encapsulator, final WorkerCounters counters, final WorkerToControl toControl,
        final ControlToWorker commands, final NanoClock clock)
    {
        this.config = config;
        this.snapshots = snapshots;
        this.flows = flows;
        this.encapsulator = encapsulator;
        this.counters = counters;
        this.toControl = toControl;
        this.commands = commands;
        this.clock = clock;
        this.startNs = clock.nanoTime();
        this.sweptNs = startNs;
        this.sweepPeriodNs = sweepPeriodNs(config.idleTimeoutSeconds());
        this.newFlowLimit = config.newFlowsPerSecond();
        this.errors = new WorkerErrorLog(roleName());
        final int burst = config.burstSize();
        // Global arena: these arrays live as long as the process, and global segments need no liveness check.
        this.rxBurst = Arena.global().allocate(JAVA_LONG, burst);
        this.rxBurstAddress = rxBurst.address();
        this.tx = new TxBuffer(Arena.global(), config.port(), config.txQueue(), burst, config.txDrainNanos(), counters);
        this.commandHandler = new WorkerCommands(flows, tx, counters, startNs, this::countPut);
        this.packets = new BurstPacket[burst];
        for (int i = 0; i < burst; i++)
        {
            packets[i] = new BurstPacket();
        }
        this.prefetchAddress = Arena.global().allocate(JAVA_LONG, 2L * burst).address();
        this.linesAddress = Arena.global().allocate(JAVA_LONG, 2L * PREFETCH_GROUP).address();
        this.snapshot = snapshots.current();
        encapsulator.gatewayMac(snapshot.nextHopMac());
    }

    /**
     * Hands the answers to the control thread's health-check probes through the tunnel to it (as ARP frames
     * go): TCP segments, not fragments, for the MUX's own address and a destination port in
     * {@code [firstPort, lastPort]}. Every other packet for the MUX's address stays {@code not_vip}. Call
     * before the worker starts.
     *
     * @param muxV4     the MUX's IPv4 address.
     * @param hasV6     whether it has an IPv6 address.
     * @param muxV6Hi   its high 64 bits.
     * @param muxV6Lo   its low 64 bits.
     * @param firstPort the probes' first source port.
     * @param lastPort  their last.
     * @return this worker.
     */
    public WorkerAgent probeAnswers(final int muxV4, final boolean hasV6, final long muxV6Hi, final long muxV6Lo, final int firstPort,
        final int lastPort)
    {
        this.probeV4 = muxV4;
        this.probeHasV6 = hasV6;
        this.probeV6Hi = muxV6Hi;
        this.probeV6Lo = muxV6Lo;
        this.probeFirstPort = firstPort;
        this.probeLastPort = lastPort;
        this.probeAnswers = true;
        return this;
    }

    private boolean isProbeAnswer(final PacketInfo info)
    {
        return info.protocol == TCP && !info.isFragment && !info.icmpError && info.dstPort >= probeFirstPort && info.dstPort <= probeLastPort &&
            (info.ipVersion == 4 ? info.dstV4 == probeV4 : probeHasV6 && info.dstHi == probeV6Hi && info.dstLo == probeV6Lo);
    }

    @Override
    public void onStart()
    {
        if (config.cpu() >= 0)
        {
            Lcore.setAffinity(config.cpu());
        }
        Lcore.register();
        counters.set(WorkerCounters.SNAPSHOT_VERSION, snapshot.version());
        running = true;
    }

    /**
     * One duty cycle. Whatever it throws is caught here, once per cycle (no cost on the path that does not
     * throw): the mbufs the cycle held are freed or sent ({@link #recover}), the failure is counted
     * ({@code worker_errors}) and logged at a bounded rate, and the cycle does not count as a duty cycle, so
     * a worker that keeps failing looks stalled to the control thread's data-path watchdog.
     */
    @Override
    public int doWork()
    {
        try
        {
            return dutyCycle();
        }
        catch (final AgentTerminationException e)
        {
            throw e;
        }
        catch (final RuntimeException | Error e)
        {
            recover(e);
            return 1;
        }
    }

    private int dutyCycle()
    {
        final ForwardingSnapshot current = snapshots.current();
        if (current != snapshot)
        {
            snapshot = current;
            counters.set(WorkerCounters.SNAPSHOT_VERSION, current.version());
            // The next hop travels in the snapshot: the encapsulator is this thread's alone.
            encapsulator.gatewayMac(current.nextHopMac());
        }
        final long nowNs = clock.nanoTime();
        commandHandler.now(nowNs);
        final int applied = commands.drain(commandHandler, COMMANDS_PER_CYCLE);
        final int n = Burst.rx(config.port(), config.rxQueue(), rxBurst, config.burstSize());
        if (n > 0)
        {
            inFlight = n;
            disposed = 0;
            processBurst(n, nowNs);
            inFlight = 0;
        }
        if (n < config.burstSize())
        {
            // The RX queue is drained: send now rather than hold packets for company that is not coming
            // (latency at low and moderate load); under full bursts the buffer fills and flushes by itself.
            tx.flush();
        }
        else
        {
            tx.flushIfDue(nowNs);
        }
        housekeeping(nowNs, n == 0);
        // Last, so that a cycle that throws part-way does not count: a worker failing on every cycle
        // looks stopped to the watchdog, as it is for the packets.
        counters.add(WorkerCounters.DUTY_CYCLES, 1);
        return n + applied;
    }

    /**
     * After a cycle threw: every mbuf of the burst not yet handed on (sent, buffered, freed or given to the
     * control thread) is freed, the TX buffer is sent (freed if sending throws too), the error is counted
     * and logged ({@link WorkerErrorLog}): the first with its stack trace, then one line per
     * {@link #ERROR_LOG_INTERVAL_NS} at most with the number since. Not on the fast path: it may allocate.
     */
    private void recover(final Throwable e)
    {
        counters.add(WorkerCounters.WORKER_ERRORS, 1);
        final int n = inFlight;
        inFlight = 0;
        int freed = 0;
        for (int i = disposed; i < n; i++)
        {
            final long m = Memory.getI64(rxBurstAddress + 8L * i);
            if (!tx.holds(m))
            {
                Burst.free(m);
                freed++;
            }
        }
        try
        {
            tx.flush();
        }
        catch (final RuntimeException | Error again)
        {
            freed += tx.size();
            tx.discard();
        }
        counters.drops(WORKER_ERROR, freed);
        errors.failed(e, clock.nanoTime());
    }

    /**
     * Where failed duty cycles are reported (standard error unless set; tests read it).
     *
     * @param log the stream.
     * @return this worker.
     */
    public WorkerAgent errorLog(final PrintStream log)
    {
        errors.output(log);
        return this;
    }

    private void countPut(final int rc)
    {
        if (rc == FlowTable.EVICTED)
        {
            counters.add(WorkerCounters.FLOW_EVICTIONS, 1);
        }
        if (rc != FlowTable.UPDATED)
        {
            counters.add(WorkerCounters.FLOWS_INSERTED, 1);
        }
    }

    /**
     * Forwards one received burst: stage one parses every packet and finds its VIP and flow hash, stage
     * two chooses backends, encapsulates and buffers for TX.
     */
    private void processBurst(final int n, final long nowNs)
    {
        // Two methods, so that C2 compiles each with its own node budget: as one, the inlined FFM accesses
        // reached NodeCountInliningCutoff and the tail of stage two (the tunnel header, TxBuffer.add, an
        // mbuf length) stayed a real call per packet.
        if (parseBurst(n) > 0)
        {
            probeBurst(n);
        }
        forwardBurst(n, nowNs);
    }

    /**
     * Stage one: parses every packet, finds its VIP and flow hash, chooses the stateless VIPs' backends
     * and asks for the flow-table buckets, a group of packets at a time, while it parses the next groups.
     *
     * <p>Asked for here, each bucket has the rest of stage one to arrive before {@link #probeBurst} looks in it.
     * Asked for by stage two, a few groups ahead of use (as before), the first groups of every burst were
     * probed as soon as asked for and waited for memory, and each group's downcall waited for the buckets'
     * address translations together (on this VM the flow table's pages are 4 KB pages on the host whatever
     * the guest's: a million-flow table's bucket is a TLB miss). A whole burst asked for in one downcall at the
     * end of this stage lost most of them (165 ns per new flow instead of 87 in a million-flow table).
     *
     * @return the number of bucket addresses asked for.
     */
    private int parseBurst(final int n)
    {
        final ForwardingSnapshot snap = snapshot;
        final long seed = snap.hashSeed();
        final VipTable vips = snap.vipTable();
        final Vip[] vipArray = snap.vips();
        // In locals: invariant in the loop, so that C2 checks the array's bounds once before it (loop
        // predication) instead of loading the field and checking the index for every packet.
        final BurstPacket[] packets = this.packets;
        final long rxBurstAddress = this.rxBurstAddress;
        final PacketParser parser = this.parser;
        long rxBytes = 0;
        int prefetches = 0;
        int asked = 0;
        for (int i = 0; i < n; i++)
        {
            final long m = Memory.getI64(rxBurstAddress + 8L * i);
            final BurstPacket info = packets[i];
            info.mbuf = m;
            info.hint = -1;
            final int length = Mbuf.dataLength(m);
            rxBytes += length;
            if (Mbuf.segments(m) != 1)
            {
                info.verdict = MULTI_SEGMENT;
                asked = askForBuckets(i, n, prefetches, asked);
                continue;
            }
            int verdict = parser.parse(Mbuf.dataAddress(m), length, info);
            if (verdict == OK)
            {
                final int vip = findVip(vips, vipArray, info);
                if (vip >= 0)
                {
                    info.vip = vip;
                    final long hash = flowHash(seed, info);
                    info.hash = hash;
                    final Vip v = vipArray[vip];
                    if (!v.recordsFlows() || info.isFragment)
                    {
                        // Stateless (and fragments): Maglev alone, here, so that the table's load overlaps
                        // with the next packets' parsing instead of stalling stage two.
                        final int[] table = v.table();
                        info.choice = table.length == 0 ? NONE : MaglevTable.lookup(table, hash);
                    }
                    else
                    {
                        info.choice = BY_FLOW_TABLE;
                        final long placement = placement(info);
                        info.placement = placement;
                        Memory.putI64(prefetchAddress + 8L * prefetches++, flows.bucketAddress(placement));
                        if ((info.tcpFlags & (TCP_SYN | TCP_ACK)) == TCP_SYN)
                        {
                            // A new connection is looked for in both buckets before it is inserted.
                            Memory.putI64(prefetchAddress + 8L * prefetches++, flows.secondBucketAddress(placement));
                        }
                        else if (info.ipVersion == 4)
                        {
                            info.hint = PROBE;
                        }
                    }
                }
                else if (probeAnswers && isProbeAnswer(info))
                {
                    // A backend's answer to a health-check probe sent through the tunnel: the control thread's.
                    verdict = ARP;
                }
                else
                {
                    verdict = vip == VipTable.AMBIGUOUS || (info.isFragment && !info.isFirstFragment) ? FRAGMENT_UNKNOWN_VIP : NOT_VIP;
                }
            }
            info.verdict = verdict;
            asked = askForBuckets(i, n, prefetches, asked);
        }
        counters.add(WorkerCounters.RX_PACKETS, n);
        counters.add(WorkerCounters.RX_BYTES, rxBytes);
        counters.add(WorkerCounters.BUSY_CYCLES, 1);
        return prefetches;
    }

    /**
     * At the end of each group of packets in stage one (and of the burst): the buckets queued since the last
     * call, in one downcall.
     *
     * @return the number of queued buckets asked for so far.
     */
    private int askForBuckets(final int i, final int n, final int queued, final int asked)
    {
        if (queued > asked && ((i & (PREFETCH_GROUP - 1)) == PREFETCH_GROUP - 1 || i == n - 1))
        {
            Burst.prefetchLines(prefetchAddress + 8L * asked, queued - asked);
            return queued;
        }
        return asked;
    }

    /** Stage two: flows, backends, encapsulation and TX. */
    private void forwardBurst(final int n, final long nowNs)
    {
        final ForwardingSnapshot snap = snapshot;
        final int now = (int)((nowNs - startNs) / NANOS_PER_SECOND);
        // In locals, as in parseBurst.
        final BurstPacket[] packets = this.packets;
        final Vip[] vips = snap.vips();
        final TunnelEncapsulator encapsulator = this.encapsulator;
        final TxBuffer tx = this.tx;
        for (int i = 0; i < n; i++)
        {
            // Packets before i are handed on: if this one throws, recover() frees it and the rest.
            disposed = i;
            final BurstPacket info = packets[i];
            final long m = info.mbuf;
            final int verdict = info.verdict;
            if (verdict != OK)
            {
                reject(m, verdict);
                continue;
            }
            final Vip vip = vips[info.vip];
            final int chosen = info.choice;
            final long hint = info.hint;
            // knownFlow only where the probe found the flow: its profile then sees hits alone. Called for every
            // flow-table packet, it saw a million SYNs miss before the first known flow (the bench's fill, a
            // flood at a MUX's start), and C2 compiled its hit path as rare: findAtV4 and the counter a real
            // call per packet.
            Backend backend = chosen >= 0 ? vip.backends()[chosen] : chosen == NONE || hint < 0 ? null : knownFlow(snap, vip, info, hint,
                now);
            if (backend == null && chosen == BY_FLOW_TABLE)
            {
                backend = chooseBackend(snap, vip, info, info.hash, info.placement, hint, now, m);
            }
            if (backend == HANDED_OVER)
            {
                continue;
            }
            if (backend == null)
            {
                reject(m, NO_BACKEND);
                continue;
            }
            int rc = encapsulator.encapsulate(m, info, vip.encapsulation(), vip.guePort(), backend.v6(), backend.v4(), backend.v6Hi(),
                backend.v6Lo(), info.hash);
            if (rc == TOO_BIG)
            {
                rc = tooBig.write(m, info, encapsulator.innerMtu(vip.encapsulation(), backend.v6()), nowNs);
                if (rc == OK)
                {
                    counters.add(WorkerCounters.ICMP_TOO_BIG_SENT, 1);
                    counters.drop(TOO_BIG);
                    tx.add(m, nowNs);
                    continue;
                }
            }
            if (rc != OK)
            {
                reject(m, rc);
                continue;
            }
            // Counted (tx_packets, tx_bytes, the backend's packets) when the driver accepts it.
            tx.add(m, nowNs, backend.id(), Mbuf.dataLength(m));
        }
    }

    /**
     * Between the stages, for a burst with flow-table packets: each known IPv4 flow looked for in its first
     * bucket, which stage one asked for (the last group's a few hundred cycles ago, the first's a whole stage
     * ago), and where it is not there, its second bucket asked for, a group at a time (a flow lives there when its
     * first bucket was nearly full as it arrived: about one in twelve at half load, each a full memory stall when
     * not prefetched). A loop of its own, not a step of stage two's: with stage two's live values around it, C2
     * spilled and reloaded registers in every probe (perf/profile/asm-profile.sh: 1.3 % of the worker's samples on
     * one reload in the probe's loop).
     */
    private void probeBurst(final int n)
    {
        final BurstPacket[] packets = this.packets;
        int lines = 0;
        for (int j = 0; j < n; j++)
        {
            final BurstPacket info = packets[j];
            if (info.hint == PROBE)
            {
                final long placement = info.placement;
                final long at = flows.probeFirstV4(placement, info.srcV4, info.dstV4, info.srcPort, info.dstPort, info.protocol);
                info.hint = at;
                if (at < 0)
                {
                    Memory.putI64(linesAddress + 8L * lines++, flows.secondBucketAddress(placement));
                }
            }
            if (lines > 0 && ((j & (PREFETCH_GROUP - 1)) == PREFETCH_GROUP - 1 || j == n - 1))
            {
                Burst.prefetchLines(linesAddress, lines);
                lines = 0;
            }
        }
    }

    private static int findVip(final VipTable vips, final Vip[] vipArray, final PacketInfo info)
    {
        final boolean laterFragment = info.isFragment && !info.isFirstFragment;
        if (info.ipVersion == 4)
        {
            return laterFragment ? vips.findFragmentV4(info.dstV4, info.protocol) : vips.findV4(info.dstV4, info.dstPort, info.protocol);
        }
        if (laterFragment && info.upperProtocolUnknown())
        {
            // Destination options or AH first (RFC 8200 §4.5): the only VIP on the address gives the
            // protocol, so that the 3-tuple hash is the first fragment's.
            final int vip = vips.findFragmentV6AnyProtocol(info.dstHi, info.dstLo);
            if (vip >= 0)
            {
                info.protocol = vipArray[vip].protocol();
            }
            return vip;
        }
        return laterFragment ? vips.findFragmentV6(info.dstHi, info.dstLo, info.protocol)
            : vips.findV6(info.dstHi, info.dstLo, info.dstPort, info.protocol);
    }

    private long placement(final PacketInfo info)
    {
        return info.ipVersion == 4
            ? flows.placementHashV4(info.srcV4, info.dstV4, info.srcPort, info.dstPort, info.protocol)
            : flows.placementHashV6(info.srcHi, info.srcLo, info.dstHi, info.dstLo, info.srcPort, info.dstPort, info.protocol);
    }

    private static long flowHash(final long seed, final PacketInfo info)
    {
        final boolean ports = !info.hashesOnAddressesOnly();
        final int srcPort = ports ? info.srcPort : 0;
        final int dstPort = ports ? info.dstPort : 0;
        if (info.ipVersion == 4)
        {
            return FlowHash.hashV4(seed, info.srcV4, info.dstV4, srcPort, dstPort, info.protocol);
        }
        return FlowHash.hashV6(seed, info.srcHi, info.srcLo, info.dstHi, info.dstLo, srcPort, dstPort, info.protocol);
    }

    /**
     * The backend of a known IPv4 flow found where the probe saw it ({@code hint}, not negative), or null: then
     * {@link #chooseBackend} decides. The common packet of a flow-recording VIP, kept apart from
     * chooseBackend because C2 compiled that (with the whole lookup) on its own before the loop and, at
     * over InlineSmallCode (2,500 bytes of machine code), then left it a real call per packet
     * (perf/profile/asm-profile.sh: spills around it and its own frame).
     */
    private Backend knownFlow(final ForwardingSnapshot snap, final Vip vip, final PacketInfo info, final long hint, final int now)
    {
        if (info.icmpError)
        {
            return null;
        }
        final long found = flows.findAtV4(hint, info.srcV4, info.dstV4, info.srcPort, info.dstPort, info.protocol, now);
        if (found == FlowTable.MISSING || (FlowTable.flags(found) & FLAG_PENDING) != 0)
        {
            return null;
        }
        final Backend b = snap.backend(FlowTable.backendId(found));
        if (b == null || b.vipIndex() != vip.index())
        {
            return null;
        }
        counters.add(WorkerCounters.FLOW_HITS, 1);
        return b;
    }

    /**
     * The backend of a packet whose VIP records flows (stage one chose the others' by Maglev alone): through
     * the flow table, the previous table in a stateful phase, and the flow's owner in a pool.
     */
    private Backend chooseBackend(final ForwardingSnapshot snap, final Vip vip, final PacketInfo info, final long hash,
        final long placement, final long hint, final int now, final long mbuf)
    {
        // Kept under C2's hot-method inlining limit (FreqInlineSize, 325 bytes of bytecode; checked by
        // HotMethodSizeTest) so that it is compiled into the worker's loop: the packet of a known IPv4 flow is
        // decided here, everything else (SYNs, misses, owner queries, IPv6, ICMP errors) out of line.
        if (info.ipVersion == 4 && !info.icmpError && (info.protocol != TCP || (info.tcpFlags & (TCP_SYN | TCP_ACK)) != TCP_SYN))
        {
            final long found = flows.findV4(hint, placement, info.srcV4, info.dstV4, info.srcPort, info.dstPort, info.protocol, now);
            if (found != FlowTable.MISSING && (FlowTable.flags(found) & FLAG_PENDING) == 0)
            {
                final Backend b = snap.backend(FlowTable.backendId(found));
                if (b != null && b.vipIndex() == vip.index())
                {
                    counters.add(WorkerCounters.FLOW_HITS, 1);
                    return b;
                }
            }
            return afterLookup(snap, vip, info, hash, placement, now, mbuf, found, info.protocol != TCP);
        }
        return chooseBackendRarely(snap, vip, info, hash, placement, now, mbuf);
    }

    /** {@link #chooseBackend} for a TCP SYN, an IPv6 packet or an ICMP error. */
    private Backend chooseBackendRarely(final ForwardingSnapshot snap, final Vip vip, final PacketInfo info, final long hash,
        final long placement, final int now, final long mbuf)
    {
        final boolean v4 = info.ipVersion == 4;
        final boolean newConnection = info.protocol != TCP || (info.tcpFlags & (TCP_SYN | TCP_ACK)) == TCP_SYN;
        final long found;
        if (v4 && info.protocol == TCP && newConnection && !info.icmpError)
        {
            // A SYN: nearly always a new flow, so it is looked up and inserted in one pass over its buckets,
            // with the backend a new connection gets (the current table), kept if the flow is already there.
            // Under a flood it is only looked up, and not recorded when missing (floodGuard).
            final Backend chosen = vip.backendForNew(hash);
            final boolean guarded = chosen != null && floodGuard(snap, vip, hash, chosen, now);
            found = chosen == null || guarded
                ? flows.findV4(placement, info.srcV4, info.dstV4, info.srcPort, info.dstPort, info.protocol, now)
                : flows.findOrPutV4(placement, info.srcV4, info.dstV4, info.srcPort, info.dstPort, info.protocol, chosen.id(), 0, now);
            if (found == FlowTable.ADDED || found == FlowTable.ADDED_EVICTING)
            {
                newFlowsThisSecond++;
                counters.add(WorkerCounters.FLOW_MISSES, 1);
                countPut(found == FlowTable.ADDED ? FlowTable.INSERTED : FlowTable.EVICTED);
                if (vip.mode() == Vip.MODE_STATEFUL && snap.owners() != null && snap.ownedElsewhere(hash)
                    && !toControl.flowLearned(info, hash, vip.index(), chosen.id()))
                {
                    counters.add(WorkerCounters.RING_FULL, 1);
                }
                return chosen;
            }
            if (guarded && found == FlowTable.MISSING)
            {
                counters.add(WorkerCounters.FLOW_MISSES, 1);
                counters.add(WorkerCounters.FLOWS_UNRECORDED_FLOOD, 1);
                return chosen;
            }
        }
        else
        {
            found = info.icmpError ? read(info, v4) : v4
                ? flows.findV4(placement, info.srcV4, info.dstV4, info.srcPort, info.dstPort, info.protocol, now)
                : flows.findV6(placement, info.srcHi, info.srcLo, info.dstHi, info.dstLo, info.srcPort, info.dstPort, info.protocol,
                    now);
        }
        return afterLookup(snap, vip, info, hash, placement, now, mbuf, found, newConnection);
    }

    /**
     * {@link #chooseBackend} once the flow table was asked: {@code found} is the flow's value or
     * {@link FlowTable#MISSING}.
     */
    private Backend afterLookup(final ForwardingSnapshot snap, final Vip vip, final PacketInfo info, final long hash,
        final long placement, final int now, final long mbuf, final long found, final boolean newConnection)
    {
        final boolean v4 = info.ipVersion == 4;
        if (found != FlowTable.MISSING)
        {
            final Backend b = snap.backend(FlowTable.backendId(found));
            if (b != null && b.vipIndex() == vip.index())
            {
                counters.add(WorkerCounters.FLOW_HITS, 1);
                if ((FlowTable.flags(found) & FLAG_PENDING) != 0 && !info.icmpError
                    && toControl.ownerQuery(mbuf, info, hash, vip.index(), b.id()))
                {
                    // Still waiting for the owner: this packet goes the same way as the first.
                    disposed++;
                    counters.add(WorkerCounters.OWNER_QUERIES, 1);
                    return HANDED_OVER;
                }
                return b;
            }
        }
        counters.add(WorkerCounters.FLOW_MISSES, 1);
        // Rule 2 (Vip.backendForExisting), taken apart only to count the previous table's share.
        Backend chosen = newConnection ? null : vip.previousBackend(snap, hash);
        if (chosen != null)
        {
            counters.add(WorkerCounters.PREVIOUS_TABLE_HITS, 1);
        }
        else
        {
            chosen = vip.backendForNew(hash);
        }
        if (chosen == null || info.icmpError)
        {
            return chosen;
        }
        if (newConnection && floodGuard(snap, vip, hash, chosen, now))
        {
            counters.add(WorkerCounters.FLOWS_UNRECORDED_FLOOD, 1);
            return chosen;
        }
        final boolean stateful = vip.mode() == Vip.MODE_STATEFUL && snap.owners() != null;
        int flags = 0;
        boolean handedOver = false;
        if (stateful && !newConnection)
        {
            // A connection this MUX never saw: its owner may know where it really goes. When this MUX is the
            // owner, the control thread answers from what peers reported to it, which the worker cannot see.
            if (toControl.ownerQuery(mbuf, info, hash, vip.index(), chosen.id()))
            {
                // The control thread owns the packet now, whatever happens next in this cycle.
                disposed++;
                flags = FLAG_PENDING;
                handedOver = true;
                counters.add(WorkerCounters.OWNER_QUERIES, 1);
            }
            else
            {
                counters.add(WorkerCounters.RING_FULL, 1);
            }
        }
        final int rc = v4
            ? flows.putV4(placement, info.srcV4, info.dstV4, info.srcPort, info.dstPort, info.protocol, chosen.id(), flags, now)
            : flows.putV6(placement, info.srcHi, info.srcLo, info.dstHi, info.dstLo, info.srcPort, info.dstPort, info.protocol, chosen.id(),
                flags, now);
        countPut(rc);
        if (newConnection)
        {
            newFlowsThisSecond++;
        }
        if (stateful && newConnection && snap.ownedElsewhere(hash) && !toControl.flowLearned(info, hash, vip.index(), chosen.id()))
        {
            counters.add(WorkerCounters.RING_FULL, 1);
        }
        return handedOver ? HANDED_OVER : chosen;
    }

    /**
     * The SYN-flood guard (Katran's LRU bypass): whether a new connection is to be forwarded without being
     * recorded, because this worker has recorded {@link WorkerConfig#newFlowsPerSecond()} new connections
     * in the current second already. Recorded flows then survive a flood of new 5-tuples that would evict
     * them. Safe because an unrecorded flow's later packets miss and take rule 2
     * ({@link Vip#backendForExisting}), which must give the backend the first packet got: always so without
     * a previous table; in a stateful phase only when the previous table's backend is that one too, so the
     * other new connections are still recorded (a flood then churns only that share of the table).
     */
    private boolean floodGuard(final ForwardingSnapshot snap, final Vip vip, final long hash, final Backend chosen, final int now)
    {
        if (newFlowLimit == 0)
        {
            return false;
        }
        if (now != floodSecond)
        {
            floodSecond = now;
            newFlowsThisSecond = 0;
        }
        if (newFlowsThisSecond < newFlowLimit)
        {
            return false;
        }
        // Without a usable previous backend, rule 2 is the current table: the chosen backend.
        final Backend previous = vip.previousBackend(snap, hash);
        return previous == null || previous.id() == chosen.id();
    }

    private long read(final PacketInfo info, final boolean v4)
    {
        return v4
            ? flows.readV4(info.srcV4, info.dstV4, info.srcPort, info.dstPort, info.protocol)
            : flows.readV6(info.srcHi, info.srcLo, info.dstHi, info.dstLo, info.srcPort, info.dstPort, info.protocol);
    }

    private void reject(final long m, final int reason)
    {
        if (reason == ARP)
        {
            if (toControl.toControl(m))
            {
                counters.add(WorkerCounters.TO_CONTROL, 1);
                return;
            }
            counters.add(WorkerCounters.RING_FULL, 1);
        }
        counters.drop(reason);
        Burst.free(m);
    }

    private void housekeeping(final long nowNs, final boolean idle)
    {
        if (idle || (counters.get(WorkerCounters.BUSY_CYCLES) & 15) == 0)
        {
            // An empty table (stateless VIPs only) is not swept: its buckets would only pass through the cache.
            if (flows.size() == 0)
            {
                sweptNs = nowNs;
            }
            else
            {
                sweep(nowNs);
            }
            counters.set(WorkerCounters.FLOWS, flows.size());
        }
    }

    /**
     * @param idleTimeoutSeconds the flow idle timeout.
     * @return how long one sweep of the whole table takes: an eighth of the timeout, within 1 to 30 seconds.
     */
    static long sweepPeriodNs(final int idleTimeoutSeconds)
    {
        return Math.clamp(idleTimeoutSeconds * NANOS_PER_SECOND / 8, MIN_SWEEP_PERIOD_NS, MAX_SWEEP_PERIOD_NS);
    }

    /** Sweeps the flow table's buckets due since {@link #sweptNs} for idle flows. */
    private void sweep(final long nowNs)
    {
        final long buckets = flows.bucketCount();
        long elapsed = nowNs - sweptNs;
        if (elapsed > sweepPeriodNs)
        {
            // More than a whole sweep is due (a paused clock, a first sweep): one sweep's worth, no more.
            elapsed = sweepPeriodNs;
            sweptNs = nowNs - sweepPeriodNs;
        }
        final int due = (int)Math.min(MAX_EXPIRY_BUCKETS_PER_CYCLE, elapsed * buckets / sweepPeriodNs);
        if (due > 0)
        {
            sweptNs += due * sweepPeriodNs / buckets;
            final int expired = flows.expire((int)((nowNs - startNs) / NANOS_PER_SECOND), config.idleTimeoutSeconds(), due);
            if (expired > 0)
            {
                counters.add(WorkerCounters.FLOWS_EXPIRED, expired);
            }
        }
    }

    /**
     * Sends what is buffered and stops. Called on the worker's thread by the runner when it closes; the
     * port must be stopped afterwards by the owner.
     */
    @Override
    public void onClose()
    {
        if (running)
        {
            tx.flush();
            housekeeping(clock.nanoTime(), true);
            Lcore.unregister();
            running = false;
        }
    }

    @Override
    public String roleName()
    {
        return "panamux-worker-" + config.rxQueue();
    }

    /** @return this worker's flow table (other threads: read methods only). */
    public FlowTable flows()
    {
        return flows;
    }

    /** @return the ring to the control thread (the control thread reads it). */
    public WorkerToControl toControl()
    {
        return toControl;
    }

    /** @return the control thread's command queue to this worker. */
    public ControlToWorker commands()
    {
        return commands;
    }

    /** @return this worker's counters. */
    public WorkerCounters counters()
    {
        return counters;
    }
}
