package io.panamux.slowpath.admin;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.panamux.fastpath.WorkerCounters;
import io.panamux.fastpath.snapshot.Backend;
import io.panamux.fastpath.snapshot.ForwardingSnapshot;
import io.panamux.flow.FlowTable;
import io.panamux.flow.FlowVisitor;
import io.panamux.slowpath.config.IpAddress;
import io.panamux.slowpath.control.VipView;
import io.panamux.slowpath.pool.PoolStatus;

import static io.panamux.slowpath.admin.AdminHttp.JSON;

/**
 * The admin API's read-only documents ({@code /v1/vips}, {@code /v1/workers}, {@code /v1/pool}, {@code /v1/flows}
 * and the VIP in a change's answer), built from what {@link AdminServer} gathered: VIP views copied on the control
 * thread, the snapshot, the counters and the flow tables (both safe to read from any thread). The shapes are in
 * {@link AdminServer}'s Javadoc and {@code ctl} reads them.
 */
final class AdminViews
{
    private AdminViews()
    {
    }

    /**
     * @param snapshot the current snapshot (the pool's hash seed, each VIP's table digest).
     * @param store    the pool's store, or null for a pool of files.
     * @param views    every VIP, as the control thread sees it.
     * @return {@code GET /v1/vips}'s document.
     */
    static AdminMessages.Vips vips(final ForwardingSnapshot snapshot, final PoolAdmin store, final List<VipView> views)
    {
        final long now = System.currentTimeMillis();
        final List<AdminMessages.Vip> vips = new ArrayList<>(views.size());
        for (final VipView v : views)
        {
            vips.add(AdminMessages.Vip.of(v, now, MaglevDigest.of(snapshot, v.vip())));
        }
        // The pool's seed: host agents that select at the source need it (mux.hash-seed, HashSeed).
        return new AdminMessages.Vips("0x" + Long.toHexString(snapshot.hashSeed()), store == null ? null : store.configStatus(), vips);
    }

    /**
     * @param v one VIP.
     * @return it as a backend change's answer shows it (no table digest).
     */
    static AdminMessages.Vip vip(final VipView v)
    {
        return AdminMessages.Vip.of(v, System.currentTimeMillis(), null);
    }

    /**
     * Each worker's own counters: the status page's Mpps and busy share per worker (their rates).
     *
     * @param workers every worker's counters, in worker order.
     * @return {@code GET /v1/workers}'s document.
     */
    static ObjectNode workers(final List<WorkerCounters> workers)
    {
        final ObjectNode out = JSON.createObjectNode();
        final var array = out.putArray("workers");
        for (int w = 0; w < workers.size(); w++)
        {
            final WorkerCounters c = workers.get(w);
            final ObjectNode node = array.addObject();
            node.put("worker", w);
            node.put("rx_packets", c.get(WorkerCounters.RX_PACKETS));
            node.put("rx_bytes", c.get(WorkerCounters.RX_BYTES));
            node.put("tx_packets", c.get(WorkerCounters.TX_PACKETS));
            node.put("tx_bytes", c.get(WorkerCounters.TX_BYTES));
            node.put("drops_total", c.totalDrops());
            node.put("flows", c.get(WorkerCounters.FLOWS));
            // Busy share = busy cycles / duty cycles between two reads: the share of polls that found packets.
            node.put("busy_cycles", c.get(WorkerCounters.BUSY_CYCLES));
            node.put("duty_cycles", c.get(WorkerCounters.DUTY_CYCLES));
        }
        return out;
    }

    /**
     * The members (this MUX's view of the leases, or the file's pool) and, with a store, the document's state.
     *
     * @param members the pool as this MUX sees it, or null when it has no view.
     * @param store   the pool's store, or null for a pool of files.
     * @return {@code GET /v1/pool}'s document.
     */
    static ObjectNode pool(final PoolStatus members, final PoolAdmin store)
    {
        final ObjectNode body = members == null ? JSON.createObjectNode() : PoolJson.of(members);
        if (store != null)
        {
            body.set("config", JSON.valueToTree(store.configStatus()));
        }
        return body;
    }

    /**
     * @param snapshot  names each flow's VIP and backend.
     * @param tables    every worker's flow table, in worker order.
     * @param vipFilter a VIP key or address, or null or empty for every VIP.
     * @param limit     the most flows listed.
     * @return {@code GET /v1/flows}'s document.
     */
    static ObjectNode flows(final ForwardingSnapshot snapshot, final List<FlowTable> tables, final String vipFilter, final int limit)
    {
        final FlowDump dump = new FlowDump(snapshot, vipFilter, limit);
        for (int w = 0; w < tables.size(); w++)
        {
            dump.worker = w;
            tables.get(w).forEach(dump, Integer.MAX_VALUE);
        }
        final ObjectNode out = JSON.createObjectNode();
        out.set("flows", JSON.valueToTree(dump.flows));
        out.put("limit", limit);
        out.put("matched", dump.matched);
        out.put("truncated", dump.matched > dump.flows.size());
        return out;
    }

    /** Lists flows from the tables, with their VIP and backend named by the snapshot. */
    private static final class FlowDump implements FlowVisitor
    {
        final ForwardingSnapshot snapshot;
        final String vipFilter;
        final int limit;
        final List<Map<String, Object>> flows = new ArrayList<>();
        int worker;
        long matched;

        FlowDump(final ForwardingSnapshot snapshot, final String vipFilter, final int limit)
        {
            this.snapshot = snapshot;
            this.vipFilter = vipFilter == null || vipFilter.isEmpty() ? null : vipFilter;
            this.limit = limit;
        }

        @Override
        public void onV4(final int srcAddr, final int dstAddr, final int srcPort, final int dstPort, final int protocol, final int backendId,
            final int lastSeen, final int flags)
        {
            final int vip = snapshot.vipTable().findV4(dstAddr, dstPort, protocol);
            add(vip, ipv4(srcAddr) + ":" + srcPort, ipv4(dstAddr), dstPort, protocol, backendId, lastSeen);
        }

        @Override
        public void onV6(final long srcHi, final long srcLo, final long dstHi, final long dstLo, final int srcPort, final int dstPort,
            final int protocol, final int backendId, final int lastSeen, final int flags)
        {
            final int vip = snapshot.vipTable().findV6(dstHi, dstLo, dstPort, protocol);
            add(vip, "[" + IpAddress.ofIpv6(srcHi, srcLo) + "]:" + srcPort,
                "[" + IpAddress.ofIpv6(dstHi, dstLo) + "]", dstPort, protocol, backendId, lastSeen);
        }

        private void add(final int vipIndex, final String source, final String dstHost, final int dstPort, final int protocol,
            final int backendId, final int lastSeen)
        {
            final String vip = vipIndex >= 0 ? snapshot.vips()[vipIndex].text() : null;
            if (vipFilter != null && (vip == null || !(vip.equals(vipFilter) || vip.startsWith(vipFilter + ":") ||
                vip.startsWith("[" + vipFilter + "]:"))))
            {
                return;
            }
            matched++;
            if (flows.size() >= limit)
            {
                return;
            }
            final Backend backend = snapshot.backend(backendId);
            final Map<String, Object> f = new LinkedHashMap<>();
            f.put("worker", worker);
            f.put("vip", vip);
            f.put("source", source);
            f.put("destination", dstHost + ":" + dstPort);
            f.put("protocol", protocol == 6 ? "tcp" : protocol == 17 ? "udp" : Integer.toString(protocol));
            f.put("backend", backend == null ? "gone (id " + backendId + ")" : backend.text());
            f.put("last_seen", lastSeen);
            flows.add(f);
        }

        private static String ipv4(final int address)
        {
            return IpAddress.ofIpv4(address).toString();
        }
    }
}
