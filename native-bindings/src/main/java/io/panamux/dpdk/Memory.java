package io.panamux.dpdk;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Absolute-address access to native memory (mbufs, off-heap tables) through one segment that spans
 * the whole address space, the FFM equivalent of {@code Unsafe} get/put.
 *
 * <p>Packet headers are in network byte order: the {@code *Be} accessors read and write big-endian
 * values at unaligned addresses. Host-order accessors are for DPDK's own structures (mbuf fields).
 * The JIT folds the segment's bounds check (it spans {@code [0, Long.MAX_VALUE)}) into nothing more
 * than a sign test, and escape analysis removes every temporary; the steady loop allocates nothing.
 *
 * <p>{@link #CHECKS} is the one switch for bounds checks on the fast path: on in tests
 * ({@code -Dpanamux.checks=true}), off in production and benchmarks.
 */
@SuppressWarnings("restricted") // binding native code is this module's purpose
public final class Memory
{
    /** Bounds checks on the fast path, from the system property {@code panamux.checks}. */
    public static final boolean CHECKS = Boolean.getBoolean("panamux.checks");

    /** A segment over all of the address space; addresses are offsets into it. */
    public static final MemorySegment ALL = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    private static final ValueLayout.OfShort SHORT_BE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt INT_BE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfLong LONG_BE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;

    private Memory()
    {
    }

    /** @return the unsigned byte at {@code address}. */
    public static int getU8(final long address)
    {
        return ALL.get(ValueLayout.JAVA_BYTE, address) & 0xFF;
    }

    /** Writes the low 8 bits of {@code value} at {@code address}. */
    public static void putU8(final long address, final int value)
    {
        ALL.set(ValueLayout.JAVA_BYTE, address, (byte)value);
    }

    /** @return the unsigned big-endian 16-bit value at {@code address}. */
    public static int getU16Be(final long address)
    {
        return ALL.get(SHORT_BE, address) & 0xFFFF;
    }

    /** Writes the low 16 bits of {@code value} big-endian at {@code address}. */
    public static void putU16Be(final long address, final int value)
    {
        ALL.set(SHORT_BE, address, (short)value);
    }

    /** @return the big-endian 32-bit value at {@code address}. */
    public static int getI32Be(final long address)
    {
        return ALL.get(INT_BE, address);
    }

    /** Writes {@code value} big-endian at {@code address}. */
    public static void putI32Be(final long address, final int value)
    {
        ALL.set(INT_BE, address, value);
    }

    /** @return the big-endian 64-bit value at {@code address}. */
    public static long getI64Be(final long address)
    {
        return ALL.get(LONG_BE, address);
    }

    /** Writes {@code value} big-endian at {@code address}. */
    public static void putI64Be(final long address, final long value)
    {
        ALL.set(LONG_BE, address, value);
    }

    /** @return the unsigned host-order 16-bit value at {@code address}. */
    public static int getU16(final long address)
    {
        return ALL.get(SHORT, address) & 0xFFFF;
    }

    /** Writes the low 16 bits of {@code value} in host order at {@code address}. */
    public static void putU16(final long address, final int value)
    {
        ALL.set(SHORT, address, (short)value);
    }

    /** @return the host-order 32-bit value at {@code address}. */
    public static int getI32(final long address)
    {
        return ALL.get(INT, address);
    }

    /** Writes {@code value} in host order at {@code address}. */
    public static void putI32(final long address, final int value)
    {
        ALL.set(INT, address, value);
    }

    /** @return the host-order 64-bit value at {@code address}. */
    public static long getI64(final long address)
    {
        return ALL.get(LONG, address);
    }

    /** Writes {@code value} in host order at {@code address}. */
    public static void putI64(final long address, final long value)
    {
        ALL.set(LONG, address, value);
    }

    /** Copies {@code length} bytes between native addresses (regions may overlap). */
    public static void copy(final long from, final long to, final long length)
    {
        MemorySegment.copy(ALL, from, ALL, to, length);
    }

    /** Fills {@code length} bytes at {@code address} with {@code value}. */
    public static void fill(final long address, final long length, final byte value)
    {
        ALL.asSlice(address, length).fill(value);
    }

    /** Copies {@code length} bytes from a heap array into native memory. */
    public static void copyFromArray(final byte[] src, final int srcOffset, final long to, final int length)
    {
        MemorySegment.copy(src, srcOffset, ALL, ValueLayout.JAVA_BYTE, to, length);
    }

    /** Copies {@code length} bytes from native memory into a heap array. */
    public static void copyToArray(final long from, final byte[] dst, final int dstOffset, final int length)
    {
        MemorySegment.copy(ALL, ValueLayout.JAVA_BYTE, from, dst, dstOffset, length);
    }
}
