package io.panamux.slowpath.bgp;

import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;

import io.panamux.slowpath.config.BgpSettings;
import io.panamux.slowpath.config.IpAddress;

/**
 * Renders the BIRD 2 configuration of a MUX's speaker: the whole desired state in one file, so that each
 * change is "write the file, {@code birdc configure}" and nothing can drift (a lost command, a restarted
 * daemon) between what the MUX decided and what the router is told.
 *
 * <pre>
 * router id 198.18.11.2;
 * protocol device { scan time 10; }
 * protocol static pmx_vips {           # one blackhole route per announced VIP address: the routes to export
 *   ipv4;
 *   route 192.0.2.10/32 blackhole;
 *   route 192.0.2.11/32 blackhole;
 * }
 * protocol static pmx_vips6 {          # the same for the IPv6 VIPs
 *   ipv6;
 *   route 2001:db8:f::10/128 blackhole;
 * }
 * filter pmx_export {                  # what the router is told: the MUX itself as next hop (BIRD's
 *   if proto != "pmx_vips" &amp;&amp; proto != "pmx_vips6" then reject;  own address towards the neighbor), or
 *   if net = 192.0.2.11/32 then bgp_next_hop = 198.18.23.2;            the backend for a bypassed VIP
 *   accept;
 * }
 * protocol bgp pmx_n0 { local as 65000; neighbor 198.18.11.1 as 65000; hold time 3; keepalive time 1; ...
 *   ipv4 { import none; export filter pmx_export; };
 *   ipv6 { import none; export filter pmx_export; }; }
 * </pre>
 *
 * A direct (bypass) route sets the BGP next hop to the backend: over iBGP the router resolves it through
 * its own routing table (BIRD's {@code gateway recursive}, FRR's next-hop tracking) and sends the VIP's
 * traffic to the backend's link. No kernel protocol: the speaker never touches the MUX host's own routes.
 *
 * <h2>BFD</h2>
 * With {@code router.bgp.bfd}, a {@code protocol bfd} with its timers and {@code bfd on} in every session:
 * a router that runs BFD too drops the MUX (and every route it announced) after {@code multiplier} missed
 * packets, well under a second, where the hold time alone takes seconds. A neighbor that does not run BFD
 * keeps its session: BIRD closes a BGP session only when its BFD session goes from up to down. The
 * sessions are then {@code direct} (the routers are on the MUX's link) and BFD single-hop (RFC 5881).
 *
 * <h2>IPv6: a second channel on the same session</h2>
 * IPv6 VIPs go to the router as IPv6 routes over the IPv4 session (multiprotocol BGP, RFC 4760: an
 * {@code ipv6} channel beside the {@code ipv4} one), not over IPv6 sessions of their own. One session per
 * router carries both families, so both share its fate: the data path that forwards them is the same, and a
 * MUX that dies or loses its link leaves the router's ECMP set for IPv4 and IPv6 at the same moment, through
 * one hold timer and one BFD session, with no second set of neighbors to configure and keep up. What it costs
 * is the next hop: the session's own address is IPv4, so the IPv6 routes carry the MUX's IPv6 address on the
 * router's link, which BIRD takes from the interface facing the neighbor ({@code router.bgp.next-hop6} names
 * it when that is not the right one, e.g. a multi-hop session). A MUX without IPv6 on that link still brings
 * the session up: BIRD leaves the IPv6 routes out (no next hop) and the IPv4 ones are unaffected.
 * A bypassed VIP's next hop is its backend only when both are of one family (the router cannot send an IPv6
 * packet to an IPv4 next hop): an IPv6 VIP with one IPv4 backend, or the reverse, stays on the MUX pool.
 */
public final class BirdConfig
{
    private BirdConfig()
    {
    }

    /**
     * @param settings the speaker's settings.
     * @param routes   each announced VIP address with its next hop: empty for the MUX itself, else the
     *                 backend the router should send it to.
     * @return the configuration file's text.
     */
    public static String render(final BgpSettings settings, final SortedMap<IpAddress, Optional<IpAddress>> routes)
    {
        final StringBuilder sb = new StringBuilder(512);
        sb.append("# Written by panamux: the MUX's BGP speaker. Rewritten whole on every change; do not edit.\n");
        sb.append("router id ").append(settings.routerId()).append(";\n");
        sb.append("log stderr all;\n");
        sb.append("protocol device { scan time 10; }\n");
        final BgpSettings.Bfd bfd = settings.bfd();
        if (bfd != null)
        {
            // Single-hop BFD (RFC 5881) on the link to each router; BIRD runs a session for each BGP protocol
            // that asks (bfd on).
            sb.append("protocol bfd pmx_bfd {\n  interface \"*\" { min rx interval ").append(bfd.intervalMs()).append(" ms; min tx interval ")
                .append(bfd.intervalMs()).append(" ms; multiplier ").append(bfd.multiplier()).append("; };\n}\n");
        }
        staticRoutes(sb, "pmx_vips", "ipv4", "/32", routes, true);
        staticRoutes(sb, "pmx_vips6", "ipv6", "/128", routes, false);
        sb.append("filter pmx_export {\n  if proto != \"pmx_vips\" && proto != \"pmx_vips6\" then reject;\n");
        for (final Map.Entry<IpAddress, Optional<IpAddress>> e : routes.entrySet())
        {
            if (e.getValue().isPresent() && directable(e.getKey(), e.getValue().get()))
            {
                sb.append("  if net = ").append(e.getKey()).append(prefixLength(e.getKey())).append(" then bgp_next_hop = ")
                    .append(e.getValue().get()).append(";\n");
            }
        }
        sb.append("  accept;\n}\n");
        final int keepalive = Math.max(1, settings.holdSeconds() / 3);
        int n = 0;
        for (final BgpSettings.Neighbor neighbor : settings.neighbors())
        {
            sb.append("protocol bgp pmx_n").append(n++).append(" {\n");
            sb.append("  local as ").append(settings.localAs()).append(";\n");
            sb.append("  neighbor ").append(neighbor.address()).append(" as ").append(neighbor.as()).append(";\n");
            sb.append("  hold time ").append(settings.holdSeconds()).append("; keepalive time ").append(keepalive).append(";\n");
            sb.append("  connect retry time 1; error wait time 1, 4;\n");
            if (bfd != null)
            {
                // BIRD takes iBGP sessions as multi-hop unless told, and multi-hop BFD needs a fixed local
                // address: the router is on the MUX's link, so the session is direct and its BFD single-hop.
                sb.append("  direct; bfd on;\n");
            }
            sb.append("  ipv4 { import none; export filter pmx_export; };\n");
            sb.append("  ipv6 { import none; export filter pmx_export;");
            if (settings.nextHop6() != null)
            {
                sb.append(" next hop address ").append(settings.nextHop6()).append(';');
            }
            sb.append(" };\n");
            sb.append("}\n");
        }
        return sb.toString();
    }

    /**
     * @param vip     a VIP address.
     * @param backend its single backend.
     * @return whether the router can be told to send the VIP's packets straight to the backend: only within
     * one address family (an IPv6 packet cannot be routed to an IPv4 next hop, nor the reverse).
     */
    public static boolean directable(final IpAddress vip, final IpAddress backend)
    {
        return vip.isIpv4() == backend.isIpv4();
    }

    private static String prefixLength(final IpAddress vip)
    {
        return vip.isIpv4() ? "/32" : "/128";
    }

    private static void staticRoutes(final StringBuilder sb, final String name, final String channel, final String length,
        final SortedMap<IpAddress, Optional<IpAddress>> routes, final boolean ipv4)
    {
        sb.append("protocol static ").append(name).append(" {\n  ").append(channel).append(";\n");
        for (final IpAddress vip : routes.keySet())
        {
            if (vip.isIpv4() == ipv4)
            {
                sb.append("  route ").append(vip).append(length).append(" blackhole;\n");
            }
        }
        sb.append("}\n");
    }
}
