package io.panamux.perf.traffic;

import java.util.List;

/**
 * What the traffic generator sends: client flows to a set of VIP targets, how often a flow is replaced by
 * a new connection, the frame sizes, and a rate limit.
 *
 * @param targets      the VIPs (address, port, protocol) flows go to, round robin by flow.
 * @param flows        concurrent client flows.
 * @param newFlowRatio probability that a packet opens a new connection (a SYN on a new 5-tuple) instead
 *                     of continuing its flow: 0 for long-lived flows, 1 for a SYN flood shape.
 * @param frameSizes   frame sizes (bytes without FCS) cycled through per packet: an "IMIX" is several.
 *                     Each is raised to the minimum of its target's headers plus the trailer.
 * @param ratePps      packets per second, or 0 for as fast as possible.
 * @param burst        packets per TX burst.
 * @param dstMac       destination MAC of the frames (the MUX port's).
 * @param srcMac       source MAC of the frames (the "router").
 * @param seed         seed of the generator's choices, so a run can be repeated.
 */
public record TrafficProfile(List<Target> targets, int flows, double newFlowRatio, int[] frameSizes, long ratePps, int burst,
    long dstMac, long srcMac, long seed)
{
    /**
     * One VIP the generator sends to.
     *
     * @param v6       IPv6 VIP.
     * @param v4       IPv4 address (big-endian int).
     * @param v6Hi     IPv6 address, high 64 bits.
     * @param v6Lo     IPv6 address, low 64 bits.
     * @param port     destination port.
     * @param protocol 6 or 17.
     */
    public record Target(boolean v6, int v4, long v6Hi, long v6Lo, int port, int protocol)
    {
    }
}
