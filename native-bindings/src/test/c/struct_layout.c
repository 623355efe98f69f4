/*
 * Prints "name value" for every struct offset, size and constant the Java bindings use, compiled
 * against the installed DPDK headers by StructLayoutTest and compared with the Java constants.
 */
#include <stdio.h>
#include <stddef.h>
#include <string.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#define OFF(s, f, name) printf("%s %zu\n", name, offsetof(struct s, f))
#define SIZE(s, name) printf("%s %zu\n", name, sizeof(struct s))
#define CONST(v, name) printf("%s %llu\n", name, (unsigned long long)(v))

int main(void)
{
    SIZE(rte_mbuf, "MbufDescriptor.SIZEOF");
    OFF(rte_mbuf, buf_addr, "MbufDescriptor.BUF_ADDR_OFFSET");
    OFF(rte_mbuf, data_off, "MbufDescriptor.DATA_OFF_OFFSET");
    OFF(rte_mbuf, refcnt, "MbufDescriptor.REFCNT_OFFSET");
    OFF(rte_mbuf, nb_segs, "MbufDescriptor.NB_SEGS_OFFSET");
    OFF(rte_mbuf, port, "MbufDescriptor.PORT_OFFSET");
    OFF(rte_mbuf, ol_flags, "MbufDescriptor.OL_FLAGS_OFFSET");
    OFF(rte_mbuf, packet_type, "MbufDescriptor.PACKET_TYPE_OFFSET");
    OFF(rte_mbuf, pkt_len, "MbufDescriptor.PKT_LEN_OFFSET");
    OFF(rte_mbuf, data_len, "MbufDescriptor.DATA_LEN_OFFSET");
    OFF(rte_mbuf, vlan_tci, "MbufDescriptor.VLAN_TCI_OFFSET");
    OFF(rte_mbuf, hash.rss, "MbufDescriptor.HASH_RSS_OFFSET");
    OFF(rte_mbuf, buf_len, "MbufDescriptor.BUF_LEN_OFFSET");
    OFF(rte_mbuf, pool, "MbufDescriptor.POOL_OFFSET");
    OFF(rte_mbuf, next, "MbufDescriptor.NEXT_OFFSET");
    OFF(rte_mbuf, tx_offload, "MbufDescriptor.TX_OFFLOAD_OFFSET");
    OFF(rte_mbuf, dynfield1, "MbufDescriptor.DYNFIELD1_OFFSET");
    CONST(RTE_MBUF_F_RX_RSS_HASH, "MbufDescriptor.F_RX_RSS_HASH");
    CONST(RTE_MBUF_F_RX_VLAN_STRIPPED, "MbufDescriptor.F_RX_VLAN_STRIPPED");
    CONST(RTE_MBUF_F_TX_IPV4, "MbufDescriptor.F_TX_IPV4");
    CONST(RTE_MBUF_F_TX_IP_CKSUM, "MbufDescriptor.F_TX_IP_CKSUM");

    SIZE(rte_eth_stats, "EthStatsDescriptor.SIZEOF");
    OFF(rte_eth_stats, ipackets, "EthStatsDescriptor.IPACKETS_OFFSET");
    OFF(rte_eth_stats, opackets, "EthStatsDescriptor.OPACKETS_OFFSET");
    OFF(rte_eth_stats, ibytes, "EthStatsDescriptor.IBYTES_OFFSET");
    OFF(rte_eth_stats, obytes, "EthStatsDescriptor.OBYTES_OFFSET");
    OFF(rte_eth_stats, imissed, "EthStatsDescriptor.IMISSED_OFFSET");
    OFF(rte_eth_stats, ierrors, "EthStatsDescriptor.IERRORS_OFFSET");
    OFF(rte_eth_stats, oerrors, "EthStatsDescriptor.OERRORS_OFFSET");
    OFF(rte_eth_stats, rx_nombuf, "EthStatsDescriptor.RX_NOMBUF_OFFSET");

    SIZE(rte_eth_conf, "EthConfDescriptor.SIZEOF");
    OFF(rte_eth_conf, rxmode.mq_mode, "EthConfDescriptor.RXMODE_MQ_MODE_OFFSET");
    OFF(rte_eth_conf, rxmode.mtu, "EthConfDescriptor.RXMODE_MTU_OFFSET");
    OFF(rte_eth_conf, rxmode.offloads, "EthConfDescriptor.RXMODE_OFFLOADS_OFFSET");
    OFF(rte_eth_conf, txmode.offloads, "EthConfDescriptor.TXMODE_OFFLOADS_OFFSET");
    OFF(rte_eth_conf, rx_adv_conf.rss_conf.rss_key, "EthConfDescriptor.RSS_KEY_OFFSET");
    OFF(rte_eth_conf, rx_adv_conf.rss_conf.rss_hf, "EthConfDescriptor.RSS_HF_OFFSET");
    CONST(RTE_ETH_MQ_RX_NONE, "EthConfDescriptor.MQ_RX_NONE");
    CONST(RTE_ETH_MQ_RX_RSS, "EthConfDescriptor.MQ_RX_RSS");
    CONST(RTE_ETH_RSS_IP, "EthConfDescriptor.RSS_IP");
    CONST(RTE_ETH_RSS_TCP, "EthConfDescriptor.RSS_TCP");
    CONST(RTE_ETH_RSS_UDP, "EthConfDescriptor.RSS_UDP");

    SIZE(rte_eth_dev_info, "EthDevInfoDescriptor.SIZEOF");
    OFF(rte_eth_dev_info, driver_name, "EthDevInfoDescriptor.DRIVER_NAME_OFFSET");
    OFF(rte_eth_dev_info, min_mtu, "EthDevInfoDescriptor.MIN_MTU_OFFSET");
    OFF(rte_eth_dev_info, max_mtu, "EthDevInfoDescriptor.MAX_MTU_OFFSET");
    OFF(rte_eth_dev_info, max_rx_queues, "EthDevInfoDescriptor.MAX_RX_QUEUES_OFFSET");
    OFF(rte_eth_dev_info, max_tx_queues, "EthDevInfoDescriptor.MAX_TX_QUEUES_OFFSET");
    OFF(rte_eth_dev_info, rx_offload_capa, "EthDevInfoDescriptor.RX_OFFLOAD_CAPA_OFFSET");
    OFF(rte_eth_dev_info, tx_offload_capa, "EthDevInfoDescriptor.TX_OFFLOAD_CAPA_OFFSET");
    OFF(rte_eth_dev_info, flow_type_rss_offloads, "EthDevInfoDescriptor.FLOW_TYPE_RSS_OFFLOADS_OFFSET");

    CONST(RTE_MBUF_DEFAULT_BUF_SIZE, "PacketPool.DEFAULT_DATA_ROOM");
    CONST(LCORE_ID_ANY, "Lcore.ID_ANY_UNSIGNED");
    return 0;
}
