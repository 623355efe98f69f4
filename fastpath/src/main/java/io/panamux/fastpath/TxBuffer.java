package io.panamux.fastpath;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import io.panamux.dpdk.Burst;
import io.panamux.dpdk.Memory;
import io.panamux.fastpath.packet.DropReason;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Packets waiting to be sent on one TX queue, owned by one thread (as DPDK's l3fwd {@code send_burst}):
 * flushed when {@link #capacity()} packets are buffered, or by the owner when the oldest has waited
 * longer than the drain interval (~100 µs) so that light traffic is not held back. Packets the driver
 * does not accept are freed and counted, never retried: a full TX ring means the link is saturated and
 * holding packets would only add latency.
 *
 * <p>With a worker's {@link WorkerCounters}, a packet added with {@link #add(long, long, int, int)} is
 * counted when the driver accepts it, not when it is buffered: {@code tx_packets}, {@code tx_bytes} and
 * its backend's packets; what the driver refuses is counted once, as {@code tx_full}.
 */
public final class TxBuffer
{
    private final int port;
    private final int queue;
    private final int capacity;
    private final MemorySegment pkts;
    /** {@link #pkts}' address: the per-packet store goes through {@link Memory} (no segment checks). */
    private final long pktsAddress;
    /** Per buffered packet: its backend id (or {@link #NO_BACKEND}, or -2: not counted) in the high half, its bytes in the low. */
    private final long[] meta;
    private final WorkerCounters counters;
    private final long drainIntervalNs;
    private int count;
    private long oldestNs;
    private long sent;
    private long dropped;

    /** {@link #add(long, long, int, int)}'s backend for a packet counted as sent but for no backend. */
    public static final int NO_BACKEND = -1;
    private static final long UNCOUNTED = -2L << 32;
    private static final int TX_FULL = DropReason.TX_FULL.ordinal();

    /**
     * A buffer that counts nothing but {@link #sent()} and {@link #dropped()}.
     *
     * @param arena           owns the native mbuf-pointer array.
     * @param port            DPDK port.
     * @param queue           TX queue of that port, owned by the calling thread.
     * @param capacity        packets per burst sent to the driver (e.g. 32).
     * @param drainIntervalNs how long a buffered packet may wait for company.
     */
    public TxBuffer(final Arena arena, final int port, final int queue, final int capacity, final long drainIntervalNs)
    {
        this(arena, port, queue, capacity, drainIntervalNs, null);
    }

    /**
     * @param arena           owns the native mbuf-pointer array.
     * @param port            DPDK port.
     * @param queue           TX queue of that port, owned by the calling thread.
     * @param capacity        packets per burst sent to the driver (e.g. 32).
     * @param drainIntervalNs how long a buffered packet may wait for company.
     * @param counters        the owner's counters (written by this buffer on the owner's thread), or null.
     */
    public TxBuffer(final Arena arena, final int port, final int queue, final int capacity, final long drainIntervalNs,
        final WorkerCounters counters)
    {
        this.port = port;
        this.queue = queue;
        this.capacity = capacity;
        this.pkts = arena.allocate(JAVA_LONG, capacity);
        this.pktsAddress = pkts.address();
        this.meta = new long[capacity];
        this.drainIntervalNs = drainIntervalNs;
        this.counters = counters;
    }

    /**
     * Buffers one packet, sending the whole buffer when it is full.
     *
     * @param mbuf  the packet, now owned by this buffer.
     * @param nowNs the caller's clock, recorded when the buffer goes from empty to not empty.
     */
    public void add(final long mbuf, final long nowNs)
    {
        put(mbuf, nowNs, UNCOUNTED);
    }

    /**
     * Buffers one packet to be counted when the driver accepts it ({@code tx_packets}, {@code tx_bytes},
     * and the backend's packets), sending the whole buffer when it is full.
     *
     * @param mbuf    the packet, now owned by this buffer.
     * @param nowNs   the caller's clock, recorded when the buffer goes from empty to not empty.
     * @param backend the backend id it goes to, or {@link #NO_BACKEND}.
     * @param bytes   its length, for {@code tx_bytes}.
     */
    public void add(final long mbuf, final long nowNs, final int backend, final int bytes)
    {
        put(mbuf, nowNs, ((long)backend << 32) | (bytes & 0xFFFF_FFFFL));
    }

    private void put(final long mbuf, final long nowNs, final long what)
    {
        if (count == 0)
        {
            oldestNs = nowNs;
        }
        final int at = count;
        meta[at] = what;
        // count < capacity always holds here (the buffer is sent when it fills), so the address is inside pkts.
        Memory.putI64(pktsAddress + 8L * at, mbuf);
        count = at + 1;
        if (at + 1 == capacity)
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
        if (counters != null)
        {
            count(accepted);
        }
        if (accepted < n)
        {
            dropped += n - accepted;
            if (counters != null)
            {
                counters.drops(TX_FULL, n - accepted);
            }
            Burst.freeTail(pkts, accepted, n);
        }
    }

    /** Counts the first {@code accepted} buffered packets as sent. */
    private void count(final int accepted)
    {
        long packets = 0;
        long bytes = 0;
        for (int i = 0; i < accepted; i++)
        {
            final long m = meta[i];
            final int backend = (int)(m >> 32);
            if (backend != (int)(UNCOUNTED >> 32))
            {
                packets++;
                bytes += m & 0xFFFF_FFFFL;
                if (backend >= 0)
                {
                    counters.backendPacket(backend);
                }
            }
        }
        counters.add(WorkerCounters.TX_PACKETS, packets);
        counters.add(WorkerCounters.TX_BYTES, bytes);
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

    /** @return packets the driver accepted (counted or not). */
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
