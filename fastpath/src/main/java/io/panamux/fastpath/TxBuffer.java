package io.panamux.fastpath;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import io.panamux.dpdk.Burst;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Packets waiting to be sent on one TX queue, owned by one thread (as DPDK's l3fwd {@code send_burst}):
 * flushed when {@link #capacity()} packets are buffered, or by the owner when the oldest has waited
 * longer than the drain interval (~100 µs) so that light traffic is not held back. Packets the driver
 * does not accept are freed and counted, never retried: a full TX ring means the link is saturated and
 * holding packets would only add latency.
 */
public final class TxBuffer
{
    private final int port;
    private final int queue;
    private final int capacity;
    private final MemorySegment pkts;
    private final long drainIntervalNs;
    private int count;
    private long oldestNs;
    private long sent;
    private long dropped;

    /**
     * @param arena           owns the native mbuf-pointer array.
     * @param port            DPDK port.
     * @param queue           TX queue of that port, owned by the calling thread.
     * @param capacity        packets per burst sent to the driver (e.g. 32).
     * @param drainIntervalNs how long a buffered packet may wait for company.
     */
    public TxBuffer(final Arena arena, final int port, final int queue, final int capacity, final long drainIntervalNs)
    {
        this.port = port;
        this.queue = queue;
        this.capacity = capacity;
        this.pkts = arena.allocate(JAVA_LONG, capacity);
        this.drainIntervalNs = drainIntervalNs;
    }

    /**
     * Buffers one packet, sending the whole buffer when it is full.
     *
     * @param mbuf  the packet, now owned by this buffer.
     * @param nowNs the caller's clock, recorded when the buffer goes from empty to not empty.
     */
    public void add(final long mbuf, final long nowNs)
    {
        if (count == 0)
        {
            oldestNs = nowNs;
        }
        pkts.setAtIndex(JAVA_LONG, count++, mbuf);
        if (count == capacity)
        {
            flush();
        }
    }

    /** Sends what is buffered if the oldest packet has waited at least the drain interval. */
    public void flushIfDue(final long nowNs)
    {
        if (count > 0 && nowNs - oldestNs >= drainIntervalNs)
        {
            flush();
        }
    }

    /** Sends everything buffered now; what the driver refuses is freed and counted as dropped. */
    public void flush()
    {
        final int n = count;
        if (n == 0)
        {
            return;
        }
        count = 0;
        final int accepted = Burst.tx(port, queue, pkts, n);
        sent += accepted;
        if (accepted < n)
        {
            dropped += n - accepted;
            Burst.freeTail(pkts, accepted, n);
        }
    }

    /** Frees buffered packets without sending them (shutdown). */
    public void discard()
    {
        if (count > 0)
        {
            Burst.freeTail(pkts, 0, count);
            count = 0;
        }
    }

    /** @return whether {@code mbuf} is buffered now (a linear scan: for error recovery, not the fast path). */
    public boolean holds(final long mbuf)
    {
        for (int i = 0; i < count; i++)
        {
            if (pkts.getAtIndex(JAVA_LONG, i) == mbuf)
            {
                return true;
            }
        }
        return false;
    }

    /** @return packets buffered now. */
    public int size()
    {
        return count;
    }

    /** @return packets per driver burst. */
    public int capacity()
    {
        return capacity;
    }

    /** @return packets the driver accepted. */
    public long sent()
    {
        return sent;
    }

    /** @return packets the driver refused (freed). */
    public long dropped()
    {
        return dropped;
    }
}
