package io.panamux.slowpath.peer;

import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;

import io.panamux.dpdk.Mbuf;
import io.panamux.fastpath.ring.ControlToWorker;
import io.panamux.fastpath.ring.FlowRecord;
import io.panamux.fastpath.snapshot.Backend;
import io.panamux.fastpath.snapshot.ForwardingSnapshot;
import io.panamux.fastpath.snapshot.Vip;
import io.panamux.slowpath.config.IpAddress;
import io.panamux.slowpath.control.ControlPort;
import io.panamux.slowpath.peer.PeerEndpoint.Peer;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.UnsafeBuffer;

import static io.panamux.slowpath.peer.PeerMessageDescriptor.*;

/**
 * The asker's side of {@link FlowOwnership}. A worker hands over
 * ({@link io.panamux.fastpath.ring.WorkerToControl#OWNER_QUERY}) a mid-connection packet of a flow it does not
 * know, in a VIP's stateful phase, with its provisional (rule 2) choice. The packet's bytes go to the owner
 * with a query and the mbuf is freed. One query per flow is outstanding: later packets of the flow go with it,
 * up to {@link FlowOwnership#MAX_PACKETS_PER_QUERY} (then dropped, counted). On the answer, every worker that
 * asked records the answered backend ({@link ControlToWorker#PUT_FLOW}, flags 0), or the provisional one if
 * that backend is unknown here. When the owner is silent for {@code query-timeout-ms}, the provisional choice
 * is recorded (counted). Beyond {@code max-queries-in-flight} queries, or when the socket refuses one, the
 * query is decided locally: the provisional choice is recorded and the packet forwarded to it (counted). A
 * query for a flow this MUX owns itself is answered by the {@link FlowOwner}, without the network.
 *
 * <p>Mbufs: the worker's mbuf belongs to this class from {@link #onOwnerQuery} on; it is freed once its bytes
 * are in a query (or dropped), or consumed by the {@link PacketForwarder}. Control thread only.
 */
final class FlowAsker
{
    private static final ByteOrder ORDER = ByteOrder.BIG_ENDIAN;

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

    private final PoolContext pool;
    private final FlowOwner owner;
    private final PacketForwarder forwarder;
    private final ControlPort port;
    private final long timeoutNs;
    private final int maxInFlight;
    private final UnsafeBuffer packetView = new UnsafeBuffer(0, 0);
    private final Long2ObjectHashMap<Query> queriesById = new Long2ObjectHashMap<>();
    private final Map<PeerFlow, Query> queriesByFlow = new HashMap<>();
    private final ArrayDeque<Query> deadlines = new ArrayDeque<>();
    private long nextQueryId;

    /**
     * @param pool        the shared state.
     * @param owner       answers the flows this MUX owns.
     * @param forwarder   forwards the packets decided here.
     * @param timeoutNs   how long an owner may stay silent.
     * @param maxInFlight queries outstanding at most.
     */
    FlowAsker(final PoolContext pool, final FlowOwner owner, final PacketForwarder forwarder, final long timeoutNs, final int maxInFlight)
    {
        this.pool = pool;
        this.owner = owner;
        this.forwarder = forwarder;
        this.port = forwarder.port();
        this.timeoutNs = timeoutNs;
        this.maxInFlight = maxInFlight;
    }

    /** @return queries outstanding now. */
    int inFlight()
    {
        return queriesById.size();
    }

    /** A worker's packet of a flow it does not know; the record's mbuf is this class's from now on. */
    void onOwnerQuery(final int worker, final FlowRecord r, final long nowNs)
    {
        final long mbuf = r.mbuf();
        final ForwardingSnapshot snap = pool.snapshots.current();
        final PeerFlow flow = PeerFlow.of(r);
        final Peer peer = pool.ownerOf(snap, r.hash());
        if (peer == null)
        {
            // This MUX owns the flow (or the owner is no peer it knows): answer as the owner would.
            pool.counters.add(PeerCounters.QUERIES_OWNED_HERE, 1);
            Backend b = owner.decide(snap, flow, r.hash(), nowNs);
            if (b == null)
            {
                b = snap.backend(r.backendId());
            }
            pool.putFlow(worker, flow, b != null ? b.id() : r.backendId());
            forwarder.forward(snap, mbuf, flow, b, r.hash());
            return;
        }
        final Query existing = queriesByFlow.get(flow);
        if (existing != null)
        {
            existing.workers.set(worker);
            if (existing.packets < FlowOwnership.MAX_PACKETS_PER_QUERY && sendQuery(existing, mbuf, snap))
            {
                existing.packets++;
                pool.counters.add(PeerCounters.QUERY_PACKETS_SENT, 1);
            }
            else
            {
                pool.counters.add(PeerCounters.QUERY_PACKETS_DROPPED, 1);
            }
            port.free(mbuf);
            return;
        }
        final Query q = new Query(++nextQueryId, flow, peer, r.backendId(), nowNs + timeoutNs);
        if (queriesById.size() >= maxInFlight || !sendQuery(q, mbuf, snap))
        {
            pool.counters.add(PeerCounters.QUERIES_DECIDED_LOCALLY, 1);
            pool.putFlow(worker, flow, r.backendId());
            forwarder.forward(snap, mbuf, flow, snap.backend(r.backendId()), r.hash());
            return;
        }
        port.free(mbuf);
        q.packets = 1;
        q.workers.set(worker);
        queriesById.put(q.id, q);
        queriesByFlow.put(flow, q);
        deadlines.addLast(q);
        pool.counters.add(PeerCounters.QUERIES_SENT, 1);
    }

    private boolean sendQuery(final Query q, final long mbuf, final ForwardingSnapshot snap)
    {
        final int length = Mbuf.dataLength(mbuf);
        if (length > MAX_PACKET_LENGTH)
        {
            return false;
        }
        final UnsafeBuffer b = pool.endpoint.sendBuffer();
        final int p = HEADER_LENGTH;
        b.putLong(p + QUERY_ID_OFFSET, q.id, ORDER);
        final Backend provisional = snap.backend(q.provisional);
        q.flow.write(b, p + QUERY_FLOW_OFFSET, provisional == null ? null : PeerFlow.addressOf(provisional));
        b.putLong(p + QUERY_PACKET_LENGTH_OFFSET, (long)length << 48, ORDER);
        packetView.wrap(Mbuf.dataAddress(mbuf), length);
        b.putBytes(p + QUERY_PACKET_OFFSET, packetView, 0, length);
        return pool.endpoint.send(q.owner, TYPE_QUERY, 1, QUERY_PACKET_OFFSET + length);
    }

    /** @return queries whose owner stayed silent until now (their provisional choice recorded). */
    int expire(final long nowNs)
    {
        int work = 0;
        Query q;
        while ((q = deadlines.peekFirst()) != null && q.deadlineNs - nowNs <= 0)
        {
            deadlines.pollFirst();
            if (!q.done)
            {
                pool.counters.add(PeerCounters.QUERIES_TIMED_OUT, 1);
                complete(q, q.provisional);
                work++;
            }
        }
        return work;
    }

    /** An owner's answer: every worker that asked records the backend. */
    void onAnswer(final Peer from, final UnsafeBuffer b, final int offset)
    {
        final Query q = queriesById.get(b.getLong(offset + QUERY_ID_OFFSET, ORDER));
        final PeerFlow flow = PeerFlow.read(b, offset + QUERY_FLOW_OFFSET);
        if (q == null || q.owner != from || !q.flow.equals(flow))
        {
            pool.counters.add(PeerCounters.ANSWERS_UNMATCHED, 1);
            return;
        }
        final IpAddress answered;
        try
        {
            answered = PeerFlow.readBackend(b, offset + QUERY_FLOW_OFFSET);
        }
        catch (final IllegalArgumentException e)
        {
            pool.counters.countBad(BadMessage.MALFORMED);
            return;
        }
        int backendId = q.provisional;
        final ForwardingSnapshot snap = pool.snapshots.current();
        final Vip vip = answered == null ? null : PoolContext.vipOf(snap, flow);
        final Backend local = vip == null ? null : PoolContext.byAddress(vip, answered);
        if (local != null)
        {
            backendId = local.id();
        }
        else
        {
            pool.counters.add(PeerCounters.ANSWERS_UNKNOWN_BACKEND, 1);
        }
        pool.counters.add(PeerCounters.QUERIES_ANSWERED, 1);
        complete(q, backendId);
    }

    private void complete(final Query q, final int backendId)
    {
        q.done = true;
        queriesById.remove(q.id);
        queriesByFlow.remove(q.flow);
        for (int w = q.workers.nextSetBit(0); w >= 0; w = q.workers.nextSetBit(w + 1))
        {
            pool.putFlow(w, q.flow, backendId);
        }
    }
}
