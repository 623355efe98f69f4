package io.panamux.slowpath.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * The {@code router.bgp} section: how a MUX's BGP speaker (BIRD 2, started and driven by the MUX:
 * {@code io.panamux.slowpath.bgp.BirdRouterControl}) talks to the routers in front of the pool. Without
 * it the MUX tells no router anything (it only logs what it would say).
 * <pre>
 * router:
 *   bgp:
 *     local-as: 65000                   # required: the MUX's AS (iBGP when equal to the router's)
 *     router-id: 198.18.11.2            # default: mux.address
 *     neighbors: [ { address: 198.18.11.1, as: 65000 } ]   # required, at least one
 *     hold-seconds: 3                   # default 9; keepalives every third of it
 *     run-directory: /run/panamux/mux-a # required: the speaker's configuration, control socket and log
 *     bird: /usr/sbin/bird              # default
 *     birdc: /usr/sbin/birdc            # default
 *     next-hop6: "2001:db8:11::2"       # default: BIRD's IPv6 address on the link to each neighbor
 *     bfd: { interval-ms: 100, multiplier: 3 }   # default none: BFD with every neighbor
 * </pre>
 * With {@code bfd}, the speaker runs single-hop BFD (RFC 5880, 5881) with each neighbor (on its link), and a
 * router that runs it too drops this MUX as soon as {@code multiplier} packets in a row are missing
 * ({@code interval-ms} apart),
 * instead of after the hold time: 300 ms with the values above, against nine seconds.
 * IPv4 and IPv6 VIPs go over the same sessions (an {@code ipv6} channel beside the {@code ipv4} one;
 * {@code io.panamux.slowpath.bgp.BirdConfig} says why).
 *
 * @param localAs      the MUX's AS number.
 * @param routerId     the speaker's router id (an IPv4 address, usually the MUX's).
 * @param neighbors    the routers to peer with.
 * @param holdSeconds  BGP hold time: a router that hears nothing for this long withdraws the MUX.
 * @param runDirectory where the speaker's configuration file and control socket go.
 * @param bird         the BIRD daemon's path.
 * @param birdc        BIRD's control client's path.
 * @param nextHop6     the IPv6 next hop of this MUX's IPv6 routes, or null: BIRD then takes its global IPv6
 *                     address on the interface facing each neighbor.
 * @param bfd          BFD with every neighbor, or null for none.
 */
public record BgpSettings(long localAs, IpAddress routerId, List<Neighbor> neighbors, int holdSeconds, Path runDirectory, String bird,
    String birdc, IpAddress nextHop6, Bfd bfd)
{
    /** Debian's path of the daemon. */
    public static final String DEFAULT_BIRD = "/usr/sbin/bird";
    /** Debian's path of the client. */
    public static final String DEFAULT_BIRDC = "/usr/sbin/birdc";
    /** Shortest hold time BGP allows (RFC 4271: 0 or at least 3); 0 (no hold timer) is not offered. */
    public static final int MIN_HOLD_SECONDS = 3;
    /** Longest hold time (a 16-bit field). */
    public static final int MAX_HOLD_SECONDS = 65535;
    /** Default hold time: a router notices a MUX that went silent within nine seconds. */
    public static final int DEFAULT_HOLD_SECONDS = 9;
    /** Largest AS number (four-octet AS numbers, RFC 6793). */
    public static final long MAX_AS = 0xFFFF_FFFFL;
    /** The speaker's control socket, in the run directory. */
    public static final String SOCKET_NAME = "bird.ctl";
    /** Longest path of a Unix socket ({@code sun_path} less its terminating NUL). */
    public static final int MAX_SOCKET_PATH = 107;

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
        if (localAs < 1 || localAs > MAX_AS)
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
        if (holdSeconds < MIN_HOLD_SECONDS || holdSeconds > MAX_HOLD_SECONDS)
        {
            throw new IllegalArgumentException("hold time " + holdSeconds + " s is not between 3 and 65535");
        }
        if (nextHop6 != null && nextHop6.isIpv4())
        {
            throw new IllegalArgumentException("the IPv6 next hop is an IPv6 address, not " + nextHop6);
        }
    }

    /**
     * Settings whose IPv6 routes take BIRD's own IPv6 address towards each neighbor as next hop.
     *
     * @throws IllegalArgumentException when a value is out of range.
     */
    public BgpSettings(final long localAs, final IpAddress routerId, final List<Neighbor> neighbors, final int holdSeconds,
        final Path runDirectory, final String bird, final String birdc)
    {
        this(localAs, routerId, neighbors, holdSeconds, runDirectory, bird, birdc, null, null);
    }

    /**
     * Settings without BFD.
     *
     * @throws IllegalArgumentException when a value is out of range.
     */
    public BgpSettings(final long localAs, final IpAddress routerId, final List<Neighbor> neighbors, final int holdSeconds,
        final Path runDirectory, final String bird, final String birdc, final IpAddress nextHop6)
    {
        this(localAs, routerId, neighbors, holdSeconds, runDirectory, bird, birdc, nextHop6, null);
    }

    /**
     * BFD (RFC 5880) between the speaker and each neighbor: packets every {@code intervalMs} both ways, the
     * session (and with it the BGP session and every route of this MUX) down after {@code multiplier} missed.
     *
     * @param intervalMs the desired transmit and required receive interval, milliseconds.
     * @param multiplier how many intervals without a packet mean the neighbor is gone.
     */
    public record Bfd(int intervalMs, int multiplier)
    {
        /** Default {@code interval-ms}. */
        public static final int DEFAULT_INTERVAL_MS = 100;
        /** Default {@code multiplier}: down after 300 ms with the default interval. */
        public static final int DEFAULT_MULTIPLIER = 3;
        /** Shortest {@code interval-ms}: BIRD's timers are not finer than this in practice. */
        public static final int MIN_INTERVAL_MS = 10;
        /** Longest {@code interval-ms}. */
        public static final int MAX_INTERVAL_MS = 60_000;
        /** Largest {@code multiplier} (an 8-bit field). */
        public static final int MAX_MULTIPLIER = 255;

        /**
         * @throws IllegalArgumentException when a value is out of range.
         */
        public Bfd
        {
            if (intervalMs < MIN_INTERVAL_MS || intervalMs > MAX_INTERVAL_MS)
            {
                throw new IllegalArgumentException("BFD interval " + intervalMs + " ms is not between " + MIN_INTERVAL_MS + " and " +
                    MAX_INTERVAL_MS);
            }
            if (multiplier < 1 || multiplier > MAX_MULTIPLIER)
            {
                throw new IllegalArgumentException("BFD multiplier " + multiplier + " is not between 1 and " + MAX_MULTIPLIER);
            }
        }

        /** @return how long the neighbor takes to notice this speaker is gone, milliseconds. */
        public int detectionMs()
        {
            return intervalMs * multiplier;
        }
    }

    /** @return the speaker's control socket. */
    public Path socket()
    {
        return runDirectory.resolve(SOCKET_NAME);
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
            if (as < 1 || as > MAX_AS)
            {
                throw new IllegalArgumentException("neighbor AS " + as + " is not between 1 and 4294967295");
            }
        }
    }
}
