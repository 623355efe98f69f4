package io.panamux.slowpath.peer;

import java.util.IdentityHashMap;
import java.util.Map;

import io.panamux.fastpath.ring.FlowRecord;
import io.panamux.fastpath.snapshot.Backend;
import io.panamux.fastpath.snapshot.ForwardingSnapshot;
import io.panamux.slowpath.config.IpAddress;
import io.panamux.slowpath.peer.PeerEndpoint.Peer;
import org.agrona.concurrent.UnsafeBuffer;

import static io.panamux.slowpath.peer.PeerMessageDescriptor.*;

/**
 * Learned flows on their way to their owners ({@link FlowOwnership}'s "Learned flows"): flows the workers
 * recorded in a stateful phase ({@link io.panamux.fastpath.ring.WorkerToControl#FLOW_LEARNED}), and flows the
 * {@link RingFollower} reports again after a ring change, are batched per owner and sent when a datagram is
 * full or {@code learned-batch-interval-ms} after the first of the batch. One batch per peer; a flow for a
 * peer without one (it left) is dropped and counted. Control thread only.
 */
final class LearnedBatches
{
    /** Learned flows waiting for one owner. */
    private static final class Batch
    {
        final UnsafeBuffer entries = new UnsafeBuffer(new byte[LEARNED_PER_DATAGRAM * FLOW_ENTRY_LENGTH]);
        int count;
        long sinceNs;
    }

    private final PoolContext pool;
    private final long intervalNs;
    private final Map<Peer, Batch> batches = new IdentityHashMap<>();

    /**
     * @param pool       the shared state.
     * @param intervalNs how long the first flow of a batch waits at most.
     */
    LearnedBatches(final PoolContext pool, final long intervalNs)
    {
        this.pool = pool;
        this.intervalNs = intervalNs;
        for (final Peer p : pool.endpoint.peers())
        {
            batches.put(p, new Batch());
        }
    }

    /** A peer left: its batch is dropped (its flows are reported again to their new owners). */
    void remove(final Peer gone)
    {
        batches.remove(gone);
    }

    /** Every peer of the endpoint has a batch (those that joined get an empty one). */
    void addPeers()
    {
        for (final Peer p : pool.endpoint.peers())
        {
            batches.computeIfAbsent(p, k -> new Batch());
        }
    }

    /** A flow a worker learned: queued for its owner, unless this MUX owns it. */
    void onFlowLearned(final FlowRecord r, final long nowNs)
    {
        final ForwardingSnapshot snap = pool.snapshots.current();
        final Peer owner = pool.ownerOf(snap, r.hash());
        if (owner == null)
        {
            return;
        }
        final Backend backend = snap.backend(r.backendId());
        if (backend == null)
        {
            pool.counters.add(PeerCounters.LEARNED_DROPPED, 1);
            return;
        }
        queue(owner, PeerFlow.of(r), PeerFlow.addressOf(backend), nowNs);
    }

    /** Adds a flow to the owner's batch, sending the batch when it fills a datagram. */
    void queue(final Peer owner, final PeerFlow flow, final IpAddress backend, final long nowNs)
    {
        final Batch batch = batches.get(owner);
        if (batch == null)
        {
            pool.counters.add(PeerCounters.LEARNED_DROPPED, 1);
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

    /** @return batches sent because their first flow has waited the interval. */
    int flushDue(final long nowNs)
    {
        int work = 0;
        for (final Map.Entry<Peer, Batch> e : batches.entrySet())
        {
            final Batch b = e.getValue();
            if (b.count > 0 && nowNs - b.sinceNs >= intervalNs)
            {
                flush(e.getKey(), b);
                work++;
            }
        }
        return work;
    }

    /** Sends every batch that holds a flow (at stop). */
    void flushAll()
    {
        for (final Map.Entry<Peer, Batch> e : batches.entrySet())
        {
            if (e.getValue().count > 0)
            {
                flush(e.getKey(), e.getValue());
            }
        }
    }

    private void flush(final Peer owner, final Batch batch)
    {
        final int length = batch.count * FLOW_ENTRY_LENGTH;
        pool.endpoint.sendBuffer().putBytes(HEADER_LENGTH, batch.entries, 0, length);
        if (pool.endpoint.send(owner, TYPE_LEARNED, batch.count, length))
        {
            pool.counters.add(PeerCounters.LEARNED_SENT, batch.count);
            pool.counters.add(PeerCounters.LEARNED_DATAGRAMS_SENT, 1);
        }
        else
        {
            pool.counters.add(PeerCounters.LEARNED_DROPPED, batch.count);
        }
        batch.count = 0;
    }
}
