package io.panamux.hostagent;

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
        vips = List.copyOf(vips);
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
