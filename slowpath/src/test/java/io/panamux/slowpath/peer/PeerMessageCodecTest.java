package io.panamux.slowpath.peer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

import io.panamux.common.auth.MessageAuthenticator;
import io.panamux.common.auth.ReplayWindow;
import io.panamux.slowpath.config.IpAddress;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static io.panamux.slowpath.peer.PeerMessageDescriptor.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The wire format without sockets: flow entries and headers round trip, the tag is HMAC-SHA256 (RFC 4231
 * vector), and every byte of a message is covered by it.
 */
class PeerMessageCodecTest
{
    static final byte[] KEY = HexFormat.of().parseHex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    private static final IpAddress A = IpAddress.parse("10.0.0.1");
    private static final IpAddress B = IpAddress.parse("2001:db8::b");

    @Test
    void hmacIsSha256AsRfc4231Says()
    {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        final byte[] data = "what do ya want for nothing?".getBytes(StandardCharsets.US_ASCII);
        final ByteBuffer b = ByteBuffer.allocate(data.length + TAG_LENGTH).put(data);

        final int length = new MessageAuthenticator("Jefe".getBytes(StandardCharsets.US_ASCII), TAG_LENGTH).sign(b, data.length);

        final byte[] tag = new byte[TAG_LENGTH];
        b.get(data.length, tag);
        assertEquals(data.length + TAG_LENGTH, length);
        assertEquals("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", HexFormat.of().formatHex(tag));
        assertTrue(new MessageAuthenticator("Jefe".getBytes(StandardCharsets.US_ASCII), TAG_LENGTH).verify(b, length));
    }

    @Test
    void flowEntriesRoundTripForBothFamiliesAndEveryBackendForm()
    {
        final UnsafeBuffer b = new UnsafeBuffer(new byte[3 * FLOW_ENTRY_LENGTH]);
        final PeerFlow v4 = PeerFlow.v4(0xC633_6401, 0xC000_020A, 65535, 80, 6);
        final PeerFlow v6 = new PeerFlow(6, 17, 1, 65000, 0x2001_0DB8_0000_0001L, -1L, 0x2001_0DB8_0000_0002L, 0x8000_0000_0000_0000L);

        v4.write(b, 0, IpAddress.parse("10.1.0.2"));
        v6.write(b, FLOW_ENTRY_LENGTH, IpAddress.parse("2001:db8:1::7"));
        v4.write(b, 2 * FLOW_ENTRY_LENGTH, null);

        assertEquals(v4, PeerFlow.read(b, 0));
        assertEquals(IpAddress.parse("10.1.0.2"), PeerFlow.readBackend(b, 0));
        assertEquals(v6, PeerFlow.read(b, FLOW_ENTRY_LENGTH));
        assertEquals(IpAddress.parse("2001:db8:1::7"), PeerFlow.readBackend(b, FLOW_ENTRY_LENGTH));
        assertEquals(v4, PeerFlow.read(b, 2 * FLOW_ENTRY_LENGTH));
        assertNull(PeerFlow.readBackend(b, 2 * FLOW_ENTRY_LENGTH));
        // Network order on the wire: the source port 65535 then 80.
        assertEquals((byte)0xFF, b.getByte(FLOW_SRC_PORT_OFFSET));
        assertEquals(80, b.getByte(FLOW_DST_PORT_OFFSET + 1));
        assertEquals("198.51.100.1:65535 > 192.0.2.10:80/6", v4.toString());
    }

    @Test
    void invalidFlowEntriesAreRecognised()
    {
        final UnsafeBuffer b = new UnsafeBuffer(new byte[FLOW_ENTRY_LENGTH]);
        PeerFlow.v4(1, 2, 3, 4, 6).write(b, 0, null);

        b.putByte(FLOW_VERSION_OFFSET, (byte)5);
        assertNull(PeerFlow.read(b, 0), "version 5");
        b.putByte(FLOW_VERSION_OFFSET, (byte)4);
        b.putLong(FLOW_SRC_HI_OFFSET, 1);
        assertNull(PeerFlow.read(b, 0), "an IPv4 flow with high address bits");
        b.putByte(FLOW_BACKEND_FAMILY_OFFSET, (byte)5);
        assertThrows(IllegalArgumentException.class, () -> PeerFlow.readBackend(b, 0));
    }

    @Test
    void headerRoundTripsAndAddressesUseTheMappedForm()
    {
        final PeerMessageCodec codec = new PeerMessageCodec(KEY);
        final ByteBuffer b = ByteBuffer.allocate(MAX_DATAGRAM_LENGTH);
        b.put(HEADER_LENGTH, new byte[] {1, 2, 3});

        final int length = codec.encode(b, TYPE_QUERY, 7, A, B, 0x0102_0304_0506_0708L, 1_700_000_000_123L, 3);

        assertEquals(HEADER_LENGTH + 3 + TAG_LENGTH, length);
        assertNull(codec.check(b, length));
        assertEquals(MAGIC, b.getInt(0));
        assertEquals(VERSION, b.get(VERSION_OFFSET));
        assertEquals(TYPE_QUERY, PeerMessageCodec.type(b));
        assertEquals(7, PeerMessageCodec.count(b));
        assertEquals(A, PeerMessageCodec.address(b, SENDER_OFFSET));
        assertEquals(B, PeerMessageCodec.address(b, RECIPIENT_OFFSET));
        assertEquals(0x0102_0304_0506_0708L, PeerMessageCodec.sequence(b));
        assertEquals(1_700_000_000_123L, PeerMessageCodec.timestampMs(b));
        // 10.0.0.1 as ::ffff:10.0.0.1.
        assertEquals(0, b.getLong(SENDER_OFFSET));
        assertEquals(0x0000_FFFF_0A00_0001L, b.getLong(SENDER_OFFSET + 8));
        assertEquals(ByteOrder.BIG_ENDIAN, b.order());
    }

    @Test
    void everyByteIsCoveredByTheTag()
    {
        final PeerMessageCodec codec = new PeerMessageCodec(KEY);
        final ByteBuffer b = ByteBuffer.allocate(MAX_DATAGRAM_LENGTH);
        final int length = codec.encode(b, TYPE_ANSWER, 1, A, B, 42, 1000, ANSWER_LENGTH);

        for (int i = 0; i < length; i++)
        {
            final byte original = b.get(i);
            b.put(i, (byte)(original ^ 0x20));
            final BadMessage verdict = codec.check(b, length);
            b.put(i, original);
            final BadMessage expected = i < VERSION_OFFSET ? BadMessage.BAD_MAGIC : i == VERSION_OFFSET ? BadMessage.UNKNOWN_VERSION
                : BadMessage.BAD_TAG;
            assertEquals(expected, verdict, "byte " + i);
        }
        assertNull(codec.check(b, length));
    }

    @Test
    void anotherKeyAnotherVersionAndShortDatagramsAreRefused()
    {
        final ByteBuffer b = ByteBuffer.allocate(MAX_DATAGRAM_LENGTH + 1);
        final byte[] otherKey = KEY.clone();
        otherKey[31] ^= 1;
        final int length = new PeerMessageCodec(otherKey).encode(b, TYPE_LEARNED, 1, A, B, 1, 1, FLOW_ENTRY_LENGTH);
        final PeerMessageCodec codec = new PeerMessageCodec(KEY);

        assertEquals(BadMessage.BAD_TAG, codec.check(b, length));
        for (int n = 0; n < HEADER_LENGTH + TAG_LENGTH; n++)
        {
            assertEquals(BadMessage.TRUNCATED, codec.check(b, n), "length " + n);
        }
        assertEquals(BadMessage.TRUNCATED, codec.check(b, MAX_DATAGRAM_LENGTH + 1));

        // A version 2 message signed with the right key is still refused: this code cannot read it.
        codec.encode(b, TYPE_LEARNED, 1, A, B, 1, 1, FLOW_ENTRY_LENGTH);
        b.put(VERSION_OFFSET, (byte)2);
        new MessageAuthenticator(KEY, TAG_LENGTH).sign(b, length - TAG_LENGTH);
        assertEquals(BadMessage.UNKNOWN_VERSION, codec.check(b, length));
    }

    @Test
    void replayWindowAcceptsReorderingAndRefusesRepeatsAndTheTooOld()
    {
        final ReplayWindow w = new ReplayWindow();
        assertTrue(w.fresh(1000));
        w.accept(1000);
        assertFalse(w.fresh(1000), "a repeat");
        assertTrue(w.fresh(1002));
        w.accept(1002);
        assertTrue(w.fresh(1001), "late but inside the window");
        w.accept(1001);
        assertFalse(w.fresh(1001));
        assertTrue(w.fresh(1002 - ReplayWindow.SIZE + 1));
        assertFalse(w.fresh(1002 - ReplayWindow.SIZE), "behind the window");
        w.accept(5000);
        assertFalse(w.fresh(1002), "a jump forward leaves the old ones behind");
        assertTrue(w.fresh(4999));
        assertEquals(5000, w.highest());
    }
}
