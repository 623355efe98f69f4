package io.panamux.dpdk;

/**
 * Layout of {@code struct rte_eth_stats} (DPDK 22.11): the port-level counters read by
 * {@code rte_eth_stats_get}. Checked against the headers by {@code StructLayoutTest}.
 */
public final class EthStatsDescriptor
{
    /** sizeof(struct rte_eth_stats). */
    public static final int SIZEOF = 704;
    /** Packets received. */
    public static final int IPACKETS_OFFSET = 0;
    /** Packets sent. */
    public static final int OPACKETS_OFFSET = 8;
    /** Bytes received. */
    public static final int IBYTES_OFFSET = 16;
    /** Bytes sent. */
    public static final int OBYTES_OFFSET = 24;
    /** Packets dropped by the hardware because RX queues were full. */
    public static final int IMISSED_OFFSET = 32;
    /** Erroneous received packets. */
    public static final int IERRORS_OFFSET = 40;
    /** Failed transmissions. */
    public static final int OERRORS_OFFSET = 48;
    /** RX mbuf allocation failures. */
    public static final int RX_NOMBUF_OFFSET = 56;

    private EthStatsDescriptor()
    {
    }
}
