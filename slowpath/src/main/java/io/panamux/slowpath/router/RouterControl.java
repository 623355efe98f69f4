package io.panamux.slowpath.router;

import io.panamux.slowpath.config.IpAddress;

/**
 * What the MUX tells the router in front of its pool (ARCHITECTURE.md §1 items 1 and 4). A VIP is named by
 * its key ({@code 192.0.2.10:80/tcp}) and its address: a router that can steer by port (BGP flowspec) may
 * use the key, one that routes prefixes only routes the address.
 *
 * <p>Called on the control thread only, in the order the MUX decides; an implementation must not block
 * it for long (queue the work if talking to the router may stall). The MUX never depends on the router
 * obeying: a VIP routed {@link #routeDirect directly} to its backend is still forwarded correctly by the
 * MUX if its packets keep arriving.
 *
 * <p>The BGP implementation is {@code io.panamux.slowpath.bgp.BirdRouterControl}, used when the
 * configuration has a {@code router.bgp} section; {@link InProcessRouterControl} records (and logs) the
 * instructions, with or without it. The MUX gives them through its data-path watchdog
 * ({@code io.panamux.slowpath.control.DataPathWatchdog}), which holds them back while the workers are not
 * forwarding.
 */
public interface RouterControl
{
    /** Advertises the VIP with this MUX as a next hop (ECMP over the pool). */
    void announce(String vipKey, IpAddress vip);

    /** Withdraws the VIP from this MUX, and any direct route the MUX asked for it. */
    void withdraw(String vipKey, IpAddress vip);

    /**
     * Asks the router to send the VIP's traffic straight to {@code backend}, bypassing the MUX pool (the
     * VIP has a single backend).
     */
    void routeDirect(String vipKey, IpAddress vip, IpAddress backend);

    /** Undoes {@link #routeDirect}: the VIP's traffic goes to the MUX pool again. */
    void routeToPool(String vipKey, IpAddress vip);
}
