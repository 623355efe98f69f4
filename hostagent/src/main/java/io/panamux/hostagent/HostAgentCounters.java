package io.panamux.hostagent;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The host agent's counters: written by the agent's thread only, read by any thread (the stats writer).
 * Stores are opaque, so a reader sees each counter whole and eventually current, and the writer pays no
 * fence.
 */
public final class HostAgentCounters
{
    /** Frames received from the network. */
    public static final int NETWORK_RX = 0;
    /** Frames sent to the network (passed, encapsulated or built here). */
    public static final int NETWORK_TX = 1;
    /** Frames received from the host's kernel. */
    public static final int HOST_RX = 2;
    /** Frames handed to the host's kernel. */
    public static final int HOST_TX = 3;
    /** Tunnel packets opened and handed to the kernel. */
    public static final int DECAPSULATED = 4;
    /** Of those, packets tunnelled by another host (outer source not the inner source): a MUX. */
    public static final int DECAPSULATED_FROM_MUX = 5;
    /** Of those, packets tunnelled by the client's own agent (Fastpath or source-side selection). */
    public static final int DECAPSULATED_DIRECT = 6;
    /** Tunnel packets for this host that could not be opened. */
    public static final int TUNNEL_MALFORMED = 7;
    /** Fragments of tunnel packets (dropped: the agent does not reassemble). */
    public static final int TUNNEL_FRAGMENTS = 8;
    /** Egress packets encapsulated to a backend chosen here (source-side selection). */
    public static final int SELECTED_PACKETS = 9;
    /** Flows whose backend was chosen here. */
    public static final int SELECTED_FLOWS = 10;
    /** Egress packets encapsulated straight to a backend because of a Fastpath redirect. */
    public static final int FASTPATH_PACKETS = 11;
    /** Redirects sent to source hosts. */
    public static final int REDIRECTS_SENT = 12;
    /** Revokes sent to source hosts. */
    public static final int REVOKES_SENT = 13;
    /** Redirects accepted for this host's flows. */
    public static final int REDIRECTS_ACCEPTED = 14;
    /** Revokes accepted. */
    public static final int REVOKES_ACCEPTED = 15;
    /** Messages refused: bad tag, magic, version or type (forged or corrupted). */
    public static final int REFUSED_FORGED = 16;
    /** Messages refused: issued too long ago, or in the future. */
    public static final int REFUSED_STALE = 17;
    /** Messages refused: a sequence number seen before or too old (replayed). */
    public static final int REFUSED_REPLAYED = 18;
    /** Messages refused: not sent by the backend they name. */
    public static final int REFUSED_NOT_FROM_BACKEND = 19;
    /** Messages refused: about a flow that is not this host's. */
    public static final int REFUSED_NOT_OURS = 20;
    /** Messages refused: the backend is not one of the VIP's as this agent knows them. */
    public static final int REFUSED_UNKNOWN_BACKEND = 21;
    /** Messages refused: this agent does not accept redirects. */
    public static final int REFUSED_DISABLED = 22;
    /** Redirected flows sent back to the VIP because their backend went away. */
    public static final int FALLBACKS = 23;
    /** Backends reported unreachable by an ICMP error about a tunnel packet. */
    public static final int BACKENDS_UNREACHABLE = 24;
    /** Egress packets too big to encapsulate, answered with an ICMP error to the local sender. */
    public static final int TOO_BIG_REPLIES = 25;
    /** Egress packets that could not be encapsulated (no headroom, too big without a reply). */
    public static final int ENCAPSULATION_FAILED = 26;
    /** Messages not sent: the packet pool was empty. */
    public static final int NO_MBUF = 27;
    /** Frames the drivers refused (freed). */
    public static final int TX_DROPPED = 28;
    /** Flows redirected straight to a backend now (a gauge). */
    public static final int REDIRECTED_FLOWS = 29;
    /** Tunnel packets refused: their outer source is neither a MUX of the pool nor a host that runs an agent. */
    public static final int TUNNEL_REFUSED_SOURCE = 30;
    /** Tunnel packets dropped by RFC 6040: outer CE over an inner packet that is not ECN-capable. */
    public static final int TUNNEL_ECN_DROPPED = 31;
    /**
     * Flows from an agent's host not offered a redirect: they did not come from a MUX of the pool, or not to a
     * VIP this host backs (an outsider's tunnel, or a misconfigured pool).
     */
    public static final int REDIRECTS_NOT_OFFERED = 32;
    /** Messages refused: the flow's destination is not a VIP the pool serves. */
    public static final int REFUSED_NOT_A_VIP = 33;
    /**
     * ICMP errors about a tunnel packet not acted on: a code that does not mean unreachable (fragmentation
     * needed, ...), too short a quote, or a quoted packet that is not a redirected flow's.
     */
    public static final int UNREACHABLE_IGNORED = 34;
    /**
     * IPv6 tunnel packets for this host dropped for their extension headers before the tunnel header: a routing
     * header with segments left, an authentication or ESP header, an unknown one, or a chain too long or cut short.
     */
    public static final int TUNNEL_EXTENSION_DROPPED = 35;
    /** ARP requests for this host's IPv4 address answered by the agent. */
    public static final int ARP_ANSWERED = 36;
    /** Neighbour solicitations for this host's IPv6 address answered by the agent. */
    public static final int NDP_ANSWERED = 37;
    /** Configuration reloads applied (SIGHUP). */
    public static final int RELOADS = 38;
    /** Configuration reloads refused (an invalid file, or a change that needs a restart): the old one stays. */
    public static final int RELOADS_REFUSED = 39;
    /** Number of counters. */
    public static final int COUNT = 40;

    private static final String[] NAMES = {
        "network_rx", "network_tx", "host_rx", "host_tx", "decapsulated", "decapsulated_from_mux", "decapsulated_direct",
        "tunnel_malformed", "tunnel_fragments", "selected_packets", "selected_flows", "fastpath_packets", "redirects_sent",
        "revokes_sent", "redirects_accepted", "revokes_accepted", "refused_forged", "refused_stale", "refused_replayed",
        "refused_not_from_backend", "refused_not_ours", "refused_unknown_backend", "refused_disabled", "fallbacks",
        "backends_unreachable", "too_big_replies", "encapsulation_failed", "no_mbuf", "tx_dropped", "redirected_flows",
        "tunnel_refused_source", "tunnel_ecn_dropped", "redirects_not_offered", "refused_not_a_vip", "unreachable_ignored",
        "tunnel_extension_dropped", "arp_answered", "ndp_answered", "reloads", "reloads_refused"};

    private static final VarHandle VALUES = MethodHandles.arrayElementVarHandle(long[].class);
    // One thread writes them all, so counters may share cache lines.
    private final long[] values = new long[COUNT];

    /** Adds {@code delta} to counter {@code index} (agent thread only). */
    public void add(final int index, final long delta)
    {
        VALUES.setOpaque(values, index, (long)VALUES.getOpaque(values, index) + delta);
    }

    /** Sets counter {@code index} (agent thread only). */
    public void set(final int index, final long value)
    {
        VALUES.setOpaque(values, index, value);
    }

    /** @return counter {@code index} (any thread). */
    public long get(final int index)
    {
        return (long)VALUES.getOpaque(values, index);
    }

    /** @return the name of counter {@code index}, as in the stats JSON. */
    public static String name(final int index)
    {
        return NAMES[index];
    }

    /** @return every counter by name, in index order (allocates; for the stats writer). */
    public Map<String, Long> snapshot()
    {
        final Map<String, Long> out = new LinkedHashMap<>();
        for (int i = 0; i < COUNT; i++)
        {
            out.put(NAMES[i], get(i));
        }
        return out;
    }
}
