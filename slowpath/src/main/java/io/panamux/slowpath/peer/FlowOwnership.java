package io.panamux.slowpath.peer;

import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.panamux.fastpath.encap.TunnelEncapsulator;
import io.panamux.fastpath.ring.ControlToWorker;
import io.panamux.fastpath.ring.FlowRecord;
import io.panamux.fastpath.snapshot.Backend;
import io.panamux.fastpath.snapshot.ForwardingSnapshot;
import io.panamux.fastpath.snapshot.SnapshotSlot;
import io.panamux.fastpath.snapshot.Vip;
import io.panamux.flow.FlowTable;
import io.panamux.flow.OwnerRing;
import io.panamux.slowpath.config.IpAddress;
import io.panamux.slowpath.config.Peers;
import io.panamux.slowpath.control.ControlAgent;
import io.panamux.slowpath.control.ControlPort;
import io.panamux.slowpath.control.WorkerRecords;
import io.panamux.slowpath.peer.PeerEndpoint.Peer;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.UnsafeBuffer;

import static io.panamux.slowpath.peer.PeerMessageDescriptor.*;

/**
 * Flow ownership across the MUX pool (ARCHITECTURE.md §1 item 3): the control thread's duty that speaks
 * the peer protocol ({@link PeerMessageDescriptor}) as asker and as owner. Attach it to
 * {@link WorkerRecords#ownership} and add it as a duty of the {@link ControlAgent}.
 *
 * <p>This class is the duty and the protocol's entry point; one class per role does the work, and what the
 * roles share is in {@link PoolContext} (endpoint, counters, store, snapshots, workers' tables and queues,
 * the cycle's time, the owner lookup):
 * <ul>
 *   <li>{@link FlowAsker}: the asker (queries, their deadlines, answers);</li>
 *   <li>{@link FlowOwner}: the owner (learned flows stored, queries answered);</li>
 *   <li>{@link LearnedBatches}: learned flows batched per owner;</li>
 *   <li>{@link PacketForwarder}: packets sent on to their backend on the {@link ControlPort};</li>
 *   <li>{@link RingFollower}: flows reported again when the owner ring changes.</li>
 * </ul>
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
 * Mbufs: the worker's mbuf of an owner query is the asker's from then on, freed once its bytes are in a
 * query, or consumed by the forwarder (sent, or freed on failure).
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
    /** Flow-table buckets walked per duty cycle after a ring change (8 IPv4 entries each). */
    public static final int RESCAN_BUCKETS_PER_CYCLE = 512;
    /** Datagrams read per duty cycle at most. */
    private static final int DATAGRAMS_PER_CYCLE = 256;
    /** Store entries expired per duty cycle at most. */
    private static final int EXPIRIES_PER_CYCLE = 256;

    private final PeerCounters counters = new PeerCounters();
    private final PoolContext pool;
    private final ControlPort port;
    private final FlowAsker asker;
    private final FlowOwner owner;
    private final LearnedBatches batches;
    private final RingFollower ringFollower;
    private final PeerEndpoint.MessageHandler messageHandler = this::onMessage;
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
        final PeerEndpoint endpoint = new PeerEndpoint(self, config.listen().toSocketAddress(), members, config.key(), wallClock,
            config.maxMessageAgeMs(), counters);
        this.pool = new PoolContext(endpoint, counters, new OwnerStore(config.maxLearnedFlows(), storeTtlNs, counters), snapshots,
            tables, commands);
        this.port = packets;
        final PacketForwarder forwarder = new PacketForwarder(packets, encapsulator, counters);
        this.owner = new FlowOwner(this.pool, forwarder);
        this.asker = new FlowAsker(this.pool, owner, forwarder, config.queryTimeoutMs() * 1_000_000L, config.maxQueriesInFlight());
        this.batches = new LearnedBatches(this.pool, config.learnedBatchIntervalMs() * 1_000_000L);
        this.ringFollower = new RingFollower(this.pool, batches);
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
        for (final Peer gone : pool.endpoint.members(others))
        {
            batches.remove(gone);
        }
        batches.addPeers();
        // Peer objects may have changed under the same ring: look them up again.
        pool.forgetPeers();
    }

    /** @return whether flows are being reported again after a ring change (control thread). */
    public boolean rescanning()
    {
        return ringFollower.rescanning();
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
        return pool.endpoint.localAddress();
    }

    /** @return queries outstanding now. */
    public int queriesInFlight()
    {
        return asker.inFlight();
    }

    /** @return the owner's store of learned and decided flows (control thread). */
    public OwnerStore store()
    {
        return pool.store;
    }

    @Override
    public int doWork(final long nowNs)
    {
        start();
        pool.nowNs = nowNs;
        int work = pool.endpoint.poll(messageHandler, DATAGRAMS_PER_CYCLE);
        work += asker.expire(nowNs);
        work += batches.flushDue(nowNs);
        work += pool.store.expire(nowNs, EXPIRIES_PER_CYCLE);
        work += ringFollower.followRing();
        return work;
    }

    @Override
    public void onOwnerQuery(final int worker, final FlowRecord r, final long nowNs)
    {
        start();
        asker.onOwnerQuery(worker, r, nowNs);
    }

    @Override
    public void onFlowLearned(final int worker, final FlowRecord r, final long nowNs)
    {
        start();
        batches.onFlowLearned(r, nowNs);
    }

    private void onMessage(final Peer from, final int type, final int count, final UnsafeBuffer b, final int offset, final int length)
    {
        switch (type)
        {
            case TYPE_LEARNED -> owner.onLearned(b, offset, count);
            case TYPE_QUERY -> owner.onQuery(from, b, offset);
            case TYPE_ANSWER -> asker.onAnswer(from, b, offset);
            default -> counters.countBad(BadMessage.MALFORMED);
        }
    }

    /** Rule 2 for a mid-connection packet: {@link Vip#backendForExisting}, the workers' choice too. */
    static Backend rule2(final ForwardingSnapshot snap, final Vip vip, final long hash)
    {
        return FlowOwner.rule2(snap, vip, hash);
    }

    private void start()
    {
        if (!started)
        {
            started = true;
            port.onStart();
        }
    }

    @Override
    public void onClose()
    {
        batches.flushAll();
        close();
        if (started)
        {
            port.onClose();
        }
    }

    /** Closes the endpoint's socket. */
    @Override
    public void close()
    {
        pool.endpoint.close();
    }
}
