package io.panamux.slowpath;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import io.panamux.fastpath.CounterDescriptor;
import io.panamux.fastpath.WorkerCounters;
import io.panamux.fastpath.packet.DropReason;
import io.panamux.fastpath.snapshot.Backend;
import io.panamux.fastpath.snapshot.ForwardingSnapshot;
import io.panamux.fastpath.snapshot.Vip;

/**
 * A point-in-time sum of every worker's counters, the port's and the pool's: what {@code --stats-json},
 * {@code ctl stats} and the metrics report. The workers' fixed counters are one array indexed by
 * {@link CounterDescriptor#id()} ({@link WorkerCounters#DESCRIPTORS} says what each is), so a counter added
 * to {@link WorkerCounters} is carried here, and reported by {@link StatsJson} and the metrics, without a
 * change to this class.
 *
 * @param counters       the workers' fixed counters summed as their descriptors say, by descriptor id.
 * @param drops          packets dropped, by reason (metric name to count; only reasons seen).
 * @param backendPackets packets per backend of each VIP in the snapshot.
 * @param mbufsInUse     mbufs not back in the pool.
 * @param portRxMissed   packets the port dropped because RX queues were full.
 * @param portRxNoMbuf   RX mbuf allocation failures of the port.
 * @param peers          the flow-ownership protocol's counters by name (empty when the MUX is alone).
 * @param healthProbes   the health checks' probes through the tunnel, by counter name
 *                       ({@code io.panamux.slowpath.health.TunnelProbes#DESCRIPTORS}; empty without them).
 */
public record MuxStats(long[] counters, Map<String, Long> drops, List<BackendPackets> backendPackets, long mbufsInUse,
    long portRxMissed, long portRxNoMbuf, Map<String, Object> peers, Map<String, Long> healthProbes)
{
    /**
     * Packets forwarded to one backend of one VIP.
     *
     * @param vip     the VIP ({@code ADDRESS:PORT/PROTO}).
     * @param backend the backend's address.
     * @param packets packets forwarded to it, over every worker.
     */
    public record BackendPackets(String vip, String backend, long packets)
    {
    }

    /** Checks the array's length (one value per descriptor) and copies the collections. */
    public MuxStats
    {
        if (counters.length != WorkerCounters.FIXED)
        {
            throw new IllegalArgumentException(counters.length + " counters for " + WorkerCounters.FIXED + " descriptors");
        }
        counters = counters.clone();
        drops = Collections.unmodifiableMap(new TreeMap<>(drops));
        backendPackets = List.copyOf(backendPackets);
        healthProbes = Collections.unmodifiableMap(new LinkedHashMap<>(healthProbes));
    }

    /** Stats without probes through the tunnel. */
    public MuxStats(final long[] counters, final Map<String, Long> drops, final List<BackendPackets> backendPackets, final long mbufsInUse,
        final long portRxMissed, final long portRxNoMbuf, final Map<String, Object> peers)
    {
        this(counters, drops, backendPackets, mbufsInUse, portRxMissed, portRxNoMbuf, peers, Map.of());
    }

    /**
     * Sums the workers' counters now.
     *
     * @param workers        every worker's counters.
     * @param snapshot       the snapshot whose VIPs and backends name the per-backend counters.
     * @param mbufsInUse     mbufs not back in the pool.
     * @param portRxMissed   the port's missed-packet count.
     * @param portRxNoMbuf   the port's RX allocation failures.
     * @param peers          the flow-ownership counters by name (empty when alone).
     * @param healthProbes   the probes through the tunnel by counter name (empty without them).
     * @return the sum.
     */
    public static MuxStats of(final List<WorkerCounters> workers, final ForwardingSnapshot snapshot, final long mbufsInUse,
        final long portRxMissed, final long portRxNoMbuf, final Map<String, Object> peers, final Map<String, Long> healthProbes)
    {
        final Map<String, Long> byReason = new TreeMap<>();
        final DropReason[] reasons = DropReason.values();
        for (int r = 1; r < reasons.length && r < WorkerCounters.MAX_DROP_REASONS; r++)
        {
            long sum = 0;
            for (final WorkerCounters c : workers)
            {
                sum += c.drops(r);
            }
            if (sum != 0)
            {
                byReason.put(reasons[r].metricName(), sum);
            }
        }
        final List<BackendPackets> perBackend = new ArrayList<>();
        for (final Vip v : snapshot.vips())
        {
            for (final Backend b : v.backends())
            {
                long sum = 0;
                for (final WorkerCounters c : workers)
                {
                    sum += c.backendPackets(b.id());
                }
                perBackend.add(new BackendPackets(v.text(), b.text(), sum));
            }
        }
        return new MuxStats(WorkerCounters.sum(workers), byReason, perBackend, mbufsInUse, portRxMissed, portRxNoMbuf, peers, healthProbes);
    }

    /** @return the summed value of worker counter {@code counter}. */
    public long get(final CounterDescriptor counter)
    {
        return counters[counter.id()];
    }

    /** @return packets received by the workers. */
    public long rxPackets()
    {
        return get(WorkerCounters.RX_PACKETS);
    }

    /** @return packets sent (forwarded, and ICMP replies) that the driver accepted. */
    public long txPackets()
    {
        return get(WorkerCounters.TX_PACKETS);
    }

    /** @return flows in the workers' tables now. */
    public long flows()
    {
        return get(WorkerCounters.FLOWS);
    }

    /** @return all drops over every reason. */
    public long totalDrops()
    {
        return drops.values().stream().mapToLong(Long::longValue).sum();
    }

    /** @return packets forwarded to {@code backend} of {@code vip} (0 when it is not in the snapshot). */
    public long backendPackets(final String vip, final String backend)
    {
        for (final BackendPackets b : backendPackets)
        {
            if (b.vip().equals(vip) && b.backend().equals(backend))
            {
                return b.packets();
            }
        }
        return 0;
    }
}
