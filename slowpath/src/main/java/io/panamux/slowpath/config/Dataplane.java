package io.panamux.slowpath.config;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * The {@code dataplane:} section: DPDK, the port, the workers and the sizes of the fast path's tables.
 *
 * @param eal             DPDK EAL arguments, without the program name.
 * @param port            the DPDK port id facing the router, {@code 0..}{@link #MAX_PORT_ID}.
 * @param workers         fast-path threads, one per RX queue, {@code 1..}{@link #MAX_WORKERS} (default
 *                        {@link #DEFAULT_WORKERS}).
 * @param gatewayMac      the next hop for encapsulated packets, empty to resolve it by ARP: the six octets
 *                        in the low 48 bits, the first octet written in bits 47..40 (so
 *                        {@code 02:00:00:00:00:fe} is {@code 0x0200_0000_00feL}).
 * @param flowTable       the flow-table sizes (default {@link FlowTableConfig#defaults()}).
 * @param maglevTableSize entries of each VIP's Maglev table: a prime, at least the number of backends of
 *                        every VIP (default {@link #DEFAULT_MAGLEV_TABLE_SIZE}).
 * @param mtu             the port MTU used to decide "fragmentation needed", empty to use the port's own,
 *                        {@link #MIN_MTU}{@code ..}{@link #MAX_MTU}.
 * @param burstSize       packets per RX/TX burst, {@code 1..}{@link #MAX_BURST_SIZE} (default
 *                        {@link #DEFAULT_BURST_SIZE}).
 * @param guePort         the UDP destination port of GUE packets for VIPs that set none themselves (default
 *                        {@link #DEFAULT_GUE_PORT}); with a store the pool document's {@code pool.gue-port} is.
 * @param gateway         the IPv4 address of the next hop, whose MAC the MUX resolves by ARP (and refreshes)
 *                        when {@code gatewayMac} is empty; required then.
 */
public record Dataplane(
    List<String> eal,
    int port,
    int workers,
    OptionalLong gatewayMac,
    FlowTableConfig flowTable,
    int maglevTableSize,
    OptionalInt mtu,
    int burstSize,
    int guePort,
    Optional<IpAddress> gateway)
{
    /** The largest port id: Debian's DPDK 22.11 is built with {@code RTE_MAX_ETHPORTS} 32. */
    public static final int MAX_PORT_ID = 31;
    /** One worker: runs on every device and every machine with two CPUs. */
    public static final int DEFAULT_WORKERS = 1;
    /** The most workers: {@code RTE_MAX_LCORE} is 128 and the EAL's main lcore takes one. */
    public static final int MAX_WORKERS = 127;
    /**
     * The largest Maglev table: a Java array's length (HotSpot refuses arrays within a few entries of
     * {@code Integer.MAX_VALUE}; the JDK's own limit, {@code ArraysSupport.SOFT_MAX_ARRAY_LENGTH}).
     */
    public static final int MAX_MAGLEV_TABLE_SIZE = Integer.MAX_VALUE - 8;
    /** Maglev's own choice: a prime well above the backend count of common VIPs. */
    public static final int DEFAULT_MAGLEV_TABLE_SIZE = 65537;
    /** The burst of DPDK's examples ({@code MAX_PKT_BURST} in l3fwd). */
    public static final int DEFAULT_BURST_SIZE = 32;
    /**
     * Half the RX/TX descriptors the MUX gives each queue (1024): a worker's full TX buffer must fit in the
     * ring beside the burst still in flight, or every full burst loses its tail as {@code tx_full}; the
     * packet pool holds four bursts per worker. (DPDK's counts are {@code uint16_t}, and 65535 was accepted
     * once: a pool of 266,000 mbufs per worker.) The host agent's limit too.
     */
    public static final int MAX_BURST_SIZE = 512;
    /** The UDP port conventionally used for GUE (Linux {@code fou}/{@code gue} examples). */
    public static final int DEFAULT_GUE_PORT = 6080;
    /** The smallest MTU an IPv4 link may have (RFC 791). */
    public static final int MIN_MTU = 68;
    /** The largest IPv4 packet. */
    public static final int MAX_MTU = 65535;

    /**
     * Copies {@code eal}; rejects nulls.
     */
    public Dataplane
    {
        eal = List.copyOf(eal);
        Objects.requireNonNull(gatewayMac, "gatewayMac");
        Objects.requireNonNull(flowTable, "flowTable");
        Objects.requireNonNull(mtu, "mtu");
        Objects.requireNonNull(gateway, "gateway");
    }
}
