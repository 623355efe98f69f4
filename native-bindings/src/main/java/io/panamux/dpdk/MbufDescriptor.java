package io.panamux.dpdk;

/**
 * Layout of {@code struct rte_mbuf} (DPDK 22.11, x86_64, 128 bytes; first two cache lines), the fields
 * panamux reads and writes. Every offset is checked against the installed headers by
 * {@code StructLayoutTest}.
 *
 * <pre>
 *   0                   8                   16      18      20      22      24
 *   +-------------------+-------------------+-------+-------+-------+-------+-----------------+
 *   | buf_addr          | buf_iova          |data_  |refcnt |nb_segs| port  | ol_flags        |
 *   |                   |                   |off    |       |       |       |                 |
 *   +-------------------+---------+---------+-------+-------+-------+-------+-----------------+
 *   32 packet_type      36 pkt_len 40 data_len(2) 42 vlan_tci(2) 44 hash.rss(4) ... 54 buf_len(2)
 *   56 pool(8)          64 next(8) 72 tx_offload(8) ... 92 dynfield1[9] ... 128
 * </pre>
 */
public final class MbufDescriptor
{
    /** sizeof(struct rte_mbuf). */
    public static final int SIZEOF = 128;
    /** Virtual address of the buffer. */
    public static final int BUF_ADDR_OFFSET = 0;
    /** Offset of the packet data from buf_addr (the headroom). */
    public static final int DATA_OFF_OFFSET = 16;
    /** Reference count. */
    public static final int REFCNT_OFFSET = 18;
    /** Number of segments. */
    public static final int NB_SEGS_OFFSET = 20;
    /** Input port. */
    public static final int PORT_OFFSET = 22;
    /** Offload flags (RTE_MBUF_F_*). */
    public static final int OL_FLAGS_OFFSET = 24;
    /** Packet type (RTE_PTYPE_*). */
    public static final int PACKET_TYPE_OFFSET = 32;
    /** Total packet length over all segments. */
    public static final int PKT_LEN_OFFSET = 36;
    /** Length of this segment's data. */
    public static final int DATA_LEN_OFFSET = 40;
    /** VLAN TCI when stripped by the NIC. */
    public static final int VLAN_TCI_OFFSET = 42;
    /** RSS hash computed by the NIC. */
    public static final int HASH_RSS_OFFSET = 44;
    /** Length of the buffer. */
    public static final int BUF_LEN_OFFSET = 54;
    /** Owning mempool. */
    public static final int POOL_OFFSET = 56;
    /** Next segment. */
    public static final int NEXT_OFFSET = 64;
    /** TX offload lengths (l2_len:7, l3_len:9, l4_len:8, ...). */
    public static final int TX_OFFLOAD_OFFSET = 72;
    /** Dynamic fields area, free for applications that register none. */
    public static final int DYNFIELD1_OFFSET = 92;

    /** RTE_MBUF_F_RX_RSS_HASH: {@code hash.rss} is valid. */
    public static final long F_RX_RSS_HASH = 1L << 1;
    /** RTE_MBUF_F_RX_VLAN_STRIPPED. */
    public static final long F_RX_VLAN_STRIPPED = 1L << 6;
    /** RTE_MBUF_F_TX_IPV4. */
    public static final long F_TX_IPV4 = 1L << 55;
    /** RTE_MBUF_F_TX_IP_CKSUM. */
    public static final long F_TX_IP_CKSUM = 1L << 54;

    private MbufDescriptor()
    {
    }
}
