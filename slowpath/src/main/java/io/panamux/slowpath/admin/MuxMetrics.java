package io.panamux.slowpath.admin;

import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;

import io.panamux.fastpath.CounterDescriptor;
import io.panamux.fastpath.WorkerCounters;
import io.panamux.slowpath.MuxStats;
import io.panamux.slowpath.control.VipView;
import io.panamux.slowpath.health.TunnelProbes;
import io.panamux.slowpath.pool.PoolStatus;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * The MUX's Prometheus metrics ({@code GET /metrics}), through the Prometheus Java client library: every
 * metric is a callback metric over one {@link MuxStats} and one list of {@link VipView}s taken when the
 * scrape starts, so a scrape is consistent and costs the fast path nothing (the workers' counters are
 * only read).
 *
 * <p>Every reported worker counter, from its descriptor ({@link WorkerCounters#DESCRIPTORS}):
 * {@code panamux_} + its name, a counter ({@code _total} in the text format: {@code panamux_rx_packets},
 * {@code panamux_tx_packets}, {@code panamux_flow_hits}, {@code panamux_worker_errors}, ...) or a gauge
 * ({@code panamux_flows}, {@code panamux_snapshot_version}). Besides them, counters:
 * {@code panamux_drops{reason}}, {@code panamux_port_rx_missed}, {@code panamux_port_rx_nombuf},
 * {@code panamux_backend_packets{vip,backend}}, {@code panamux_peer_events{event}} and
 * {@code panamux_peer_bad_messages{reason}} (flow ownership, in a pool), the health checks' probes through the
 * tunnel ({@code panamux_health_tunnel_probes_sent}, {@code _answered}, {@code _refused}, {@code _timed_out},
 * {@code panamux_health_tunnel_probe_send_failures}, {@code panamux_health_tunnel_answers_ignored}); gauges:
 * {@code panamux_mbufs_in_use}, {@code panamux_vip_mode{vip,mode}} (1 for the VIP's mode, 0 for the
 * others), {@code panamux_backend_healthy{vip,backend}} (1 healthy or unchecked, 0 unhealthy),
 * {@code panamux_vip_announced{vip}} (0 while withdrawn because no backend is healthy), {@code panamux_pool_members},
 * and with a store {@code panamux_pool_registered} (ARCHITECTURE.md §7).
 */
public final class MuxMetrics
{
    /** The content type of {@link #write}'s output. */
    public static final String CONTENT_TYPE = PrometheusTextFormatWriter.CONTENT_TYPE;


    private final Supplier<MuxStats> stats;
    private final Supplier<List<VipView>> views;
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
    private MuxStats current;
    private List<VipView> currentViews = List.of();
    private final Supplier<PoolStatus> pool;
    private PoolStatus currentPool;

    /**
     * @param stats the counters, summed now (called once per scrape).
     * @param views the VIPs now (called once per scrape; may return an empty list when unavailable).
     */
    public MuxMetrics(final Supplier<MuxStats> stats, final Supplier<List<VipView>> views)
    {
        this(stats, views, null);
    }

    /**
     * @param stats the counters, summed now (called once per scrape).
     * @param views the VIPs now (called once per scrape; may return an empty list when unavailable).
     * @param pool  the pool as this MUX sees it (called once per scrape), or null: then no pool gauges.
     */
    public MuxMetrics(final Supplier<MuxStats> stats, final Supplier<List<VipView>> views, final Supplier<PoolStatus> pool)
    {
        this.stats = stats;
        this.views = views;
        this.pool = pool;
        for (final CounterDescriptor d : WorkerCounters.DESCRIPTORS)
        {
            switch (d.kind())
            {
                case COUNTER -> counter(d.metricName(), d.help(), st -> st.get(d));
                case GAUGE, LOWEST -> gauge(d.metricName(), d.help(), st -> st.get(d));
                case INTERNAL ->
                {
                    // The MUX's own bookkeeping: not a metric.
                }
            }
        }
        counter("panamux_port_rx_missed", "Packets the port dropped because its RX queues were full", MuxStats::portRxMissed);
        counter("panamux_port_rx_nombuf", "RX mbuf allocation failures of the port", MuxStats::portRxNoMbuf);
        labelled("panamux_drops", "Packets dropped, by reason", "reason", MuxStats::drops);
        CounterWithCallback.builder().name("panamux_backend_packets").help("Packets forwarded to each backend")
            .labelNames("vip", "backend")
            .callback(cb -> current.backendPackets().forEach(b -> cb.call(b.packets(), b.vip(), b.backend())))
            .register(registry);
        // The flow-ownership protocol's counters (absent when the MUX is alone in its pool).
        CounterWithCallback.builder().name("panamux_peer_events").help("Flow-ownership protocol events, by kind")
            .labelNames("event")
            .callback(cb -> current.peers().forEach((k, v) ->
            {
                if (v instanceof Number n && !k.equals("store_size"))
                {
                    cb.call(n.doubleValue(), k);
                }
            }))
            .register(registry);
        CounterWithCallback.builder().name("panamux_peer_bad_messages").help("Peer datagrams refused, by reason")
            .labelNames("reason")
            .callback(cb ->
            {
                if (current.peers().get("bad_messages") instanceof Map<?, ?> bad)
                {
                    bad.forEach((k, v) -> cb.call(((Number)v).doubleValue(), String.valueOf(k)));
                }
            })
            .register(registry);
        // The health checks' probes through the tunnel: panamux_health_tunnel_probes_sent_total, ...
        for (final CounterDescriptor d : TunnelProbes.DESCRIPTORS)
        {
            counter(d.metricName(), d.help(), st -> st.healthProbes().getOrDefault(d.name(), 0L));
        }
        gauge("panamux_mbufs_in_use", "Mbufs not back in the pool", MuxStats::mbufsInUse);
        GaugeWithCallback.builder().name("panamux_vip_mode").help("1 for the VIP's mode (stateless, stateful, bypass), 0 for the others")
            .labelNames("vip", "mode")
            .callback(cb ->
            {
                for (final VipView v : currentViews)
                {
                    for (final VipView.Mode mode : VipView.Mode.values())
                    {
                        cb.call(mode == v.mode() ? 1 : 0, v.vip(), mode.text());
                    }
                }
            })
            .register(registry);
        GaugeWithCallback.builder().name("panamux_vip_announced")
            .help("1 when the VIP may be announced, 0 while it is withdrawn because none of its backends is healthy")
            .labelNames("vip")
            .callback(cb ->
            {
                for (final VipView v : currentViews)
                {
                    cb.call(v.announced() ? 1 : 0, v.vip());
                }
            })
            .register(registry);
        // The pool (ARCHITECTURE.md §7): members in the owner ring; with a store, whether this MUX's key is there
        // under its lease (whether etcd answers: panamux_pool_store_reachable, from pool() below).
        GaugeWithCallback.builder().name("panamux_pool_members").help("Members of the pool's owner ring as this MUX sees it, itself included")
            .callback(cb ->
            {
                if (currentPool != null)
                {
                    cb.call(currentPool.ring().size());
                }
            })
            .register(registry);
        GaugeWithCallback.builder().name("panamux_pool_registered")
            .help("1 when this MUX's member key is in the store under its lease, 0 otherwise (absent without a store)")
            .callback(cb ->
            {
                if (currentPool != null && currentPool.store().isPresent())
                {
                    cb.call(currentPool.registered() ? 1 : 0);
                }
            })
            .register(registry);
        GaugeWithCallback.builder().name("panamux_backend_healthy").help("1 when the backend is healthy (or unchecked), 0 when unhealthy")
            .labelNames("vip", "backend")
            .callback(cb ->
            {
                for (final VipView v : currentViews)
                {
                    for (final VipView.BackendView b : v.backends())
                    {
                        cb.call(b.health() == VipView.Health.UNHEALTHY ? 0 : 1, v.vip(), b.address());
                    }
                }
            })
            .register(registry);
    }

    /**
     * Adds the metrics of a pool kept in a store (ARCHITECTURE.md §7), read from its status at each scrape:
     * {@code panamux_pool_config_revision}, {@code panamux_pool_config_applied},
     * {@code panamux_pool_config_refused}, {@code panamux_pool_store_reachable},
     * {@code panamux_pool_store_unreachable}.
     *
     * @param status the store's status ({@link PoolAdmin#configStatus()}).
     */
    public synchronized void pool(final Supplier<Map<String, Object>> status)
    {
        poolGauge("panamux_pool_config_revision", "The etcd revision of the pool document in force", status, "applied_revision");
        poolGauge("panamux_pool_store_reachable", "1 while the pool's etcd answers, 0 while it does not (the MUX forwards on its last " +
            "applied document)", status, "store_reachable");
        poolCounter("panamux_pool_config_applied", "Pool document revisions applied", status, "applied_total");
        poolCounter("panamux_pool_config_refused", "Pool document revisions refused (not valid, or needing a restart)", status,
            "refused_total");
        poolCounter("panamux_pool_store_unreachable", "Times the pool's etcd stopped answering", status, "unreachable_total");
    }

    private void poolGauge(final String name, final String help, final Supplier<Map<String, Object>> status, final String key)
    {
        GaugeWithCallback.builder().name(name).help(help).callback(cb -> cb.call(number(status.get().get(key)))).register(registry);
    }

    private void poolCounter(final String name, final String help, final Supplier<Map<String, Object>> status, final String key)
    {
        CounterWithCallback.builder().name(name).help(help).callback(cb -> cb.call(number(status.get().get(key)))).register(registry);
    }

    private static double number(final Object value)
    {
        if (value instanceof Boolean b)
        {
            return b ? 1 : 0;
        }
        return value instanceof Number n ? n.doubleValue() : 0;
    }

    /** Writes every metric in the Prometheus text format. Any thread; scrapes are serialised. */
    public synchronized void write(final OutputStream out) throws IOException
    {
        current = stats.get();
        currentViews = views.get();
        currentPool = pool == null ? null : pool.get();
        writer.write(out, registry.scrape());
    }

    private void counter(final String name, final String help, final ToLongFunction<MuxStats> value)
    {
        CounterWithCallback.builder().name(name).help(help).callback(cb -> cb.call(value.applyAsLong(current))).register(registry);
    }

    private void gauge(final String name, final String help, final ToLongFunction<MuxStats> value)
    {
        GaugeWithCallback.builder().name(name).help(help).callback(cb -> cb.call(value.applyAsLong(current))).register(registry);
    }

    private void labelled(final String name, final String help, final String label, final Function<MuxStats, Map<String, Long>> values)
    {
        CounterWithCallback.builder().name(name).help(help).labelNames(label)
            .callback(cb -> values.apply(current).forEach((k, v) -> cb.call(v, k)))
            .register(registry);
    }
}
