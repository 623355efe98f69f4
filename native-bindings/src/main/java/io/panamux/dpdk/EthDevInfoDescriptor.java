package io.panamux.dpdk;

/**
 * Layout of {@code struct rte_eth_dev_info} (DPDK 22.11), the fields panamux reads to decide queue
 * counts, RSS and MTU. Checked by {@code StructLayoutTest}.
 */
public final class EthDevInfoDescriptor
{
    /** sizeof(struct rte_eth_dev_info). */
    public static final int SIZEOF = 376;
    /** driver_name (const char *). */
    public static final int DRIVER_NAME_OFFSET = 8;
    /** min_mtu (uint16_t). */
    public static final int MIN_MTU_OFFSET = 20;
    /** max_mtu (uint16_t). */
    public static final int MAX_MTU_OFFSET = 22;
    /** max_rx_queues (uint16_t). */
    public static final int MAX_RX_QUEUES_OFFSET = 44;
    /** max_tx_queues (uint16_t). */
    public static final int MAX_TX_QUEUES_OFFSET = 46;
    /** rx_offload_capa (uint64_t). */
    public static final int RX_OFFLOAD_CAPA_OFFSET = 72;
    /** tx_offload_capa (uint64_t). */
    public static final int TX_OFFLOAD_CAPA_OFFSET = 80;
    /** flow_type_rss_offloads (uint64_t): the RSS hash functions the device supports; 0 means no RSS. */
    public static final int FLOW_TYPE_RSS_OFFLOADS_OFFSET = 112;

    private EthDevInfoDescriptor()
    {
    }
}
