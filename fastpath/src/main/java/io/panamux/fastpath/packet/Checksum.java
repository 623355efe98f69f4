package io.panamux.fastpath.packet;

import io.panamux.dpdk.Memory;

/**
 * The Internet checksum (RFC 1071): ones-complement sums over native memory, pseudo-header sums for
 * UDP, TCP and ICMPv6, and the incremental update of RFC 1624.
 *
 * <p>A <em>partial sum</em> is an unfolded {@code long}: sums of consecutive regions can be added
 * together as plain longs (each region must start at an even offset from the start of what the
 * checksum covers), and {@link #finish(long)} turns the total into the value written on the wire.
 * Because 2<sup>16</sup> &#8801; 1 (mod 2<sup>16</sup> - 1), summing 32-bit big-endian words and folding
 * gives the same result as summing 16-bit words, with half the loads.
 */
public final class Checksum
{
    private Checksum()
    {
    }

    /**
     * Adds the bytes {@code [address, address + length)} read as big-endian 16-bit words (an odd last
     * byte is padded with zero) to a partial sum.
     *
     * @param address start of the region.
     * @param length  bytes to sum.
     * @param initial partial sum to add to (0 to start).
     * @return the new partial sum.
     */
    public static long sum(final long address, final int length, final long initial)
    {
        long sum = initial;
        int i = 0;
        // Each 64-bit word contributes its two 32-bit halves: no carry is lost for regions below 8 GB.
        for (; i + 8 <= length; i += 8)
        {
            final long word = Memory.getI64Be(address + i);
            sum += (word >>> 32) + (word & 0xFFFF_FFFFL);
        }
        if (i + 4 <= length)
        {
            sum += Memory.getI32Be(address + i) & 0xFFFF_FFFFL;
            i += 4;
        }
        if (i + 2 <= length)
        {
            sum += Memory.getU16Be(address + i);
            i += 2;
        }
        if (i < length)
        {
            sum += Memory.getU8(address + i) << 8;
        }
        return sum;
    }

    /** @return the partial sum folded to 16 bits with end-around carry (not complemented). */
    public static int fold(final long partialSum)
    {
        long sum = (partialSum & 0xFFFF_FFFFL) + (partialSum >>> 32);
        sum = (sum & 0xFFFF) + (sum >>> 16);
        sum = (sum & 0xFFFF) + (sum >>> 16);
        sum = (sum & 0xFFFF) + (sum >>> 16);
        return (int)sum;
    }

    /** @return the checksum to write: the folded partial sum, complemented. */
    public static int finish(final long partialSum)
    {
        return ~fold(partialSum) & 0xFFFF;
    }

    /**
     * {@link #finish(long)} for a partial sum below 2<sup>31</sup>, such as a header's few 16-bit words: two
     * folds are enough (the first leaves at most 0x1FFFE, the second at most 0xFFFF), two fewer steps in the
     * chain every outer IPv4 header waits on.
     *
     * @param partialSum a sum of 16-bit words, {@code 0 <= partialSum < 2^31}.
     * @return the checksum to write.
     */
    public static int finishSmall(final int partialSum)
    {
        int sum = (partialSum & 0xFFFF) + (partialSum >>> 16);
        sum = (sum & 0xFFFF) + (sum >>> 16);
        return ~sum & 0xFFFF;
    }

    /**
     * The checksum to write into a UDP header: as {@link #finish(long)}, but a computed 0 is sent as
     * 0xFFFF, since 0 means "no checksum" (RFC 768), which IPv6 does not allow (RFC 8200).
     *
     * @param partialSum pseudo-header, UDP header (checksum field zero) and payload.
     * @return the value for the checksum field.
     */
    public static int finishUdp(final long partialSum)
    {
        final int checksum = finish(partialSum);
        return checksum == 0 ? 0xFFFF : checksum;
    }

    /**
     * @param source      IPv4 source.
     * @param destination IPv4 destination.
     * @param protocol    protocol number.
     * @param length      length of the L4 header and payload.
     * @return the partial sum of the IPv4 pseudo-header.
     */
    public static long pseudoHeaderV4(final int source, final int destination, final int protocol, final int length)
    {
        return (source >>> 16) + (source & 0xFFFF) + (destination >>> 16) + (destination & 0xFFFF) +
            (protocol & 0xFF) + (length & 0xFFFF);
    }

    /**
     * @param sourceHigh      high 64 bits of the IPv6 source.
     * @param sourceLow       low 64 bits of the IPv6 source.
     * @param destinationHigh high 64 bits of the IPv6 destination.
     * @param destinationLow  low 64 bits of the IPv6 destination.
     * @param nextHeader      upper-layer protocol.
     * @param length          upper-layer packet length.
     * @return the partial sum of the IPv6 pseudo-header (RFC 8200 section 8.1).
     */
    public static long pseudoHeaderV6(
        final long sourceHigh,
        final long sourceLow,
        final long destinationHigh,
        final long destinationLow,
        final int nextHeader,
        final int length)
    {
        return halves(sourceHigh) + halves(sourceLow) + halves(destinationHigh) + halves(destinationLow) +
            (nextHeader & 0xFF) + (length & 0xFFFF_FFFFL);
    }

    /**
     * Computes the header checksum of the IPv4 header at {@code header}, skipping the checksum field
     * whatever it holds.
     *
     * @param header       start of the IPv4 header.
     * @param headerLength its length in bytes (IHL * 4).
     * @return the value for the checksum field.
     */
    public static int ipv4Header(final long header, final int headerLength)
    {
        final long sum = sum(header, Ipv4Header.CHECKSUM_OFFSET, 0);
        final int afterChecksum = Ipv4Header.CHECKSUM_OFFSET + 2;
        return finish(sum(header + afterChecksum, headerLength - afterChecksum, sum));
    }

    /** @return true when the IPv4 header at {@code header} has a valid checksum. */
    public static boolean ipv4HeaderValid(final long header, final int headerLength)
    {
        return fold(sum(header, headerLength, 0)) == 0xFFFF;
    }

    /**
     * Incremental update of a checksum when one 16-bit word of what it covers changes (RFC 1624,
     * equation 3: HC' = ~(~HC + ~m + m')).
     *
     * @param checksum the checksum field as it is.
     * @param oldWord  the word's old value.
     * @param newWord  the word's new value.
     * @return the new checksum field.
     */
    public static int update16(final int checksum, final int oldWord, final int newWord)
    {
        final long sum = (~checksum & 0xFFFF) + (~oldWord & 0xFFFF) + (newWord & 0xFFFF);
        return ~fold(sum) & 0xFFFF;
    }

    /**
     * Incremental update of a checksum when one 32-bit value (an IPv4 address) changes.
     *
     * @param checksum the checksum field as it is.
     * @param oldValue the old value.
     * @param newValue the new value.
     * @return the new checksum field.
     */
    public static int update32(final int checksum, final int oldValue, final int newValue)
    {
        final long sum = (~checksum & 0xFFFF) + (~oldValue >>> 16) + (~oldValue & 0xFFFF) +
            (newValue >>> 16) + (newValue & 0xFFFF);
        return ~fold(sum) & 0xFFFF;
    }

    private static long halves(final long value)
    {
        return (value >>> 32) + (value & 0xFFFF_FFFFL);
    }
}
