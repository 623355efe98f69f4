package io.panamux.fastpath.packet;

import io.panamux.dpdk.Memory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** {@link Checksum} against the byte-at-a-time reference in {@link Frames} and known values. */
class ChecksumTest
{
    private static Arena arena;
    private static long memory;

    @BeforeAll
    static void allocate()
    {
        arena = Arena.ofShared();
        memory = arena.allocate(4096, 64).address();
    }

    @AfterAll
    static void free()
    {
        arena.close();
    }

    @Test
    void sumMatchesTheReferenceForEveryLengthAndAlignment()
    {
        final Random random = new Random(7);
        for (int length = 0; length < 300; length++)
        {
            for (final int shift : new int[] {0, 1, 3})
            {
                final byte[] bytes = new byte[length];
                random.nextBytes(bytes);
                Memory.copyFromArray(bytes, 0, memory + shift, length);
                assertEquals(Frames.checksum(bytes, 0, length, 0), Checksum.finish(Checksum.sum(memory + shift, length, 0)),
                    "length " + length + " shift " + shift);
            }
        }
    }

    @Test
    void allOnesBytesFoldToZeroChecksumNotOverflow()
    {
        final byte[] bytes = new byte[1500];
        java.util.Arrays.fill(bytes, (byte)0xFF);
        Memory.copyFromArray(bytes, 0, memory, bytes.length);
        assertEquals(Frames.checksum(bytes, 0, bytes.length, 0), Checksum.finish(Checksum.sum(memory, bytes.length, 0)));
        assertEquals(0xFFFF, Checksum.fold(Checksum.sum(memory, bytes.length, 0)));
    }

    @Test
    void finishSmallEqualsFinishForEverySumBelowTwoToThe31()
    {
        final int[] edges = {0, 1, 0xFFFE, 0xFFFF, 0x1_0000, 0x1_FFFE, 0x1_FFFF, 0xFFFF_0000, 0xFFFE_FFFF, 0x7FFF_FFFF,
            0x7FFF_0000, 0x7FFE_FFFF, 9 * 0xFFFF};
        for (final int sum : edges)
        {
            assertEquals(Checksum.finish(sum & 0x7FFF_FFFFL), Checksum.finishSmall(sum & 0x7FFF_FFFF), "sum " + Integer.toHexString(sum));
        }
        final Random random = new Random(14);
        for (int i = 0; i < 1_000_000; i++)
        {
            final int sum = random.nextInt() & 0x7FFF_FFFF;
            assertEquals(Checksum.finish(sum), Checksum.finishSmall(sum), "sum " + Integer.toHexString(sum));
        }
    }

    @Test
    void ipv4HeaderChecksumOfTheRfc1071StyleExample()
    {
        // A well-known header: 4500 0073 0000 4000 4011 [b861] c0a8 0001 c0a8 00c7.
        final byte[] header = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00,
            (byte)0xC0, (byte)0xA8, 0x00, 0x01, (byte)0xC0, (byte)0xA8, 0x00, (byte)0xC7};
        Memory.copyFromArray(header, 0, memory, header.length);
        assertEquals(0xB861, Checksum.ipv4Header(memory, 20));
        assertFalse(Checksum.ipv4HeaderValid(memory, 20));
        Memory.putU16Be(memory + 10, 0xB861);
        assertTrue(Checksum.ipv4HeaderValid(memory, 20));
        // The checksum field is skipped whatever it holds.
        assertEquals(0xB861, Checksum.ipv4Header(memory, 20));
    }

    @Test
    void ipv4HeaderPutWritesAValidChecksum()
    {
        Ipv4Header.put(memory, 0xB8, 1500, 0xFFFF, 0x4000, 64, 4, Frames.MUX, 0xFFFF_FFFF);
        assertTrue(Checksum.ipv4HeaderValid(memory, 20));
        final byte[] header = new byte[20];
        Memory.copyToArray(memory, header, 0, 20);
        final byte[] zeroed = header.clone();
        zeroed[10] = 0;
        zeroed[11] = 0;
        assertEquals(Frames.checksum(zeroed, 0, 20, 0), Ipv4Header.checksum(memory));
    }

    @Test
    void pseudoHeadersMatchTheReference()
    {
        final byte[] payload = Frames.payload(101);
        Memory.copyFromArray(payload, 0, memory, payload.length);
        final long v6 = Checksum.pseudoHeaderV6(Frames.high(Frames.MUX6), Frames.low(Frames.MUX6),
            Frames.high(Frames.BACKEND6), Frames.low(Frames.BACKEND6), 17, payload.length);
        assertEquals(Frames.checksum(payload, 0, payload.length,
            Frames.pseudoHeaderV6(Frames.MUX6, Frames.BACKEND6, 17, payload.length)),
            Checksum.finish(Checksum.sum(memory, payload.length, v6)));

        final byte[] pseudo = java.nio.ByteBuffer.allocate(12).putInt(Frames.CLIENT).putInt(Frames.VIP)
            .put((byte)0).put((byte)17).putShort((short)payload.length).array();
        final long reference = 0xFFFF & ~Frames.checksum(pseudo, 0, 12, 0);
        assertEquals(Frames.checksum(payload, 0, payload.length, reference),
            Checksum.finish(Checksum.sum(memory, payload.length,
            Checksum.pseudoHeaderV4(Frames.CLIENT, Frames.VIP, 17, payload.length))));
    }

    @Test
    void incrementalUpdatesEqualRecomputation()
    {
        final Random random = new Random(11);
        for (int round = 0; round < 2000; round++)
        {
            final byte[] bytes = new byte[20];
            random.nextBytes(bytes);
            bytes[10] = 0;
            bytes[11] = 0;
            final int before = Frames.checksum(bytes, 0, 20, 0);
            final int oldWord = ((bytes[4] & 0xFF) << 8) | (bytes[5] & 0xFF);
            final int oldInt = java.nio.ByteBuffer.wrap(bytes).getInt(12);
            final int newWord = random.nextInt(0x10000);
            final int newInt = random.nextInt();
            Frames.put16(bytes, 4, newWord);
            assertEquals(Frames.checksum(bytes, 0, 20, 0),
                normalise(Checksum.update16(before, oldWord, newWord), Frames.checksum(bytes, 0, 20, 0)));
            final int afterWord = Frames.checksum(bytes, 0, 20, 0);
            java.nio.ByteBuffer.wrap(bytes).putInt(12, newInt);
            assertEquals(Frames.checksum(bytes, 0, 20, 0),
                normalise(Checksum.update32(afterWord, oldInt, newInt), Frames.checksum(bytes, 0, 20, 0)));
        }
    }

    @Test
    void udpChecksumZeroIsSentAsAllOnes()
    {
        // A sum that folds to 0xFFFF complements to 0, which UDP must send as 0xFFFF.
        assertEquals(0xFFFF, Checksum.finishUdp(0xFFFF));
        assertEquals(0x1234, Checksum.finishUdp(~0x1234 & 0xFFFF));
    }

    /** RFC 1624's update can give 0xFFFF where recomputation gives 0 (both mean zero in ones' complement). */
    private static int normalise(final int updated, final int recomputed)
    {
        return updated == 0xFFFF && recomputed == 0 ? 0 : updated;
    }
}
