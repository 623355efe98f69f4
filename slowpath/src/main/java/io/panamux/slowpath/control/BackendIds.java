package io.panamux.slowpath.control;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

import io.panamux.fastpath.WorkerCounters;

/**
 * Stable, dense ids for (VIP, backend address) pairs: the id a worker's flow table records. An id stays
 * with its pair for as long as the pair exists; when the pair goes away its id is quarantined for longer
 * than any flow can stay idle before it is given to another pair, so a recorded flow can never be sent to
 * a backend it was not recorded for. Control thread only.
 */
public final class BackendIds
{
    private record Released(int id, long reusableAtNs)
    {
    }

    private final Map<String, Integer> ids = new HashMap<>();
    private final ArrayDeque<Released> quarantine = new ArrayDeque<>();
    private final long quarantineNs;
    private int next;

    /** @param quarantineNs how long a released id is not reused (more than the flow idle timeout). */
    public BackendIds(final long quarantineNs)
    {
        this.quarantineNs = quarantineNs;
    }

    /** @return the id of the pair, allocated if new. */
    public int idOf(final String vipKey, final String backend, final long nowNs)
    {
        final String key = vipKey + " " + backend;
        final Integer id = ids.get(key);
        if (id != null)
        {
            return id;
        }
        final int fresh = allocate(nowNs);
        ids.put(key, fresh);
        return fresh;
    }

    /** Releases the pair's id into quarantine (no-op if it has none). */
    public void release(final String vipKey, final String backend, final long nowNs)
    {
        final Integer id = ids.remove(vipKey + " " + backend);
        if (id != null)
        {
            quarantine.addLast(new Released(id, nowNs + quarantineNs));
        }
    }

    /** @return the id of the pair, or -1. */
    public int existing(final String vipKey, final String backend)
    {
        final Integer id = ids.get(vipKey + " " + backend);
        return id == null ? -1 : id;
    }

    /** @return one more than the highest id ever given out. */
    public int limit()
    {
        return next;
    }

    private int allocate(final long nowNs)
    {
        final Released r = quarantine.peekFirst();
        if (r != null && r.reusableAtNs() - nowNs <= 0)
        {
            quarantine.pollFirst();
            return r.id();
        }
        if (next >= WorkerCounters.MAX_BACKEND_IDS)
        {
            throw new IllegalStateException("more than " + WorkerCounters.MAX_BACKEND_IDS + " (VIP, backend) pairs in use or in quarantine");
        }
        return next++;
    }
}
