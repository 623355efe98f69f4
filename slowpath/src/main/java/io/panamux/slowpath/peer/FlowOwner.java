package io.panamux.slowpath.peer;

import java.nio.ByteOrder;

import io.panamux.fastpath.WorkerAgent;
import io.panamux.fastpath.snapshot.Backend;
import io.panamux.fastpath.snapshot.ForwardingSnapshot;
import io.panamux.fastpath.snapshot.Vip;
import io.panamux.flow.FlowTable;
import io.panamux.slowpath.config.IpAddress;
import io.panamux.slowpath.peer.PeerEndpoint.Peer;
import org.agrona.concurrent.UnsafeBuffer;

import static io.panamux.slowpath.peer.PeerMessageDescriptor.*;

/**
 * The owner's side of {@link FlowOwnership}: stores the flows peers report ({@code TYPE_LEARNED}) and answers
 * queries ({@code TYPE_QUERY}). A query is answered from this MUX's workers' flow tables (read-only), else from
 * the store of flows learned from peers ({@link OwnerStore}), else by rule 2 ({@link Vip#backendForExisting}),
 * and that decision is stored so that every asker gets the same answer. The packet that came with the query
 * goes to the answered backend ({@link PacketForwarder#forwardCopy}); then the answer goes back. Control
 * thread only.
 */
final class FlowOwner
{
    private static final ByteOrder ORDER = ByteOrder.BIG_ENDIAN;

    private final PoolContext pool;
    private final PacketForwarder forwarder;
    /** Where {@link #decide}'s last answer came from ({@code SOURCE_*}). */
    private int lastSource;

    FlowOwner(final PoolContext pool, final PacketForwarder forwarder)
    {
        this.pool = pool;
        this.forwarder = forwarder;
    }

    /** A peer's learned flows: each stored (bad entries counted and skipped). */
    void onLearned(final UnsafeBuffer b, final int offset, final int count)
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
                pool.counters.countBad(BadMessage.MALFORMED);
                continue;
            }
            pool.store.put(flow, backend, pool.nowNs);
            pool.counters.add(PeerCounters.LEARNED_RECEIVED, 1);
        }
    }

    /** A peer's query: decided, its packet forwarded, the answer sent back. */
    void onQuery(final Peer from, final UnsafeBuffer b, final int offset)
    {
        final long id = b.getLong(offset + QUERY_ID_OFFSET, ORDER);
        final PeerFlow flow = PeerFlow.read(b, offset + QUERY_FLOW_OFFSET);
        if (flow == null)
        {
            pool.counters.countBad(BadMessage.MALFORMED);
            return;
        }
        pool.counters.add(PeerCounters.QUERIES_RECEIVED, 1);
        final ForwardingSnapshot snap = pool.snapshots.current();
        final long hash = flow.hash(snap.hashSeed());
        final Backend backend = decide(snap, flow, hash, pool.nowNs);
        final int source = lastSource;
        final int length = b.getShort(offset + QUERY_PACKET_LENGTH_OFFSET, ORDER) & 0xFFFF;
        forwarder.forwardCopy(snap, b, offset + QUERY_PACKET_OFFSET, length, flow, backend, hash);

        final UnsafeBuffer out = pool.endpoint.sendBuffer();
        final int p = HEADER_LENGTH;
        out.putLong(p + QUERY_ID_OFFSET, id, ORDER);
        flow.write(out, p + QUERY_FLOW_OFFSET, backend == null ? null : PeerFlow.addressOf(backend));
        out.putLong(p + ANSWER_SOURCE_OFFSET, (long)source << 56, ORDER);
        if (pool.endpoint.send(from, TYPE_ANSWER, 1, ANSWER_LENGTH))
        {
            pool.counters.add(PeerCounters.ANSWERS_SENT, 1);
        }
    }

    /**
     * The owner's answer for a flow: this MUX's flow tables, then the store, then rule 2 (recorded).
     *
     * @return the backend, or null when the VIP is unknown here or has no backend.
     */
    Backend decide(final ForwardingSnapshot snap, final PeerFlow flow, final long hash, final long nowNs)
    {
        lastSource = SOURCE_NONE;
        final Vip vip = PoolContext.vipOf(snap, flow);
        if (vip == null)
        {
            return null;
        }
        for (int i = 0; i < pool.tables.size(); i++)
        {
            final FlowTable t = pool.tables.get(i);
            final long v = flow.v6()
                ? t.readV6(flow.srcHi(), flow.srcLo(), flow.dstHi(), flow.dstLo(), flow.srcPort(), flow.dstPort(), flow.protocol())
                : t.readV4(flow.srcV4(), flow.dstV4(), flow.srcPort(), flow.dstPort(), flow.protocol());
            if (v != FlowTable.MISSING && (FlowTable.flags(v) & WorkerAgent.FLAG_PENDING) == 0)
            {
                final Backend b = snap.backend(FlowTable.backendId(v));
                if (b != null && b.vipIndex() == vip.index())
                {
                    lastSource = SOURCE_TABLE;
                    pool.counters.add(PeerCounters.ANSWERS_FROM_TABLE, 1);
                    return b;
                }
            }
        }
        final IpAddress stored = pool.store.get(flow, nowNs);
        if (stored != null)
        {
            final Backend b = PoolContext.byAddress(vip, stored);
            if (b != null)
            {
                lastSource = SOURCE_STORE;
                pool.counters.add(PeerCounters.ANSWERS_FROM_STORE, 1);
                return b;
            }
        }
        final Backend b = rule2(snap, vip, hash);
        if (b != null)
        {
            // Every later asker must get this same answer, whatever the tables do meanwhile.
            pool.store.put(flow, PeerFlow.addressOf(b), nowNs);
            lastSource = SOURCE_RULE2;
            pool.counters.add(PeerCounters.ANSWERS_BY_RULE2, 1);
        }
        return b;
    }

    /** Rule 2 for a mid-connection packet: {@link Vip#backendForExisting}, the workers' choice too. */
    static Backend rule2(final ForwardingSnapshot snap, final Vip vip, final long hash)
    {
        return vip.backendForExisting(snap, hash);
    }
}
