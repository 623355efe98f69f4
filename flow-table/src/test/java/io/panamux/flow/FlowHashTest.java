package io.panamux.flow;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FlowHashTest
{
    private static final BigInteger MASK64 = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

    /**
     * Golden vectors: every MUX of a pool, of every version, must compute these values, or backend choices
     * differ between MUXes and connections break under ECMP. A change here is a protocol change.
     */
    @Test
    void goldenVectors()
    {
        // 192.0.2.1:40000 -> 198.51.100.10:80 TCP, seed 0x5eed (the configuration example)
        assertEquals(0xc992b2d5d85f4dbfL, FlowHash.hashV4(0x5eedL, 0xC0000201, 0xC633640A, 40000, 80, 6));
        assertEquals(0x2da672b402aa22aeL, FlowHash.hashV4(0L, 0, 0, 0, 0, 0));
        assertEquals(0xe64f4a51c11b25e6L, FlowHash.hashV4(-1L, -1, -1, 0xFFFF, 0xFFFF, 0xFF));
        // 3-tuple of a non-first fragment: ports 0
        assertEquals(0x07f4278794fe74ecL, FlowHash.hashV4(0x5eedL, 0xC0000201, 0xC633640A, 0, 0, 17));
        // 2001:db8::1:443 <- 2001:db8:1::2:51000 TCP
        assertEquals(0x15a2feab9c852fb5L, FlowHash.hashV6(
            0x5eedL, 0x20010db800010000L, 2L, 0x20010db800000000L, 1L, 51000, 443, 6));
        assertEquals(0xeba0658c947b1919L, FlowHash.hashV6(0L, 0L, 0L, 0L, 0L, 0, 0, 0));
        assertEquals(0x06c20c490807b0daL, FlowHash.hashBytes(0x5eedL, new byte[]{ 10, 1, 0, 1 }));
        assertEquals(0x2afa3043c0fbb4d2L, FlowHash.hashBytes(0L, new byte[0]));
        assertEquals(0xa9bc2ea81f0ed61fL, FlowHash.hashBytes(
            0x5eedL, "2001:db8::a the backend with a long name".getBytes(StandardCharsets.UTF_8)));
        assertEquals(0xd02d16691abf8b7fL, FlowHash.hashLong(0x5eedL, 42L));
    }

    @Test
    void matchesAnIndependentBigIntegerImplementationOfTheDefinition()
    {
        final SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < 5_000; i++)
        {
            final long seed = random.nextLong();
            final int src = random.nextInt();
            final int dst = random.nextInt();
            final int srcPort = random.nextInt(65536);
            final int dstPort = random.nextInt(65536);
            final int protocol = random.nextInt(256);
            assertEquals(
                referenceV4(seed, src, dst, srcPort, dstPort, protocol),
                FlowHash.hashV4(seed, src, dst, srcPort, dstPort, protocol));

            final long sH = random.nextLong();
            final long sL = random.nextLong();
            final long dH = random.nextLong();
            final long dL = random.nextLong();
            assertEquals(
                referenceV6(seed, sH, sL, dH, dL, srcPort, dstPort, protocol),
                FlowHash.hashV6(seed, sH, sL, dH, dL, srcPort, dstPort, protocol));

            final byte[] bytes = new byte[random.nextInt(50)];
            random.nextBytes(bytes);
            assertEquals(referenceBytes(seed, bytes), FlowHash.hashBytes(seed, bytes));

            final long value = random.nextLong();
            assertEquals(referenceFold(seed, value, 0L), FlowHash.hashLong(seed, value));
        }
    }

    @Test
    void onlyTheLowBitsOfPortsAndProtocolCount()
    {
        assertEquals(
            FlowHash.hashV4(1L, 2, 3, 4, 5, 6),
            FlowHash.hashV4(1L, 2, 3, 4 | 0x7_0000, 5 | 0xFFFF_0000, 6 | 0x100));
    }

    @Test
    void everyInputBitFlipsEachOutputBitAboutHalfTheTime()
    {
        final SplittableRandom random = new SplittableRandom(11);
        final int samples = 3_000;
        final int inputBits = 64 + 32 + 32 + 16 + 16 + 8;
        final int[][] flips = new int[inputBits][64];
        for (int s = 0; s < samples; s++)
        {
            final long seed = random.nextLong();
            final int src = random.nextInt();
            final int dst = random.nextInt();
            final int srcPort = random.nextInt(65536);
            final int dstPort = random.nextInt(65536);
            final int protocol = random.nextInt(256);
            final long base = FlowHash.hashV4(seed, src, dst, srcPort, dstPort, protocol);
            for (int bit = 0; bit < inputBits; bit++)
            {
                long flippedSeed = seed;
                int flippedSrc = src;
                int flippedDst = dst;
                int flippedSrcPort = srcPort;
                int flippedDstPort = dstPort;
                int flippedProtocol = protocol;
                if (bit < 64)
                {
                    flippedSeed ^= 1L << bit;
                }
                else if (bit < 96)
                {
                    flippedSrc ^= 1 << (bit - 64);
                }
                else if (bit < 128)
                {
                    flippedDst ^= 1 << (bit - 96);
                }
                else if (bit < 144)
                {
                    flippedSrcPort ^= 1 << (bit - 128);
                }
                else if (bit < 160)
                {
                    flippedDstPort ^= 1 << (bit - 144);
                }
                else
                {
                    flippedProtocol ^= 1 << (bit - 160);
                }
                final long diff = base ^ FlowHash.hashV4(
                    flippedSeed, flippedSrc, flippedDst, flippedSrcPort, flippedDstPort, flippedProtocol);
                for (int out = 0; out < 64; out++)
                {
                    flips[bit][out] += (int)((diff >>> out) & 1);
                }
            }
        }

        double worst = 0;
        for (int bit = 0; bit < inputBits; bit++)
        {
            for (int out = 0; out < 64; out++)
            {
                worst = Math.max(worst, Math.abs(flips[bit][out] / (double)samples - 0.5));
            }
        }
        // 3000 samples: one standard deviation is 0.009; 0.06 is far beyond chance over 10,752 pairs.
        assertTrue(worst < 0.06, "worst avalanche bias " + worst);
    }

    @Test
    void sequentialTuplesSpreadEvenlyOverLowAndHighBits()
    {
        final int buckets = 1024;
        final int perBucket = 100;
        final int[] low = new int[buckets];
        final int[] high = new int[buckets];
        // A client scanning source ports, then a block of clients: the structure attackers and NATs produce.
        for (int i = 0; i < buckets * perBucket; i++)
        {
            final long hash = FlowHash.hashV4(0x5eedL, 0x0A000000 + (i >>> 16), 0xC633640A, i & 0xFFFF, 443, 6);
            low[(int)(hash & (buckets - 1))]++;
            high[MaglevTable.slot(hash, buckets)]++;
        }
        // Chi-square with 1023 degrees of freedom: mean 1023, standard deviation 45; 1250 is 5 sigma.
        assertTrue(chiSquare(low, perBucket) < 1250, "low bits chi2 " + chiSquare(low, perBucket));
        assertTrue(chiSquare(high, perBucket) < 1250, "high bits chi2 " + chiSquare(high, perBucket));
    }

    @Test
    void seedsDirectionsAndFamiliesGiveDifferentHashes()
    {
        final Set<Long> seen = new HashSet<>();
        for (long seed = 0; seed < 10_000; seed++)
        {
            assertTrue(seen.add(FlowHash.hashV4(seed, 1, 2, 3, 4, 6)), "seed collision at " + seed);
        }
        assertNotEquals(FlowHash.hashV4(9L, 1, 2, 3, 4, 6), FlowHash.hashV4(9L, 2, 1, 4, 3, 6));
        assertNotEquals(FlowHash.hashV6(9L, 0, 1, 0, 2, 3, 4, 6), FlowHash.hashV6(9L, 0, 2, 0, 1, 4, 3, 6));
        assertNotEquals(FlowHash.hashV4(9L, 1, 2, 3, 4, 6), FlowHash.hashV6(9L, 0, 1, 0, 2, 3, 4, 6));
        assertNotEquals(FlowHash.hashBytes(9L, new byte[0]), FlowHash.hashBytes(9L, new byte[1]));
        assertNotEquals(FlowHash.hashBytes(9L, new byte[1]), FlowHash.hashBytes(9L, new byte[2]));
        assertNotEquals(FlowHash.hashBytes(9L, new byte[16]), FlowHash.hashBytes(9L, new byte[17]));
    }

    private static double chiSquare(final int[] counts, final int expected)
    {
        double sum = 0;
        for (final int count : counts)
        {
            sum += (count - expected) * (double)(count - expected) / expected;
        }
        return sum;
    }

    // Reference implementation of the Javadoc's definition, with BigInteger arithmetic and byte arrays.

    private static BigInteger unsigned(final long value)
    {
        return new BigInteger(Long.toUnsignedString(value));
    }

    private static long[] product(final long x, final long y)
    {
        final BigInteger p = unsigned(x).multiply(unsigned(y));
        return new long[]{ p.and(MASK64).longValue(), p.shiftRight(64).longValue() };
    }

    private static long referenceMix(final long x, final long y)
    {
        final long[] p = product(x, y);
        return p[0] ^ p[1];
    }

    private static long rotl32(final long v)
    {
        return unsigned(v).shiftLeft(32).or(unsigned(v).shiftRight(32)).and(MASK64).longValue();
    }

    private static long referenceFold(final long k, final long a, final long b)
    {
        final long[] p = product(a ^ k ^ FlowHash.P0, b ^ rotl32(k) ^ FlowHash.P1);
        return referenceMix(p[0] ^ FlowHash.P2, p[1] ^ FlowHash.P3);
    }

    private static long ports(final int sp, final int dp, final int p, final int tag)
    {
        final BigInteger word = BigInteger.valueOf(sp).shiftLeft(48)
            .or(BigInteger.valueOf(dp).shiftLeft(32))
            .or(BigInteger.valueOf(p).shiftLeft(24))
            .or(BigInteger.valueOf(tag));
        return word.longValue();
    }

    private static long referenceV4(final long k, final int src, final int dst, final int sp, final int dp, final int p)
    {
        final byte[] addresses = new byte[8];
        for (int i = 0; i < 4; i++)
        {
            addresses[i] = (byte)(src >>> (24 - 8 * i));
            addresses[4 + i] = (byte)(dst >>> (24 - 8 * i));
        }
        return referenceFold(k, new BigInteger(1, addresses).longValue(), ports(sp, dp, p, 4));
    }

    private static long referenceV6(
        final long k, final long sH, final long sL, final long dH, final long dL, final int sp, final int dp, final int p)
    {
        final long s = referenceMix(sH ^ k ^ FlowHash.P2, sL ^ rotl32(k) ^ FlowHash.P3);
        final long d = referenceMix(dH ^ k ^ FlowHash.P4, dL ^ rotl32(k) ^ FlowHash.P5);
        return referenceFold(k, s, d ^ ports(sp, dp, p, 6));
    }

    private static long referenceBytes(final long k, final byte[] bytes)
    {
        final int blocks = Math.max(1, (bytes.length + 15) / 16);
        final byte[] padded = new byte[blocks * 16];
        System.arraycopy(bytes, 0, padded, 0, bytes.length);
        long s = k;
        for (int block = 0; block < blocks; block++)
        {
            final byte[] w0 = new byte[8];
            final byte[] w1 = new byte[8];
            System.arraycopy(padded, block * 16, w0, 0, 8);
            System.arraycopy(padded, block * 16 + 8, w1, 0, 8);
            s = referenceMix(
                new BigInteger(1, w0).longValue() ^ s ^ FlowHash.P0,
                new BigInteger(1, w1).longValue() ^ rotl32(s) ^ FlowHash.P1);
        }
        return referenceMix(s ^ FlowHash.P2, bytes.length ^ FlowHash.P3);
    }
}
