package io.panamux.slowpath.control;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.panamux.fastpath.encap.TunnelEncapsulator;
import io.panamux.fastpath.snapshot.Backend;
import io.panamux.fastpath.snapshot.ForwardingSnapshot;
import io.panamux.fastpath.snapshot.MaglevBackends;
import io.panamux.fastpath.snapshot.SnapshotSlot;
import io.panamux.fastpath.snapshot.Vip;
import io.panamux.fastpath.snapshot.VipTable;
import io.panamux.flow.OwnerRing;
import io.panamux.slowpath.config.BackendConfig;
import io.panamux.slowpath.config.FlowTracking;
import io.panamux.slowpath.config.IpAddress;
import io.panamux.slowpath.config.MuxConfig;
import io.panamux.slowpath.config.VipConfig;

/**
 * Turns the control thread's view of VIPs and backends into immutable {@link ForwardingSnapshot}s and
 * publishes them to the workers. Builds the Maglev tables (off the fast path), gives every (VIP, backend)
 * pair its stable id, and keeps, for a VIP whose backend set changed, the previous table so workers can
 * keep connections opened before the change on their backends (the stateful phase).
 *
 * <p>The Maglev tables are {@link MaglevBackends#table}'s (the host agent's source-side selection builds
 * them there too), so every MUX of a pool that has the same backends builds the same table, whatever the
 * order they are listed in. Control thread only.
 */
public final class SnapshotPublisher
{
    /** One backend as the control thread sees it. */
    public record BackendState(IpAddress address, int weight, boolean draining)
    {
    }

    /** One VIP as the control thread sees it. */
    public static final class VipState
    {
        final VipConfig config;
        List<BackendState> backends;
        int mode = Vip.MODE_STATELESS;
        long statefulSinceNs;
        Backend[] previousBackends;
        int[] previousTable;
        Backend[] publishedBackends = new Backend[0];
        int[] publishedTable = new int[0];

        VipState(final VipConfig config, final List<BackendState> backends)
        {
            this.config = config;
            this.backends = backends;
        }

        /** @return the VIP's configuration (address, port, protocol, encapsulation, tracking). */
        public VipConfig config()
        {
            return config;
        }

        /** @return the backends now (draining ones included). */
        public List<BackendState> backends()
        {
            return List.copyOf(backends);
        }

        /** @return {@link Vip#MODE_STATELESS}, {@link Vip#MODE_STATEFUL} or {@link Vip#MODE_BYPASS}. */
        public int mode()
        {
            return mode;
        }

        /** @return when the stateful phase began (meaningful in that mode). */
        public long statefulSinceNs()
        {
            return statefulSinceNs;
        }
    }

    private final SnapshotSlot slot;
    private final BackendIds ids;
    private final Map<String, VipState> vips = new LinkedHashMap<>();
    private long hashSeed;
    private int tableSize;
    private long version;
    private OwnerRing owners;
    private int self;
    private long configuredNextHop;
    private long learntNextHop;

    /**
     * @param slot where snapshots are published.
     * @param ids  stable backend ids.
     */
    public SnapshotPublisher(final SnapshotSlot slot, final BackendIds ids)
    {
        this.slot = slot;
        this.ids = ids;
    }

    /**
     * Makes the VIPs and backends those of {@code config}: new VIPs are added, VIPs no longer configured
     * removed, and a VIP whose backend set or weights changed (in the file, or with ctl since) enters its
     * stateful phase. Publishes the
     * result.
     *
     * @return the published snapshot.
     */
    public ForwardingSnapshot apply(final MuxConfig config, final long nowNs)
    {
        hashSeed = config.mux().hashSeed();
        tableSize = config.dataplane().maglevTableSize();
        configuredNextHop = config.dataplane().gatewayMac().orElse(0L);
        final Map<String, VipState> next = new LinkedHashMap<>();
        for (final VipConfig v : config.vips())
        {
            final List<BackendState> backends = new ArrayList<>();
            for (final BackendConfig b : v.backends())
            {
                backends.add(new BackendState(b.address(), b.weight(), b.draining()));
            }
            final VipState existing = vips.get(v.key());
            if (existing != null && existing.config.equals(v))
            {
                next.put(v.key(), existing);
                // The configuration is the same, but ctl may have changed the backends since: they become the
                // configuration's again (a no-op, and no stateful phase, when they are).
                changeBackends(existing, backends, nowNs);
            }
            else if (existing != null && sameVipExceptBackends(existing.config, v))
            {
                final VipState s = new VipState(v, existing.backends);
                copyPhase(existing, s);
                next.put(v.key(), s);
                changeBackends(s, backends, nowNs);
            }
            else
            {
                next.put(v.key(), new VipState(v, backends));
            }
        }
        for (final Map.Entry<String, VipState> e : vips.entrySet())
        {
            final VipState after = next.get(e.getKey());
            for (final BackendState b : e.getValue().backends)
            {
                if (after == null || after.backends.stream().noneMatch(x -> x.address().equals(b.address())))
                {
                    ids.release(e.getKey(), b.address().toString(), nowNs);
                }
            }
        }
        vips.clear();
        vips.putAll(next);
        return publish(nowNs);
    }

    /**
     * Replaces a VIP's backends (add, remove, re-weight, drain). When the set of backends that take new
     * flows changes, the VIP enters its stateful phase with the table it had as the previous table; a change
     * during the phase keeps the phase's previous table and starts its minimum again.
     */
    public void changeBackends(final VipState vip, final List<BackendState> backends, final long nowNs)
    {
        for (final BackendState b : vip.backends)
        {
            if (backends.stream().noneMatch(x -> x.address().equals(b.address())))
            {
                ids.release(vip.config.key(), b.address().toString(), nowNs);
            }
        }
        if (!backends.equals(vip.backends))
        {
            // In a phase already, the previous table stays the one from before it: the connections older than
            // the phase that sent nothing since are unrecorded and still need it, and the connections opened
            // during the phase were recorded as new ones. Taking the intermediate table would move the first
            // group, and make the answer depend on whether this MUX saw the two changes apart or at once.
            if (vip.mode != Vip.MODE_STATEFUL || vip.previousTable == null)
            {
                vip.previousBackends = vip.publishedBackends;
                vip.previousTable = vip.publishedTable;
            }
            vip.mode = Vip.MODE_STATEFUL;
            vip.statefulSinceNs = nowNs;
        }
        vip.backends = List.copyOf(backends);
    }

    /** Ends a VIP's stateful phase: it goes back to consistent hashing alone. */
    public void endStatefulPhase(final VipState vip)
    {
        vip.mode = Vip.MODE_STATELESS;
        vip.previousBackends = null;
        vip.previousTable = null;
    }

    /**
     * Marks a VIP single-backend (ARCHITECTURE.md §1 item 4): the router is to send it straight to its
     * backend and workers keep no flow state for it; any stateful phase ends.
     */
    public void markBypass(final VipState vip)
    {
        vip.mode = Vip.MODE_BYPASS;
        vip.previousBackends = null;
        vip.previousTable = null;
    }

    /**
     * Clears a VIP's single-backend mark: it enters its stateful phase with the table it had during the
     * bypass as the previous table, so connections opened during the bypass, whose packets now reach the
     * MUX mid-connection, stay on that backend. No-op unless the VIP is marked.
     */
    public void leaveBypass(final VipState vip, final long nowNs)
    {
        if (vip.mode == Vip.MODE_BYPASS)
        {
            vip.previousBackends = vip.publishedBackends;
            vip.previousTable = vip.publishedTable;
            vip.mode = Vip.MODE_STATEFUL;
            vip.statefulSinceNs = nowNs;
        }
    }

    /** Builds a snapshot of the current state and publishes it. */
    public ForwardingSnapshot publish(final long nowNs)
    {
        final Vip[] out = new Vip[vips.size()];
        final List<Backend> byId = new ArrayList<>();
        int index = 0;
        for (final VipState s : vips.values())
        {
            final VipConfig c = s.config;
            final String key = c.key();
            final Backend[] backends = new Backend[s.backends.size()];
            for (int i = 0; i < backends.length; i++)
            {
                final BackendState b = s.backends.get(i);
                final int id = ids.idOf(key, b.address().toString(), nowNs);
                final IpAddress a = b.address();
                backends[i] = new Backend(id, index, a.ipv6(), a.ipv6() ? 0 : a.ipv4(), a.ipv6() ? a.high() : 0, a.ipv6() ? a.low() : 0,
                    b.weight(), b.draining(), a.toString());
                while (byId.size() <= id)
                {
                    byId.add(null);
                }
                byId.set(id, backends[i]);
            }
            final int[] table = MaglevBackends.table(hashSeed, backends, tableSize);
            final IpAddress va = c.address();
            final int mode = s.mode;
            // The previous table's backends keep the ids they had: rebind them to this snapshot's VIP index.
            Backend[] previous = null;
            if (s.previousBackends != null)
            {
                previous = new Backend[s.previousBackends.length];
                for (int i = 0; i < previous.length; i++)
                {
                    final Backend p = s.previousBackends[i];
                    previous[i] = new Backend(p.id(), index, p.v6(), p.v4(), p.v6Hi(), p.v6Lo(), p.weight(), p.draining(), p.text());
                }
            }
            out[index] = new Vip(index, va.ipv6(), va.ipv6() ? 0 : va.ipv4(), va.ipv6() ? va.high() : 0, va.ipv6() ? va.low() : 0,
                c.port(), c.protocol().ipProtocol(), encapsulation(c), c.guePort(), c.flowTracking() == FlowTracking.ALWAYS ? Vip.TRACK_ALWAYS
                : Vip.TRACK_ON_CHANGE, mode, backends, table, previous, s.previousTable, key);
            s.publishedBackends = backends;
            s.publishedTable = table;
            index++;
        }
        final ForwardingSnapshot snapshot = new ForwardingSnapshot(++version, hashSeed, tableSize, out, new VipTable(out),
            byId.toArray(new Backend[0]), owners, self, nextHopMac());
        slot.publish(snapshot);
        return snapshot;
    }

    /**
     * Sets the MUX pool for flow ownership (published with the next snapshot).
     *
     * @param owners the pool's owner ring, or null when this MUX is alone.
     * @param self   this MUX's index in it.
     */
    public void pool(final OwnerRing owners, final int self)
    {
        this.owners = owners;
        this.self = self;
    }

    /**
     * Sets the next hop's MAC as ARP learnt it (published with the next snapshot; ignored while
     * {@code dataplane.gateway-mac} names one).
     *
     * @param mac the gateway's MAC, or 0 when it is unknown.
     */
    public void learntNextHop(final long mac)
    {
        this.learntNextHop = mac;
    }

    /** @return the MAC encapsulated packets go to: the configured one, else the learnt one, else 0. */
    public long nextHopMac()
    {
        return configuredNextHop != 0 ? configuredNextHop : learntNextHop;
    }

    /** @return the VIP states by key ("address:port/proto"), in configuration order. */
    public Map<String, VipState> vips()
    {
        return vips;
    }

    /** @return the version of the last published snapshot. */
    public long version()
    {
        return version;
    }

    private static int encapsulation(final VipConfig c)
    {
        return switch (c.encapsulation())
        {
            case IPIP -> TunnelEncapsulator.IPIP;
            case GRE -> TunnelEncapsulator.GRE;
            case GUE -> TunnelEncapsulator.GUE;
        };
    }

    private static boolean sameVipExceptBackends(final VipConfig a, final VipConfig b)
    {
        return a.address().equals(b.address()) && a.port() == b.port() && a.protocol() == b.protocol();
    }

    private static void copyPhase(final VipState from, final VipState to)
    {
        to.mode = from.mode;
        to.statefulSinceNs = from.statefulSinceNs;
        to.previousBackends = from.previousBackends;
        to.previousTable = from.previousTable;
        to.publishedBackends = from.publishedBackends;
        to.publishedTable = from.publishedTable;
    }
}
