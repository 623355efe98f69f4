package io.panamux.fastpath;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;

/**
 * The counters of one worker: written only by that worker, read by the control thread at any time
 * (summed over workers). Each worker has its own block, padded on both sides so no two workers' counters
 * share a cache line. The writer publishes with opaque stores (no fence on the hot path); readers see each
 * 64-bit value whole, possibly a little behind.
 *
 * <p>Layout: {@link #PAD} longs of padding, the fixed counters (one slot per {@link CounterDescriptor}
 * below), one counter per drop reason ({@link #drop}), one packet counter per backend id
 * ({@link #backendPackets}), padding.
 *
 * <h2>Adding a counter</h2>
 * One line here: a {@code static final CounterDescriptor} made by {@link #counter} (or {@code descriptor} for
 * a gauge). Its slot, {@code ctl stats}, {@code --stats-json} and {@code /metrics} follow from it
 * ({@code CounterDescriptorTest} in {@code slowpath} checks that every descriptor reaches all three). The
 * fast path writes it with {@code counters.add(DESCRIPTOR, n)}: the descriptor is a constant record, so
 * the JIT folds its slot and the write is one opaque store, as with an {@code int} index.
 */
public final class WorkerCounters
{
    // Declared before the descriptors: each registers itself here as it is made (textual order).
    private static final List<CounterDescriptor> REGISTERED = new ArrayList<>();

    /** Packets received. */
    public static final CounterDescriptor RX_PACKETS = counter("rx_packets", "Packets received by the workers", "packets");
    /** Bytes received. */
    public static final CounterDescriptor RX_BYTES = counter("rx_bytes", "Bytes received by the workers", "bytes");
    /** Packets handed to the driver and accepted. */
    public static final CounterDescriptor TX_PACKETS = counter("tx_packets", "Packets sent by the workers", "packets");
    /** Bytes sent. */
    public static final CounterDescriptor TX_BYTES = counter("tx_bytes", "Bytes sent by the workers", "bytes");
    /** Flow-table lookups that found the flow. */
    public static final CounterDescriptor FLOW_HITS = counter("flow_hits", "Flow-table hits", "lookups");
    /** Flow-table lookups that did not. */
    public static final CounterDescriptor FLOW_MISSES = counter("flow_misses", "Flow-table misses", "lookups");
    /** Flows recorded. */
    public static final CounterDescriptor FLOWS_INSERTED = counter("flows_inserted", "Flows recorded", "flows");
    /** Flows evicted from a full bucket. */
    public static final CounterDescriptor FLOW_EVICTIONS = counter("flow_evictions", "Flows evicted from full buckets", "flows");
    /** Flows expired after their idle timeout. */
    public static final CounterDescriptor FLOWS_EXPIRED = counter("flows_expired", "Flows expired idle", "flows");
    /** ICMP "fragmentation needed" / "packet too big" replies sent. */
    public static final CounterDescriptor ICMP_TOO_BIG_SENT = counter("icmp_too_big_sent",
        "ICMP fragmentation-needed / packet-too-big replies sent", "packets");
    /** Packets handed to the control thread (ARP, packets for the MUX itself). */
    public static final CounterDescriptor TO_CONTROL = counter("to_control", "Packets handed to the control thread", "packets");
    /** Records the worker could not write because the ring to the control thread was full. */
    public static final CounterDescriptor RING_FULL = counter("ring_full",
        "Records not written because a ring to the control thread was full", "records");
    /** Version of the snapshot the worker runs with (over workers: the oldest). */
    public static final CounterDescriptor SNAPSHOT_VERSION = descriptor("snapshot_version",
        "The oldest forwarding-snapshot version a worker runs with", CounterDescriptor.Kind.LOWEST, "version");
    /** Flows currently in the worker's table (a gauge). */
    public static final CounterDescriptor FLOWS = descriptor("flows", "Flows in the workers' tables", CounterDescriptor.Kind.GAUGE, "flows");
    /** Busy duty cycles (a burst was received). */
    public static final CounterDescriptor BUSY_CYCLES = descriptor("busy_cycles", "Duty cycles that received a burst",
        CounterDescriptor.Kind.INTERNAL, "cycles");
    /** Owner queries sent for unknown mid-connection packets. */
    public static final CounterDescriptor OWNER_QUERIES = counter("owner_queries", "Flow-owner queries sent", "queries");
    /** Packets sent with the previous table's backend during a stateful phase. */
    public static final CounterDescriptor PREVIOUS_TABLE_HITS = counter("previous_table_hits",
        "Stateful-phase packets kept on the previous table's backend", "packets");
    /**
     * Duty cycles completed, busy or idle: the worker's heartbeat. The control thread's data-path watchdog
     * reads it; a worker whose count stops advancing has died or stopped cycling.
     */
    public static final CounterDescriptor DUTY_CYCLES = descriptor("duty_cycles", "Duty cycles completed",
        CounterDescriptor.Kind.INTERNAL, "cycles");
    /** Duty cycles that threw part-way (the burst's mbufs freed or sent, the cycle counted here, logged at a bounded rate). */
    public static final CounterDescriptor WORKER_ERRORS = counter("worker_errors", "Worker duty cycles that failed with an exception",
        "cycles");
    /**
     * Packets the control thread sent through this worker's TX queue (ARP, packets forwarded for peers) when
     * it has no queue of its own: they enter the worker's output as received packets do, so that
     * {@code rx_packets + control_sent = tx_packets + drops + to_control + owner_queries}.
     */
    public static final CounterDescriptor CONTROL_SENT = counter("control_sent",
        "Packets the control thread sent through a worker's TX queue", "packets");
    /** New connections forwarded by Maglev alone, not recorded: over the worker's new-flow rate (SYN-flood guard). */
    public static final CounterDescriptor FLOWS_UNRECORDED_FLOOD = counter("flows_unrecorded_flood",
        "New flows forwarded without being recorded because the worker's new-flow rate was over its limit (SYN-flood guard)", "flows");

    /** Every counter, in slot order: what stats, JSON and metrics report (but {@link CounterDescriptor.Kind#INTERNAL} ones). */
    public static final List<CounterDescriptor> DESCRIPTORS = List.copyOf(REGISTERED);
    /** Number of fixed counters. */
    public static final int FIXED = DESCRIPTORS.size();

    /** Drop reasons the block has room for. */
    public static final int MAX_DROP_REASONS = 64;
    /** Backend ids the block counts packets for (ids are dense, assigned by the control thread). */
    public static final int MAX_BACKEND_IDS = 1 << 16;

    private static final int PAD = 16;
    private static final int DROPS = PAD + FIXED;
    private static final int BACKENDS = DROPS + MAX_DROP_REASONS;
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

    private final long[] values = new long[BACKENDS + MAX_BACKEND_IDS + PAD];

    private static CounterDescriptor counter(final String name, final String help, final String unit)
    {
        return descriptor(name, help, CounterDescriptor.Kind.COUNTER, unit);
    }

    private static CounterDescriptor descriptor(final String name, final String help, final CounterDescriptor.Kind kind,
        final String unit)
    {
        final CounterDescriptor d = new CounterDescriptor(REGISTERED.size(), name, help, kind, unit);
        for (final CounterDescriptor other : REGISTERED)
        {
            if (other.name().equals(name))
            {
                throw new IllegalStateException("two worker counters named " + name);
            }
        }
        REGISTERED.add(d);
        return d;
    }

    /** Adds {@code delta} to fixed counter {@code counter} (writer only). */
    public void add(final CounterDescriptor counter, final long delta)
    {
        final int i = PAD + counter.id();
        LONGS.setOpaque(values, i, values[i] + delta);
    }

    /** Sets fixed counter {@code counter} (writer only; for gauges). */
    public void set(final CounterDescriptor counter, final long value)
    {
        LONGS.setOpaque(values, PAD + counter.id(), value);
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
    public long get(final CounterDescriptor counter)
    {
        return (long)LONGS.getOpaque(values, PAD + counter.id());
    }

    /**
     * @return every fixed counter summed over {@code workers} as its {@link CounterDescriptor.Kind} says
     *     (indexed by {@link CounterDescriptor#id()}; a {@code LOWEST} gauge is 0 when there is no worker).
     */
    public static long[] sum(final List<WorkerCounters> workers)
    {
        final long[] sum = new long[FIXED];
        for (final CounterDescriptor d : DESCRIPTORS)
        {
            long v = d.kind() == CounterDescriptor.Kind.LOWEST ? Long.MAX_VALUE : 0;
            for (final WorkerCounters w : workers)
            {
                v = d.kind() == CounterDescriptor.Kind.LOWEST ? Math.min(v, w.get(d)) : v + w.get(d);
            }
            sum[d.id()] = v == Long.MAX_VALUE ? 0 : v;
        }
        return sum;
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
