package io.panamux.hostagent;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import io.panamux.flow.FlowHash;
import io.panamux.flow.FlowTable;
import io.panamux.flow.MaglevTable;
import io.panamux.fastpath.packet.PacketInfo;
import io.panamux.fastpath.snapshot.Backend;
import io.panamux.fastpath.snapshot.MaglevBackends;
import io.panamux.fastpath.snapshot.Vip;
import io.panamux.fastpath.snapshot.VipTable;
import io.panamux.slowpath.control.BackendIds;

/**
 * Source-side selection (ARCHITECTURE.md §1 item 6): the MUX's own choice, made in the sending host's
 * egress path. The VIP table and the Maglev tables are the fast path's ({@link VipTable}, {@link MaglevTable}),
 * built by the same code as the MUX's snapshot publisher's ({@link MaglevBackends#table}: the same backend
 * keys over the address bytes, 4 or 16, weights and table size), and the same flow hash ({@link FlowHash#hashV4},
 * {@link FlowHash#hashV6} with the pool's seed), for IPv4 and IPv6 VIPs. So a flow gets the backend a MUX would have given it, and a flow may move between this
 * agent and the MUX pool without changing backend.
 *
 * <p>Every flow chosen here is recorded (flow state, as a MUX in its stateful phase keeps it), so a flow
 * keeps its backend as long as it is active, whatever the table does later. Fragments are not selected
 * here: they carry no ports (later ones), and the MUX hashes every fragment of a datagram on its 3-tuple,
 * so they are sent to the VIP unchanged.
 *
 * <p>The flow table lives as long as the selector; a reload {@link #install installs} new {@link Tables} into it, as a
 * MUX's worker takes a new snapshot. The table records a backend's stable id ({@link BackendIds}: one per (VIP,
 * backend address) pair, kept across reloads, quarantined when the pair goes), so, as on the MUX, a recorded flow
 * keeps its backend across a reload while that backend is still one of its VIP's (draining, at weight 0, or
 * re-weighted), and is chosen again, by the new table, when its backend was removed.
 *
 * <p>Agent thread only, but for {@link Tables#build}; {@link #choose} allocates nothing.
 */
public final class SourceSelector implements AutoCloseable
{
    private final FlowTable flows;
    private final int idleTimeoutSeconds;
    // The installed tables' parts, in fields of their own: choose reads them per packet.
    private long hashSeed;
    private Vip[] vips;
    private VipTable table;
    private Backend[] byId;
    private boolean chosenNew;

    /**
     * A selector with tables of its own, its backends' ids from a new {@link BackendIds} (a selector that is never
     * reloaded).
     *
     * @param vips               the VIPs to select for.
     * @param hashSeed           the MUX pool's hash seed.
     * @param tableSize          the Maglev table size (the MUX's {@code maglev-table-size}).
     * @param guePort            the UDP port the agent sends GUE to ({@link Tables#build}).
     * @param flowCapacity       flows recorded at most.
     * @param idleTimeoutSeconds a recorded flow idle this long is forgotten.
     */
    public SourceSelector(final List<HostAgentConfig.SourceVip> vips, final long hashSeed, final int tableSize, final int guePort,
        final int flowCapacity, final int idleTimeoutSeconds)
    {
        this(Tables.build(List.of(), vips, hashSeed, tableSize, guePort, new BackendIds(0), 0), flowCapacity, idleTimeoutSeconds);
    }

    /**
     * @param tables             the tables to select with (until {@link #install}).
     * @param flowCapacity       flows recorded at most.
     * @param idleTimeoutSeconds a recorded flow idle this long is forgotten.
     */
    public SourceSelector(final Tables tables, final int flowCapacity, final int idleTimeoutSeconds)
    {
        this.idleTimeoutSeconds = idleTimeoutSeconds;
        this.flows = new FlowTable(flowCapacity);
        install(tables);
    }

    /**
     * The VIPs, backends and Maglev tables of one configuration, with the backends' stable ids. Immutable; built off
     * the agent thread.
     */
    public static final class Tables
    {
        private final long hashSeed;
        private final int tableSize;
        private final Vip[] vips;
        private final VipTable table;
        private final Backend[] byId;

        private Tables(final long hashSeed, final int tableSize, final Vip[] vips, final Backend[] byId)
        {
            this.hashSeed = hashSeed;
            this.tableSize = tableSize;
            this.vips = vips;
            this.table = new VipTable(vips);
            this.byId = byId;
        }

        /**
         * Builds the tables of {@code next}, the configuration after {@code previous}: the ids of (VIP, backend) pairs
         * that {@code previous} had and {@code next} has not are released (a flow recorded with one is chosen again),
         * the others keep theirs, new pairs get new ones. The caller serialises the calls that share {@code ids}.
         *
         * @param previous  the VIPs selected for until now (empty at start).
         * @param next      the VIPs to select for.
         * @param hashSeed  the MUX pool's hash seed.
         * @param tableSize the Maglev table size.
         * @param guePort   the UDP port the agent sends GUE to, its {@code dataplane.gue-port}: every VIP's
         *                  {@link Vip#guePort()}, which the agent encapsulates with (the loader refuses a selected GUE VIP
         *                  whose document {@code gue-port} is another).
         * @param ids       the backends' stable ids, shared by every reload of one agent.
         * @param nowNs     now, for the quarantine of released ids.
         * @return the tables.
         */
        public static Tables build(final List<HostAgentConfig.SourceVip> previous, final List<HostAgentConfig.SourceVip> next,
            final long hashSeed, final int tableSize, final int guePort, final BackendIds ids, final long nowNs)
        {
            final Set<String> pairs = new HashSet<>();
            for (final HostAgentConfig.SourceVip c : next)
            {
                for (final HostAgentConfig.SourceBackend b : c.backends())
                {
                    pairs.add(c.key() + " " + b);
                }
            }
            for (final HostAgentConfig.SourceVip c : previous)
            {
                for (final HostAgentConfig.SourceBackend b : c.backends())
                {
                    if (!pairs.contains(c.key() + " " + b))
                    {
                        ids.release(c.key(), b.toString(), nowNs);
                    }
                }
            }
            final Vip[] vips = new Vip[next.size()];
            final List<Backend> byId = new ArrayList<>();
            for (int v = 0; v < next.size(); v++)
            {
                final HostAgentConfig.SourceVip c = next.get(v);
                final Backend[] backends = new Backend[c.backends().size()];
                for (int i = 0; i < backends.length; i++)
                {
                    final HostAgentConfig.SourceBackend b = c.backends().get(i);
                    final Ip6 b6 = b.address6();
                    final int id = ids.idOf(c.key(), b.toString(), nowNs);
                    backends[i] = new Backend(id, v, b6 != null, b.address(), b6 == null ? 0 : b6.hi(), b6 == null ? 0 : b6.lo(), b.weight(),
                        false, b.toString());
                    while (byId.size() <= id)
                    {
                        byId.add(null);
                    }
                    byId.set(id, backends[i]);
                }
                final int[] maglev = MaglevBackends.table(hashSeed, backends, tableSize);
                final Ip6 a6 = c.address6();
                vips[v] = new Vip(v, a6 != null, c.address(), a6 == null ? 0 : a6.hi(), a6 == null ? 0 : a6.lo(), c.port(), c.protocol(),
                    c.encapsulation(), guePort, Vip.TRACK_ALWAYS, Vip.MODE_STATELESS, backends, maglev, null, null, c.key());
            }
            return new Tables(hashSeed, tableSize, vips, byId.toArray(new Backend[0]));
        }

        /** @return the VIPs, in index order. */
        public List<Vip> vips()
        {
            return List.of(vips);
        }

        /** @return the pool's hash seed they were built with. */
        public long hashSeed()
        {
            return hashSeed;
        }

        /** @return the Maglev table size they were built with. */
        public int tableSize()
        {
            return tableSize;
        }
    }

    /**
     * Selects with {@code next} from now on; the recorded flows stay, each with its backend while that backend is
     * still in {@code next} (agent thread).
     */
    public void install(final Tables next)
    {
        hashSeed = next.hashSeed;
        vips = next.vips;
        table = next.table;
        byId = next.byId;
    }

    /**
     * @param info a parsed egress packet.
     * @return the index of the VIP it is for, or -1 (not a VIP selected here, or a fragment).
     */
    public int find(final PacketInfo info)
    {
        if (info.isFragment || info.icmpError)
        {
            return -1;
        }
        final int vip = info.ipVersion == 4 ? table.findV4(info.dstV4, info.dstPort, info.protocol)
            : table.findV6(info.dstHi, info.dstLo, info.dstPort, info.protocol);
        return vip < 0 ? -1 : vip;
    }

    /**
     * @param vip        the VIP index from {@link #find}.
     * @param info       the packet.
     * @param nowSeconds the agent's clock in seconds.
     * @return the backend for the packet's flow, or null when the VIP has none that takes flows.
     */
    public Backend choose(final int vip, final PacketInfo info, final int nowSeconds)
    {
        final boolean v6 = info.ipVersion == 6;
        final long found = v6 ? flows.findV6(info.srcHi, info.srcLo, info.dstHi, info.dstLo, info.srcPort, info.dstPort, info.protocol, nowSeconds)
            : flows.findV4(info.srcV4, info.dstV4, info.srcPort, info.dstPort, info.protocol, nowSeconds);
        if (found != FlowTable.MISSING)
        {
            // A backend removed since the flow was recorded has no entry (or one past the end): the flow is chosen again.
            final int id = FlowTable.backendId(found);
            final Backend b = id < byId.length ? byId[id] : null;
            if (b != null && b.vipIndex() == vip)
            {
                chosenNew = false;
                return b;
            }
        }
        final Vip v = vips[vip];
        final int[] maglev = v.table();
        if (maglev.length == 0)
        {
            return null;
        }
        final Backend chosen = v.backends()[MaglevTable.lookup(maglev, hash(info))];
        if (v6)
        {
            flows.putV6(info.srcHi, info.srcLo, info.dstHi, info.dstLo, info.srcPort, info.dstPort, info.protocol, chosen.id(), 0, nowSeconds);
        }
        else
        {
            flows.putV4(info.srcV4, info.dstV4, info.srcPort, info.dstPort, info.protocol, chosen.id(), 0, nowSeconds);
        }
        chosenNew = true;
        return chosen;
    }

    /** @return whether the last {@link #choose} chose for a new flow (rather than finding a recorded one). */
    public boolean chosenNew()
    {
        return chosenNew;
    }

    /** @return the pool's flow hash of the packet's 5-tuple. */
    public long hash(final PacketInfo info)
    {
        return info.ipVersion == 6
            ? FlowHash.hashV6(hashSeed, info.srcHi, info.srcLo, info.dstHi, info.dstLo, info.srcPort, info.dstPort, info.protocol)
            : FlowHash.hashV4(hashSeed, info.srcV4, info.dstV4, info.srcPort, info.dstPort, info.protocol);
    }

    /** @return the VIP at {@code index}. */
    public Vip vip(final int index)
    {
        return vips[index];
    }

    /** @return the VIPs selected for, in index order. */
    public List<Vip> vips()
    {
        return List.of(vips);
    }

    /** Forgets idle flows, a few buckets per call. */
    public void expire(final int nowSeconds)
    {
        flows.expire(nowSeconds, idleTimeoutSeconds, 64);
    }

    /** @return flows recorded. */
    public long flowCount()
    {
        return flows.size();
    }

    @Override
    public void close()
    {
        flows.close();
    }
}
