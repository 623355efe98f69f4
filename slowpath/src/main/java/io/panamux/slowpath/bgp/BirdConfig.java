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
 * filter pmx_export {                  # what the router is told: the MUX itself as next hop (BIRD's
 *   if proto != "pmx_vips" then reject;  own address on the session), or the backend for a bypassed VIP
 *   if net = 192.0.2.11/32 then bgp_next_hop = 198.18.23.2;
 *   accept;
 * }
 * protocol bgp pmx_n0 { local as 65000; neighbor 198.18.11.1 as 65000; hold time 3; keepalive time 1; ...
 *   ipv4 { import none; export filter pmx_export; }; }
 * </pre>
 *
 * A direct (bypass) route sets the BGP next hop to the backend: over iBGP the router resolves it through
 * its own routing table (BIRD's {@code gateway recursive}, FRR's next-hop tracking) and sends the VIP's
 * traffic to the backend's link. No kernel protocol: the speaker never touches the MUX host's own routes.
 * IPv4 VIPs only (the session is IPv4); IPv6 VIPs are left out.
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
        sb.append("protocol static pmx_vips {\n  ipv4;\n");
        for (final IpAddress vip : routes.keySet())
        {
            if (vip.isIpv4())
            {
                sb.append("  route ").append(vip).append("/32 blackhole;\n");
            }
        }
        sb.append("}\n");
        sb.append("filter pmx_export {\n  if proto != \"pmx_vips\" then reject;\n");
        for (final Map.Entry<IpAddress, Optional<IpAddress>> e : routes.entrySet())
        {
            if (e.getKey().isIpv4() && e.getValue().isPresent() && e.getValue().get().isIpv4())
            {
                sb.append("  if net = ").append(e.getKey()).append("/32 then bgp_next_hop = ").append(e.getValue().get()).append(";\n");
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
            sb.append("  ipv4 { import none; export filter pmx_export; };\n");
            sb.append("}\n");
        }
        return sb.toString();
    }
}
