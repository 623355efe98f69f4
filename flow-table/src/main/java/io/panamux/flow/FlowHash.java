package io.panamux.flow;

/**
 * The keyed 64-bit flow hash of panamux, used twice with different seeds:
 * <ul>
 *   <li>with the pool-wide {@code mux.hash-seed} to choose a backend from a {@link MaglevTable} (every MUX of
 *   a pool must compute the same value, so the algorithm below is part of the product's contract and is
 *   pinned by golden vectors in {@code FlowHashTest});</li>
 *   <li>with a per-process random seed to place flows in a {@link FlowTable}, so that crafted 5-tuples
 *   cannot pile into one bucket.</li>
 * </ul>
 *
 * <p>The construction is the folded multiply of wyhash/rapidhash: {@code mix(x, y)} is the unsigned
 * 64 x 64 -&gt; 128-bit product of {@code x} and {@code y} with its two halves XORed together. The 5-tuple
 * is packed into 64-bit words, both words are keyed with the seed (so no input word can cancel a public
 * constant), multiplied to 128 bits, and the two halves of that product are mixed once more. An IPv4
 * 5-tuple costs two multiplications, an IPv6 one four (three on the critical path). It is not a
 * cryptographic PRF like SipHash: with a secret seed an attacker cannot aim at a bucket without seeing
 * placements, which is the threat the flow table faces.
 *
 * <p>Exact definition ({@code ^} XOR, {@code rotl} 64-bit rotate left, {@code <<} on 64-bit values,
 * {@code P0..P5} the constants below, addresses as read big-endian from the packet, ports 0 for the
 * 3-tuple of non-first IPv4 fragments):
 * <pre>
 *   mix(x, y)      = lo64(x * y) ^ hi64(x * y)                           (unsigned 128-bit product)
 *   fold(k, a, b)  = let x = a ^ k ^ P0, y = b ^ rotl(k, 32) ^ P1 in
 *                    mix(lo64(x * y) ^ P2, hi64(x * y) ^ P3)
 *   ports(s, d, p, tag) = (s &amp; 0xFFFF) &lt;&lt; 48 | (d &amp; 0xFFFF) &lt;&lt; 32 | (p &amp; 0xFF) &lt;&lt; 24 | tag
 *
 *   hashV4(k, src, dst, sp, dp, p) = fold(k, (src &lt;&lt; 32) | (dst &amp; 0xFFFFFFFF), ports(sp, dp, p, 4))
 *   hashV6(k, sH, sL, dH, dL, sp, dp, p) =
 *       let s = mix(sH ^ k ^ P2, sL ^ rotl(k, 32) ^ P3),
 *           d = mix(dH ^ k ^ P4, dL ^ rotl(k, 32) ^ P5)
 *       in fold(k, s, d ^ ports(sp, dp, p, 6))
 *   hashBytes(k, b[n]) = let s = k; for each 16-byte block i (at least one; the last zero-padded):
 *                            s = mix(w0 ^ s ^ P0, w1 ^ rotl(s, 32) ^ P1)   (w0, w1 big-endian words)
 *                        in mix(s ^ P2, n ^ P3)
 *   hashLong(k, v) = fold(k, v, 0)
 * </pre>
 */
public final class FlowHash
{
    /** Mixing constant (wyhash's first prime). */
    static final long P0 = 0xa0761d6478bd642fL;
    /** Mixing constant (wyhash's second prime). */
    static final long P1 = 0xe7037ed1a0b428dbL;
    /** Mixing constant (wyhash's third prime). */
    static final long P2 = 0x8ebc6af09c88c6e3L;
    /** Mixing constant (wyhash's fourth prime). */
    static final long P3 = 0x589965cc75374cc3L;
    /** Mixing constant (wyhash's fifth prime). */
    static final long P4 = 0x1d8e4e27c47d124fL;
    /** Mixing constant (the 64-bit golden ratio, odd). */
    static final long P5 = 0x9e3779b97f4a7c15L;

    /** Tag in the low byte of the ports word of an IPv4 tuple. */
    static final int TAG_V4 = 4;
    /** Tag in the low byte of the ports word of an IPv6 tuple. */
    static final int TAG_V6 = 6;

    private FlowHash()
    {
    }

    /**
     * The folded multiply: the unsigned 128-bit product of {@code x} and {@code y}, low and high halves
     * XORed. A building block for keyed hashes of other identities (see {@link OwnerRing}).
     *
     * @param x first factor.
     * @param y second factor.
     * @return {@code lo64(x * y) ^ hi64(x * y)}.
     */
    public static long mix(final long x, final long y)
    {
        return (x * y) ^ Math.unsignedMultiplyHigh(x, y);
    }

    /**
     * Hash of an IPv4 5-tuple (or 3-tuple with both ports 0).
     *
     * @param seed     key of the hash: the pool's hash seed, or a table's placement seed.
     * @param srcAddr  source address, the 4 bytes of the header read big-endian.
     * @param dstAddr  destination address, read big-endian.
     * @param srcPort  source port (low 16 bits used), 0 for a non-first fragment.
     * @param dstPort  destination port (low 16 bits used), 0 for a non-first fragment.
     * @param protocol IP protocol number (low 8 bits used).
     * @return the 64-bit hash.
     */
    public static long hashV4(
        final long seed,
        final int srcAddr,
        final int dstAddr,
        final int srcPort,
        final int dstPort,
        final int protocol)
    {
        final long addresses = ((long)srcAddr << 32) | (dstAddr & 0xFFFF_FFFFL);
        return fold(seed, addresses, ports(srcPort, dstPort, protocol, TAG_V4));
    }

    /**
     * Hash of an IPv6 5-tuple (or 3-tuple with both ports 0).
     *
     * @param seed     key of the hash.
     * @param srcHi    first 8 bytes of the source address, read big-endian.
     * @param srcLo    last 8 bytes of the source address, read big-endian.
     * @param dstHi    first 8 bytes of the destination address, read big-endian.
     * @param dstLo    last 8 bytes of the destination address, read big-endian.
     * @param srcPort  source port (low 16 bits used).
     * @param dstPort  destination port (low 16 bits used).
     * @param protocol next header / upper-layer protocol (low 8 bits used).
     * @return the 64-bit hash.
     */
    public static long hashV6(
        final long seed,
        final long srcHi,
        final long srcLo,
        final long dstHi,
        final long dstLo,
        final int srcPort,
        final int dstPort,
        final int protocol)
    {
        final long rotatedSeed = Long.rotateLeft(seed, 32);
        // The two addresses are compressed independently so the CPU can run both multiplications at once.
        final long src = mix(srcHi ^ seed ^ P2, srcLo ^ rotatedSeed ^ P3);
        final long dst = mix(dstHi ^ seed ^ P4, dstLo ^ rotatedSeed ^ P5);
        return fold(seed, src, dst ^ ports(srcPort, dstPort, protocol, TAG_V6));
    }

    /**
     * Hash of a byte string, for identities such as backend addresses and MUX pool members. Not for the
     * per-packet path.
     *
     * @param seed  key of the hash.
     * @param bytes the bytes to hash (any length, including 0).
     * @return the 64-bit hash.
     */
    public static long hashBytes(final long seed, final byte[] bytes)
    {
        final int length = bytes.length;
        long state = seed;
        int offset = 0;
        do
        {
            final long w0 = wordBe(bytes, offset);
            final long w1 = wordBe(bytes, offset + 8);
            state = mix(w0 ^ state ^ P0, w1 ^ Long.rotateLeft(state, 32) ^ P1);
            offset += 16;
        }
        while (offset < length);

        return mix(state ^ P2, length ^ P3);
    }

    /**
     * Hash of one 64-bit identity (a member or backend id that is already a number).
     *
     * @param seed  key of the hash.
     * @param value the value to hash.
     * @return the 64-bit hash, equal to {@code fold(seed, value, 0)} in the class's definition.
     */
    public static long hashLong(final long seed, final long value)
    {
        return fold(seed, value, 0L);
    }

    private static long fold(final long seed, final long a, final long b)
    {
        final long x = a ^ seed ^ P0;
        final long y = b ^ Long.rotateLeft(seed, 32) ^ P1;
        final long lo = x * y;
        final long hi = Math.unsignedMultiplyHigh(x, y);
        return mix(lo ^ P2, hi ^ P3);
    }

    private static long ports(final int srcPort, final int dstPort, final int protocol, final int tag)
    {
        return ((long)(srcPort & 0xFFFF) << 48) |
            ((long)(dstPort & 0xFFFF) << 32) |
            ((long)(protocol & 0xFF) << 24) |
            tag;
    }

    private static long wordBe(final byte[] bytes, final int offset)
    {
        long word = 0;
        for (int i = 0; i < 8; i++)
        {
            final int index = offset + i;
            word = (word << 8) | (index < bytes.length ? bytes[index] & 0xFF : 0);
        }
        return word;
    }
}
