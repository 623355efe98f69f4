package io.panamux.slowpath.bgp;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

import io.panamux.slowpath.config.IpAddress;

/**
 * How a MUX's BGP speaker (BIRD 2) talks to the routers in front of the pool.
 *
 * <p>Proposed configuration section (the MUX's file), for the wiring into {@code ./panamux run}:
 * <pre>
 * router:
 *   bgp:
 *     local-as: 65000                   # the MUX's AS (iBGP when equal to the router's)
 *     router-id: 198.18.11.2            # default: mux.address
 *     neighbors: [ { address: 198.18.11.1, as: 65000 } ]
 *     hold-seconds: 3                   # keepalives every third of it
 *     run-directory: /run/panamux/mux-a # the speaker's configuration and control socket
 *     bird: /usr/sbin/bird              # default
 *     birdc: /usr/sbin/birdc            # default
 * </pre>
 *
 * @param localAs      the MUX's AS number.
 * @param routerId     the speaker's router id (an IPv4 address, usually the MUX's).
 * @param neighbors    the routers to peer with.
 * @param holdSeconds  BGP hold time: a router that hears nothing for this long withdraws the MUX.
 * @param runDirectory where the speaker's configuration file and control socket go.
 * @param bird         the BIRD daemon's path.
 * @param birdc        BIRD's control client's path.
 */
public record BgpSettings(long localAs, IpAddress routerId, List<Neighbor> neighbors, int holdSeconds, Path runDirectory, String bird,
    String birdc)
{
    /** Debian's path of the daemon. */
    public static final String DEFAULT_BIRD = "/usr/sbin/bird";
    /** Debian's path of the client. */
    public static final String DEFAULT_BIRDC = "/usr/sbin/birdc";
    /** Shortest hold time BGP allows (RFC 4271: 0 or at least 3). */
    public static final int MIN_HOLD_SECONDS = 3;

    /**
     * @throws IllegalArgumentException when a value is out of range.
     */
    public BgpSettings
    {
        Objects.requireNonNull(routerId, "routerId");
        Objects.requireNonNull(runDirectory, "runDirectory");
        Objects.requireNonNull(bird, "bird");
        Objects.requireNonNull(birdc, "birdc");
        neighbors = List.copyOf(neighbors);
        if (localAs < 1 || localAs > 0xFFFF_FFFFL)
        {
            throw new IllegalArgumentException("local AS " + localAs + " is not between 1 and 4294967295");
        }
        if (!routerId.isIpv4())
        {
            throw new IllegalArgumentException("the router id is an IPv4 address, not " + routerId);
        }
        if (neighbors.isEmpty())
        {
            throw new IllegalArgumentException("at least one BGP neighbor is needed");
        }
        if (holdSeconds < MIN_HOLD_SECONDS || holdSeconds > 65535)
        {
            throw new IllegalArgumentException("hold time " + holdSeconds + " s is not between 3 and 65535");
        }
    }

    /**
     * One router the speaker peers with.
     *
     * @param address the router's address on the MUX's link.
     * @param as      the router's AS number.
     */
    public record Neighbor(IpAddress address, long as)
    {
        /**
         * @throws IllegalArgumentException when the AS is out of range.
         */
        public Neighbor
        {
            Objects.requireNonNull(address, "address");
            if (as < 1 || as > 0xFFFF_FFFFL)
            {
                throw new IllegalArgumentException("neighbor AS " + as + " is not between 1 and 4294967295");
            }
        }
    }
}
