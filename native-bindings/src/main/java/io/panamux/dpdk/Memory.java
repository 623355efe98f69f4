package io.panamux.dpdk;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import org.agrona.UnsafeApi;

/**
 * Absolute-address access to native memory (mbufs, off-heap tables): {@code Unsafe} get/put at raw
 * addresses, through Agrona's {@link UnsafeApi} (the JDK's internal {@code Unsafe}, which Agrona already
 * needs; {@code --add-exports java.base/jdk.internal.misc} is on every command line that runs the project).
 *
 * <p>Packet headers are in network byte order: the {@code *Be} accessors read and write big-endian
 * values at unaligned addresses. Host-order accessors are for DPDK's own structures (mbuf fields).
 *
 * <p>Why not a segment over the whole address space ({@link #ALL}), as before: the checks of such a segment
 * fold away, but C2 folds them after inlining, and each access first inlines about thirty methods of the FFM
 * implementation (var handle guards, segment, bounds, alignment and session checks). The worker's stage two
 * (parse results, backend, encapsulation, TX) made of them reached C2's node budget
 * ({@code NodeCountInliningCutoff}), and {@code TxBuffer.add} stayed a real call per packet, with the
 * spills around it (issue 14, {@code -XX:+PrintInlining}). An {@code Unsafe} access is one intrinsic.
 * What it gives up is nothing the segment gave: {@link #ALL} checks only that an address is not negative.
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

    private Memory()
    {
    }

    /** @return the unsigned byte at {@code address}. */
    public static int getU8(final long address)
    {
        return UnsafeApi.getByte(address) & 0xFF;
    }

    /** Writes the low 8 bits of {@code value} at {@code address}. */
    public static void putU8(final long address, final int value)
    {
        UnsafeApi.putByte(address, (byte)value);
    }

    /** @return the unsigned big-endian 16-bit value at {@code address}. */
    public static int getU16Be(final long address)
    {
        return UnsafeApi.getShortUnaligned(null, address, true) & 0xFFFF;
    }

    /** Writes the low 16 bits of {@code value} big-endian at {@code address}. */
    public static void putU16Be(final long address, final int value)
    {
        UnsafeApi.putShortUnaligned(null, address, (short)value, true);
    }

    /** @return the big-endian 32-bit value at {@code address}. */
    public static int getI32Be(final long address)
    {
        return UnsafeApi.getIntUnaligned(null, address, true);
    }

    /** Writes {@code value} big-endian at {@code address}. */
    public static void putI32Be(final long address, final int value)
    {
        UnsafeApi.putIntUnaligned(null, address, value, true);
    }

    /** @return the big-endian 64-bit value at {@code address}. */
    public static long getI64Be(final long address)
    {
        return UnsafeApi.getLongUnaligned(null, address, true);
    }

    /** Writes {@code value} big-endian at {@code address}. */
    public static void putI64Be(final long address, final long value)
    {
        UnsafeApi.putLongUnaligned(null, address, value, true);
    }

    /** @return the unsigned host-order 16-bit value at {@code address}. */
    public static int getU16(final long address)
    {
        return UnsafeApi.getShortUnaligned(null, address) & 0xFFFF;
    }

    /** Writes the low 16 bits of {@code value} in host order at {@code address}. */
    public static void putU16(final long address, final int value)
    {
        UnsafeApi.putShortUnaligned(null, address, (short)value);
    }

    /** @return the host-order 32-bit value at {@code address}. */
    public static int getI32(final long address)
    {
        return UnsafeApi.getIntUnaligned(null, address);
    }

    /** Writes {@code value} in host order at {@code address}. */
    public static void putI32(final long address, final int value)
    {
        UnsafeApi.putIntUnaligned(null, address, value);
    }

    /** @return the host-order 64-bit value at {@code address}. */
    public static long getI64(final long address)
    {
        return UnsafeApi.getLongUnaligned(null, address);
    }

    /** Writes {@code value} in host order at {@code address}. */
    public static void putI64(final long address, final long value)
    {
        UnsafeApi.putLongUnaligned(null, address, value);
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
