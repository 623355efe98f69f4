package io.panamux.hostagent;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;

/**
 * The host agent's configuration, as loaded by {@link HostAgentConfigLoader}. Immutable.
 *
 * @param name               the agent's name (logs and counters).
 * @param address            this host's IPv4 address (big-endian int): the outer destination of tunnels to it
 *                           and the outer source of what it encapsulates or sends itself.
 * @param eal                DPDK EAL arguments.
 * @param networkDevice      the virtual device facing the network, as {@code name,args}
 *                           (e.g. {@code net_af_packet0,iface=eth0}).
 * @param hostDevice         the virtual device facing this host's kernel (e.g. {@code net_tap0,iface=pmx0,mac=...}).
 * @param gatewayMac         the next hop's MAC on the network side, for frames the agent builds itself.
 * @param mtu                IP MTU of the network side: the largest outer packet.
 * @param burstSize          packets per RX burst.
 * @param guePort            UDP port of GUE tunnels (decapsulated when addressed to this host), and the one its
 *                           selected GUE VIPs are sent to (every selected VIP's {@code Vip.guePort()}).
 * @param hashSeed           the pool-wide flow hash seed (source-side selection picks what the MUX would).
 * @param maglevTableSize    the MUX pool's Maglev table size (a prime), for the same reason.
 * @param flowCapacity       entries of each flow table (source selection, redirects, redirects offered).
 * @param idleTimeoutSeconds a source-selected flow idle this long is forgotten.
 * @param pool               the MUX pool this host works with: who may tunnel to it, which VIPs it serves.
 * @param backs              the VIPs this host is a backend of: only their flows are offered redirects.
 * @param fastpath           the Fastpath settings; empty: no redirects offered or accepted.
 * @param vips               VIPs this agent selects backends for itself, in the egress path.
 * @param address6           this host's IPv6 address, or null: the outer destination of IPv6 tunnels to it, the
 *                           outer source of what it encapsulates over IPv6 and of its IPv6 Fastpath messages.
 * @param answerNeighbours   whether the agent answers ARP requests for {@code address} and neighbour
 *                           solicitations for {@code address6} itself (from the host port's MAC), rather than
 *                           leaving them to the kernel behind the host port.
 * @param poolGuePorts       the GUE ports the pool's MUXes send its VIPs to (with a store: the document's VIPs'
 *                           effective {@code gue-port}s), decapsulated besides {@code guePort}; empty without a store.
 */
public record HostAgentConfig(
    String name,
    int address,
    List<String> eal,
    String networkDevice,
    String hostDevice,
    long gatewayMac,
    int mtu,
    int burstSize,
    int guePort,
    long hashSeed,
    int maglevTableSize,
    int flowCapacity,
    int idleTimeoutSeconds,
    Pool pool,
    List<ServedVip> backs,
    Optional<Fastpath> fastpath,
    List<SourceVip> vips,
    Ip6 address6,
    boolean answerNeighbours,
    List<Integer> poolGuePorts)
{
    /** Default UDP port of Fastpath messages. */
    public static final int DEFAULT_FASTPATH_PORT = 6081;
    /** The MUX's default hash seed ({@code mux.hash-seed}). */
    public static final long DEFAULT_HASH_SEED = 0x5eedL;

    /**
     * Copies the lists.
     */
    public HostAgentConfig
    {
        eal = List.copyOf(eal);
        backs = List.copyOf(backs);
        vips = List.copyOf(vips);
        poolGuePorts = List.copyOf(poolGuePorts);
    }

    /**
     * An IPv4-only configuration whose agent answers ARP itself.
     */
    public HostAgentConfig(final String name, final int address, final List<String> eal, final String networkDevice, final String hostDevice,
        final long gatewayMac, final int mtu, final int burstSize, final int guePort, final long hashSeed, final int maglevTableSize,
        final int flowCapacity, final int idleTimeoutSeconds, final Pool pool, final List<ServedVip> backs, final Optional<Fastpath> fastpath,
        final List<SourceVip> vips)
    {
        this(name, address, eal, networkDevice, hostDevice, gatewayMac, mtu, burstSize, guePort, hashSeed, maglevTableSize, flowCapacity,
            idleTimeoutSeconds, pool, backs, fastpath, vips, null, true, List.of());
    }

    /** @return the UDP ports this agent opens GUE on: {@link #guePort} and {@link #poolGuePorts}, without duplicates. */
    public int[] decapsulatedGuePorts()
    {
        return IntStream.concat(IntStream.of(guePort), poolGuePorts.stream().mapToInt(Integer::intValue)).distinct().toArray();
    }

    /**
     * Every VIP the pool serves as far as this agent knows: {@link Pool#vips} and the VIPs it selects for.
     *
     * @return the VIPs, without duplicates, in file order.
     */
    public List<ServedVip> servedVips()
    {
        final LinkedHashSet<ServedVip> all = new LinkedHashSet<>(pool.vips());
        for (final SourceVip v : vips)
        {
            all.add(new ServedVip(v.address(), v.port(), v.protocol(), v.address6()));
        }
        return List.copyOf(all);
    }

    /**
     * The MUX pool as this agent must know it to tell its traffic from an outsider's (the threat model in
     * {@code hostagent/README.md}).
     *
     * @param muxes  every MUX's address ({@code mux.address}): the outer source of the pool's tunnels. A tunnel
     *               from one of them may be offered a redirect.
     * @param agents prefixes of hosts whose agents may tunnel to this host directly (source-side selection,
     *               Fastpath); the {@code fastpath.offer-to} prefixes are accepted too. Tunnels from anyone else
     *               are refused.
     * @param vips   the VIPs the pool serves: a redirect is accepted only for a flow to one of them.
     * @param muxes6 every MUX's IPv6 address ({@code mux.address6}): the outer source of the pool's IPv6 tunnels.
     * @param agents6 IPv6 prefixes of hosts whose agents may tunnel to this host directly.
     */
    public record Pool(List<Integer> muxes, List<Prefix> agents, List<ServedVip> vips, List<Ip6> muxes6, List<Prefix6> agents6)
    {
        /**
         * Copies the lists.
         */
        public Pool
        {
            muxes = List.copyOf(muxes);
            agents = List.copyOf(agents);
            vips = List.copyOf(vips);
            muxes6 = List.copyOf(muxes6);
            agents6 = List.copyOf(agents6);
        }

        /** An IPv4-only pool. */
        public Pool(final List<Integer> muxes, final List<Prefix> agents, final List<ServedVip> vips)
        {
            this(muxes, agents, vips, List.of(), List.of());
        }
    }

    /**
     * A VIP named by address, port and protocol, as the MUX writes it ({@code 192.0.2.10:80/tcp}).
     *
     * @param address  IPv4 address (0 for an IPv6 VIP).
     * @param port     TCP/UDP port.
     * @param protocol 6 or 17.
     * @param address6 IPv6 address, or null for an IPv4 VIP.
     */
    public record ServedVip(int address, int port, int protocol, Ip6 address6)
    {
        /** An IPv4 VIP. */
        public ServedVip(final int address, final int port, final int protocol)
        {
            this(address, port, protocol, null);
        }

        /** @return whether this is an IPv6 VIP. */
        public boolean v6()
        {
            return address6 != null;
        }

        /**
         * @param text {@code ADDRESS:PORT/tcp} or {@code ADDRESS:PORT/udp}; an IPv6 address in brackets
         *             ({@code [2001:db8:f::10]:80/tcp}).
         * @return the VIP.
         * @throws IllegalArgumentException saying what is wrong.
         */
        public static ServedVip parse(final String text)
        {
            final int colon = text.lastIndexOf(':');
            final int slash = text.lastIndexOf('/');
            if (colon < 0 || slash < colon)
            {
                throw new IllegalArgumentException("'" + text + "' is not a VIP like 192.0.2.10:80/tcp or [2001:db8::10]:80/tcp");
            }
            final String host = text.substring(0, colon);
            final boolean v6 = host.startsWith("[");
            if (v6 && !host.endsWith("]") || !v6 && Ip6.looksLikeV6(host))
            {
                throw new IllegalArgumentException("'" + text + "': an IPv6 VIP is written in brackets, like [2001:db8::10]:80/tcp");
            }
            final int address = v6 ? 0 : Prefix.parseAddress(host);
            final Ip6 address6 = v6 ? Ip6.parse(host) : null;
            final int port;
            try
            {
                port = Integer.parseInt(text.substring(colon + 1, slash));
            }
            catch (final NumberFormatException e)
            {
                throw new IllegalArgumentException("'" + text + "' is not a VIP like 192.0.2.10:80/tcp");
            }
            if (port < 1 || port > 65535)
            {
                throw new IllegalArgumentException("'" + text + "': the port must be between 1 and 65535");
            }
            final int protocol = switch (text.substring(slash + 1))
            {
                case "tcp" -> 6;
                case "udp" -> 17;
                default -> throw new IllegalArgumentException("'" + text + "': the protocol must be tcp or udp");
            };
            return new ServedVip(address, port, protocol, address6);
        }

        /** @return the key {@link #key(int, int, int)} gives this VIP (IPv4 only). */
        public long key()
        {
            return key(address, port, protocol);
        }

        /**
         * One long per VIP, for allocation-free sets on the hot path.
         *
         * @return {@code address << 24 | port << 8 | protocol}.
         */
        public static long key(final int address, final int port, final int protocol)
        {
            return ((address & 0xFFFF_FFFFL) << 24) | ((long)port << 8) | protocol;
        }

        @Override
        public String toString()
        {
            return (v6() ? "[" + address6 + "]" : Prefix.format(address)) + ":" + port + "/" + (protocol == 6 ? "tcp" : "udp");
        }
    }

    /**
     * Fastpath (load-balancer bypass) settings: the same key on every host agent.
     *
     * @param key            HMAC-SHA256 key of redirect messages (at least 16 bytes).
     * @param port           UDP port redirect messages are sent to and from.
     * @param offerTo        prefixes of hosts that run an agent: flows from them that arrive through a MUX are
     *                       redirected (empty: this agent offers no redirects).
     * @param accept         whether this agent accepts redirects for its own flows.
     * @param leaseSeconds   a redirected flow idle this long goes back to the VIP (the MUX).
     * @param maxAgeMillis   redirects issued longer ago than this (or this far in the future) are refused.
     * @param resendMillis   a flow still arriving through a MUX this long after its redirect is offered again.
     * @param offerTo6       IPv6 prefixes of hosts that run an agent (their IPv6 flows are redirected).
     */
    public record Fastpath(byte[] key, int port, List<Prefix> offerTo, boolean accept, int leaseSeconds, int maxAgeMillis,
        int resendMillis, List<Prefix6> offerTo6)
    {
        /**
         * Copies the key and the lists.
         */
        public Fastpath
        {
            key = key.clone();
            offerTo = List.copyOf(offerTo);
            offerTo6 = List.copyOf(offerTo6);
        }

        /** IPv4 prefixes only. */
        public Fastpath(final byte[] key, final int port, final List<Prefix> offerTo, final boolean accept, final int leaseSeconds,
            final int maxAgeMillis, final int resendMillis)
        {
            this(key, port, offerTo, accept, leaseSeconds, maxAgeMillis, resendMillis, List.of());
        }

        /** @return whether this agent offers redirects to anyone. */
        public boolean offers()
        {
            return !offerTo.isEmpty() || !offerTo6.isEmpty();
        }

        @Override
        public byte[] key()
        {
            return key.clone();
        }
    }

    /**
     * A VIP the agent selects a backend for in its egress path (ARCHITECTURE.md §1 item 6).
     *
     * @param address       IPv4 address (0 for an IPv6 VIP).
     * @param port          TCP/UDP port.
     * @param protocol      6 or 17.
     * @param encapsulation {@code TunnelEncapsulator.IPIP}, {@code GRE} or {@code GUE}.
     * @param backends      the backends with their weights.
     * @param address6      IPv6 address, or null for an IPv4 VIP.
     */
    public record SourceVip(int address, int port, int protocol, int encapsulation, List<SourceBackend> backends, Ip6 address6)
    {
        /**
         * Copies the list.
         */
        public SourceVip
        {
            backends = List.copyOf(backends);
        }

        /** An IPv4 VIP. */
        public SourceVip(final int address, final int port, final int protocol, final int encapsulation, final List<SourceBackend> backends)
        {
            this(address, port, protocol, encapsulation, backends, null);
        }

        /** @return "address:port/proto" as the MUX writes it. */
        public String key()
        {
            return new ServedVip(address, port, protocol, address6).toString();
        }
    }

    /**
     * One backend of a {@link SourceVip}.
     *
     * @param address  IPv4 address (0 for an IPv6 backend).
     * @param weight   Maglev weight (0: no new flows).
     * @param address6 IPv6 address, or null for an IPv4 backend.
     */
    public record SourceBackend(int address, int weight, Ip6 address6)
    {
        /** An IPv4 backend. */
        public SourceBackend(final int address, final int weight)
        {
            this(address, weight, null);
        }

        /** @return the backend as the MUX writes it. */
        @Override
        public String toString()
        {
            return address6 != null ? address6.toString() : Prefix.format(address);
        }
    }
}
