package io.panamux.slowpath.peer;

import java.net.InetSocketAddress;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.panamux.dpdk.Mbuf;
import io.panamux.fastpath.WorkerAgent;
import io.panamux.fastpath.encap.TunnelEncapsulator;
import io.panamux.fastpath.packet.PacketInfo;
import io.panamux.fastpath.packet.PacketParser;
import io.panamux.fastpath.ring.ControlToWorker;
import io.panamux.fastpath.ring.FlowRecord;
import io.panamux.fastpath.snapshot.Backend;
import io.panamux.fastpath.snapshot.ForwardingSnapshot;
import io.panamux.fastpath.snapshot.SnapshotSlot;
import io.panamux.fastpath.snapshot.Vip;
import io.panamux.flow.FlowTable;
import io.panamux.flow.FlowVisitor;
import io.panamux.flow.OwnerRing;
import io.panamux.slowpath.config.IpAddress;
import io.panamux.slowpath.config.Peers;
import io.panamux.slowpath.control.ControlAgent;
import io.panamux.slowpath.control.ControlPort;
import io.panamux.slowpath.control.WorkerRecords;
import io.panamux.slowpath.peer.PeerEndpoint.Peer;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.UnsafeBuffer;

import static io.panamux.slowpath.peer.PeerMessageDescriptor.*;

/**
 * Flow ownership across the MUX pool (ARCHITECTURE.md §1 item 3): the control thread's duty that speaks
 * the peer protocol ({@link PeerMessageDescriptor}) as asker and as owner. Attach it to
 * {@link WorkerRecords#ownership} and add it as a duty of the {@link ControlAgent}.
 *
 * <h2>Owner of a flow</h2>
 * The snapshot's {@link OwnerRing} (rendezvous hashing of the flow hash over the pool's members): the same
 * answer on every MUX of a pool. Backends are named by address on the wire (ids are local to each MUX).
 *
 * <h2>Asker</h2>
 * A worker hands over ({@link io.panamux.fastpath.ring.WorkerToControl#OWNER_QUERY}) a mid-connection
 * packet of a flow it does not know, in a VIP's stateful phase, with its provisional (rule 2) choice. The
 * packet's bytes go to the owner with a query and the mbuf is freed. One query per flow is outstanding:
 * later packets of the flow go with it, up to {@link #MAX_PACKETS_PER_QUERY} (then dropped, counted). On
 * the answer, every worker that asked records the answered backend ({@link ControlToWorker#PUT_FLOW},
 * flags 0), or the provisional one if that backend is unknown here. When the owner is silent for
 * {@code query-timeout-ms}, the provisional choice is recorded (counted). Beyond
 * {@code max-queries-in-flight} queries, or when the socket refuses one, the query is decided locally:
 * the provisional choice is recorded and the control thread forwards the packet to it (counted).
 *
 * <h2>Owner</h2>
 * A query is answered from this MUX's workers' flow tables (read-only), else from the store of flows
 * learned from peers ({@link OwnerStore}), else by rule 2 (the previous table's backend if still present,
 * else the current table), and that decision is stored so that every asker gets the same answer. The
 * packet goes to the answered backend: copied into an mbuf, encapsulated with the control thread's
 * {@link TunnelEncapsulator} for the VIP, sent on the {@link ControlPort}. Then the answer goes back.
 * A worker's query for a flow this MUX owns itself is answered the same way, without the network.
 *
 * <h2>Learned flows</h2>
 * Flows the workers recorded in a stateful phase ({@link io.panamux.fastpath.ring.WorkerToControl#FLOW_LEARNED})
 * are batched per owner and sent when a datagram is full or {@code learned-batch-interval-ms} after the
 * first of the batch. The owner stores them.
 *
 * <h2>When the pool changes</h2>
 * With membership from leases (ARCHITECTURE.md §7) the owner ring follows the live members: a MUX that dies
 * leaves it, one that starts joins it, and the flows of every MUX whose owner changed would otherwise be
 * unknown to their new owner (its answer would be rule 2, which may differ from the recorded backend). So
 * when the snapshot's ring changes, this duty walks its workers' flow tables a slice per duty cycle
 * ({@link #RESCAN_BUCKETS_PER_CYCLE}) and reports again, to the new owner, every flow of a VIP in its
 * stateful phase whose owner is no longer the one it had under the rings in force before; and it hands the
 * flows of its own store (learned from peers, or decided) whose owner is now another member to that member.
 * {@link #members} changes the peers first (new endpoints, replay windows kept for those that stay).
 *
 * <p>Control thread only, except {@link #stats()}.
 */
public final class FlowOwnership implements ControlAgent.Duty, WorkerRecords.OwnershipListener, AutoCloseable
{
    /** Packets of one flow sent with its outstanding query at most, the first included. */
    public static final int MAX_PACKETS_PER_QUERY = 8;
    /** Datagrams read per duty cycle at most. */
    private static final int DATAGRAMS_PER_CYCLE = 256;
    /** Store entries expired per duty cycle at most. */
    private static final int EXPIRIES_PER_CYCLE = 256;
    private static final ByteOrder ORDER = ByteOrder.BIG_ENDIAN;
    /** Flow-table buckets walked per duty cycle after a ring change (8 IPv4 entries each). */
    public static final int RESCAN_BUCKETS_PER_CYCLE = 512;
    /** Store entries handed to their new owner per duty cycle after a ring change. */
    private static final int HANDOVERS_PER_CYCLE = 2048;

    /** One outstanding question to an owner. */
    private static final class Query
    {
        final long id;
        final PeerFlow flow;
        final Peer owner;
        final int provisional;
        final long deadlineNs;
        final BitSet workers = new BitSet();
        int packets;
        boolean done;

        Query(final long id, final PeerFlow flow, final Peer owner, final int provisional, final long deadlineNs)
        {
            this.id = id;
            this.flow = flow;
            this.owner = owner;
            this.provisional = provisional;
            this.deadlineNs = deadlineNs;
        }
    }

    /** Learned flows waiting for one owner. */
    private static final class Batch
    {
        final UnsafeBuffer entries = new UnsafeBuffer(new byte[LEARNED_PER_DATAGRAM * FLOW_ENTRY_LENGTH]);
        int count;
        long sinceNs;
    }

    private final PeerCounters counters = new PeerCounters();
    private final PeerEndpoint endpoint;
    private final OwnerStore store;
    private final SnapshotSlot snapshots;
    private final List<FlowTable> tables;
    private final List<ControlToWorker> commands;
    private final ControlPort packets;
    private final TunnelEncapsulator encapsulator;
    private final PacketParser parser = new PacketParser();
    private final PacketInfo info = new PacketInfo();
    private final UnsafeBuffer packetView = new UnsafeBuffer(0, 0);
    private final long timeoutNs;
    private final long batchIntervalNs;
    private final int maxInFlight;
    private final Long2ObjectHashMap<Query> queriesById = new Long2ObjectHashMap<>();
    private final Map<PeerFlow, Query> queriesByFlow = new HashMap<>();
    private final ArrayDeque<Query> deadlines = new ArrayDeque<>();
    private final Map<Peer, Batch> batches = new IdentityHashMap<>();
    private final PeerEndpoint.MessageHandler messageHandler = this::onMessage;
    private OwnerRing ring;
    private Peer[] peerOfMember = new Peer[0];
    /** The ring (and self index) the last rescan was started for: a different one in the snapshot starts another. */
    private OwnerRing knownRing;
    private int knownSelf;
    /** The rings in force before the change being rescanned (null: this MUX was alone, so it owned everything). */
    private final List<OwnerRing> rescanFrom = new ArrayList<>();
    private final List<Integer> rescanFromSelf = new ArrayList<>();
    private int rescanTable = -1;
    private int rescanBucket;
    private List<PeerFlow> handovers = List.of();
    private int handoverIndex;
    private final FlowVisitor rescanVisitor = new FlowVisitor()
    {
        @Override
        public void onV4(final int srcAddr, final int dstAddr, final int srcPort, final int dstPort, final int protocol, final int backendId,
            final int lastSeen, final int flags)
        {
            reReport(PeerFlow.v4(srcAddr, dstAddr, srcPort, dstPort, protocol), backendId, flags);
        }

        @Override
        public void onV6(final long srcHi, final long srcLo, final long dstHi, final long dstLo, final int srcPort, final int dstPort,
            final int protocol, final int backendId, final int lastSeen, final int flags)
        {
            reReport(new PeerFlow(6, protocol, srcPort, dstPort, srcHi, srcLo, dstHi, dstLo), backendId, flags);
        }
    };
    private long nextQueryId;
    private long nowNs;
    private int lastSource;
    private boolean started;

    /**
     * Binds the peer endpoint.
     *
     * @param config       the {@code peers} section.
     * @param self         this MUX's pool address ({@code mux.address}).
     * @param pool         every member of the pool, this MUX included.
     * @param snapshots    the forwarding snapshots (VIPs, backends, owner ring).
     * @param tables       the workers' flow tables, by worker index (read here, never written).
     * @param commands     the workers' command queues, by worker index.
     * @param packets      the control thread's port: mbufs for the packets forwarded as owner, and where they are sent.
     * @param encapsulator the control thread's own encapsulator.
     * @param wallClock    the wall clock of message timestamps.
     * @param storeTtlNs   how long a learned or decided flow is kept after it was last stored or asked for.
     * @throws java.io.UncheckedIOException when the endpoint cannot be bound.
     */
    public FlowOwnership(final Peers config, final IpAddress self, final List<IpAddress> pool, final SnapshotSlot snapshots,
        final List<FlowTable> tables, final List<ControlToWorker> commands, final ControlPort packets, final TunnelEncapsulator encapsulator,
        final EpochClock wallClock, final long storeTtlNs)
    {
        final Map<IpAddress, InetSocketAddress> members = new LinkedHashMap<>();
        for (final IpAddress m : pool)
        {
            if (!m.equals(self))
            {
                members.put(m, config.endpointOf(m).toSocketAddress());
            }
        }
        this.endpoint = new PeerEndpoint(self, config.listen().toSocketAddress(), members, config.key(), wallClock,
            config.maxMessageAgeMs(), counters);
        this.store = new OwnerStore(config.maxLearnedFlows(), storeTtlNs, counters);
        this.snapshots = snapshots;
        this.tables = List.copyOf(tables);
        this.commands = List.copyOf(commands);
        this.packets = packets;
        this.encapsulator = encapsulator;
        this.timeoutNs = config.queryTimeoutMs() * 1_000_000L;
        this.batchIntervalNs = config.learnedBatchIntervalMs() * 1_000_000L;
        this.maxInFlight = config.maxQueriesInFlight();
        for (final Peer p : endpoint.peers())
        {
            batches.put(p, new Batch());
        }
        final ForwardingSnapshot snap = snapshots.current();
        this.knownRing = snap.owners();
        this.knownSelf = snap.self();
    }

    /**
     * The pool's other members changed (control thread; before the ring with them is published, so that the
     * ring's members are peers when it is used). Batches for members that left are dropped: their flows are
     * reported again to their new owners once the new ring is in the snapshot.
     *
     * @param others every other member and where its peer messages go.
     */
    public void members(final Map<IpAddress, InetSocketAddress> others)
    {
        for (final Peer gone : endpoint.members(others))
        {
            batches.remove(gone);
        }
        for (final Peer p : endpoint.peers())
        {
            batches.computeIfAbsent(p, k -> new Batch());
        }
        // Peer objects may have changed under the same ring: look them up again.
        ring = null;
    }

    /** @return whether flows are being reported again after a ring change (control thread). */
    public boolean rescanning()
    {
        return rescanTable >= 0;
    }
    /** @return the counters now (any thread). */
    public PeerStats stats()
    {
        return counters.stats();
    }

    /** @return the live counters (any thread reads them). */
    public PeerCounters counters()
    {
        return counters;
    }

    /** @return the bound UDP address of the peer endpoint. */
    public InetSocketAddress localAddress()
    {
        return endpoint.localAddress();
    }

    /** @return queries outstanding now. */
    public int queriesInFlight()
    {
        return queriesById.size();
    }

    /** @return the owner's store of learned and decided flows (control thread). */
    public OwnerStore store()
    {
        return store;
    }

    @Override
    public int doWork(final long nowNs)
    {
        start();
        this.nowNs = nowNs;
        int work = endpoint.poll(messageHandler, DATAGRAMS_PER_CYCLE);
        work += expireQueries(nowNs);
        for (final Map.Entry<Peer, Batch> e : batches.entrySet())
        {
            final Batch b = e.getValue();
            if (b.count > 0 && nowNs - b.sinceNs >= batchIntervalNs)
            {
                flush(e.getKey(), b);
                work++;
            }
        }
        work += store.expire(nowNs, EXPIRIES_PER_CYCLE);
        work += followRing();
        return work;
    }

    // ---- ring changes ------------------------------------------------------------------------------------

    /** Starts (or restarts) a rescan when the snapshot's ring changed, and walks one slice of it. */
    private int followRing()
    {
        final ForwardingSnapshot snap = snapshots.current();
        if (snap.owners() != knownRing && sameMembers(snap.owners(), knownRing) && snap.self() == knownSelf)
        {
            // Rebuilt for the same members (a republished pool): every owner is the same.
            knownRing = snap.owners();
        }
        if (snap.owners() != knownRing || snap.self() != knownSelf)
        {
            // A change during a rescan restarts it, comparing with every ring since the last complete one:
            // reporting a flow twice to the same owner is harmless, missing one is not.
            rescanFrom.add(knownRing);
            rescanFromSelf.add(knownSelf);
            knownRing = snap.owners();
            knownSelf = snap.self();
            counters.add(PeerCounters.RING_CHANGES, 1);
            rescanTable = 0;
            rescanBucket = 0;
            // The store is a LinkedHashMap reordered by every get: walk a copy of its keys.
            handovers = store.flows();
            handoverIndex = 0;
        }
        if (rescanTable < 0)
        {
            return 0;
        }
        int work = 0;
        final int end = Math.min(handovers.size(), handoverIndex + HANDOVERS_PER_CYCLE);
        for (; handoverIndex < end; handoverIndex++)
        {
            work++;
            handOver(snap, handovers.get(handoverIndex));
        }
        if (handoverIndex < handovers.size())
        {
            return work;
        }
        if (rescanTable < tables.size())
        {
            final FlowTable t = tables.get(rescanTable);
            t.forEachInBuckets(rescanVisitor, rescanBucket, RESCAN_BUCKETS_PER_CYCLE);
            rescanBucket += RESCAN_BUCKETS_PER_CYCLE;
            if (rescanBucket >= t.bucketCount())
            {
                rescanTable++;
                rescanBucket = 0;
            }
            return work + 1;
        }
        rescanTable = -1;
        rescanFrom.clear();
        rescanFromSelf.clear();
        handovers = List.of();
        return work + 1;
    }

    private static boolean sameMembers(final OwnerRing a, final OwnerRing b)
    {
        return a != null && b != null && a.seed() == b.seed() && a.members().equals(b.members());
    }

    /** A flow of this MUX's tables, during a rescan: reported to its new owner when its owner changed. */
    private void reReport(final PeerFlow flow, final int backendId, final int flags)
    {
        if ((flags & WorkerAgent.FLAG_PENDING) != 0)
        {
            return;
        }
        final ForwardingSnapshot snap = snapshots.current();
        final Vip vip = vipOf(snap, flow);
        final Backend backend = snap.backend(backendId);
        if (vip == null || vip.mode() != Vip.MODE_STATEFUL || backend == null || backend.vipIndex() != vip.index())
        {
            return;
        }
        final long hash = flow.hash(snap.hashSeed());
        final Peer owner = ownerOf(snap, hash);
        if (owner == null || !ownerChanged(owner.address().toString(), hash))
        {
            return;
        }
        queueLearned(owner, flow, PeerFlow.addressOf(backend), nowNs);
        counters.add(PeerCounters.FLOWS_REPORTED_AGAIN, 1);
    }

    /** A flow of the store, during a rescan: given to its new owner when that is another member. */
    private void handOver(final ForwardingSnapshot snap, final PeerFlow flow)
    {
        final IpAddress backend = store.peek(flow);
        if (backend == null)
        {
            return;
        }
        final Peer owner = ownerOf(snap, flow.hash(snap.hashSeed()));
        if (owner != null)
        {
            queueLearned(owner, flow, backend, nowNs);
            counters.add(PeerCounters.STORE_HANDED_OVER, 1);
        }
    }

    /** @return whether {@code owner} differs from the flow's owner under any ring in force before the change. */
    private boolean ownerChanged(final String owner, final long hash)
    {
        for (int i = 0; i < rescanFrom.size(); i++)
        {
            final OwnerRing before = rescanFrom.get(i);
            final String was = before == null ? endpoint.self().toString() : before.member(before.owner(hash));
            if (!was.equals(owner))
            {
                return true;
            }
        }
        return false;
    }
    private void start()
    {
        if (!started)
        {
            started = true;
            packets.onStart();
        }
    }

    // ---- asker --------------------------------------------------------------------------------------------

    @Override
    public void onOwnerQuery(final int worker, final FlowRecord r, final long nowNs)
    {
        start();
        final long mbuf = r.mbuf();
        final ForwardingSnapshot snap = snapshots.current();
        final PeerFlow flow = PeerFlow.of(r);
        final Peer owner = ownerOf(snap, r.hash());
        if (owner == null)
        {
            // This MUX owns the flow (or the owner is no peer it knows): answer as the owner would.
            counters.add(PeerCounters.QUERIES_OWNED_HERE, 1);
            Backend b = decide(snap, flow, r.hash(), nowNs);
            if (b == null)
            {
                b = snap.backend(r.backendId());
            }
            putFlow(worker, flow, b != null ? b.id() : r.backendId());
            forward(snap, mbuf, flow, b, r.hash());
            return;
        }
        final Query existing = queriesByFlow.get(flow);
        if (existing != null)
        {
            existing.workers.set(worker);
            if (existing.packets < MAX_PACKETS_PER_QUERY && sendQuery(existing, mbuf, snap))
            {
                existing.packets++;
                counters.add(PeerCounters.QUERY_PACKETS_SENT, 1);
            }
            else
            {
                counters.add(PeerCounters.QUERY_PACKETS_DROPPED, 1);
            }
            packets.free(mbuf);
            return;
        }
        final Query q = new Query(++nextQueryId, flow, owner, r.backendId(), nowNs + timeoutNs);
        if (queriesById.size() >= maxInFlight || !sendQuery(q, mbuf, snap))
        {
            counters.add(PeerCounters.QUERIES_DECIDED_LOCALLY, 1);
            putFlow(worker, flow, r.backendId());
            forward(snap, mbuf, flow, snap.backend(r.backendId()), r.hash());
            return;
        }
        packets.free(mbuf);
        q.packets = 1;
        q.workers.set(worker);
        queriesById.put(q.id, q);
        queriesByFlow.put(flow, q);
        deadlines.addLast(q);
        counters.add(PeerCounters.QUERIES_SENT, 1);
    }

    private boolean sendQuery(final Query q, final long mbuf, final ForwardingSnapshot snap)
    {
        final int length = Mbuf.dataLength(mbuf);
        if (length > MAX_PACKET_LENGTH)
        {
            return false;
        }
        final UnsafeBuffer b = endpoint.sendBuffer();
        final int p = HEADER_LENGTH;
        b.putLong(p + QUERY_ID_OFFSET, q.id, ORDER);
        final Backend provisional = snap.backend(q.provisional);
        q.flow.write(b, p + QUERY_FLOW_OFFSET, provisional == null ? null : PeerFlow.addressOf(provisional));
        b.putLong(p + QUERY_PACKET_LENGTH_OFFSET, (long)length << 48, ORDER);
        packetView.wrap(Mbuf.dataAddress(mbuf), length);
        b.putBytes(p + QUERY_PACKET_OFFSET, packetView, 0, length);
        return endpoint.send(q.owner, TYPE_QUERY, 1, QUERY_PACKET_OFFSET + length);
    }

    private int expireQueries(final long nowNs)
    {
        int work = 0;
        Query q;
        while ((q = deadlines.peekFirst()) != null && q.deadlineNs - nowNs <= 0)
        {
            deadlines.pollFirst();
            if (!q.done)
            {
                counters.add(PeerCounters.QUERIES_TIMED_OUT, 1);
                complete(q, q.provisional);
                work++;
            }
        }
        return work;
    }

    private void onAnswer(final Peer from, final UnsafeBuffer b, final int offset)
    {
        final Query q = queriesById.get(b.getLong(offset + QUERY_ID_OFFSET, ORDER));
        final PeerFlow flow = PeerFlow.read(b, offset + QUERY_FLOW_OFFSET);
        if (q == null || q.owner != from || !q.flow.equals(flow))
        {
            counters.add(PeerCounters.ANSWERS_UNMATCHED, 1);
            return;
        }
        final IpAddress answered;
        try
        {
            answered = PeerFlow.readBackend(b, offset + QUERY_FLOW_OFFSET);
        }
        catch (final IllegalArgumentException e)
        {
            counters.countBad(BadMessage.MALFORMED);
            return;
        }
        int backendId = q.provisional;
        final ForwardingSnapshot snap = snapshots.current();
        final Vip vip = answered == null ? null : vipOf(snap, flow);
        final Backend local = vip == null ? null : byAddress(vip, answered);
        if (local != null)
        {
            backendId = local.id();
        }
        else
        {
            counters.add(PeerCounters.ANSWERS_UNKNOWN_BACKEND, 1);
        }
        counters.add(PeerCounters.QUERIES_ANSWERED, 1);
        complete(q, backendId);
    }

    private void complete(final Query q, final int backendId)
    {
        q.done = true;
        queriesById.remove(q.id);
        queriesByFlow.remove(q.flow);
        for (int w = q.workers.nextSetBit(0); w >= 0; w = q.workers.nextSetBit(w + 1))
        {
            putFlow(w, q.flow, backendId);
        }
    }

    private void putFlow(final int worker, final PeerFlow f, final int backendId)
    {
        if (!commands.get(worker).putFlow(f.v6(), f.srcHi(), f.srcLo(), f.dstHi(), f.dstLo(), f.srcPort(), f.dstPort(), f.protocol(),
            backendId, 0))
        {
            // The worker's flow stays pending: its next packet asks again.
            counters.add(PeerCounters.COMMANDS_FULL, 1);
        }
    }

    // ---- learned flows ------------------------------------------------------------------------------------

    @Override
    public void onFlowLearned(final int worker, final FlowRecord r, final long nowNs)
    {
        start();
        final ForwardingSnapshot snap = snapshots.current();
        final Peer owner = ownerOf(snap, r.hash());
        if (owner == null)
        {
            return;
        }
        final Backend backend = snap.backend(r.backendId());
        if (backend == null)
        {
            counters.add(PeerCounters.LEARNED_DROPPED, 1);
            return;
        }
        queueLearned(owner, PeerFlow.of(r), PeerFlow.addressOf(backend), nowNs);
    }

    private void queueLearned(final Peer owner, final PeerFlow flow, final IpAddress backend, final long nowNs)
    {
        final Batch batch = batches.get(owner);
        if (batch == null)
        {
            counters.add(PeerCounters.LEARNED_DROPPED, 1);
            return;
        }
        if (batch.count == 0)
        {
            batch.sinceNs = nowNs;
        }
        flow.write(batch.entries, batch.count * FLOW_ENTRY_LENGTH, backend);
        if (++batch.count == LEARNED_PER_DATAGRAM)
        {
            flush(owner, batch);
        }
    }

    private void flush(final Peer owner, final Batch batch)
    {
        final int length = batch.count * FLOW_ENTRY_LENGTH;
        endpoint.sendBuffer().putBytes(HEADER_LENGTH, batch.entries, 0, length);
        if (endpoint.send(owner, TYPE_LEARNED, batch.count, length))
        {
            counters.add(PeerCounters.LEARNED_SENT, batch.count);
            counters.add(PeerCounters.LEARNED_DATAGRAMS_SENT, 1);
        }
        else
        {
            counters.add(PeerCounters.LEARNED_DROPPED, batch.count);
        }
        batch.count = 0;
    }

    // ---- owner --------------------------------------------------------------------------------------------

    private void onMessage(final Peer from, final int type, final int count, final UnsafeBuffer b, final int offset, final int length)
    {
        switch (type)
        {
            case TYPE_LEARNED -> onLearned(b, offset, count);
            case TYPE_QUERY -> onQuery(from, b, offset);
            case TYPE_ANSWER -> onAnswer(from, b, offset);
            default -> counters.countBad(BadMessage.MALFORMED);
        }
    }

    private void onLearned(final UnsafeBuffer b, final int offset, final int count)
    {
        for (int i = 0; i < count; i++)
        {
            final int at = offset + i * FLOW_ENTRY_LENGTH;
            final PeerFlow flow = PeerFlow.read(b, at);
            IpAddress backend = null;
            try
            {
                backend = PeerFlow.readBackend(b, at);
            }
            catch (final IllegalArgumentException e)
            {
                // Counted below with the other bad entries.
            }
            if (flow == null || backend == null)
            {
                counters.countBad(BadMessage.MALFORMED);
                continue;
            }
            store.put(flow, backend, nowNs);
            counters.add(PeerCounters.LEARNED_RECEIVED, 1);
        }
    }

    private void onQuery(final Peer from, final UnsafeBuffer b, final int offset)
    {
        final long id = b.getLong(offset + QUERY_ID_OFFSET, ORDER);
        final PeerFlow flow = PeerFlow.read(b, offset + QUERY_FLOW_OFFSET);
        if (flow == null)
        {
            counters.countBad(BadMessage.MALFORMED);
            return;
        }
        counters.add(PeerCounters.QUERIES_RECEIVED, 1);
        final ForwardingSnapshot snap = snapshots.current();
        final long hash = flow.hash(snap.hashSeed());
        final Backend backend = decide(snap, flow, hash, nowNs);
        final int source = lastSource;
        final int length = b.getShort(offset + QUERY_PACKET_LENGTH_OFFSET, ORDER) & 0xFFFF;
        forwardCopy(snap, b, offset + QUERY_PACKET_OFFSET, length, flow, backend, hash);

        final UnsafeBuffer out = endpoint.sendBuffer();
        final int p = HEADER_LENGTH;
        out.putLong(p + QUERY_ID_OFFSET, id, ORDER);
        flow.write(out, p + QUERY_FLOW_OFFSET, backend == null ? null : PeerFlow.addressOf(backend));
        out.putLong(p + ANSWER_SOURCE_OFFSET, (long)source << 56, ORDER);
        if (endpoint.send(from, TYPE_ANSWER, 1, ANSWER_LENGTH))
        {
            counters.add(PeerCounters.ANSWERS_SENT, 1);
        }
    }

    /**
     * The owner's answer for a flow: this MUX's flow tables, then the store, then rule 2 (recorded). Sets
     * {@link #lastSource}.
     *
     * @return the backend, or null when the VIP is unknown here or has no backend.
     */
    private Backend decide(final ForwardingSnapshot snap, final PeerFlow flow, final long hash, final long nowNs)
    {
        lastSource = SOURCE_NONE;
        final Vip vip = vipOf(snap, flow);
        if (vip == null)
        {
            return null;
        }
        for (int i = 0; i < tables.size(); i++)
        {
            final FlowTable t = tables.get(i);
            final long v = flow.v6()
                ? t.readV6(flow.srcHi(), flow.srcLo(), flow.dstHi(), flow.dstLo(), flow.srcPort(), flow.dstPort(), flow.protocol())
                : t.readV4(flow.srcV4(), flow.dstV4(), flow.srcPort(), flow.dstPort(), flow.protocol());
            if (v != FlowTable.MISSING && (FlowTable.flags(v) & WorkerAgent.FLAG_PENDING) == 0)
            {
                final Backend b = snap.backend(FlowTable.backendId(v));
                if (b != null && b.vipIndex() == vip.index())
                {
                    lastSource = SOURCE_TABLE;
                    counters.add(PeerCounters.ANSWERS_FROM_TABLE, 1);
                    return b;
                }
            }
        }
        final IpAddress stored = store.get(flow, nowNs);
        if (stored != null)
        {
            final Backend b = byAddress(vip, stored);
            if (b != null)
            {
                lastSource = SOURCE_STORE;
                counters.add(PeerCounters.ANSWERS_FROM_STORE, 1);
                return b;
            }
        }
        final Backend b = rule2(snap, vip, hash);
        if (b != null)
        {
            // Every later asker must get this same answer, whatever the tables do meanwhile.
            store.put(flow, PeerFlow.addressOf(b), nowNs);
            lastSource = SOURCE_RULE2;
            counters.add(PeerCounters.ANSWERS_BY_RULE2, 1);
        }
        return b;
    }

    /** Rule 2 for a mid-connection packet: {@link Vip#backendForExisting}, the workers' choice too. */
    static Backend rule2(final ForwardingSnapshot snap, final Vip vip, final long hash)
    {
        return vip.backendForExisting(snap, hash);
    }

    private void forwardCopy(final ForwardingSnapshot snap, final UnsafeBuffer b, final int offset, final int length, final PeerFlow flow,
        final Backend backend, final long hash)
    {
        if (backend == null)
        {
            counters.add(PeerCounters.FORWARD_FAILURES, 1);
            return;
        }
        final long m = packets.allocate();
        if (m == 0)
        {
            counters.add(PeerCounters.FORWARD_FAILURES, 1);
            return;
        }
        if (!Mbuf.length(m, length))
        {
            packets.free(m);
            counters.add(PeerCounters.FORWARD_FAILURES, 1);
            return;
        }
        packetView.wrap(Mbuf.dataAddress(m), length);
        b.getBytes(offset, packetView, 0, length);
        forward(snap, m, flow, backend, hash);
    }

    /** Encapsulates the frame in {@code m} towards {@code backend} and sends it; the mbuf is consumed either way. */
    private void forward(final ForwardingSnapshot snap, final long m, final PeerFlow flow, final Backend backend, final long hash)
    {
        if (backend == null || parser.parse(Mbuf.dataAddress(m), Mbuf.dataLength(m), info) != PacketParser.OK || !matches(info, flow))
        {
            packets.free(m);
            counters.add(PeerCounters.FORWARD_FAILURES, 1);
            return;
        }
        final Vip vip = snap.vips()[backend.vipIndex()];
        if (encapsulator.encapsulate(m, info, vip.encapsulation(), backend.v6(), backend.v4(), backend.v6Hi(), backend.v6Lo(), hash)
            != PacketParser.OK || !packets.send(m))
        {
            packets.free(m);
            counters.add(PeerCounters.FORWARD_FAILURES, 1);
            return;
        }
        counters.add(PeerCounters.PACKETS_FORWARDED, 1);
    }

    private static boolean matches(final PacketInfo info, final PeerFlow f)
    {
        if (info.ipVersion != f.version() || info.protocol != f.protocol() || info.srcPort != f.srcPort() || info.dstPort != f.dstPort())
        {
            return false;
        }
        return f.version() == 4 ? info.srcV4 == f.srcV4() && info.dstV4 == f.dstV4()
            : info.srcHi == f.srcHi() && info.srcLo == f.srcLo() && info.dstHi == f.dstHi() && info.dstLo == f.dstLo();
    }

    // ---- lookups ------------------------------------------------------------------------------------------

    /** @return the peer that owns the flow, or null when this MUX owns it (or the pool has no other member it knows). */
    private Peer ownerOf(final ForwardingSnapshot snap, final long hash)
    {
        final OwnerRing owners = snap.owners();
        if (owners == null)
        {
            return null;
        }
        if (owners != ring)
        {
            ring = owners;
            final Peer[] byMember = new Peer[owners.size()];
            for (int i = 0; i < byMember.length; i++)
            {
                byMember[i] = endpoint.peer(IpAddress.parse(owners.member(i)));
            }
            peerOfMember = byMember;
        }
        final int owner = owners.owner(hash);
        return owner == snap.self() ? null : peerOfMember[owner];
    }

    private static Vip vipOf(final ForwardingSnapshot snap, final PeerFlow f)
    {
        final int index = f.v6() ? snap.vipTable().findV6(f.dstHi(), f.dstLo(), f.dstPort(), f.protocol())
            : snap.vipTable().findV4(f.dstV4(), f.dstPort(), f.protocol());
        return index >= 0 ? snap.vips()[index] : null;
    }

    private static Backend byAddress(final Vip vip, final IpAddress address)
    {
        for (final Backend b : vip.backends())
        {
            if (PeerFlow.hasAddress(b, address))
            {
                return b;
            }
        }
        return null;
    }

    @Override
    public void onClose()
    {
        for (final Map.Entry<Peer, Batch> e : batches.entrySet())
        {
            if (e.getValue().count > 0)
            {
                flush(e.getKey(), e.getValue());
            }
        }
        close();
        if (started)
        {
            packets.onClose();
        }
    }

    /** Closes the endpoint's socket. */
    @Override
    public void close()
    {
        endpoint.close();
    }
}
