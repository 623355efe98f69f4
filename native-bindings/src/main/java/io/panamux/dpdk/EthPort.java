package io.panamux.dpdk;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Set;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * One DPDK ethdev port: configuration, queues, start/stop/close, MAC address, MTU, link and counters.
 * Control-plane calls only; the per-burst calls are in {@link Burst}.
 */
@SuppressWarnings("restricted") // binding native code is this module's purpose
public final class EthPort
{
    private static final MethodHandle COUNT_AVAIL = Dpdk.downcall("rte_eth_dev_count_avail", FunctionDescriptor.of(JAVA_SHORT));
    private static final MethodHandle PORT_BY_NAME = Dpdk.downcall("rte_eth_dev_get_port_by_name",
        FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle INFO_GET = Dpdk.downcall("rte_eth_dev_info_get",
        FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, ADDRESS));
    private static final MethodHandle CONFIGURE = Dpdk.downcall("rte_eth_dev_configure",
        FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, JAVA_SHORT, JAVA_SHORT, ADDRESS));
    private static final MethodHandle ADJUST_DESC = Dpdk.downcall("rte_eth_dev_adjust_nb_rx_tx_desc",
        FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, ADDRESS, ADDRESS));
    private static final MethodHandle RXQ_SETUP = Dpdk.downcall("rte_eth_rx_queue_setup",
        FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, JAVA_SHORT, JAVA_SHORT, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle TXQ_SETUP = Dpdk.downcall("rte_eth_tx_queue_setup",
        FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, JAVA_SHORT, JAVA_SHORT, JAVA_INT, ADDRESS));
    private static final MethodHandle START = Dpdk.downcall("rte_eth_dev_start", FunctionDescriptor.of(JAVA_INT, JAVA_SHORT));
    private static final MethodHandle STOP = Dpdk.downcall("rte_eth_dev_stop", FunctionDescriptor.of(JAVA_INT, JAVA_SHORT));
    private static final MethodHandle CLOSE = Dpdk.downcall("rte_eth_dev_close", FunctionDescriptor.of(JAVA_INT, JAVA_SHORT));
    private static final MethodHandle PROMISC_ENABLE = Dpdk.downcall("rte_eth_promiscuous_enable",
        FunctionDescriptor.of(JAVA_INT, JAVA_SHORT));
    private static final MethodHandle PROMISC_DISABLE = Dpdk.downcall("rte_eth_promiscuous_disable",
        FunctionDescriptor.of(JAVA_INT, JAVA_SHORT));
    private static final MethodHandle MACADDR_GET = Dpdk.downcall("rte_eth_macaddr_get",
        FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, ADDRESS));
    private static final MethodHandle MTU_GET = Dpdk.downcall("rte_eth_dev_get_mtu",
        FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, ADDRESS));
    private static final MethodHandle MTU_SET = Dpdk.downcall("rte_eth_dev_set_mtu",
        FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, JAVA_SHORT));
    private static final MethodHandle LINK_GET = Dpdk.downcall("rte_eth_link_get_nowait",
        FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, ADDRESS));
    private static final MethodHandle STATS_GET = Dpdk.downcall("rte_eth_stats_get",
        FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, ADDRESS));
    private static final MethodHandle STATS_RESET = Dpdk.downcall("rte_eth_stats_reset",
        FunctionDescriptor.of(JAVA_INT, JAVA_SHORT));

    /** What a device supports, from {@code rte_eth_dev_info_get}. */
    public record DeviceInfo(String driverName, int minMtu, int maxMtu, int maxRxQueues, int maxTxQueues,
        long rssOffloads, long rxOffloadCapabilities, long txOffloadCapabilities)
    {
        /** @return true when the device can spread packets over RX queues by RSS. */
        public boolean supportsRss()
        {
            return rssOffloads != 0;
        }
    }

    /** Link state, from {@code rte_eth_link_get_nowait}. */
    public record Link(boolean up, long speedMbps, boolean fullDuplex)
    {
    }

    /** Port counters, from {@code rte_eth_stats_get}. */
    public record Stats(long rxPackets, long txPackets, long rxBytes, long txBytes, long rxMissed, long rxErrors,
        long txErrors, long rxNoMbuf)
    {
    }

    /** How a port ended up configured. */
    public record Configuration(int rxQueues, int txQueues, boolean rss, String note)
    {
    }

    /**
     * Drivers that must have as many TX as RX queues although their info allows more TX queues:
     * <ul>
     *   <li>net_tap: its configure refuses different counts (DPDK 22.11 {@code tap_dev_configure}, "number of
     *       rx queues must be equal to number of tx queues");</li>
     *   <li>net_memif: configure accepts them, but each queue is a ring shared with the peer process, and peers
     *       (testpmd, VPP, pktgen) have one queue pair per ring. As client, the MUX's one TX queue more is a
     *       ring the server refuses ("Invalid ring index") and the link never comes up; as server, that queue
     *       has no ring of the client's behind it, and sending on it reads ring 0 of the shared region.</li>
     * </ul>
     * Others that refuse are found by trying: see {@link #configureForWorkers}.
     */
    private static final Set<String> EQUAL_QUEUE_COUNTS = Set.of("net_tap", "net_memif");

    private final int portId;

    /** @param portId the DPDK port id. */
    public EthPort(final int portId)
    {
        this.portId = portId;
    }

    /** @return the DPDK port id. */
    public int id()
    {
        return portId;
    }

    /** @return the number of ports DPDK has. */
    public static int count()
    {
        try
        {
            return (short)COUNT_AVAIL.invokeExact() & 0xFFFF;
        }
        catch (final Throwable t)
        {
            throw Dpdk.rethrow(t);
        }
    }

    /** @return the port of the device called {@code name} (e.g. {@code net_ring0}). */
    public static EthPort byName(final String name)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment id = arena.allocate(JAVA_SHORT);
            DpdkException.check((int)PORT_BY_NAME.invokeExact(arena.allocateFrom(name), id),
                "rte_eth_dev_get_port_by_name(" + name + ")");
            return new EthPort(id.get(JAVA_SHORT, 0) & 0xFFFF);
        }
        catch (final Throwable t)
        {
            throw Dpdk.rethrow(t);
        }
    }

    /** @return what the device supports. */
    public DeviceInfo info()
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment info = arena.allocate(EthDevInfoDescriptor.SIZEOF, 8);
            DpdkException.check((int)INFO_GET.invokeExact((short)portId, info), "rte_eth_dev_info_get(port " + portId + ")");
            final MemorySegment namePtr = info.get(ADDRESS, EthDevInfoDescriptor.DRIVER_NAME_OFFSET);
            final String driver = namePtr.equals(MemorySegment.NULL) ? "?" : namePtr.reinterpret(256).getString(0);
            return new DeviceInfo(driver,
                info.get(JAVA_SHORT, EthDevInfoDescriptor.MIN_MTU_OFFSET) & 0xFFFF,
                info.get(JAVA_SHORT, EthDevInfoDescriptor.MAX_MTU_OFFSET) & 0xFFFF,
                info.get(JAVA_SHORT, EthDevInfoDescriptor.MAX_RX_QUEUES_OFFSET) & 0xFFFF,
                info.get(JAVA_SHORT, EthDevInfoDescriptor.MAX_TX_QUEUES_OFFSET) & 0xFFFF,
                info.get(JAVA_LONG, EthDevInfoDescriptor.FLOW_TYPE_RSS_OFFLOADS_OFFSET),
                info.get(JAVA_LONG, EthDevInfoDescriptor.RX_OFFLOAD_CAPA_OFFSET),
                info.get(JAVA_LONG, EthDevInfoDescriptor.TX_OFFLOAD_CAPA_OFFSET));
        }
        catch (final Throwable t)
        {
            throw Dpdk.rethrow(t);
        }
    }

    /**
     * Configures the port with {@code rxQueues} RX and {@code txQueues} TX queues. With more than one RX
     * queue, RSS over IP/TCP/UDP is requested when the device supports it (restricted to the hash
     * functions it has); when it does not, the returned note says so: packets then reach queues
     * however the device spreads them (a ring device by its own rings, most virtual devices queue 0 only).
     *
     * @param mtu the MTU to configure, or 0 for the device default.
     */
    public Configuration configure(final int rxQueues, final int txQueues, final int mtu)
    {
        final DeviceInfo info = info();
        if (rxQueues > info.maxRxQueues() || txQueues > info.maxTxQueues())
        {
            throw new DpdkException("port " + portId + " (" + info.driverName() + ") supports at most " + info.maxRxQueues()
                + " RX and " + info.maxTxQueues() + " TX queues; asked for " + rxQueues + " and " + txQueues);
        }
        if (mtu != 0 && (mtu < info.minMtu() || mtu > info.maxMtu()))
        {
            // rte_eth_dev_configure would say only "Invalid argument".
            throw new DpdkException("port " + portId + " (" + info.driverName() + ") allows an MTU of " + info.minMtu() + ".." +
                info.maxMtu() + "; dataplane.mtu is " + mtu);
        }
        final long rssHf = info.rssOffloads() & (EthConfDescriptor.RSS_IP | EthConfDescriptor.RSS_TCP | EthConfDescriptor.RSS_UDP);
        final boolean rss = rxQueues > 1 && rssHf != 0;
        String note = "";
        if (rxQueues > 1 && !rss)
        {
            note = "device " + info.driverName() + " has no RSS: " + rxQueues
                + " RX queues are configured but the device, not the NIC hash, decides which queue gets a packet";
        }
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment conf = arena.allocate(EthConfDescriptor.SIZEOF, 8);
            conf.set(JAVA_INT, EthConfDescriptor.RXMODE_MQ_MODE_OFFSET, rss ? EthConfDescriptor.MQ_RX_RSS : EthConfDescriptor.MQ_RX_NONE);
            conf.set(JAVA_INT, EthConfDescriptor.RXMODE_MTU_OFFSET, mtu);
            if (rss)
            {
                conf.set(JAVA_LONG, EthConfDescriptor.RSS_HF_OFFSET, rssHf);
            }
            DpdkException.check((int)CONFIGURE.invokeExact((short)portId, (short)rxQueues, (short)txQueues, conf),
                "rte_eth_dev_configure(port " + portId + ", " + rxQueues + " rx, " + txQueues + " tx)");
        }
        catch (final Throwable t)
        {
            throw Dpdk.rethrow(t);
        }
        return new Configuration(rxQueues, txQueues, rss, note);
    }

    /**
     * Configures the port for {@code workers} workers, each with its own RX and TX queue, and one more TX
     * queue (number {@code workers}) for the control thread where the device allows it: it has one to spare
     * and accepts more TX than RX queues. Otherwise the counts are equal and {@link Configuration#txQueues()}
     * says so (the control thread then sends through a worker).
     *
     * @param mtu the MTU to configure, or 0 for the device default.
     * @throws DpdkException naming the device and the queues it allows when it has fewer than one RX and one
     *                       TX queue per worker, or when it refuses the configuration.
     */
    public Configuration configureForWorkers(final int workers, final int mtu)
    {
        final DeviceInfo info = info();
        if (workers > info.maxRxQueues() || workers > info.maxTxQueues())
        {
            throw new DpdkException("port " + portId + " (" + info.driverName() + ") allows at most " + info.maxRxQueues() + " RX and " +
                info.maxTxQueues() + " TX queue(s); dataplane.workers " + workers + " needs one of each per worker" +
                queueHint(info.driverName(), workers));
        }
        if (info.maxTxQueues() > workers && !EQUAL_QUEUE_COUNTS.contains(info.driverName()))
        {
            try
            {
                return configure(workers, workers + 1, mtu);
            }
            catch (final DpdkException refused)
            {
                // A device may refuse unequal counts without saying so in its info (a memif peer, a PMD not in
                // EQUAL_QUEUE_COUNTS): equal counts, below, still serve every worker.
            }
        }
        return configure(workers, workers, mtu);
    }

    private static String queueHint(final String driver, final int workers)
    {
        return switch (driver)
        {
            case "net_pcap" -> " (net_pcap has one queue per rx_pcap/rx_iface and tx_pcap/tx_iface argument: give " + workers + " of each)";
            case "net_af_packet" -> " (net_af_packet: add qpairs=" + workers + " to the vdev)";
            case "net_virtio_user" -> " (net_virtio_user: add queues=" + workers + " to the vdev)";
            case "net_vhost" -> " (net_vhost: add queues=" + workers + " to the vdev)";
            default -> "";
        };
    }

    /**
     * Sets up RX queue {@code queue} with about {@code descriptors} descriptors (adjusted to the
     * device's limits) taking mbufs from {@code pool}.
     */
    public void setupRxQueue(final int queue, final int descriptors, final PacketPool pool)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment rx = arena.allocate(JAVA_SHORT);
            final MemorySegment tx = arena.allocate(JAVA_SHORT);
            rx.set(JAVA_SHORT, 0, (short)descriptors);
            tx.set(JAVA_SHORT, 0, (short)descriptors);
            DpdkException.check((int)ADJUST_DESC.invokeExact((short)portId, rx, tx), "rte_eth_dev_adjust_nb_rx_tx_desc(port " + portId + ")");
            DpdkException.check((int)RXQ_SETUP.invokeExact((short)portId, (short)queue, rx.get(JAVA_SHORT, 0), Eal.socketId(),
                MemorySegment.NULL, pool.address()), "rte_eth_rx_queue_setup(port " + portId + ", queue " + queue + ")");
        }
        catch (final Throwable t)
        {
            throw Dpdk.rethrow(t);
        }
    }

    /** Sets up TX queue {@code queue} with about {@code descriptors} descriptors. */
    public void setupTxQueue(final int queue, final int descriptors)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment rx = arena.allocate(JAVA_SHORT);
            final MemorySegment tx = arena.allocate(JAVA_SHORT);
            rx.set(JAVA_SHORT, 0, (short)descriptors);
            tx.set(JAVA_SHORT, 0, (short)descriptors);
            DpdkException.check((int)ADJUST_DESC.invokeExact((short)portId, rx, tx), "rte_eth_dev_adjust_nb_rx_tx_desc(port " + portId + ")");
            DpdkException.check((int)TXQ_SETUP.invokeExact((short)portId, (short)queue, tx.get(JAVA_SHORT, 0), Eal.socketId(),
                MemorySegment.NULL), "rte_eth_tx_queue_setup(port " + portId + ", queue " + queue + ")");
        }
        catch (final Throwable t)
        {
            throw Dpdk.rethrow(t);
        }
    }

    /** Starts the port. */
    public void start()
    {
        call(START, "rte_eth_dev_start");
    }

    /** Stops the port (its RX/TX functions stop; mbufs held by the driver are released on close). */
    public void stop()
    {
        call(STOP, "rte_eth_dev_stop");
    }

    /** Closes the port, releasing its queues (a pcap device completes its output file here). */
    public void close()
    {
        call(CLOSE, "rte_eth_dev_close");
    }

    /** Enables or disables promiscuous mode; devices that cannot are left as they are. */
    public void promiscuous(final boolean on)
    {
        try
        {
            final int rc = on ? (int)PROMISC_ENABLE.invokeExact((short)portId) : (int)PROMISC_DISABLE.invokeExact((short)portId);
            if (rc < 0 && rc != -95 /* ENOTSUP */)
            {
                throw new DpdkException("rte_eth_promiscuous_" + (on ? "enable" : "disable") + "(port " + portId + ")", -rc);
            }
        }
        catch (final Throwable t)
        {
            throw Dpdk.rethrow(t);
        }
    }

    /** @return the port's MAC address as the low 48 bits, first octet most significant. */
    public long macAddress()
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment mac = arena.allocate(6);
            DpdkException.check((int)MACADDR_GET.invokeExact((short)portId, mac), "rte_eth_macaddr_get(port " + portId + ")");
            long v = 0;
            for (int i = 0; i < 6; i++)
            {
                v = (v << 8) | (mac.get(JAVA_BYTE, i) & 0xFF);
            }
            return v;
        }
        catch (final Throwable t)
        {
            throw Dpdk.rethrow(t);
        }
    }

    /** @return the port's MTU. */
    public int mtu()
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment mtu = arena.allocate(JAVA_SHORT);
            DpdkException.check((int)MTU_GET.invokeExact((short)portId, mtu), "rte_eth_dev_get_mtu(port " + portId + ")");
            return mtu.get(JAVA_SHORT, 0) & 0xFFFF;
        }
        catch (final Throwable t)
        {
            throw Dpdk.rethrow(t);
        }
    }

    /** Sets the port's MTU. */
    public void mtu(final int mtu)
    {
        try
        {
            DpdkException.check((int)MTU_SET.invokeExact((short)portId, (short)mtu), "rte_eth_dev_set_mtu(port " + portId + ", " + mtu + ")");
        }
        catch (final Throwable t)
        {
            throw Dpdk.rethrow(t);
        }
    }

    /** @return the link state without waiting. */
    public Link link()
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment link = arena.allocate(8, 8);
            DpdkException.check((int)LINK_GET.invokeExact((short)portId, link), "rte_eth_link_get_nowait(port " + portId + ")");
            final int speed = link.get(JAVA_INT, 0);
            final int bits = link.get(JAVA_SHORT, 4);
            // struct rte_eth_link: link_speed:32, then bit-fields link_duplex:1, link_autoneg:1, link_status:1.
            return new Link((bits & 0x4) != 0, speed & 0xFFFFFFFFL, (bits & 0x1) != 0);
        }
        catch (final Throwable t)
        {
            throw Dpdk.rethrow(t);
        }
    }

    /** @return the port's counters. */
    public Stats stats()
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment s = arena.allocate(EthStatsDescriptor.SIZEOF, 8);
            DpdkException.check((int)STATS_GET.invokeExact((short)portId, s), "rte_eth_stats_get(port " + portId + ")");
            return new Stats(s.get(JAVA_LONG, EthStatsDescriptor.IPACKETS_OFFSET), s.get(JAVA_LONG, EthStatsDescriptor.OPACKETS_OFFSET),
                s.get(JAVA_LONG, EthStatsDescriptor.IBYTES_OFFSET), s.get(JAVA_LONG, EthStatsDescriptor.OBYTES_OFFSET),
                s.get(JAVA_LONG, EthStatsDescriptor.IMISSED_OFFSET), s.get(JAVA_LONG, EthStatsDescriptor.IERRORS_OFFSET),
                s.get(JAVA_LONG, EthStatsDescriptor.OERRORS_OFFSET), s.get(JAVA_LONG, EthStatsDescriptor.RX_NOMBUF_OFFSET));
        }
        catch (final Throwable t)
        {
            throw Dpdk.rethrow(t);
        }
    }

    /** Zeroes the port's counters. */
    public void resetStats()
    {
        call(STATS_RESET, "rte_eth_stats_reset");
    }

    private void call(final MethodHandle h, final String what)
    {
        try
        {
            DpdkException.check((int)h.invokeExact((short)portId), what + "(port " + portId + ")");
        }
        catch (final Throwable t)
        {
            throw Dpdk.rethrow(t);
        }
    }

    @Override
    public String toString()
    {
        return "port " + portId;
    }
}
