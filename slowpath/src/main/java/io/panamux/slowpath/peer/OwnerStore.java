package io.panamux.slowpath.peer;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;

import io.panamux.slowpath.config.IpAddress;

/**
 * The owner's memory of flows it does not carry itself: flows peers learned and reported, and the
 * decisions it made when asked, so that every MUX that asks about a flow gets the same answer. Bounded (the
 * oldest entry is evicted when full, counted) and expiring (an entry lives {@code ttlNs} after it was last
 * stored or asked for). Control thread only.
 */
public final class OwnerStore
{
    private static final class Entry
    {
        IpAddress backend;
        long expiresAtNs;
    }

    private final int capacity;
    private final long ttlNs;
    private final PeerCounters counters;
    // Insertion order with refresh by re-insertion: the head is always the entry that expires first.
    private final LinkedHashMap<PeerFlow, Entry> entries = new LinkedHashMap<>();

    /**
     * @param capacity entries at most.
     * @param ttlNs    how long an entry lives after it was last stored or asked for.
     * @param counters where size, evictions and expiries are counted.
     */
    public OwnerStore(final int capacity, final long ttlNs, final PeerCounters counters)
    {
        this.capacity = capacity;
        this.ttlNs = ttlNs;
        this.counters = counters;
    }

    /** Records (or replaces) the backend of a flow. */
    public void put(final PeerFlow flow, final IpAddress backend, final long nowNs)
    {
        Entry e = entries.remove(flow);
        if (e == null)
        {
            if (entries.size() >= capacity)
            {
                final Iterator<Map.Entry<PeerFlow, Entry>> oldest = entries.entrySet().iterator();
                oldest.next();
                oldest.remove();
                counters.add(PeerCounters.STORE_EVICTIONS, 1);
            }
            e = new Entry();
        }
        e.backend = backend;
        e.expiresAtNs = nowNs + ttlNs;
        entries.put(flow, e);
        counters.set(PeerCounters.STORE_SIZE, entries.size());
    }

    /** @return the backend of a flow (its entry is refreshed), or null. */
    public IpAddress get(final PeerFlow flow, final long nowNs)
    {
        final Entry e = entries.get(flow);
        if (e == null)
        {
            return null;
        }
        if (e.expiresAtNs - nowNs <= 0)
        {
            entries.remove(flow);
            counters.add(PeerCounters.STORE_EXPIRED, 1);
            counters.set(PeerCounters.STORE_SIZE, entries.size());
            return null;
        }
        entries.remove(flow);
        e.expiresAtNs = nowNs + ttlNs;
        entries.put(flow, e);
        return e.backend;
    }

    /** @return the backend of a flow without refreshing it, or null (tests, dumps). */
    public IpAddress peek(final PeerFlow flow)
    {
        final Entry e = entries.get(flow);
        return e == null ? null : e.backend;
    }

    /**
     * Removes up to {@code limit} expired entries.
     *
     * @return the entries removed.
     */
    public int expire(final long nowNs, final int limit)
    {
        int removed = 0;
        final Iterator<Entry> it = entries.values().iterator();
        while (removed < limit && it.hasNext())
        {
            if (it.next().expiresAtNs - nowNs > 0)
            {
                break;
            }
            it.remove();
            removed++;
        }
        if (removed > 0)
        {
            counters.add(PeerCounters.STORE_EXPIRED, removed);
            counters.set(PeerCounters.STORE_SIZE, entries.size());
        }
        return removed;
    }

    /** @return a copy of the flows stored now, oldest first (a walk that may change the store meanwhile). */
    public List<PeerFlow> flows()
    {
        return new ArrayList<>(entries.keySet());
    }

    /** @return the entries now. */
    public int size()
    {
        return entries.size();
    }
}
