/*
 * The C baseline of ./panamux bench: the MUX worker's per-packet work written as a DPDK C developer
 * would (l3fwd-em style: whole-burst stages, prefetch of packet data and of flow-table buckets ahead
 * of use (whole 256-byte buckets; a known flow looked for in its first bucket a few packets ahead, so that one
 * living in its second bucket has that prefetched too), the VIP table an open-addressing array of 64-bit keys as
 * VipTable.java's (a few VIPs: one multiply and one or two loads from L1, cheaper than rte_hash's bulk lookup),
 * built for the machine it runs on (-march=native, as DPDK's meson build is by default), so the bench can say how
 * close the Java worker (fastpath/WorkerAgent.java) comes to the same work in C on the same machine.
 *
 * Same work, same output: Ethernet (one VLAN tag) / IPv4 / IPv6 / TCP / UDP parsing with the Java
 * parser's checks; the VIP by destination address, port and protocol; FlowHash's keyed 128-bit
 * multiply hash with the pool seed; Maglev slot = high 64 bits of hash x table size; IPIP / GRE / GUE
 * into the headroom with an IPv4 outer header (identification counter per worker, TTL 64, DF copied);
 * a TX buffer flushed when full, when RX returned less than a burst, or after the drain interval. For a
 * VIP that records flows (flow-tracking: always), the flow table of flow-table/FlowTable.java with the
 * same layout (256-byte buckets of 32-byte IPv4 slots, head/addresses/backend/last-seen/flags and a
 * per-line sequence that the writer makes odd around every change), the same placement (two candidate
 * buckets from FlowHash with the table's own seed, first fit while the first has room) and the same
 * memory (an anonymous mapping advised for transparent huge pages).
 *
 * Not here: ICMP errors and "too big" replies (counted as drops), IPv6 outer headers, fragments' VIP
 * rules beyond the 3-tuple hash, owner queries and the previous Maglev table (the stateful phase).
 * The bench scenarios that need them report no C figure.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <rte_branch_prediction.h>
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#define MAX_BURST 64
#define MAX_VIPS 64
#define VIP_SLOTS 256 /* at most a quarter full, as VipTable.java's */
#define PREFETCH_OFFSET 4
/* Flow-table buckets are prefetched this many packets ahead of their use in stage two: far enough to
 * arrive in time, few enough at once to stay in flight (a whole burst at once loses most of them). */
#define BUCKET_PREFETCH_AHEAD 8
/* A known flow is looked for in its first bucket (which has arrived by then) this many packets ahead of its
 * use, so that a flow living in its second bucket has that one prefetched in time too. */
#define PROBE_AHEAD 4

#define ETH_LEN 14
#define VLAN_LEN 18
#define ET_IPV4 0x0800
#define ET_IPV6 0x86DD
#define ET_VLAN 0x8100
#define ET_QINQ 0x88A8
#define ET_QINQ_OLD 0x9100
#define P_TCP 6
#define P_UDP 17
#define P_IPIP 4
#define P_IPV6 41
#define P_GRE 47

#define ENC_IPIP 0
#define ENC_GRE 1
#define ENC_GUE 2

/* Drop reasons, as far as this baseline distinguishes them. */
#define V_OK 0
#define V_PARSE 1
#define V_NOT_VIP 2
#define V_NO_BACKEND 3
#define V_TOO_BIG 4
#define V_HEADROOM 5
#define V_UNSUPPORTED 6

/* The flow table (FlowTable.java). */
#define BUCKET_BYTES 256
#define LINE_BYTES 64
#define HALF_BYTES 32
#define KIND_FREE 0ULL
#define KIND_V4 4ULL
#define KIND_MASK 0xFFULL
#define KIND_V6 6ULL
#define V6_TAIL 7ULL
#define FIRST_FIT_RESERVE 3
#define HUGE_PAGE_BYTES (2UL << 20)

static const uint64_t P0 = 0xa0761d6478bd642fULL;
static const uint64_t P1 = 0xe7037ed1a0b428dbULL;
static const uint64_t P2 = 0x8ebc6af09c88c6e3ULL;
static const uint64_t P3 = 0x589965cc75374cc3ULL;
static const uint64_t P4 = 0x1d8e4e27c47d124fULL;
static const uint64_t P5 = 0x9e3779b97f4a7c15ULL;

enum { C_RX, C_TX, C_DROPS, C_HITS, C_MISSES, C_INSERTED, C_EVICTED, C_TX_DROPPED, C_COUNT };

struct vip {
	uint8_t encap;
	uint8_t records_flows;
	uint32_t table_size;
	int32_t *table;       /* Maglev: slot -> index into backends */
	uint32_t backend_count;
	uint32_t *backend_v4; /* host order */
	int32_t *backend_id;
	int32_t index;
};

struct backend_by_id {
	int32_t vip_index; /* -1: no such backend */
	uint32_t v4;
};

struct pkt_info {
	uint32_t src_v4, dst_v4;
	uint64_t src_hi, src_lo, dst_hi, dst_lo;
	uint16_t src_port, dst_port;
	uint16_t l3_off, l3_len;
	uint8_t version, proto, tos, tcp_flags, df, fragment;
};

struct cbase {
	uint16_t port, queue, burst;
	uint64_t seed;
	uint64_t port_mac, gateway_mac;
	uint32_t mux_v4;
	uint16_t mtu, gue_port;
	uint16_t identification;
	uint64_t drain_tsc;
	uint64_t oldest_tsc;
	uint64_t start_tsc, tsc_hz;

	/* The VIP table: key (address << 24 | port << 8 | protocol), -1 for an empty slot. */
	uint64_t vip_keys[VIP_SLOTS];
	int16_t vip_values[VIP_SLOTS];
	uint32_t vip_mask;
	struct vip vips[MAX_VIPS];
	uint32_t vip_count;
	struct backend_by_id *backends;
	uint32_t backend_slots;

	uint8_t *flows; /* 64-byte aligned */
	size_t flows_bytes;
	uint64_t bucket_mask;
	uint64_t placement_seed;
	uint64_t flow_count;

	struct rte_mbuf *tx[MAX_BURST];
	uint16_t tx_count;

	uint64_t counters[C_COUNT];

	/* Per-burst scratch. */
	struct rte_mbuf *pkts[MAX_BURST];
	struct pkt_info info[MAX_BURST];
	int32_t verdict[MAX_BURST];
	int32_t vip_of[MAX_BURST];
	int32_t choice[MAX_BURST];
	uint64_t hash[MAX_BURST];
	uint64_t placement[MAX_BURST];
	uint8_t *hint[MAX_BURST]; /* the flow's slot in its first bucket, found PROBE_AHEAD packets ahead; NULL: look */
};

/* ---- FlowHash.java ---------------------------------------------------------------------------- */

static inline uint64_t mix(uint64_t x, uint64_t y)
{
	const unsigned __int128 p = (unsigned __int128)x * y;
	return (uint64_t)p ^ (uint64_t)(p >> 64);
}

static inline uint64_t rotl32(uint64_t v)
{
	return (v << 32) | (v >> 32);
}

static inline uint64_t fold(uint64_t seed, uint64_t a, uint64_t b)
{
	const uint64_t x = a ^ seed ^ P0;
	const uint64_t y = b ^ rotl32(seed) ^ P1;
	const unsigned __int128 p = (unsigned __int128)x * y;
	return mix((uint64_t)p ^ P2, (uint64_t)(p >> 64) ^ P3);
}

static inline uint64_t ports_word(uint16_t sp, uint16_t dp, uint8_t proto)
{
	return ((uint64_t)sp << 48) | ((uint64_t)dp << 32) | ((uint64_t)proto << 24);
}

static inline uint64_t hash_v4(uint64_t seed, uint32_t src, uint32_t dst, uint16_t sp, uint16_t dp, uint8_t proto)
{
	return fold(seed, ((uint64_t)src << 32) | dst, ports_word(sp, dp, proto) | 4);
}

static inline uint64_t hash_v6(uint64_t seed, const struct pkt_info *p, uint16_t sp, uint16_t dp)
{
	const uint64_t r = rotl32(seed);
	const uint64_t src = mix(p->src_hi ^ seed ^ P2, p->src_lo ^ r ^ P3);
	const uint64_t dst = mix(p->dst_hi ^ seed ^ P4, p->dst_lo ^ r ^ P5);
	return fold(seed, src, dst ^ (ports_word(sp, dp, p->proto) | 6));
}

static inline uint32_t maglev_slot(uint64_t hash, uint32_t size)
{
	return (uint32_t)(((unsigned __int128)hash * size) >> 64);
}

/* ---- parsing (PacketParser.java, the paths the MUX forwards) ---------------------------------- */

static inline uint16_t be16(const uint8_t *p)
{
	return rte_be_to_cpu_16(*(const unaligned_uint16_t *)p);
}

static inline uint32_t be32(const uint8_t *p)
{
	return rte_be_to_cpu_32(*(const unaligned_uint32_t *)p);
}

static inline uint64_t be64(const uint8_t *p)
{
	return rte_be_to_cpu_64(*(const unaligned_uint64_t *)p);
}

static inline int parse_l4(const uint8_t *l4, int l4_len, int fragment, struct pkt_info *pi)
{
	if (pi->proto == P_TCP) {
		if (l4_len < 20)
			return V_PARSE;
		const uint16_t off_flags = be16(l4 + 12);
		const int hl = (off_flags >> 12) << 2;
		if (hl < 20 || hl > l4_len)
			return V_PARSE;
		pi->src_port = be16(l4);
		pi->dst_port = be16(l4 + 2);
		pi->tcp_flags = off_flags & 0xFF;
		return V_OK;
	}
	if (pi->proto == P_UDP) {
		if (l4_len < 8)
			return V_PARSE;
		const uint16_t len = be16(l4 + 4);
		if (!fragment && (len < 8 || len > l4_len))
			return V_PARSE;
		pi->src_port = be16(l4);
		pi->dst_port = be16(l4 + 2);
		pi->tcp_flags = 0;
		return V_OK;
	}
	return V_UNSUPPORTED;
}

static inline int parse(const uint8_t *f, int len, struct pkt_info *pi)
{
	if (unlikely(len < ETH_LEN))
		return V_PARSE;
	uint16_t et = be16(f + 12);
	int l3 = ETH_LEN;
	if (et == ET_VLAN) {
		if (len < VLAN_LEN)
			return V_PARSE;
		et = be16(f + 16);
		l3 = VLAN_LEN;
		if (et == ET_VLAN || et == ET_QINQ || et == ET_QINQ_OLD)
			return V_PARSE;
	}
	const uint8_t *ip = f + l3;
	const int avail = len - l3;
	if (likely(et == ET_IPV4)) {
		if (avail < 20)
			return V_PARSE;
		const uint64_t w0 = be64(ip);
		const uint64_t w1 = be64(ip + 8);
		const int vihl = (int)(w0 >> 56);
		const int hl = (vihl & 0xF) << 2;
		const int total = (int)(w0 >> 32) & 0xFFFF;
		if ((vihl >> 4) != 4 || hl < 20 || hl > avail || total < hl || total > avail)
			return V_PARSE;
		const uint16_t frag = (uint16_t)w0;
		pi->version = 4;
		pi->l3_off = l3;
		pi->l3_len = total;
		pi->tos = (uint8_t)(w0 >> 48);
		pi->df = (frag & 0x4000) != 0;
		pi->proto = (uint8_t)(w1 >> 48);
		pi->src_v4 = (uint32_t)w1;
		pi->dst_v4 = be32(ip + 16);
		pi->fragment = (frag & 0x3FFF) != 0;
		if (pi->fragment && (frag & 0x1FFF) != 0) {
			pi->src_port = pi->dst_port = 0;
			pi->tcp_flags = 0;
			return pi->proto == P_TCP || pi->proto == P_UDP ? V_OK : V_UNSUPPORTED;
		}
		return parse_l4(ip + hl, total - hl, pi->fragment, pi);
	}
	if (et == ET_IPV6) {
		if (avail < 40)
			return V_PARSE;
		const uint64_t w0 = be64(ip);
		if ((w0 >> 60) != 6)
			return V_PARSE;
		const int l3_len = 40 + ((int)(w0 >> 16) & 0xFFFF);
		if (l3_len > avail)
			return V_PARSE;
		pi->version = 6;
		pi->l3_off = l3;
		pi->l3_len = l3_len;
		pi->tos = (uint8_t)(w0 >> 52);
		pi->df = 0;
		pi->fragment = 0;
		pi->proto = (uint8_t)(w0 >> 8);
		pi->src_hi = be64(ip + 8);
		pi->src_lo = be64(ip + 16);
		pi->dst_hi = be64(ip + 24);
		pi->dst_lo = be64(ip + 32);
		return parse_l4(ip + 40, l3_len - 40, 0, pi);
	}
	return V_PARSE;
}

/* ---- flow table (FlowTable.java) -------------------------------------------------------------- */

#define U64(p) (*(uint64_t *)(p))
#define I32(p) (*(int32_t *)(p))

static inline uint8_t *first_bucket(struct cbase *w, uint64_t h)
{
	return w->flows + (h & w->bucket_mask) * BUCKET_BYTES;
}

static inline uint8_t *second_bucket(struct cbase *w, uint64_t h)
{
	const uint64_t first = h & w->bucket_mask;
	const uint64_t second = (h >> 32) & w->bucket_mask;
	return w->flows + (second != first ? second : (second ^ 1) & w->bucket_mask) * BUCKET_BYTES;
}

/* The writer's side of the per-line sequence lock: odd while the line changes. */
static inline int32_t begin_write(uint8_t *line)
{
	const int32_t s = I32(line + 28) + 1;
	__atomic_store_n((int32_t *)(line + 28), s, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	return s;
}

static inline void end_write(uint8_t *line, int32_t odd)
{
	__atomic_store_n((int32_t *)(line + 28), odd + 1, __ATOMIC_RELEASE);
}

static inline uint8_t *line_of(uint8_t *slot)
{
	return (uint8_t *)((uintptr_t)slot & ~(uintptr_t)(LINE_BYTES - 1));
}

static inline uint8_t *locate_in(uint8_t *bucket, uint64_t head, uint64_t addrs)
{
	for (uint8_t *s = bucket; s < bucket + BUCKET_BYTES; s += HALF_BYTES)
		if (U64(s) == head && U64(s + 8) == addrs)
			return s;
	return NULL;
}

/* Returns the backend id of the flow (touching its last-seen time), or -1; hint: where the probe found it
 * (checked again: an earlier packet of the burst may have changed the table since), or NULL. */
static inline int64_t flow_find_v4(struct cbase *w, uint64_t h, uint64_t head, uint64_t addrs, int32_t now, uint8_t *hint)
{
	uint8_t *first = first_bucket(w, h);
	uint8_t *s = hint != NULL && U64(hint) == head && U64(hint + 8) == addrs ? hint : locate_in(first, head, addrs);
	if (s == NULL) {
		uint8_t *second = second_bucket(w, h);
		if (second == first || (s = locate_in(second, head, addrs)) == NULL)
			return -1;
	}
	if (I32(s + 20) != now) {
		uint8_t *line = line_of(s);
		const int32_t seq = begin_write(line);
		I32(s + 20) = now;
		end_write(line, seq);
	}
	return ((int64_t)I32(s + 24) << 32) | (uint32_t)I32(s + 16);
}

static inline void store_v4(uint8_t *t, uint64_t head, uint64_t addrs, int32_t backend, int32_t now)
{
	uint8_t *line = line_of(t);
	const int32_t seq = begin_write(line);
	if ((U64(t) & KIND_MASK) == KIND_V6)
		U64(line + 32) = KIND_FREE;
	U64(t) = head;
	U64(t + 8) = addrs;
	I32(t + 16) = backend;
	I32(t + 20) = now;
	I32(t + 24) = 0;
	end_write(line, seq);
}

/* putV4 of FlowTable.java (flags 0): returns C_INSERTED, C_EVICTED or -1 (updated). */
static int flow_put_v4(struct cbase *w, uint64_t h, uint64_t head, uint64_t addrs, int32_t backend, int32_t now)
{
	uint8_t *first = first_bucket(w, h);
	uint8_t *second = second_bucket(w, h);
	uint8_t *free_in[2] = {NULL, NULL};
	int count[2] = {0, 0};
	uint8_t *stalest = NULL;
	int32_t stalest_age = INT32_MIN;
	for (int b = 0; b < (second != first ? 2 : 1); b++) {
		uint8_t *bucket = b == 0 ? first : second;
		for (uint8_t *s = bucket; s < bucket + BUCKET_BYTES; s += HALF_BYTES) {
			const uint64_t sh = U64(s);
			if (sh == KIND_FREE) {
				if (count[b]++ == 0)
					free_in[b] = s;
			} else if (sh != V6_TAIL) {
				if (sh == head && U64(s + 8) == addrs) {
					uint8_t *line = line_of(s);
					const int32_t seq = begin_write(line);
					I32(s + 16) = backend;
					I32(s + 20) = now;
					I32(s + 24) = 0;
					end_write(line, seq);
					return -1;
				}
				const int32_t age = (int32_t)((uint32_t)now - (uint32_t)I32(s + 20));
				if (age > stalest_age) {
					stalest = s;
					stalest_age = age;
				}
			}
		}
	}
	if (count[0] > FIRST_FIT_RESERVE || (count[0] > 0 && count[0] >= count[1])) {
		store_v4(free_in[0], head, addrs, backend, now);
		w->flow_count++;
		return C_INSERTED;
	}
	if (count[1] > 0) {
		store_v4(free_in[1], head, addrs, backend, now);
		w->flow_count++;
		return C_INSERTED;
	}
	store_v4(stalest, head, addrs, backend, now);
	return C_EVICTED;
}

/* ---- encapsulation (TunnelEncapsulator.java, IPv4 outer) -------------------------------------- */

static inline uint16_t csum_finish(uint64_t sum)
{
	sum = (sum & 0xFFFF) + (sum >> 16);
	sum = (sum & 0xFFFF) + (sum >> 16);
	sum = (sum & 0xFFFF) + (sum >> 16);
	return (uint16_t)(~sum & 0xFFFF);
}

static inline int encapsulate(struct cbase *w, struct rte_mbuf *m, const struct pkt_info *pi, uint8_t type, uint32_t dst_v4,
	uint64_t flow_hash)
{
	const int tunnel_len = type == ENC_GRE ? 4 : type == ENC_GUE ? 8 : 0;
	const int inner_len = pi->l3_len;
	if (unlikely(inner_len + 20 + tunnel_len > w->mtu))
		return V_TOO_BIG;
	const int prepend = ETH_LEN + 20 + tunnel_len;
	const int headroom = m->data_off;
	if (unlikely(headroom + pi->l3_off < prepend))
		return V_HEADROOM;
	const uint16_t data_off = (uint16_t)(headroom + pi->l3_off - prepend);
	const uint16_t frame_len = (uint16_t)(prepend + inner_len);
	m->data_off = data_off;
	m->data_len = frame_len;
	m->pkt_len = frame_len;
	uint8_t *f = (uint8_t *)m->buf_addr + data_off;

	const int inner_v6 = pi->version == 6;
	const uint8_t proto = type == ENC_GRE ? P_GRE : type == ENC_GUE ? P_UDP : inner_v6 ? P_IPV6 : P_IPIP;
	/* Ethernet: destination gateway, source port, IPv4. */
	*(unaligned_uint64_t *)f = rte_cpu_to_be_64((w->gateway_mac << 16) | ((w->port_mac >> 32) & 0xFFFF));
	*(unaligned_uint32_t *)(f + 8) = rte_cpu_to_be_32((uint32_t)w->port_mac);
	*(unaligned_uint16_t *)(f + 12) = rte_cpu_to_be_16(ET_IPV4);

	uint8_t *ip = f + ETH_LEN;
	const uint32_t word0 = 0x4500 | pi->tos;
	const uint32_t total = (uint32_t)(20 + tunnel_len + inner_len);
	const uint32_t id = w->identification++;
	const uint32_t frag = inner_v6 || pi->df ? 0x4000 : 0;
	const uint32_t word4 = (64u << 8) | proto;
	const uint32_t src = w->mux_v4;
	const uint64_t sum = (uint64_t)word0 + total + id + frag + word4 + (src >> 16) + (src & 0xFFFF) + (dst_v4 >> 16) +
		(dst_v4 & 0xFFFF);
	const uint16_t cs = csum_finish(sum);
	*(unaligned_uint64_t *)ip = rte_cpu_to_be_64(((uint64_t)word0 << 48) | ((uint64_t)total << 32) | ((uint64_t)id << 16) | frag);
	*(unaligned_uint64_t *)(ip + 8) = rte_cpu_to_be_64(((uint64_t)word4 << 48) | ((uint64_t)cs << 32) | src);
	*(unaligned_uint32_t *)(ip + 16) = rte_cpu_to_be_32(dst_v4);

	uint8_t *t = ip + 20;
	if (type == ENC_GRE) {
		*(unaligned_uint32_t *)t = rte_cpu_to_be_32(inner_v6 ? ET_IPV6 : ET_IPV4);
	} else if (type == ENC_GUE) {
		const uint64_t mixed = flow_hash ^ (flow_hash >> 32);
		const uint16_t sport = (uint16_t)(0xC000 | ((mixed ^ (mixed >> 14)) & 0x3FFF));
		*(unaligned_uint64_t *)t = rte_cpu_to_be_64(((uint64_t)sport << 48) | ((uint64_t)w->gue_port << 32) |
			((uint64_t)(8 + inner_len) << 16));
	}
	return V_OK;
}

/* ---- TX buffer (TxBuffer.java) ---------------------------------------------------------------- */

static inline void tx_flush(struct cbase *w)
{
	const uint16_t n = w->tx_count;
	if (n == 0)
		return;
	w->tx_count = 0;
	const uint16_t sent = rte_eth_tx_burst(w->port, w->queue, w->tx, n);
	w->counters[C_TX] += sent;
	if (unlikely(sent < n)) {
		w->counters[C_TX_DROPPED] += n - sent;
		rte_pktmbuf_free_bulk(&w->tx[sent], n - sent);
	}
}

static inline void tx_add(struct cbase *w, struct rte_mbuf *m, uint64_t now)
{
	if (w->tx_count == 0)
		w->oldest_tsc = now;
	w->tx[w->tx_count++] = m;
	if (w->tx_count == w->burst)
		tx_flush(w);
}

/* ---- the VIP table (VipTable.java) ------------------------------------------------------------ */

static inline uint64_t vip_key(uint32_t addr, uint16_t port, uint8_t proto)
{
	return ((uint64_t)addr << 24) | ((uint64_t)port << 8) | proto;
}

static inline uint32_t vip_slot(uint64_t key)
{
	const uint64_t h = key * 0x9E3779B97F4A7C15ULL;
	return (uint32_t)(h ^ (h >> 32));
}

static inline int32_t vip_find(const struct cbase *w, uint64_t key)
{
	for (uint32_t i = vip_slot(key) & w->vip_mask;; i = (i + 1) & w->vip_mask) {
		const int32_t v = w->vip_values[i];
		if (v < 0 || w->vip_keys[i] == key)
			return v;
	}
}

/* ---- the poll ---------------------------------------------------------------------------------- */

static inline void drop(struct cbase *w, struct rte_mbuf *m)
{
	w->counters[C_DROPS]++;
	rte_pktmbuf_free(m);
}

/* The bucket a flow-table packet's flow lives in first, and for a SYN (looked for in both before it is
 * inserted) the second. */
static inline void prefetch_bucket(const uint8_t *b)
{
	/* A lookup may read all four lines of a bucket: ask for all of them. */
	rte_prefetch0(b);
	rte_prefetch0(b + 64);
	rte_prefetch0(b + 128);
	rte_prefetch0(b + 192);
}

static inline void prefetch_buckets(struct cbase *w, int i)
{
	if (w->verdict[i] != V_OK || w->choice[i] != -2)
		return;
	prefetch_bucket(first_bucket(w, w->placement[i]));
	if ((w->info[i].tcp_flags & 0x12) == 0x02)
		prefetch_bucket(second_bucket(w, w->placement[i]));
}

static inline uint64_t head_v4(const struct pkt_info *pi)
{
	return ports_word(pi->src_port, pi->dst_port, pi->proto) | KIND_V4;
}

static inline uint64_t addrs_v4(const struct pkt_info *pi)
{
	return ((uint64_t)pi->src_v4 << 32) | pi->dst_v4;
}

/* A known flow (not a SYN) looked for in its first bucket; where it is not there, its second bucket is
 * asked for. */
static inline void probe_first(struct cbase *w, int i)
{
	w->hint[i] = NULL;
	if (w->verdict[i] != V_OK || w->choice[i] != -2 || (w->info[i].tcp_flags & 0x12) == 0x02)
		return;
	uint8_t *first = first_bucket(w, w->placement[i]);
	uint8_t *s = locate_in(first, head_v4(&w->info[i]), addrs_v4(&w->info[i]));
	w->hint[i] = s;
	if (s == NULL)
		prefetch_bucket(second_bucket(w, w->placement[i]));
}

/* One RX burst through the whole pipeline; returns the packets received. */
int pmx_cb_poll(struct cbase *w)
{
	const uint64_t now_tsc = rte_rdtsc();
	const uint16_t n = rte_eth_rx_burst(w->port, w->queue, w->pkts, w->burst);
	if (n > 0) {
		w->counters[C_RX] += n;
		/* Stage one: parse every packet (data prefetched a few packets ahead), find its VIP, hash it. */
		for (int i = 0; i < PREFETCH_OFFSET && i < n; i++)
			rte_prefetch0(rte_pktmbuf_mtod(w->pkts[i], void *));
		const int32_t now_s = (int32_t)((now_tsc - w->start_tsc) / w->tsc_hz);
		for (int i = 0; i < n; i++) {
			if (i + PREFETCH_OFFSET < n)
				rte_prefetch0(rte_pktmbuf_mtod(w->pkts[i + PREFETCH_OFFSET], void *));
			struct rte_mbuf *m = w->pkts[i];
			struct pkt_info *pi = &w->info[i];
			int v = m->nb_segs != 1 ? V_PARSE : parse(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len, pi);
			if (likely(v == V_OK)) {
				/* IPv6 VIPs are not in this baseline. */
				const int32_t vip = pi->version == 4 ? vip_find(w, vip_key(pi->dst_v4, pi->dst_port, pi->proto)) : -1;
				if (unlikely(vip < 0)) {
					v = V_NOT_VIP;
				} else {
					const int ports = !pi->fragment;
					const uint64_t h = hash_v4(w->seed, pi->src_v4, pi->dst_v4, ports ? pi->src_port : 0,
						ports ? pi->dst_port : 0, pi->proto);
					w->hash[i] = h;
					w->vip_of[i] = vip;
					const struct vip *vp = &w->vips[vip];
					if (!vp->records_flows || pi->fragment) {
						w->choice[i] = vp->table_size == 0 ? -1 : vp->table[maglev_slot(h, vp->table_size)];
					} else {
						w->choice[i] = -2;
						w->placement[i] = hash_v4(w->placement_seed, pi->src_v4, pi->dst_v4, pi->src_port, pi->dst_port,
							pi->proto);
					}
				}
			}
			w->verdict[i] = v;
		}
		for (int i = 0; i < BUCKET_PREFETCH_AHEAD && i < n; i++)
			prefetch_buckets(w, i);
		for (int i = 0; i < PROBE_AHEAD && i < n; i++)
			probe_first(w, i);
		/* Stage two: flows, backends, encapsulation, TX. */
		for (int i = 0; i < n; i++) {
			if (i + BUCKET_PREFETCH_AHEAD < n)
				prefetch_buckets(w, i + BUCKET_PREFETCH_AHEAD);
			if (i + PROBE_AHEAD < n)
				probe_first(w, i + PROBE_AHEAD);
			struct rte_mbuf *m = w->pkts[i];
			if (w->verdict[i] != V_OK) {
				drop(w, m);
				continue;
			}
			const struct pkt_info *pi = &w->info[i];
			const struct vip *vp = &w->vips[w->vip_of[i]];
			int32_t chosen = w->choice[i];
			uint32_t dst;
			if (chosen >= 0) {
				dst = vp->backend_v4[chosen];
			} else if (chosen == -1) {
				drop(w, m);
				continue;
			} else {
				const uint64_t head = head_v4(pi);
				const uint64_t addrs = addrs_v4(pi);
				const int64_t found = flow_find_v4(w, w->placement[i], head, addrs, now_s, w->hint[i]);
				const struct backend_by_id *b = found >= 0 && (uint32_t)found < w->backend_slots ? &w->backends[(uint32_t)found]
					: NULL;
				if (b != NULL && b->vip_index == vp->index) {
					w->counters[C_HITS]++;
					dst = b->v4;
				} else {
					w->counters[C_MISSES]++;
					if (vp->table_size == 0) {
						drop(w, m);
						continue;
					}
					const int32_t slot = vp->table[maglev_slot(w->hash[i], vp->table_size)];
					const int rc = flow_put_v4(w, w->placement[i], head, addrs, vp->backend_id[slot], now_s);
					if (rc == C_INSERTED)
						w->counters[C_INSERTED]++;
					else if (rc == C_EVICTED) {
						w->counters[C_INSERTED]++;
						w->counters[C_EVICTED]++;
					}
					dst = vp->backend_v4[slot];
				}
			}
			if (encapsulate(w, m, pi, vp->encap, dst, w->hash[i]) != V_OK) {
				drop(w, m);
				continue;
			}
			tx_add(w, m, now_tsc);
		}
	}
	if (n < w->burst)
		tx_flush(w);
	else if (w->tx_count > 0 && now_tsc - w->oldest_tsc >= w->drain_tsc)
		tx_flush(w);
	return n;
}

/* ---- set-up, from Java ------------------------------------------------------------------------- */

struct cbase *pmx_cb_create(uint16_t port, uint16_t queue, uint16_t burst, uint64_t seed, uint64_t port_mac, uint64_t gateway_mac,
	uint32_t mux_v4, uint16_t mtu, uint16_t gue_port, uint64_t drain_ns, uint32_t flow_capacity, uint64_t placement_seed,
	int32_t backend_slots)
{
	if (burst == 0 || burst > MAX_BURST)
		return NULL;
	struct cbase *w = rte_zmalloc("pmx_cbase", sizeof(*w), RTE_CACHE_LINE_SIZE);
	if (w == NULL)
		return NULL;
	w->port = port;
	w->queue = queue;
	w->burst = burst;
	w->seed = seed;
	w->port_mac = port_mac;
	w->gateway_mac = gateway_mac;
	w->mux_v4 = mux_v4;
	w->mtu = mtu;
	w->gue_port = gue_port;
	w->tsc_hz = rte_get_tsc_hz();
	w->start_tsc = rte_rdtsc();
	w->drain_tsc = drain_ns * w->tsc_hz / 1000000000ULL;
	w->vip_mask = VIP_SLOTS - 1;
	for (size_t i = 0; i < VIP_SLOTS; i++)
		w->vip_values[i] = -1;
	w->backends = calloc(backend_slots > 0 ? backend_slots : 1, sizeof(*w->backends));
	w->backend_slots = backend_slots > 0 ? (uint32_t)backend_slots : 0;
	for (uint32_t i = 0; i < w->backend_slots; i++)
		w->backends[i].vip_index = -1;
	/* FlowTable(capacity): a power of two of 8-slot buckets, zeroed, on transparent huge pages from 2 MB. */
	const uint32_t min_buckets = (flow_capacity + 7) / 8;
	uint64_t buckets = 1;
	while (buckets < min_buckets)
		buckets <<= 1;
	w->bucket_mask = buckets - 1;
	w->placement_seed = placement_seed;
	w->flows_bytes = buckets * BUCKET_BYTES;
	if (w->flows_bytes >= HUGE_PAGE_BYTES) {
		const size_t len = w->flows_bytes + HUGE_PAGE_BYTES;
		uint8_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			p = NULL;
		if (p != NULL) {
			uint8_t *aligned = (uint8_t *)RTE_ALIGN_CEIL((uintptr_t)p, HUGE_PAGE_BYTES);
			madvise(aligned, w->flows_bytes, MADV_HUGEPAGE);
			w->flows = aligned;
		}
	} else {
		w->flows = aligned_alloc(LINE_BYTES, w->flows_bytes);
		if (w->flows != NULL)
			memset(w->flows, 0, w->flows_bytes);
	}
	if (w->backends == NULL || w->flows == NULL)
		return NULL;
	return w;
}

/* A VIP (IPv4; addresses in host order); its index is the order of the calls. */
int pmx_cb_add_vip(struct cbase *w, uint32_t addr, uint16_t port, uint8_t proto, uint8_t encap, uint8_t records_flows,
	const int32_t *table, uint32_t table_size, const uint32_t *backend_v4, const int32_t *backend_id, uint32_t backend_count)
{
	if (w->vip_count >= MAX_VIPS)
		return -1;
	struct vip *v = &w->vips[w->vip_count];
	v->encap = encap;
	v->records_flows = records_flows;
	v->table_size = table_size;
	v->table = malloc(sizeof(int32_t) * (table_size ? table_size : 1));
	v->backend_v4 = malloc(sizeof(uint32_t) * (backend_count ? backend_count : 1));
	v->backend_id = malloc(sizeof(int32_t) * (backend_count ? backend_count : 1));
	if (v->table == NULL || v->backend_v4 == NULL || v->backend_id == NULL)
		return -1;
	memcpy(v->table, table, sizeof(int32_t) * table_size);
	memcpy(v->backend_v4, backend_v4, sizeof(uint32_t) * backend_count);
	memcpy(v->backend_id, backend_id, sizeof(int32_t) * backend_count);
	v->backend_count = backend_count;
	v->index = (int32_t)w->vip_count;
	for (uint32_t i = 0; i < backend_count; i++)
		if (backend_id[i] >= 0 && (uint32_t)backend_id[i] < w->backend_slots) {
			w->backends[backend_id[i]].vip_index = v->index;
			w->backends[backend_id[i]].v4 = backend_v4[i];
		}
	/* At most a quarter full (MAX_VIPS * 4 == VIP_SLOTS): a probe ends at an empty slot. */
	const uint64_t key = vip_key(addr, port, proto);
	uint32_t i = vip_slot(key) & w->vip_mask;
	while (w->vip_values[i] >= 0) {
		if (w->vip_keys[i] == key)
			return -1;
		i = (i + 1) & w->vip_mask;
	}
	w->vip_keys[i] = key;
	w->vip_values[i] = (int16_t)v->index;
	return (int32_t)w->vip_count++;
}

/* Sends what is buffered (the loop stops). */
void pmx_cb_flush(struct cbase *w)
{
	tx_flush(w);
}

uint64_t pmx_cb_counter(const struct cbase *w, int which)
{
	if (which == C_COUNT)
		return w->flow_count;
	return which >= 0 && which < C_COUNT ? w->counters[which] : 0;
}

void pmx_cb_destroy(struct cbase *w)
{
	if (w == NULL)
		return;
	rte_pktmbuf_free_bulk(w->tx, w->tx_count);
	for (uint32_t i = 0; i < MAX_VIPS; i++) {
		free(w->vips[i].table);
		free(w->vips[i].backend_v4);
		free(w->vips[i].backend_id);
	}
	free(w->backends);
	if (w->flows_bytes >= HUGE_PAGE_BYTES) {
		/* The mapping started up to 2 MB before the aligned table; unmapping the aligned part is enough to give it back. */
		munmap(w->flows, w->flows_bytes);
	} else {
		free(w->flows);
	}
	rte_free(w);
}
