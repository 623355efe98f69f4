package io.panamux.flow;

/**
 * The byte layout of a {@link FlowTable}'s memory, in one place: every offset the writer, the readers and
 * the idle sweep use is here, next to the picture it comes from.
 *
 * <h2>Buckets, lines, slots</h2>
 * The table is {@code 2^k} buckets of {@value #BUCKET_BYTES} bytes (four 64-byte cache lines), 64-byte
 * aligned. A line holds two IPv4 entries (one per 32-byte half, a "slot") or one IPv6 entry; a bucket thus
 * holds up to 8 IPv4 or 4 IPv6 flows. Words are host-order; "head" packs the non-address part of the key
 * with the entry kind, so that one 8-byte compare rejects nearly every other entry.
 * <pre>
 *  line, two IPv4 entries:
 *   0               8               16      20      24      28      32
 *   +---------------+---------------+-------+-------+-------+-------+
 *   | head (v4)     | src&lt;&lt;32 | dst  |backend|last   |flags  |seq    |  half 0
 *   |               |               |id     |seen   |       |(line) |
 *   +---------------+---------------+-------+-------+-------+-------+
 *   | head (v4)     | src&lt;&lt;32 | dst  |backend|last   |flags  |unused |  half 1
 *   +---------------+---------------+-------+-------+-------+-------+
 *   32              40              48      52      56      60      64
 *
 *  line, one IPv6 entry:
 *   +---------------+---------------+-------+-------+-------+-------+
 *   | head (v6)     | src hi        |backend|last   |flags  |seq    |
 *   +---------------+---------------+-------+-------+-------+-------+
 *   | tail marker 7 | src lo        | dst hi        | dst lo        |
 *   +---------------+---------------+---------------+---------------+
 *
 *  head = srcPort &lt;&lt; 48 | dstPort &lt;&lt; 32 | protocol &lt;&lt; 24 | kind (low byte: 0 free, 4 IPv4, 6 IPv6,
 *         7 second half of an IPv6 entry)
 * </pre>
 * The sequence word at {@value #SEQUENCE_OFFSET} belongs to the whole line (both halves): the writer makes
 * it odd before it changes anything in the line and even again after. An IPv6 entry keeps its value words
 * (backend, last seen, flags) where an IPv4 entry of the first half keeps them, so the sweep and eviction
 * age both kinds with the same loads.
 */
final class FlowTableDescriptor
{
    /** Bytes taken by an IPv4 entry: a slot. */
    static final int V4_ENTRY_BYTES = 32;
    /** Bytes taken by an IPv6 entry: a whole line. */
    static final int V6_ENTRY_BYTES = 64;
    /** Bytes in a cache line, the unit of the seqlock. */
    static final int LINE_BYTES = 64;
    /** Bytes in a half line, the IPv4 slot. */
    static final int HALF_BYTES = 32;
    /** Bytes in a bucket. */
    static final int BUCKET_BYTES = 256;
    /** 32-byte slots in a bucket. */
    static final int SLOTS_PER_BUCKET = BUCKET_BYTES / V4_ENTRY_BYTES;

    /** Head word: ports, protocol and kind. */
    static final int HEAD_OFFSET = 0;
    /** IPv4: {@code src << 32 | dst}; IPv6: the source's first 8 bytes. */
    static final int ADDRESSES_OFFSET = 8;
    static final int BACKEND_OFFSET = 16;
    static final int LAST_SEEN_OFFSET = 20;
    static final int FLAGS_OFFSET = 24;
    /** The line's sequence number (int), in the first half only. */
    static final int SEQUENCE_OFFSET = 28;
    /** The second half's head word: an IPv4 entry's head or {@link #V6_TAIL}. */
    static final int TAIL_OFFSET = 32;
    static final int V6_SRC_LO_OFFSET = 40;
    static final int V6_DST_HI_OFFSET = 48;
    static final int V6_DST_LO_OFFSET = 56;

    static final long KIND_MASK = 0xFF;
    static final long KIND_FREE = 0;
    static final long KIND_V4 = 4;
    static final long KIND_V6 = 6;
    /** The whole head word of the second half of a line that holds an IPv6 entry. */
    static final long V6_TAIL = 7;

    private FlowTableDescriptor()
    {
    }

    /** @return the head word of an IPv4 entry. */
    static long headV4(final int srcPort, final int dstPort, final int protocol)
    {
        return ports(srcPort, dstPort, protocol) | KIND_V4;
    }

    /** @return the head word of an IPv6 entry. */
    static long headV6(final int srcPort, final int dstPort, final int protocol)
    {
        return ports(srcPort, dstPort, protocol) | KIND_V6;
    }

    /** @return the addresses word of an IPv4 entry. */
    static long addressesV4(final int srcAddr, final int dstAddr)
    {
        return ((long)srcAddr << 32) | (dstAddr & 0xFFFF_FFFFL);
    }

    static int srcPort(final long head)
    {
        return (int)(head >>> 48);
    }

    static int dstPort(final long head)
    {
        return (int)(head >>> 32) & 0xFFFF;
    }

    static int protocol(final long head)
    {
        return (int)(head >>> 24) & 0xFF;
    }

    private static long ports(final int srcPort, final int dstPort, final int protocol)
    {
        return ((long)(srcPort & 0xFFFF) << 48) | ((long)(dstPort & 0xFFFF) << 32) | ((long)(protocol & 0xFF) << 24);
    }
}
