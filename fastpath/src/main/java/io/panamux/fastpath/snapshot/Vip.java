package io.panamux.fastpath.snapshot;

import io.panamux.flow.MaglevTable;

/**
 * One VIP in a snapshot: its key, how packets to it are encapsulated, its mode, its backends and its
 * Maglev tables. Immutable; the arrays are never written after the snapshot is published.
 *
 * <p><b>Modes.</b> {@link #MODE_STATELESS}: the backend is {@code backends[table[slot(hash)]]}, no flow
 * state (unless {@link #tracking} is {@link #TRACK_ALWAYS}). {@link #MODE_STATEFUL}: the backend set
 * changed; workers record flows, new flows use {@link #table}, a mid-connection packet of an unrecorded
 * flow keeps the backend {@link #previousTable} gives if that backend is still present.
 * {@link #MODE_BYPASS}: a single backend; the router sends the VIP's traffic straight to it and the
 * MUX keeps no flow state for what still reaches it.
 *
 * @param index            position in the snapshot's VIP array.
 * @param v6               IPv6 VIP.
 * @param v4               IPv4 address.
 * @param v6Hi             IPv6 address, high 64 bits.
 * @param v6Lo             IPv6 address, low 64 bits.
 * @param port             TCP/UDP port.
 * @param protocol         6 (TCP) or 17 (UDP).
 * @param encapsulation    {@code TunnelEncapsulator.IPIP}, {@code GRE} or {@code GUE}.
 * @param guePort          the UDP destination port of this VIP's GUE packets: on a MUX its {@code gue-port}, else
 *                         the pool's default; in a host agent, the agent's {@code dataplane.gue-port}. Carried by
 *                         every VIP (no default: each builder passes its own), used only with {@code GUE}.
 * @param tracking         {@link #TRACK_ON_CHANGE} or {@link #TRACK_ALWAYS}.
 * @param mode             {@link #MODE_STATELESS}, {@link #MODE_STATEFUL} or {@link #MODE_BYPASS}.
 * @param backends         every backend still present, draining ones included.
 * @param table            Maglev table: slot to index into {@code backends}; empty when no backend
 *                         may take new flows.
 * @param previousBackends backends before the last change (stateful phase), or null.
 * @param previousTable    Maglev table before the last change (indices into {@code previousBackends}), or null.
 * @param text             "address:port/proto", for display.
 */
public record Vip(int index, boolean v6, int v4, long v6Hi, long v6Lo, int port, int protocol, int encapsulation, int guePort,
    int tracking, int mode, Backend[] backends, int[] table, Backend[] previousBackends, int[] previousTable, String text)
{
    /** Stateless until the backend set changes. */
    public static final int TRACK_ON_CHANGE = 0;
    /** Every flow recorded. */
    public static final int TRACK_ALWAYS = 1;
    /** Consistent hashing only. */
    public static final int MODE_STATELESS = 0;
    /** Recording flows after a backend change. */
    public static final int MODE_STATEFUL = 1;
    /** Single backend, bypassed by the router. */
    public static final int MODE_BYPASS = 2;

    /**
     * The backend a new connection gets: the current table's. Allocation-free (fast path).
     *
     * @param hash the flow's hash with the pool's seed.
     * @return the backend, or null when no backend takes new flows (an empty table: none has weight).
     */
    public Backend backendForNew(final long hash)
    {
        final int[] t = table;
        return t.length == 0 ? null : backends[MaglevTable.lookup(t, hash)];
    }

    /**
     * The backend the previous table gives a flow, if that backend is still one of this VIP's in
     * {@code snap}. The previous table may be empty (published while no backend had weight: all drained
     * or unhealthy), and then gives nothing. Allocation-free (fast path).
     *
     * @param snap the snapshot this VIP belongs to.
     * @param hash the flow's hash with the pool's seed.
     * @return the still-present previous backend, or null (no previous table, an empty one, or the
     *     backend is gone).
     */
    public Backend previousBackend(final ForwardingSnapshot snap, final long hash)
    {
        final int[] previous = previousTable;
        if (previous == null || previous.length == 0)
        {
            return null;
        }
        final Backend still = snap.backend(previousBackends[MaglevTable.lookup(previous, hash)].id());
        return still != null && still.vipIndex() == index ? still : null;
    }

    /**
     * Rule 2 (ARCHITECTURE.md §1 item 2): the backend of a mid-connection packet of a flow nobody has
     * recorded, the one connection-preserving choice used by the workers and by a flow's owner alike:
     * {@link #previousBackend} when there is one, else {@link #backendForNew}. Allocation-free.
     *
     * @param snap the snapshot this VIP belongs to.
     * @param hash the flow's hash with the pool's seed.
     * @return the backend, or null when the VIP has none that takes flows.
     */
    public Backend backendForExisting(final ForwardingSnapshot snap, final long hash)
    {
        final Backend previous = previousBackend(snap, hash);
        return previous != null ? previous : backendForNew(hash);
    }

    /** @return whether workers record this VIP's flows now. */
    public boolean recordsFlows()
    {
        return mode != MODE_BYPASS && (tracking == TRACK_ALWAYS || mode == MODE_STATEFUL);
    }
}
