package io.panamux.slowpath;

import java.util.Map;

/**
 * A point-in-time sum of every worker's counters, the port's and the pool's: what {@code --stats-json},
 * {@code ctl stats} and the metrics report.
 *
 * @param rxPackets          packets received by the workers.
 * @param rxBytes            bytes received.
 * @param txPackets          packets sent (forwarded, and ICMP replies).
 * @param txBytes            bytes sent.
 * @param drops              packets dropped, by reason (metric name to count; only reasons seen).
 * @param flows              flows in the workers' tables now.
 * @param flowHits           flow-table hits.
 * @param flowMisses         flow-table misses.
 * @param flowsInserted      flows recorded.
 * @param flowEvictions      flows evicted from full buckets.
 * @param flowsExpired       flows expired idle.
 * @param icmpTooBig         ICMP too-big replies sent.
 * @param toControl          packets handed to the control thread.
 * @param ringFull           records not written because a ring to the control thread was full.
 * @param ownerQueries       owner queries sent.
 * @param previousTableHits  stateful-phase packets kept on the previous table's backend.
 * @param backendPackets     packets per backend, keyed "vip backend".
 * @param mbufsInUse         mbufs not back in the pool.
 * @param portRxMissed       packets the port dropped because RX queues were full.
 * @param portRxNoMbuf       RX mbuf allocation failures of the port.
 * @param snapshotVersion    the oldest snapshot version any worker runs with.
 * @param peers              the flow-ownership protocol's counters by name (empty when the MUX is alone).
 */
public record MuxStats(long rxPackets, long rxBytes, long txPackets, long txBytes, Map<String, Long> drops, long flows, long flowHits,
    long flowMisses, long flowsInserted, long flowEvictions, long flowsExpired, long icmpTooBig, long toControl, long ringFull,
    long ownerQueries, long previousTableHits, Map<String, Long> backendPackets, long mbufsInUse, long portRxMissed, long portRxNoMbuf,
    long snapshotVersion, Map<String, Object> peers)
{
    /** @return all drops over every reason. */
    public long totalDrops()
    {
        return drops.values().stream().mapToLong(Long::longValue).sum();
    }
}
