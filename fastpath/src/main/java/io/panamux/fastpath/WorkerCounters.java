package io.panamux.fastpath;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The counters of one worker: written only by that worker, read by the control thread at any time
 * (summed over workers). Each worker has its own block, padded on both sides so no two workers' counters
 * share a cache line. The writer publishes with opaque stores (no fence on the hot path); readers see each
 * 64-bit value whole, possibly a little behind.
 *
 * <p>Layout: {@link #PAD} longs of padding, the fixed counters ({@code RX_PACKETS} ...), one counter per
 * drop reason ({@link #drop}), one packet counter per backend id ({@link #backendPackets}), padding.
 */
public final class WorkerCounters
{
    /** Packets received. */
    public static final int RX_PACKETS = 0;
    /** Bytes received. */
    public static final int RX_BYTES = 1;
    /** Packets handed to the driver and accepted. */
    public static final int TX_PACKETS = 2;
    /** Bytes sent. */
    public static final int TX_BYTES = 3;
    /** Flow-table lookups that found the flow. */
    public static final int FLOW_HITS = 4;
    /** Flow-table lookups that did not. */
    public static final int FLOW_MISSES = 5;
    /** Flows recorded. */
    public static final int FLOWS_INSERTED = 6;
    /** Flows evicted from a full bucket. */
    public static final int FLOW_EVICTIONS = 7;
    /** Flows expired after their idle timeout. */
    public static final int FLOWS_EXPIRED = 8;
    /** ICMP "fragmentation needed" / "packet too big" replies sent. */
    public static final int ICMP_TOO_BIG_SENT = 9;
    /** Packets handed to the control thread (ARP, packets for the MUX itself). */
    public static final int TO_CONTROL = 10;
    /** Records the worker could not write because the ring to the control thread was full. */
    public static final int RING_FULL = 11;
    /** Version of the snapshot the worker runs with. */
    public static final int SNAPSHOT_VERSION = 12;
    /** Flows currently in the worker's table (a gauge). */
    public static final int FLOWS = 13;
    /** Busy duty cycles (a burst was received). */
    public static final int BUSY_CYCLES = 14;
    /** Owner queries sent for unknown mid-connection packets. */
    public static final int OWNER_QUERIES = 15;
    /** Packets sent with the previous table's backend during a stateful phase. */
    public static final int PREVIOUS_TABLE_HITS = 16;
    /**
     * Duty cycles completed, busy or idle: the worker's heartbeat. The control thread's data-path watchdog
     * reads it; a worker whose count stops advancing has died or stopped cycling.
     */
    public static final int DUTY_CYCLES = 17;
    /** Number of fixed counters. */
    public static final int FIXED = 18;

    /** Drop reasons the block has room for. */
    public static final int MAX_DROP_REASONS = 64;
    /** Backend ids the block counts packets for (ids are dense, assigned by the control thread). */
    public static final int MAX_BACKEND_IDS = 1 << 16;

    private static final int PAD = 16;
    private static final int DROPS = PAD + FIXED;
    private static final int BACKENDS = DROPS + MAX_DROP_REASONS;
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

    private final long[] values = new long[BACKENDS + MAX_BACKEND_IDS + PAD];

    /** Adds {@code delta} to fixed counter {@code counter} (writer only). */
    public void add(final int counter, final long delta)
    {
        final int i = PAD + counter;
        LONGS.setOpaque(values, i, values[i] + delta);
    }

    /** Sets fixed counter {@code counter} (writer only; for gauges). */
    public void set(final int counter, final long value)
    {
        LONGS.setOpaque(values, PAD + counter, value);
    }

    /** Counts one packet dropped for {@code reason} (writer only). */
    public void drop(final int reason)
    {
        final int i = DROPS + reason;
        LONGS.setOpaque(values, i, values[i] + 1);
    }

    /** Counts {@code count} packets dropped for {@code reason} (writer only). */
    public void drops(final int reason, final long count)
    {
        final int i = DROPS + reason;
        LONGS.setOpaque(values, i, values[i] + count);
    }

    /** Counts one packet sent to backend {@code backendId} (writer only). */
    public void backendPacket(final int backendId)
    {
        final int i = BACKENDS + backendId;
        LONGS.setOpaque(values, i, values[i] + 1);
    }

    /** @return fixed counter {@code counter} (any thread). */
    public long get(final int counter)
    {
        return (long)LONGS.getOpaque(values, PAD + counter);
    }

    /** @return packets dropped for {@code reason} (any thread). */
    public long drops(final int reason)
    {
        return (long)LONGS.getOpaque(values, DROPS + reason);
    }

    /** @return packets sent to backend {@code backendId} (any thread). */
    public long backendPackets(final int backendId)
    {
        return (long)LONGS.getOpaque(values, BACKENDS + backendId);
    }

    /** @return all drops, over every reason (any thread). */
    public long totalDrops()
    {
        long sum = 0;
        for (int r = 0; r < MAX_DROP_REASONS; r++)
        {
            sum += drops(r);
        }
        return sum;
    }
}
