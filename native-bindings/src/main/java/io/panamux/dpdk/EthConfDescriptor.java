package io.panamux.dpdk;

/**
 * Layout of {@code struct rte_eth_conf} (DPDK 22.11), the fields panamux sets when it configures a
 * port; everything else stays zero (DPDK's defaults). Checked by {@code StructLayoutTest}.
 *
 * <pre>
 *   0 link_speeds(4) | 8 rxmode { 8 mq_mode(4), 12 mtu(4), 24 offloads(8) } |
 *   64 txmode { 64 mq_mode(4), 72 offloads(8) } |
 *   128 rx_adv_conf.rss_conf { 128 rss_key(8), 136 rss_key_len(1), 144 rss_hf(8) } ... 2272
 * </pre>
 */
public final class EthConfDescriptor
{
    /** sizeof(struct rte_eth_conf). */
    public static final int SIZEOF = 2272;
    /** rxmode.mq_mode (enum rte_eth_rx_mq_mode). */
    public static final int RXMODE_MQ_MODE_OFFSET = 8;
    /** rxmode.mtu. */
    public static final int RXMODE_MTU_OFFSET = 12;
    /** rxmode.offloads. */
    public static final int RXMODE_OFFLOADS_OFFSET = 24;
    /** txmode.offloads. */
    public static final int TXMODE_OFFLOADS_OFFSET = 72;
    /** rx_adv_conf.rss_conf.rss_key (NULL: the driver's default key). */
    public static final int RSS_KEY_OFFSET = 128;
    /** rx_adv_conf.rss_conf.rss_hf: which headers RSS hashes. */
    public static final int RSS_HF_OFFSET = 144;

    /** RTE_ETH_MQ_RX_NONE. */
    public static final int MQ_RX_NONE = 0;
    /** RTE_ETH_MQ_RX_RSS. */
    public static final int MQ_RX_RSS = 1;
    /** RTE_ETH_RSS_IP. */
    public static final long RSS_IP = 0xa38cL;
    /** RTE_ETH_RSS_TCP. */
    public static final long RSS_TCP = 0x10410L;
    /** RTE_ETH_RSS_UDP. */
    public static final long RSS_UDP = 0x20820L;

    private EthConfDescriptor()
    {
    }
}
