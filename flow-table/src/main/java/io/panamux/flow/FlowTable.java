package io.panamux.flow;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.security.SecureRandom;

import io.panamux.dpdk.Memory;
import org.agrona.UnsafeApi;

import static io.panamux.flow.FlowTableDescriptor.ADDRESSES_OFFSET;
import static io.panamux.flow.FlowTableDescriptor.BACKEND_OFFSET;
import static io.panamux.flow.FlowTableDescriptor.FLAGS_OFFSET;
import static io.panamux.flow.FlowTableDescriptor.HALF_BYTES;
import static io.panamux.flow.FlowTableDescriptor.HEAD_OFFSET;
import static io.panamux.flow.FlowTableDescriptor.KIND_FREE;
import static io.panamux.flow.FlowTableDescriptor.KIND_MASK;
import static io.panamux.flow.FlowTableDescriptor.KIND_V4;
import static io.panamux.flow.FlowTableDescriptor.KIND_V6;
import static io.panamux.flow.FlowTableDescriptor.LAST_SEEN_OFFSET;
import static io.panamux.flow.FlowTableDescriptor.LINE_BYTES;
import static io.panamux.flow.FlowTableDescriptor.SEQUENCE_OFFSET;
import static io.panamux.flow.FlowTableDescriptor.TAIL_OFFSET;
import static io.panamux.flow.FlowTableDescriptor.V6_DST_HI_OFFSET;
import static io.panamux.flow.FlowTableDescriptor.V6_DST_LO_OFFSET;
import static io.panamux.flow.FlowTableDescriptor.V6_SRC_LO_OFFSET;
import static io.panamux.flow.FlowTableDescriptor.V6_TAIL;
import static io.panamux.flow.FlowTableDescriptor.addressesV4;
import static io.panamux.flow.FlowTableDescriptor.dstPort;
import static io.panamux.flow.FlowTableDescriptor.headV4;
import static io.panamux.flow.FlowTableDescriptor.headV6;
import static io.panamux.flow.FlowTableDescriptor.protocol;
import static io.panamux.flow.FlowTableDescriptor.srcPort;

/**
 * Off-heap flow table of one fast-path worker: 5-tuple (IPv4 or IPv6) to backend id, last-seen time and
 * flags, with idle expiry and eviction of the stalest entry of a full bucket.
 *
 * <h2>Threads</h2>
 * One writer, the worker that owns the table, calls {@code find*}, {@code put*}, {@code remove*} and
 * {@link #expire}; those are allocation-free and never block. Any other thread may call {@code read*} and
 * {@link #forEach} at the same time without locks: every 64-byte line carries a sequence number that the
 * writer makes odd before it changes the line and even again after (release), and a reader retries a
 * line whose sequence was odd or changed while it read, so it never sees a torn entry. Entries never move
 * between lines, so a reader that scans a bucket line by line cannot miss an entry that stayed put.
 * Counters ({@link #size}, {@link #evictions}, {@link #expirations}) are written by the writer only and may
 * be read from any thread.
 *
 * <h2>Memory layout</h2>
 * One segment owned by a shared arena (so a reader racing with {@link #close()} gets an exception, never a
 * crash), 64-byte aligned; from 2 MiB up, an anonymous mapping advised for transparent huge pages (see
 * {@link #hugePages()}, {@link #hugePageBytes()}). It holds {@code 2^k} buckets of 256 bytes; a bucket holds
 * up to 8 IPv4 or 4 IPv6 flows. <b>An IPv4 entry takes 32 bytes, an IPv6 entry 64 bytes.</b>
 * {@link #capacity()} counts 32-byte slots. The byte layout, with its picture, is {@link FlowTableDescriptor}.
 *
 * <h2>Placement</h2>
 * A flow has two candidate buckets ("power of two choices"): with {@code h = FlowHash.hashV4/hashV6(
 * placementSeed, tuple)}, the first is {@code h & (buckets - 1)} and the second
 * {@code (h >>> 32) & (buckets - 1)} (its neighbour when both are equal); lookups scan the first, then the
 * second. One policy places both families ({@link #takesFirst}): a new flow goes to its first candidate
 * while that has more than {@value #FIRST_FIT_RESERVE} free slots, so that most flows live in the bucket a
 * worker prefetches and a lookup reads one bucket; after that, to the candidate with more free room (the
 * first on a tie). An IPv6 flow needs a whole free line, and its free room is counted in slots too (two per
 * free line). The second choice keeps evictions negligible up to a high load (measured in
 * {@code FlowTableTest}, filling with new IPv4 flows: none up to 50% of capacity, under 0.01% of flows lost
 * by 75%, 0.7% by 90%), where one choice loses about 1% of flows by 50% and 5% by 75%. The seed is per
 * table and random by default, so crafted tuples cannot be aimed at one bucket.
 *
 * <h2>Size of this class</h2>
 * Above the project's ~700 lines: it is the table's whole write protocol (placement, eviction, the sweep)
 * and the lock-free readers that depend on it (the sequence rules of "Threads" above), for two address
 * families, and about a third of it is the Javadoc of those public entry points. The byte layout is in
 * {@link FlowTableDescriptor} and the key of the control thread's calls in {@link FlowKey}; the readers
 * ({@code read*}, {@code forEach*}) are the part to move out next if it grows.
 *
 * <h2>Time</h2>
 * Times are ints in the caller's clock units (seconds or milliseconds since start); ages are computed as
 * {@code now - lastSeen} in int arithmetic, so the clock may wrap. A flow expires when its age reaches the
 * idle timeout. When both candidate buckets are full, the entry of the two with the greatest age is evicted
 * (for an IPv6 insert: the line whose youngest entry is oldest, so one or two entries) and
 * {@link #evictions()} counts it.
 */
public final class FlowTable implements AutoCloseable
{
    /** Returned by find and read operations for an absent flow; never a valid packed value. */
    public static final long MISSING = -1L;

    /** {@code put*}: the flow was new and stored in a free slot. */
    public static final int INSERTED = 1;
    /** {@code put*}: the flow was present; its backend, flags and last-seen time were replaced. */
    public static final int UPDATED = 2;
    /** {@code put*}: the flow was new and stored after evicting the stalest entry (or entries) of its buckets. */
    public static final int EVICTED = 3;

    /** {@link #findOrPutV4}: the flow was absent and took a free slot. */
    public static final long ADDED = -2L;
    /** {@link #findOrPutV4}: the flow was absent and took the place of the stalest entry of its buckets. */
    public static final long ADDED_EVICTING = -3L;

    /** Largest flags value; {@code put*} keep only the low 8 bits of {@code flags}. */
    public static final int MAX_FLAGS = 0xFF;

    /** Bytes taken by an IPv4 entry. */
    public static final int V4_ENTRY_BYTES = FlowTableDescriptor.V4_ENTRY_BYTES;
    /** Bytes taken by an IPv6 entry. */
    public static final int V6_ENTRY_BYTES = FlowTableDescriptor.V6_ENTRY_BYTES;
    /** Bytes in a bucket. */
    public static final int BUCKET_BYTES = FlowTableDescriptor.BUCKET_BYTES;
    /** IPv4 entries (32-byte slots) in a bucket. */
    public static final int SLOTS_PER_BUCKET = FlowTableDescriptor.SLOTS_PER_BUCKET;
    /** Largest capacity accepted (32 GiB of table). */
    public static final int MAX_CAPACITY = 1 << 30;

    /** Free slots of the first candidate above which a new flow goes there without looking at the second. */
    static final int FIRST_FIT_RESERVE = 3;

    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    private static final VarHandle SEQUENCE = ValueLayout.JAVA_INT.varHandle();
    private static final VarHandle SIZE;
    private static final VarHandle EVICTIONS;
    private static final VarHandle EXPIRATIONS;

    static
    {
        try
        {
            final MethodHandles.Lookup lookup = MethodHandles.lookup();
            SIZE = lookup.findVarHandle(FlowTable.class, "size", long.class);
            EVICTIONS = lookup.findVarHandle(FlowTable.class, "evictions", long.class);
            EXPIRATIONS = lookup.findVarHandle(FlowTable.class, "expirations", long.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    private final Arena arena;
    private final MemorySegment memory;
    /**
     * The same memory for the writer's own accesses: a global-scope view, so its loads and stores carry no
     * liveness check of the shared arena (only the writer closes the table, and not while it uses it);
     * readers on other threads keep {@link #memory}, which fails cleanly after {@link #close}.
     */
    private final MemorySegment own;
    /**
     * The table's address, for the writer's per-packet paths (the hit: {@link #findAtV4}, {@link #locateV4In},
     * {@link #hit}; the insert: {@link #placeV4}, {@link #storeV4}): through {@link Memory}'s whole-address-space
     * segment, a constant, C2 compiles each access to one load or store without the bounds check of {@link #own}
     * (whose length is a field). Every offset there comes from this table (a bucket of the mask, an entry found
     * in it), never from a packet.
     */
    private final long base;
    private final long placementSeed;
    private final long bucketMask;
    private final int bucketCount;
    private final boolean validateReads;
    private final boolean hugePages;

    private long size;
    private long evictions;
    private long expirations;
    private int expiryCursor;
    private boolean closed;

    /**
     * A table with a random placement seed from {@link SecureRandom}.
     *
     * @param capacity minimum number of IPv4 entries; rounded up to a power of two of 8-entry buckets.
     */
    public FlowTable(final int capacity)
    {
        this(capacity, new SecureRandom().nextLong());
    }

    /**
     * A table with a given placement seed (tests fix it; production passes a per-process random value).
     *
     * @param capacity      minimum number of IPv4 entries; rounded up to a power of two of 8-entry buckets.
     * @param placementSeed seed of the {@link FlowHash} that places flows in buckets.
     */
    public FlowTable(final int capacity, final long placementSeed)
    {
        this(capacity, placementSeed, true);
    }

    /**
     * Test hook: with {@code validateReads} false the readers skip the sequence check, so a concurrency
     * test can show that its harness detects torn reads.
     */
    @SuppressWarnings("restricted") // reinterpret: the writer's view of memory this table allocated, of its size
    FlowTable(final int capacity, final long placementSeed, final boolean validateReads)
    {
        if (capacity < 1 || capacity > MAX_CAPACITY)
        {
            throw new IllegalArgumentException("capacity must be in [1, " + MAX_CAPACITY + "]: " + capacity);
        }

        final int minBuckets = (capacity + SLOTS_PER_BUCKET - 1) / SLOTS_PER_BUCKET;
        bucketCount = minBuckets == 1 ? 1 : Integer.highestOneBit(minBuckets - 1) << 1;
        bucketMask = bucketCount - 1;
        this.placementSeed = placementSeed;
        this.validateReads = validateReads;
        arena = Arena.ofShared();
        // Both kinds of memory start zeroed: every head word is KIND_FREE and every sequence 0 (even).
        final long bytes = (long)bucketCount * BUCKET_BYTES;
        final MemorySegment mapped =
            bytes >= TableMemory.HUGE_PAGE_BYTES ? TableMemory.mapHugePages(arena, bytes) : null;
        hugePages = mapped != null;
        memory = hugePages ? mapped : arena.allocate(bytes, LINE_BYTES);
        own = MemorySegment.ofAddress(memory.address()).reinterpret(bytes);
        base = memory.address();
    }

    /**
     * Frees the table's memory. Only the writer may call it, once no reader uses the table; a reader
     * racing with it gets an {@link IllegalStateException}, never a crash.
     */
    public void close()
    {
        if (!closed)
        {
            closed = true;
            arena.close();
        }
    }

    /**
     * @return the number of IPv4 entries the table can hold (32-byte slots; an IPv6 entry takes two).
     */
    public int capacity()
    {
        return bucketCount * SLOTS_PER_BUCKET;
    }

    /**
     * @return the number of buckets, a power of two.
     */
    public int bucketCount()
    {
        return bucketCount;
    }

    /**
     * @return bytes of table per IPv4 entry ({@value #V4_ENTRY_BYTES}; IPv6: {@value #V6_ENTRY_BYTES}).
     */
    public int bytesPerEntry()
    {
        return V4_ENTRY_BYTES;
    }

    /**
     * @return the size of the table's memory in bytes.
     */
    public long memoryBytes()
    {
        return memory.byteSize();
    }

    /**
     * @return whether the table's memory is a mapping advised for transparent huge pages (tables of 2 MiB
     * and more on Linux), which cuts the TLB misses of random lookups.
     */
    public boolean hugePages()
    {
        return hugePages;
    }

    /**
     * What the kernel really backs with huge pages: {@link #hugePages()} says the mapping was advised, this
     * reads its {@code AnonHugePages} from {@code /proc/self/smaps} (pages are only given at first touch, and
     * only when a free 2 MiB block exists then). For reports and tests: it reads a proc file and allocates.
     *
     * @return bytes of the table on transparent huge pages, or -1 when it cannot be told.
     */
    public long hugePageBytes()
    {
        return TableMemory.hugePageBytes(memory.address());
    }

    /**
     * @return the number of flows stored (IPv4 and IPv6); any thread.
     */
    public long size()
    {
        return (long)SIZE.getOpaque(this);
    }

    /**
     * @return the number of entries evicted to make room since construction; any thread.
     */
    public long evictions()
    {
        return (long)EVICTIONS.getOpaque(this);
    }

    /**
     * @return the number of entries removed by {@link #expire} since construction; any thread.
     */
    public long expirations()
    {
        return (long)EXPIRATIONS.getOpaque(this);
    }

    /**
     * @param value a packed value from a find or read operation (not {@link #MISSING}).
     * @return the backend id in it.
     */
    public static int backendId(final long value)
    {
        return (int)value;
    }

    /**
     * @param value a packed value from a find or read operation (not {@link #MISSING}).
     * @return the flags in it.
     */
    public static int flags(final long value)
    {
        return (int)(value >>> 32);
    }

    // ---------------------------------------------------------------------------------------------------
    // Writer (owner thread only)
    // ---------------------------------------------------------------------------------------------------

    /**
     * Looks up a flow of either family, as {@link #findV4(int, int, int, int, int, int)} or
     * {@link #findV6(long, long, long, long, int, int, int, int)}. Writer only.
     *
     * @param key the flow (not kept).
     * @param now current time in the table's clock units.
     * @return {@code flags << 32 | backendId}, or {@link #MISSING}.
     */
    public long find(final FlowKey key, final int now)
    {
        return key.isV6()
            ? findV6(key.srcHi(), key.srcLo(), key.dstHi(), key.dstLo(), key.srcPort(), key.dstPort(), key.protocol(), now)
            : findV4(key.srcV4(), key.dstV4(), key.srcPort(), key.dstPort(), key.protocol(), now);
    }

    /**
     * Inserts or updates a flow of either family, as {@code putV4} or {@code putV6}. Writer only.
     *
     * @param key       the flow (not kept).
     * @param backendId the backend to record.
     * @param flags     flags to record (low 8 bits kept).
     * @param now       current time, stored as last-seen.
     * @return {@link #INSERTED}, {@link #UPDATED} or {@link #EVICTED}.
     */
    public int put(final FlowKey key, final int backendId, final int flags, final int now)
    {
        return key.isV6()
            ? putV6(key.srcHi(), key.srcLo(), key.dstHi(), key.dstLo(), key.srcPort(), key.dstPort(), key.protocol(), backendId, flags, now)
            : putV4(key.srcV4(), key.dstV4(), key.srcPort(), key.dstPort(), key.protocol(), backendId, flags, now);
    }

    /**
     * Removes a flow of either family. Writer only.
     *
     * @param key the flow (not kept).
     * @return whether it was present.
     */
    public boolean remove(final FlowKey key)
    {
        return key.isV6()
            ? removeV6(key.srcHi(), key.srcLo(), key.dstHi(), key.dstLo(), key.srcPort(), key.dstPort(), key.protocol())
            : removeV4(key.srcV4(), key.dstV4(), key.srcPort(), key.dstPort(), key.protocol());
    }

    /**
     * Reads a flow of either family without changing anything; any thread (see {@link #readV4}).
     *
     * @param key the flow (not kept).
     * @return {@code flags << 32 | backendId}, or {@link #MISSING}.
     */
    public long read(final FlowKey key)
    {
        return key.isV6()
            ? readV6(key.srcHi(), key.srcLo(), key.dstHi(), key.dstLo(), key.srcPort(), key.dstPort(), key.protocol())
            : readV4(key.srcV4(), key.dstV4(), key.srcPort(), key.dstPort(), key.protocol());
    }

    /**
     * Looks up an IPv4 flow and, when found and {@code now} differs from its last-seen time, records
     * {@code now} (so a burst of packets within one clock tick stores once). Writer only.
     *
     * @param srcAddr  source address (big-endian int).
     * @param dstAddr  destination address.
     * @param srcPort  source port.
     * @param dstPort  destination port.
     * @param protocol IP protocol.
     * @param now      current time in the table's clock units.
     * @return {@code flags << 32 | backendId} (see {@link #backendId}, {@link #flags}), or {@link #MISSING}.
     */
    public long findV4(
        final int srcAddr, final int dstAddr, final int srcPort, final int dstPort, final int protocol, final int now)
    {
        return findV4(hashV4(srcAddr, dstAddr, srcPort, dstPort, protocol), srcAddr, dstAddr, srcPort, dstPort, protocol, now);
    }

    /**
     * As {@link #findV4(int, int, int, int, int, int)}, with the flow's {@link #placementHashV4} computed
     * by the caller (once per packet, also for {@link #bucketAddress} prefetching).
     *
     * @return {@code flags << 32 | backendId}, or {@link #MISSING}.
     */
    public long findV4(
        final long placementHash, final int srcAddr, final int dstAddr, final int srcPort, final int dstPort, final int protocol,
        final int now)
    {
        final long slot = locateV4(placementHash, headV4(srcPort, dstPort, protocol), addressesV4(srcAddr, dstAddr));
        if (slot < 0)
        {
            return MISSING;
        }
        return hit(slot, now);
    }

    /**
     * Where an IPv4 flow is in its first candidate bucket, looked for ahead of {@link #findV4(long, long, int,
     * int, int, int, int)} so that a flow living in its second bucket (about one in twelve when the table is
     * half full) has that bucket prefetched too ({@link #secondBucketAddress}). Writer only; reads nothing
     * but the first bucket, which the caller has prefetched.
     *
     * @return the entry's offset (a hint for {@code findV4}), or -1 when it is not in the first bucket.
     */
    public long probeFirstV4(
        final long placementHash, final int srcAddr, final int dstAddr, final int srcPort, final int dstPort, final int protocol)
    {
        return locateV4In(firstBucket(placementHash), headV4(srcPort, dstPort, protocol), addressesV4(srcAddr, dstAddr));
    }

    /**
     * The known IPv4 flow at the offset {@link #probeFirstV4} gave, when the entry there is still this flow (the
     * table may have changed since), its last-seen time set; else {@link #MISSING}, and the caller asks
     * {@link #findV4(long, long, int, int, int, int, int, int)}. The worker's per-packet hit path: small in
     * compiled code too, so that C2 inlines it into the worker's loop however early it was compiled on its own
     * (C2 does not inline a method already compiled into more than InlineSmallCode, 2,500 bytes). Writer only.
     *
     * @return {@code flags << 32 | backendId}, or {@link #MISSING}.
     */
    public long findAtV4(
        final long hint, final int srcAddr, final int dstAddr, final int srcPort, final int dstPort, final int protocol, final int now)
    {
        return Memory.getI64(base + hint + HEAD_OFFSET) == headV4(srcPort, dstPort, protocol)
            && Memory.getI64(base + hint + ADDRESSES_OFFSET) == addressesV4(srcAddr, dstAddr) ? hit(hint, now) : MISSING;
    }

    /**
     * {@link #findV4(long, int, int, int, int, int, int)} with the offset {@link #probeFirstV4} gave: used
     * when the entry there is still this flow (the table may have changed since), else the flow is looked for
     * as usual.
     *
     * @return {@code flags << 32 | backendId}, or {@link #MISSING}.
     */
    public long findV4(
        final long hint, final long placementHash, final int srcAddr, final int dstAddr, final int srcPort, final int dstPort,
        final int protocol, final int now)
    {
        final long atHint = hint >= 0 ? findAtV4(hint, srcAddr, dstAddr, srcPort, dstPort, protocol, now) : MISSING;
        if (atHint != MISSING)
        {
            return atHint;
        }
        final long slot = locateV4(placementHash, headV4(srcPort, dstPort, protocol), addressesV4(srcAddr, dstAddr));
        if (slot < 0)
        {
            return MISSING;
        }
        return hit(slot, now);
    }

    /**
     * Inserts or updates an IPv4 flow; when both candidate buckets are full, evicts their stalest entry.
     * Writer only.
     *
     * @param srcAddr   source address (big-endian int).
     * @param dstAddr   destination address.
     * @param srcPort   source port.
     * @param dstPort   destination port.
     * @param protocol  IP protocol.
     * @param backendId the backend to record.
     * @param flags     flags to record (low 8 bits kept).
     * @param now       current time, stored as last-seen.
     * @return {@link #INSERTED}, {@link #UPDATED} or {@link #EVICTED}.
     */
    public int putV4(
        final int srcAddr,
        final int dstAddr,
        final int srcPort,
        final int dstPort,
        final int protocol,
        final int backendId,
        final int flags,
        final int now)
    {
        return putV4(hashV4(srcAddr, dstAddr, srcPort, dstPort, protocol), srcAddr, dstAddr, srcPort, dstPort, protocol, backendId,
            flags, now);
    }

    /**
     * As {@link #putV4(int, int, int, int, int, int, int, int)}, with the flow's {@link #placementHashV4}
     * computed by the caller.
     *
     * @return {@link #INSERTED}, {@link #UPDATED} or {@link #EVICTED}.
     */
    public int putV4(
        final long hash,
        final int srcAddr,
        final int dstAddr,
        final int srcPort,
        final int dstPort,
        final int protocol,
        final int backendId,
        final int flags,
        final int now)
    {
        final long existing = placeV4(hash, headV4(srcPort, dstPort, protocol), addressesV4(srcAddr, dstAddr), backendId, flags, now);
        if (existing >= 0)
        {
            final long line = existing & -LINE_BYTES;
            final int sequence = beginWrite(line);
            writeValue(existing, backendId, flags, now);
            endWrite(line, sequence);
            return UPDATED;
        }
        return existing == ADDED ? INSERTED : EVICTED;
    }

    /**
     * A new connection's lookup and insert in one pass over its two candidate buckets: when the IPv4 flow
     * is present, as {@link #findV4(long, int, int, int, int, int, int)} (its value, last-seen refreshed);
     * when absent, as {@link #putV4(long, int, int, int, int, int, int, int, int)} with {@code backendId}
     * (same slot choice, same eviction). Reads each of the 16 slots once where a miss followed by a put
     * reads them twice: for TCP SYNs, which are nearly always new. Writer only.
     *
     * @param hash      the flow's {@link #placementHashV4}.
     * @param srcAddr   source address (big-endian int).
     * @param dstAddr   destination address.
     * @param srcPort   source port.
     * @param dstPort   destination port.
     * @param protocol  IP protocol.
     * @param backendId the backend to record if the flow is absent.
     * @param flags     flags to record if the flow is absent (low 8 bits kept).
     * @param now       current time.
     * @return the present flow's {@code flags << 32 | backendId} (never negative), or {@link #ADDED} or
     * {@link #ADDED_EVICTING}.
     */
    public long findOrPutV4(
        final long hash,
        final int srcAddr,
        final int dstAddr,
        final int srcPort,
        final int dstPort,
        final int protocol,
        final int backendId,
        final int flags,
        final int now)
    {
        final long existing = placeV4(hash, headV4(srcPort, dstPort, protocol), addressesV4(srcAddr, dstAddr), backendId, flags, now);
        if (existing >= 0)
        {
            return hit(existing, now);
        }
        return existing;
    }

    /**
     * The one pass over an IPv4 flow's two candidate buckets behind {@link #putV4} and {@link #findOrPutV4}:
     * finds the flow, or else stores it in a free slot (the first candidate while it has room to spare, else
     * the emptier, the first on a tie), or else in place of the stalest entry of the two (an IPv6 entry is
     * aged at its first half and evicted whole).
     *
     * @return the offset of the flow's entry when it is present (nothing written), else {@link #ADDED} or
     * {@link #ADDED_EVICTING}.
     */
    private long placeV4(final long hash, final long head, final long addresses, final int backendId, final int flags, final int now)
    {
        final long first = firstBucket(hash);
        final long second = secondBucket(hash);
        long firstFree = -1;
        long secondFree = -1;
        int firstCount = 0;
        int secondCount = 0;
        long stalest = -1;
        int stalestAge = Integer.MIN_VALUE;
        // The first candidate, then the second when it is a different bucket; free slots counted per bucket.
        for (long bucket = first; bucket >= 0; bucket = bucket == first && second != first ? second : -1)
        {
            long free = -1;
            int count = 0;
            for (long slot = bucket, end = bucket + BUCKET_BYTES; slot < end; slot += HALF_BYTES)
            {
                final long at = base + slot;
                final long slotHead = Memory.getI64(at + HEAD_OFFSET);
                if (slotHead == KIND_FREE)
                {
                    free = count++ == 0 ? slot : free;
                }
                else if (slotHead != V6_TAIL)
                {
                    if (slotHead == head && Memory.getI64(at + ADDRESSES_OFFSET) == addresses)
                    {
                        return slot;
                    }
                    // An IPv6 entry is aged at its first half: its last-seen sits where an IPv4 entry's does.
                    final int age = now - Memory.getI32(at + LAST_SEEN_OFFSET);
                    if (age > stalestAge)
                    {
                        stalest = slot;
                        stalestAge = age;
                    }
                }
            }
            if (bucket == first)
            {
                firstFree = free;
                firstCount = count;
            }
            else
            {
                secondFree = free;
                secondCount = count;
            }
        }

        final long target;
        final long result;
        if (takesFirst(firstCount, secondCount))
        {
            target = firstFree;
            result = ADDED;
            SIZE.setOpaque(this, size + 1);
        }
        else if (secondCount > 0)
        {
            target = secondFree;
            result = ADDED;
            SIZE.setOpaque(this, size + 1);
        }
        else
        {
            target = stalest;
            result = ADDED_EVICTING;
            EVICTIONS.setOpaque(this, evictions + 1);
        }
        storeV4(target, head, addresses, backendId, flags, now);
        return result;
    }

    /** Writes an IPv4 entry at {@code target}, a free slot or the entry it evicts, under the line's seqlock. */
    private void storeV4(final long target, final long head, final long addresses, final int backendId, final int flags, final int now)
    {
        final long line = target & -LINE_BYTES;
        final int sequence = beginWrite(line);
        if ((Memory.getI64(base + target + HEAD_OFFSET) & KIND_MASK) == KIND_V6)
        {
            // Evicting an IPv6 entry frees the line's second half too.
            Memory.putI64(base + line + TAIL_OFFSET, KIND_FREE);
        }
        Memory.putI64(base + target + HEAD_OFFSET, head);
        Memory.putI64(base + target + ADDRESSES_OFFSET, addresses);
        writeValue(target, backendId, flags, now);
        endWrite(line, sequence);
    }

    /**
     * Removes an IPv4 flow. Writer only.
     *
     * @param srcAddr  source address (big-endian int).
     * @param dstAddr  destination address.
     * @param srcPort  source port.
     * @param dstPort  destination port.
     * @param protocol IP protocol.
     * @return whether the flow was present.
     */
    public boolean removeV4(
        final int srcAddr, final int dstAddr, final int srcPort, final int dstPort, final int protocol)
    {
        final long slot = locateV4(
            hashV4(srcAddr, dstAddr, srcPort, dstPort, protocol),
            headV4(srcPort, dstPort, protocol),
            addressesV4(srcAddr, dstAddr));
        if (slot < 0)
        {
            return false;
        }

        final long line = slot & -LINE_BYTES;
        final int sequence = beginWrite(line);
        own.set(LONG, slot + HEAD_OFFSET, KIND_FREE);
        endWrite(line, sequence);
        SIZE.setOpaque(this, size - 1);
        return true;
    }

    /**
     * Looks up an IPv6 flow, recording {@code now} as last-seen when it changed. Writer only.
     *
     * @param srcHi    first 8 bytes of the source address (big-endian long).
     * @param srcLo    last 8 bytes of the source address.
     * @param dstHi    first 8 bytes of the destination address.
     * @param dstLo    last 8 bytes of the destination address.
     * @param srcPort  source port.
     * @param dstPort  destination port.
     * @param protocol upper-layer protocol.
     * @param now      current time in the table's clock units.
     * @return {@code flags << 32 | backendId}, or {@link #MISSING}.
     */
    public long findV6(
        final long srcHi,
        final long srcLo,
        final long dstHi,
        final long dstLo,
        final int srcPort,
        final int dstPort,
        final int protocol,
        final int now)
    {
        return findV6(hashV6(srcHi, srcLo, dstHi, dstLo, srcPort, dstPort, protocol), srcHi, srcLo, dstHi, dstLo, srcPort, dstPort,
            protocol, now);
    }

    /**
     * As {@link #findV6(long, long, long, long, int, int, int, int)}, with the flow's
     * {@link #placementHashV6} computed by the caller.
     *
     * @return {@code flags << 32 | backendId}, or {@link #MISSING}.
     */
    public long findV6(
        final long placementHash,
        final long srcHi,
        final long srcLo,
        final long dstHi,
        final long dstLo,
        final int srcPort,
        final int dstPort,
        final int protocol,
        final int now)
    {
        final long line = locateV6(placementHash, headV6(srcPort, dstPort, protocol), srcHi, srcLo, dstHi, dstLo);
        if (line < 0)
        {
            return MISSING;
        }
        return hit(line, now);
    }

    /**
     * Inserts or updates an IPv6 flow; when neither candidate bucket has a free line, evicts the line whose
     * youngest entry is oldest (one IPv6 or one or two IPv4 entries, all counted). Writer only.
     *
     * @param srcHi     first 8 bytes of the source address (big-endian long).
     * @param srcLo     last 8 bytes of the source address.
     * @param dstHi     first 8 bytes of the destination address.
     * @param dstLo     last 8 bytes of the destination address.
     * @param srcPort   source port.
     * @param dstPort   destination port.
     * @param protocol  upper-layer protocol.
     * @param backendId the backend to record.
     * @param flags     flags to record (low 8 bits kept).
     * @param now       current time, stored as last-seen.
     * @return {@link #INSERTED}, {@link #UPDATED} or {@link #EVICTED}.
     */
    public int putV6(
        final long srcHi,
        final long srcLo,
        final long dstHi,
        final long dstLo,
        final int srcPort,
        final int dstPort,
        final int protocol,
        final int backendId,
        final int flags,
        final int now)
    {
        return putV6(hashV6(srcHi, srcLo, dstHi, dstLo, srcPort, dstPort, protocol), srcHi, srcLo, dstHi, dstLo, srcPort, dstPort,
            protocol, backendId, flags, now);
    }

    /**
     * As {@link #putV6(long, long, long, long, int, int, int, int, int, int)}, with the flow's
     * {@link #placementHashV6} computed by the caller.
     *
     * @return {@link #INSERTED}, {@link #UPDATED} or {@link #EVICTED}.
     */
    public int putV6(
        final long hash,
        final long srcHi,
        final long srcLo,
        final long dstHi,
        final long dstLo,
        final int srcPort,
        final int dstPort,
        final int protocol,
        final int backendId,
        final int flags,
        final int now)
    {
        final long head = headV6(srcPort, dstPort, protocol);
        final MemorySegment own = this.own;

        final long existing = locateV6(hash, head, srcHi, srcLo, dstHi, dstLo);
        if (existing >= 0)
        {
            final int sequence = beginWrite(existing);
            writeValue(existing, backendId, flags, now);
            endWrite(existing, sequence);
            return UPDATED;
        }

        final long first = firstBucket(hash);
        final long second = secondBucket(hash);
        long line = freeLine(first, second);
        final int result;
        if (line >= 0)
        {
            result = INSERTED;
            SIZE.setOpaque(this, size + 1);
        }
        else
        {
            line = victimLine(first, second, now);
            result = EVICTED;
            final long head0 = own.get(LONG, line + HEAD_OFFSET);
            final long head1 = own.get(LONG, line + TAIL_OFFSET);
            final int evicted = (head0 != KIND_FREE ? 1 : 0) + ((head1 & KIND_MASK) == KIND_V4 ? 1 : 0);
            EVICTIONS.setOpaque(this, evictions + evicted);
            SIZE.setOpaque(this, size + 1 - evicted);
        }

        final int sequence = beginWrite(line);
        own.set(LONG, line + HEAD_OFFSET, head);
        own.set(LONG, line + ADDRESSES_OFFSET, srcHi);
        writeValue(line, backendId, flags, now);
        own.set(LONG, line + TAIL_OFFSET, V6_TAIL);
        own.set(LONG, line + V6_SRC_LO_OFFSET, srcLo);
        own.set(LONG, line + V6_DST_HI_OFFSET, dstHi);
        own.set(LONG, line + V6_DST_LO_OFFSET, dstLo);
        endWrite(line, sequence);

        return result;
    }

    /**
     * Removes an IPv6 flow. Writer only.
     *
     * @param srcHi    first 8 bytes of the source address (big-endian long).
     * @param srcLo    last 8 bytes of the source address.
     * @param dstHi    first 8 bytes of the destination address.
     * @param dstLo    last 8 bytes of the destination address.
     * @param srcPort  source port.
     * @param dstPort  destination port.
     * @param protocol upper-layer protocol.
     * @return whether the flow was present.
     */
    public boolean removeV6(
        final long srcHi,
        final long srcLo,
        final long dstHi,
        final long dstLo,
        final int srcPort,
        final int dstPort,
        final int protocol)
    {
        final long line = locateV6(
            hashV6(srcHi, srcLo, dstHi, dstLo, srcPort, dstPort, protocol),
            headV6(srcPort, dstPort, protocol), srcHi, srcLo, dstHi, dstLo);
        if (line < 0)
        {
            return false;
        }

        final int sequence = beginWrite(line);
        own.set(LONG, line + HEAD_OFFSET, KIND_FREE);
        own.set(LONG, line + TAIL_OFFSET, KIND_FREE);
        endWrite(line, sequence);
        SIZE.setOpaque(this, size - 1);
        return true;
    }

    /**
     * One step of the idle sweep: visits the next {@code maxBuckets} buckets (wrapping around) and removes
     * the entries whose age {@code now - lastSeen} is at least {@code idleTimeout}. The owner calls it in
     * small steps from its duty cycle. Writer only.
     *
     * @param now         current time in the table's clock units.
     * @param idleTimeout idle time after which a flow expires, {@code > 0}.
     * @param maxBuckets  buckets to visit in this step (capped at the bucket count).
     * @return the number of entries expired in this step.
     */
    public int expire(final int now, final int idleTimeout, final int maxBuckets)
    {
        final MemorySegment own = this.own;
        final int steps = Math.min(maxBuckets, bucketCount);
        int expired = 0;
        int cursor = expiryCursor;
        for (int i = 0; i < steps; i++)
        {
            final long bucket = (long)cursor * BUCKET_BYTES;
            cursor = (cursor + 1) & (int)bucketMask;
            for (long line = bucket, end = bucket + BUCKET_BYTES; line < end; line += LINE_BYTES)
            {
                final long head0 = own.get(LONG, line + HEAD_OFFSET);
                if (head0 != KIND_FREE && now - own.get(INT, line + LAST_SEEN_OFFSET) >= idleTimeout)
                {
                    final int sequence = beginWrite(line);
                    own.set(LONG, line + HEAD_OFFSET, KIND_FREE);
                    if ((head0 & KIND_MASK) == KIND_V6)
                    {
                        own.set(LONG, line + TAIL_OFFSET, KIND_FREE);
                    }
                    endWrite(line, sequence);
                    expired++;
                }

                final long half = line + HALF_BYTES;
                final long head1 = own.get(LONG, half + HEAD_OFFSET);
                if ((head1 & KIND_MASK) == KIND_V4 && now - own.get(INT, half + LAST_SEEN_OFFSET) >= idleTimeout)
                {
                    final int sequence = beginWrite(line);
                    own.set(LONG, half + HEAD_OFFSET, KIND_FREE);
                    endWrite(line, sequence);
                    expired++;
                }
            }
        }
        expiryCursor = cursor;

        if (expired > 0)
        {
            SIZE.setOpaque(this, size - expired);
            EXPIRATIONS.setOpaque(this, expirations + expired);
        }
        return expired;
    }

    // ---------------------------------------------------------------------------------------------------
    // Readers (any thread)
    // ---------------------------------------------------------------------------------------------------

    /**
     * Reads an IPv4 flow without changing anything; safe from any thread, never blocks the writer.
     *
     * @param srcAddr  source address (big-endian int).
     * @param dstAddr  destination address.
     * @param srcPort  source port.
     * @param dstPort  destination port.
     * @param protocol IP protocol.
     * @return {@code flags << 32 | backendId}, or {@link #MISSING}.
     */
    public long readV4(
        final int srcAddr, final int dstAddr, final int srcPort, final int dstPort, final int protocol)
    {
        final long hash = hashV4(srcAddr, dstAddr, srcPort, dstPort, protocol);
        final long head = headV4(srcPort, dstPort, protocol);
        final long addresses = addressesV4(srcAddr, dstAddr);
        final long first = firstBucket(hash);
        final long value = readBucketV4(first, head, addresses);
        final long second = secondBucket(hash);
        return value != MISSING || second == first ? value : readBucketV4(second, head, addresses);
    }

    /**
     * Reads an IPv6 flow without changing anything; safe from any thread, never blocks the writer.
     *
     * @param srcHi    first 8 bytes of the source address (big-endian long).
     * @param srcLo    last 8 bytes of the source address.
     * @param dstHi    first 8 bytes of the destination address.
     * @param dstLo    last 8 bytes of the destination address.
     * @param srcPort  source port.
     * @param dstPort  destination port.
     * @param protocol upper-layer protocol.
     * @return {@code flags << 32 | backendId}, or {@link #MISSING}.
     */
    public long readV6(
        final long srcHi,
        final long srcLo,
        final long dstHi,
        final long dstLo,
        final int srcPort,
        final int dstPort,
        final int protocol)
    {
        final long hash = hashV6(srcHi, srcLo, dstHi, dstLo, srcPort, dstPort, protocol);
        final long head = headV6(srcPort, dstPort, protocol);
        final long first = firstBucket(hash);
        final long value = readBucketV6(first, head, srcHi, srcLo, dstHi, dstLo);
        final long second = secondBucket(hash);
        return value != MISSING || second == first ?
            value : readBucketV6(second, head, srcHi, srcLo, dstHi, dstLo);
    }

    /**
     * Visits up to {@code limit} entries, bucket by bucket from the start, each one a consistent
     * snapshot (the dump is not a snapshot of the whole table: entries may change between lines). Safe from
     * any thread; allocation-free; never blocks the writer.
     *
     * @param visitor receives the entries.
     * @param limit   maximum number of entries to visit.
     * @return the number of entries visited.
     */
    public int forEach(final FlowVisitor visitor, final int limit)
    {
        return visit(visitor, 0, bucketCount, limit);
    }

    /**
     * Visits every entry of the buckets {@code firstBucket} to {@code firstBucket + buckets - 1} (clamped to the
     * table), each one a consistent snapshot, as {@link #forEach(FlowVisitor, int)} does: a caller that must
     * not stall (the control thread re-reporting flows after the pool changed) walks a large table a slice
     * per duty cycle. Safe from any thread; allocation-free; never blocks the writer.
     *
     * @param visitor     receives the entries.
     * @param firstBucket the first bucket, from 0.
     * @param buckets     how many buckets.
     * @return the number of entries visited.
     */
    public int forEachInBuckets(final FlowVisitor visitor, final int firstBucket, final int buckets)
    {
        final int from = Math.max(0, Math.min(firstBucket, bucketCount));
        final int to = (int)Math.min((long)bucketCount, (long)from + Math.max(0, buckets));
        return visit(visitor, from, to, Integer.MAX_VALUE);
    }

    private int visit(final FlowVisitor visitor, final int fromBucket, final int toBucket, final int limit)
    {
        final MemorySegment memory = this.memory;
        final long end = (long)toBucket * BUCKET_BYTES;
        int visited = 0;
        for (long line = (long)fromBucket * BUCKET_BYTES; line < end && visited < limit; line += LINE_BYTES)
        {
            long head0;
            long word8;
            int backend0;
            int lastSeen0;
            int flags0;
            long head1;
            long word40;
            long word48;
            long word56;
            int backend1;
            int lastSeen1;
            int flags1;
            while (true)
            {
                final int before = (int)SEQUENCE.getAcquire(memory, line + SEQUENCE_OFFSET);
                head0 = memory.get(LONG, line + HEAD_OFFSET);
                word8 = memory.get(LONG, line + ADDRESSES_OFFSET);
                backend0 = memory.get(INT, line + BACKEND_OFFSET);
                lastSeen0 = memory.get(INT, line + LAST_SEEN_OFFSET);
                flags0 = memory.get(INT, line + FLAGS_OFFSET);
                head1 = memory.get(LONG, line + TAIL_OFFSET);
                word40 = memory.get(LONG, line + V6_SRC_LO_OFFSET);
                word48 = memory.get(LONG, line + V6_DST_HI_OFFSET);
                word56 = memory.get(LONG, line + V6_DST_LO_OFFSET);
                backend1 = memory.get(INT, line + HALF_BYTES + BACKEND_OFFSET);
                lastSeen1 = memory.get(INT, line + HALF_BYTES + LAST_SEEN_OFFSET);
                flags1 = memory.get(INT, line + HALF_BYTES + FLAGS_OFFSET);
                VarHandle.loadLoadFence();
                if (stable(line, before))
                {
                    break;
                }
                Thread.onSpinWait();
            }

            final long kind0 = head0 & KIND_MASK;
            if (kind0 == KIND_V4)
            {
                visitor.onV4(
                    (int)(word8 >>> 32), (int)word8, srcPort(head0), dstPort(head0), protocol(head0),
                    backend0, lastSeen0, flags0);
                visited++;
            }
            else if (kind0 == KIND_V6)
            {
                visitor.onV6(
                    word8, word40, word48, word56, srcPort(head0), dstPort(head0), protocol(head0),
                    backend0, lastSeen0, flags0);
                visited++;
            }

            if ((head1 & KIND_MASK) == KIND_V4 && visited < limit)
            {
                visitor.onV4(
                    (int)(word40 >>> 32), (int)word40, srcPort(head1), dstPort(head1), protocol(head1),
                    backend1, lastSeen1, flags1);
                visited++;
            }
        }
        return visited;
    }

    // ---------------------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------------------

    private long hashV4(final int srcAddr, final int dstAddr, final int srcPort, final int dstPort, final int protocol)
    {
        return FlowHash.hashV4(placementSeed, srcAddr, dstAddr, srcPort, dstPort, protocol);
    }

    private long hashV6(
        final long srcHi,
        final long srcLo,
        final long dstHi,
        final long dstLo,
        final int srcPort,
        final int dstPort,
        final int protocol)
    {
        return FlowHash.hashV6(placementSeed, srcHi, srcLo, dstHi, dstLo, srcPort, dstPort, protocol);
    }

    /**
     * The placement hash of an IPv4 flow (keyed with this table's seed): computed once per packet by a
     * worker, it gives the buckets to prefetch ({@link #bucketAddress}, {@link #secondBucketAddress}) and is
     * passed to the hashed {@code find}/{@code put}. Any thread; reads nothing from the table.
     */
    public long placementHashV4(final int srcAddr, final int dstAddr, final int srcPort, final int dstPort, final int protocol)
    {
        return hashV4(srcAddr, dstAddr, srcPort, dstPort, protocol);
    }

    /** The placement hash of an IPv6 flow (see {@link #placementHashV4}). */
    public long placementHashV6(final long srcHi, final long srcLo, final long dstHi, final long dstLo, final int srcPort,
        final int dstPort, final int protocol)
    {
        return hashV6(srcHi, srcLo, dstHi, dstLo, srcPort, dstPort, protocol);
    }

    /**
     * @return the absolute address of the first candidate bucket of a flow with this placement hash, where
     * a lookup looks first and where most flows live (inserts fill it before the second): for a worker to
     * prefetch a whole burst's buckets before looking them up.
     */
    public long bucketAddress(final long placementHash)
    {
        return memory.address() + firstBucket(placementHash);
    }

    /** @return the absolute address of the second candidate bucket (read when the first has no match). */
    public long secondBucketAddress(final long placementHash)
    {
        return memory.address() + secondBucket(placementHash);
    }

    /** Offset of a flow's first candidate bucket. */
    private long firstBucket(final long hash)
    {
        return (hash & bucketMask) * BUCKET_BYTES;
    }

    /** Offset of a flow's second candidate bucket: distinct from the first whenever there are two buckets. */
    private long secondBucket(final long hash)
    {
        final long first = hash & bucketMask;
        final long second = (hash >>> 32) & bucketMask;
        return (second != first ? second : (second ^ 1) & bucketMask) * BUCKET_BYTES;
    }

    /** Test access: {@code first << 32 | second}, the indices of a flow's candidate buckets. */
    long candidateBucketsV4(
        final int srcAddr, final int dstAddr, final int srcPort, final int dstPort, final int protocol)
    {
        final long hash = hashV4(srcAddr, dstAddr, srcPort, dstPort, protocol);
        return (firstBucket(hash) / BUCKET_BYTES) << 32 | (secondBucket(hash) / BUCKET_BYTES);
    }

    /** Test access: {@code first << 32 | second}, the indices of a flow's candidate buckets. */
    long candidateBucketsV6(
        final long srcHi,
        final long srcLo,
        final long dstHi,
        final long dstLo,
        final int srcPort,
        final int dstPort,
        final int protocol)
    {
        final long hash = hashV6(srcHi, srcLo, dstHi, dstLo, srcPort, dstPort, protocol);
        return (firstBucket(hash) / BUCKET_BYTES) << 32 | (secondBucket(hash) / BUCKET_BYTES);
    }

    /** Test access: the byte offset of a stored IPv4 flow's entry, or -1. */
    long offsetOfV4(final int srcAddr, final int dstAddr, final int srcPort, final int dstPort, final int protocol)
    {
        return locateV4(
            hashV4(srcAddr, dstAddr, srcPort, dstPort, protocol),
            headV4(srcPort, dstPort, protocol),
            addressesV4(srcAddr, dstAddr));
    }

    /** Test access: the byte offset of a stored IPv6 flow's line, or -1. */
    long offsetOfV6(
        final long srcHi,
        final long srcLo,
        final long dstHi,
        final long dstLo,
        final int srcPort,
        final int dstPort,
        final int protocol)
    {
        return locateV6(
            hashV6(srcHi, srcLo, dstHi, dstLo, srcPort, dstPort, protocol),
            headV6(srcPort, dstPort, protocol), srcHi, srcLo, dstHi, dstLo);
    }

    /** Test access to a line's sequence number. */
    int sequenceAt(final long line)
    {
        return (int)SEQUENCE.getAcquire(memory, line + SEQUENCE_OFFSET);
    }

    private long locateV4(final long hash, final long head, final long addresses)
    {
        final long first = firstBucket(hash);
        final long slot = locateV4In(first, head, addresses);
        if (slot >= 0)
        {
            return slot;
        }
        final long second = secondBucket(hash);
        return second == first ? -1 : locateV4In(second, head, addresses);
    }

    private long locateV4In(final long bucket, final long head, final long addresses)
    {
        final long at = base + bucket;
        for (long slot = 0; slot < BUCKET_BYTES; slot += HALF_BYTES)
        {
            if (Memory.getI64(at + slot + HEAD_OFFSET) == head && Memory.getI64(at + slot + ADDRESSES_OFFSET) == addresses)
            {
                return bucket + slot;
            }
        }
        return -1;
    }

    private long locateV6(
        final long hash, final long head, final long srcHi, final long srcLo, final long dstHi, final long dstLo)
    {
        final long first = firstBucket(hash);
        final long line = locateV6In(first, head, srcHi, srcLo, dstHi, dstLo);
        if (line >= 0)
        {
            return line;
        }
        final long second = secondBucket(hash);
        return second == first ? -1 : locateV6In(second, head, srcHi, srcLo, dstHi, dstLo);
    }

    private long locateV6In(
        final long bucket, final long head, final long srcHi, final long srcLo, final long dstHi, final long dstLo)
    {
        final MemorySegment own = this.own;
        for (long line = bucket, end = bucket + BUCKET_BYTES; line < end; line += LINE_BYTES)
        {
            if (own.get(LONG, line + HEAD_OFFSET) == head && matchesV6(line, srcHi, srcLo, dstHi, dstLo))
            {
                return line;
            }
        }
        return -1;
    }

    /** A fully free line of a candidate chosen by {@link #takesFirst}, or -1 when neither has one. */
    private long freeLine(final long first, final long second)
    {
        final MemorySegment own = this.own;
        long firstFree = -1;
        long secondFree = -1;
        int firstCount = 0;
        int secondCount = 0;
        for (long line = first, end = first + BUCKET_BYTES; line < end; line += LINE_BYTES)
        {
            if (own.get(LONG, line + HEAD_OFFSET) == KIND_FREE && own.get(LONG, line + TAIL_OFFSET) == KIND_FREE)
            {
                firstFree = firstCount++ == 0 ? line : firstFree;
            }
        }
        if (second != first)
        {
            for (long line = second, end = second + BUCKET_BYTES; line < end; line += LINE_BYTES)
            {
                if (own.get(LONG, line + HEAD_OFFSET) == KIND_FREE &&
                    own.get(LONG, line + TAIL_OFFSET) == KIND_FREE)
                {
                    secondFree = secondCount++ == 0 ? line : secondFree;
                }
            }
        }
        // Free room in slots, as for IPv4: a free line is two.
        return takesFirst(2 * firstCount, 2 * secondCount) ? firstFree : secondFree;
    }

    /**
     * The placement policy of both families: whether a new flow goes to its first candidate, given the free
     * 32-byte slots (IPv4) or twice the free lines (IPv6) of each. The first while it has room to spare, so
     * that most flows live in the bucket that is prefetched and a lookup that finds them reads one bucket;
     * once it is nearly full, the emptier of the two (the first on a tie), which keeps evictions rare up to
     * high loads (power of two choices). When this says no and the second has no room either, the caller
     * evicts.
     */
    static boolean takesFirst(final int firstFree, final int secondFree)
    {
        return firstFree > FIRST_FIT_RESERVE || (firstFree > 0 && firstFree >= secondFree);
    }

    /**
     * The line of the two candidates whose youngest entry is oldest: a line is only as stale as its
     * youngest entry, and evicting it must not cut a live flow short.
     */
    private long victimLine(final long first, final long second, final int now)
    {
        final MemorySegment own = this.own;
        long victim = -1;
        int victimAge = Integer.MIN_VALUE;
        // Visits the first candidate, then the second when it is a different bucket.
        for (long bucket = first; bucket >= 0; bucket = bucket == first && second != first ? second : -1)
        {
            for (long line = bucket, end = bucket + BUCKET_BYTES; line < end; line += LINE_BYTES)
            {
                final long head0 = own.get(LONG, line + HEAD_OFFSET);
                final long head1 = own.get(LONG, line + TAIL_OFFSET);
                int age = Integer.MAX_VALUE;
                if (head0 != KIND_FREE)
                {
                    age = now - own.get(INT, line + LAST_SEEN_OFFSET);
                }
                if ((head1 & KIND_MASK) == KIND_V4)
                {
                    age = Math.min(age, now - own.get(INT, line + HALF_BYTES + LAST_SEEN_OFFSET));
                }
                if (age > victimAge)
                {
                    victim = line;
                    victimAge = age;
                }
            }
        }
        return victim;
    }

    private long readBucketV4(final long bucket, final long head, final long addresses)
    {
        for (long line = bucket, end = bucket + BUCKET_BYTES; line < end; line += LINE_BYTES)
        {
            final long value = readLineV4(line, head, addresses);
            if (value != MISSING)
            {
                return value;
            }
        }
        return MISSING;
    }

    private long readBucketV6(
        final long bucket, final long head, final long srcHi, final long srcLo, final long dstHi, final long dstLo)
    {
        final MemorySegment memory = this.memory;
        for (long line = bucket, end = bucket + BUCKET_BYTES; line < end; line += LINE_BYTES)
        {
            while (true)
            {
                final int before = (int)SEQUENCE.getAcquire(memory, line + SEQUENCE_OFFSET);
                long value = MISSING;
                if (memory.get(LONG, line + HEAD_OFFSET) == head && matchesV6(line, srcHi, srcLo, dstHi, dstLo))
                {
                    value = packedValue(line);
                }
                VarHandle.loadLoadFence();
                if (stable(line, before))
                {
                    if (value != MISSING)
                    {
                        return value;
                    }
                    break;
                }
                Thread.onSpinWait();
            }
        }
        return MISSING;
    }

    private boolean matchesV6(final long line, final long srcHi, final long srcLo, final long dstHi, final long dstLo)
    {
        final MemorySegment memory = this.memory;
        return memory.get(LONG, line + ADDRESSES_OFFSET) == srcHi &&
            memory.get(LONG, line + V6_SRC_LO_OFFSET) == srcLo &&
            memory.get(LONG, line + V6_DST_HI_OFFSET) == dstHi &&
            memory.get(LONG, line + V6_DST_LO_OFFSET) == dstLo;
    }

    private long readLineV4(final long line, final long head, final long addresses)
    {
        final MemorySegment memory = this.memory;
        while (true)
        {
            final int before = (int)SEQUENCE.getAcquire(memory, line + SEQUENCE_OFFSET);
            long value = MISSING;
            if (memory.get(LONG, line + HEAD_OFFSET) == head && memory.get(LONG, line + ADDRESSES_OFFSET) == addresses)
            {
                value = packedValue(line);
            }
            else if (memory.get(LONG, line + HALF_BYTES + HEAD_OFFSET) == head &&
                memory.get(LONG, line + HALF_BYTES + ADDRESSES_OFFSET) == addresses)
            {
                value = packedValue(line + HALF_BYTES);
            }
            VarHandle.loadLoadFence();
            if (stable(line, before))
            {
                return value;
            }
            Thread.onSpinWait();
        }
    }

    /** Whether a line read that began at sequence {@code before} saw no write. */
    private boolean stable(final long line, final int before)
    {
        return !validateReads ||
            ((before & 1) == 0 && before == (int)SEQUENCE.getAcquire(memory, line + SEQUENCE_OFFSET));
    }

    private int beginWrite(final long line)
    {
        final int sequence = Memory.getI32(base + line + SEQUENCE_OFFSET) + 1;
        UnsafeApi.putIntOpaque(null, base + line + SEQUENCE_OFFSET, sequence);
        // The odd sequence must be visible before any store to the line's entries.
        VarHandle.storeStoreFence();
        return sequence;
    }

    private void endWrite(final long line, final int oddSequence)
    {
        UnsafeApi.putIntRelease(null, base + line + SEQUENCE_OFFSET, oddSequence + 1);
    }

    /**
     * The value of a found entry ({@code flags << 32 | backendId}), its last-seen time set to {@code now}: every
     * find's hit path in one small method. As {@code touch} and {@code ownValue} these were two real calls per
     * packet in the worker (perf/profile: touch's FFM stores compiled to 2,552 bytes, over C2's InlineSmallCode
     * of 2,500, so C2 would not inline it once compiled; ownValue, 45 bytes of bytecode, was not inlined where
     * its caller had been compiled early). The line's write, once a second per flow, stays out of line.
     */
    private long hit(final long entry, final int now)
    {
        final long at = base + entry;
        if (Memory.getI32(at + LAST_SEEN_OFFSET) != now)
        {
            stamp(entry, now);
        }
        return ((long)Memory.getI32(at + FLAGS_OFFSET) << 32) | (Memory.getI32(at + BACKEND_OFFSET) & 0xFFFF_FFFFL);
    }

    private void stamp(final long entry, final int now)
    {
        final long line = entry & -LINE_BYTES;
        final int sequence = beginWrite(line);
        Memory.putI32(base + entry + LAST_SEEN_OFFSET, now);
        endWrite(line, sequence);
    }

    private void writeValue(final long entry, final int backendId, final int flags, final int now)
    {
        final long at = base + entry;
        Memory.putI32(at + BACKEND_OFFSET, backendId);
        Memory.putI32(at + LAST_SEEN_OFFSET, now);
        Memory.putI32(at + FLAGS_OFFSET, flags & MAX_FLAGS);
    }

    private long packedValue(final long entry)
    {
        return ((long)memory.get(INT, entry + FLAGS_OFFSET) << 32) |
            (memory.get(INT, entry + BACKEND_OFFSET) & 0xFFFF_FFFFL);
    }
}
