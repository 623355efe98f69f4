package io.panamux.hostagent;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;

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
 * @param guePort            UDP port of GUE tunnels (decapsulated when addressed to this host).
 * @param hashSeed           the pool-wide flow hash seed (source-side selection picks what the MUX would).
 * @param maglevTableSize    the MUX pool's Maglev table size (a prime), for the same reason.
 * @param flowCapacity       entries of each flow table (source selection, redirects, redirects offered).
 * @param idleTimeoutSeconds a source-selected flow idle this long is forgotten.
 * @param pool               the MUX pool this host works with: who may tunnel to it, which VIPs it serves.
 * @param backs              the VIPs this host is a backend of: only their flows are offered redirects.
 * @param fastpath           the Fastpath settings; empty: no redirects offered or accepted.
 * @param vips               VIPs this agent selects backends for itself, in the egress path.
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
    List<SourceVip> vips)
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
            all.add(new ServedVip(v.address(), v.port(), v.protocol()));
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
     */
    public record Pool(List<Integer> muxes, List<Prefix> agents, List<ServedVip> vips)
    {
        /**
         * Copies the lists.
         */
        public Pool
        {
            muxes = List.copyOf(muxes);
            agents = List.copyOf(agents);
            vips = List.copyOf(vips);
        }
    }

    /**
     * A VIP named by address, port and protocol, as the MUX writes it ({@code 192.0.2.10:80/tcp}).
     *
     * @param address  IPv4 address.
     * @param port     TCP/UDP port.
     * @param protocol 6 or 17.
     */
    public record ServedVip(int address, int port, int protocol)
    {
        /**
         * @param text {@code ADDRESS:PORT/tcp} or {@code ADDRESS:PORT/udp}.
         * @return the VIP.
         * @throws IllegalArgumentException saying what is wrong.
         */
        public static ServedVip parse(final String text)
        {
            final int colon = text.lastIndexOf(':');
            final int slash = text.lastIndexOf('/');
            if (colon < 0 || slash < colon)
            {
                throw new IllegalArgumentException("'" + text + "' is not a VIP like 192.0.2.10:80/tcp");
            }
            final int address = Prefix.parseAddress(text.substring(0, colon));
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
            return new ServedVip(address, port, protocol);
        }

        /** @return the key {@link #key(int, int, int)} gives this VIP. */
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
            return Prefix.format(address) + ":" + port + "/" + (protocol == 6 ? "tcp" : "udp");
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
     */
    public record Fastpath(byte[] key, int port, List<Prefix> offerTo, boolean accept, int leaseSeconds, int maxAgeMillis,
        int resendMillis)
    {
        /**
         * Copies the key and the list.
         */
        public Fastpath
        {
            key = key.clone();
            offerTo = List.copyOf(offerTo);
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
     * @param address       IPv4 address.
     * @param port          TCP/UDP port.
     * @param protocol      6 or 17.
     * @param encapsulation {@code TunnelEncapsulator.IPIP}, {@code GRE} or {@code GUE}.
     * @param backends      the backends with their weights.
     */
    public record SourceVip(int address, int port, int protocol, int encapsulation, List<SourceBackend> backends)
    {
        /**
         * Copies the list.
         */
        public SourceVip
        {
            backends = List.copyOf(backends);
        }

        /** @return "address:port/proto" as the MUX writes it. */
        public String key()
        {
            return Prefix.format(address) + ":" + port + "/" + (protocol == 6 ? "tcp" : "udp");
        }
    }

    /**
     * One backend of a {@link SourceVip}.
     *
     * @param address IPv4 address.
     * @param weight  Maglev weight (0: no new flows).
     */
    public record SourceBackend(int address, int weight)
    {
    }
}
