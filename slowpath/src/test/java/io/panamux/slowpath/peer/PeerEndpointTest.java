package io.panamux.slowpath.peer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.panamux.common.auth.MessageAuthenticator;
import io.panamux.common.auth.ReplayWindow;
import io.panamux.slowpath.config.IpAddress;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static io.panamux.slowpath.peer.PeerMessageDescriptor.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two endpoints over loopback UDP and a third party with a raw socket: authentic messages arrive; forged,
 * replayed, stale, misaddressed, truncated and malformed ones reach no handler and are counted by reason.
 */
class PeerEndpointTest
{
    private static final IpAddress A = IpAddress.parse("10.0.0.1");
    private static final IpAddress B = IpAddress.parse("10.0.0.2");
    private static final IpAddress STRANGER = IpAddress.parse("10.0.0.99");

    private record Received(IpAddress from, int type, int count, byte[] payload)
    {
    }

    private long wallMs = 1_700_000_000_000L;
    private final PeerCounters countersA = new PeerCounters();
    private final PeerCounters countersB = new PeerCounters();
    private final List<Received> receivedB = new ArrayList<>();
    private PeerEndpoint a;
    private PeerEndpoint b;
    private DatagramChannel raw;
    private InetSocketAddress bAddress;

    @BeforeEach
    void bind() throws IOException
    {
        final InetSocketAddress any = new InetSocketAddress("127.0.0.1", 0);
        final int portA = PoolRig.freeUdpPort();
        final int portB = PoolRig.freeUdpPort();
        a = new PeerEndpoint(A, new InetSocketAddress("127.0.0.1", portA), Map.of(B, new InetSocketAddress("127.0.0.1", portB)),
            PeerMessageCodecTest.KEY, () -> wallMs, 2000, countersA);
        b = new PeerEndpoint(B, new InetSocketAddress("127.0.0.1", portB), Map.of(A, new InetSocketAddress("127.0.0.1", portA)),
            PeerMessageCodecTest.KEY, () -> wallMs, 2000, countersB);
        bAddress = b.localAddress();
        raw = DatagramChannel.open().bind(any);
    }

    @AfterEach
    void close() throws IOException
    {
        a.close();
        b.close();
        raw.close();
    }

    private int pollB()
    {
        int n = 0;
        for (int i = 0; i < 200 && n == 0; i++)
        {
            n = b.poll((from, type, count, buffer, offset, length) ->
            {
                final byte[] payload = new byte[length];
                buffer.getBytes(offset, payload);
                receivedB.add(new Received(from.address(), type, count, payload));
            }, 16);
            if (n == 0)
            {
                Thread.onSpinWait();
            }
        }
        return n;
    }

    private void sendLearnedFromA(final int entries)
    {
        final UnsafeBuffer out = a.sendBuffer();
        for (int i = 0; i < entries; i++)
        {
            PeerFlow.v4(0x0A01_0000 + i, 0xC000_020A, 1000 + i, 80, 6).write(out, HEADER_LENGTH + i * FLOW_ENTRY_LENGTH, IpAddress.parse("10.1.0.1"));
        }
        assertTrue(a.send(a.peer(B), TYPE_LEARNED, entries, entries * FLOW_ENTRY_LENGTH));
    }

    /** Sends raw bytes to B as a third party. */
    private void inject(final ByteBuffer datagram, final int length) throws IOException
    {
        raw.send(datagram.duplicate().limit(length).position(0), bAddress);
    }

    /** A datagram signed with {@code key}, as sender {@code sender} to {@code recipient}. */
    private static ByteBuffer forge(final byte[] key, final IpAddress sender, final IpAddress recipient, final int type, final long seq,
        final long timestampMs, final int payloadLength, final int count)
    {
        final ByteBuffer d = ByteBuffer.allocate(MAX_DATAGRAM_LENGTH);
        final UnsafeBuffer payload = new UnsafeBuffer(d);
        for (int i = 0; i * FLOW_ENTRY_LENGTH < payloadLength; i++)
        {
            PeerFlow.v4(0x0A09_0000 + i, 0xC000_020A, 7, 80, 6).write(payload, HEADER_LENGTH + i * FLOW_ENTRY_LENGTH, IpAddress.parse("10.1.0.9"));
        }
        d.limit(new PeerMessageCodec(key).encode(d, type, count, sender, recipient, seq, timestampMs, payloadLength));
        return d;
    }

    @Test
    void authenticMessagesArriveWithTheirPayload()
    {
        sendLearnedFromA(3);

        assertEquals(1, pollB());

        assertEquals(1, receivedB.size());
        final Received r = receivedB.get(0);
        assertEquals(A, r.from());
        assertEquals(TYPE_LEARNED, r.type());
        assertEquals(3, r.count());
        final UnsafeBuffer p = new UnsafeBuffer(r.payload());
        assertEquals(PeerFlow.v4(0x0A01_0002, 0xC000_020A, 1002, 80, 6), PeerFlow.read(p, 2 * FLOW_ENTRY_LENGTH));
        assertEquals(1, countersB.get(PeerCounters.MESSAGES_RECEIVED));
        assertEquals(0, countersB.stats().badTotal());
    }

    @Test
    void forgedAndBrokenDatagramsChangeNothingAndAreCountedByReason() throws IOException
    {
        final byte[] wrongKey = PeerMessageCodecTest.KEY.clone();
        wrongKey[0] ^= (byte)0x80;
        final long seq = wallMs * 1000 + 500;

        inject(forge(wrongKey, A, B, TYPE_LEARNED, seq, wallMs, FLOW_ENTRY_LENGTH, 1), FLOW_ENTRY_LENGTH + HEADER_LENGTH + TAG_LENGTH);
        final ByteBuffer v2 = forge(PeerMessageCodecTest.KEY, A, B, TYPE_LEARNED, seq + 1, wallMs, FLOW_ENTRY_LENGTH, 1);
        v2.put(VERSION_OFFSET, (byte)2);
        new MessageAuthenticator(PeerMessageCodecTest.KEY, TAG_LENGTH).sign(v2, v2.limit() - TAG_LENGTH);
        inject(v2, v2.limit());
        final ByteBuffer valid = forge(PeerMessageCodecTest.KEY, A, B, TYPE_LEARNED, seq + 2, wallMs, FLOW_ENTRY_LENGTH, 1);
        inject(valid, valid.limit() - 1);
        inject(valid, 10);
        inject(forge(PeerMessageCodecTest.KEY, STRANGER, B, TYPE_LEARNED, seq + 3, wallMs, FLOW_ENTRY_LENGTH, 1), valid.limit());
        inject(forge(PeerMessageCodecTest.KEY, B, B, TYPE_LEARNED, seq + 4, wallMs, FLOW_ENTRY_LENGTH, 1), valid.limit());
        inject(forge(PeerMessageCodecTest.KEY, A, A, TYPE_LEARNED, seq + 5, wallMs, FLOW_ENTRY_LENGTH, 1), valid.limit());
        inject(forge(PeerMessageCodecTest.KEY, A, B, TYPE_LEARNED, seq + 6, wallMs - 2001, FLOW_ENTRY_LENGTH, 1), valid.limit());
        inject(forge(PeerMessageCodecTest.KEY, A, B, TYPE_LEARNED, seq + 7, wallMs + 2001, FLOW_ENTRY_LENGTH, 1), valid.limit());
        inject(forge(PeerMessageCodecTest.KEY, A, B, TYPE_LEARNED, seq + 8, wallMs, FLOW_ENTRY_LENGTH, 2), valid.limit());
        inject(forge(PeerMessageCodecTest.KEY, A, B, 9, seq + 9, wallMs, FLOW_ENTRY_LENGTH, 1), valid.limit());
        inject(forge(PeerMessageCodecTest.KEY, A, B, TYPE_ANSWER, seq + 10, wallMs, FLOW_ENTRY_LENGTH, 1), valid.limit());
        final ByteBuffer garbage = ByteBuffer.allocate(200);
        inject(garbage, 200);

        int n = 0;
        for (int i = 0; i < 1000 && n < 13; i++)
        {
            n += pollB();
        }
        assertEquals(13, n, "every datagram was read");
        assertEquals(List.of(), receivedB, "none reached the handler");
        final PeerStats s = countersB.stats();
        assertEquals(2, s.bad(BadMessage.BAD_TAG), "another key, and a datagram one byte short");
        assertEquals(1, s.bad(BadMessage.UNKNOWN_VERSION));
        assertEquals(1, s.bad(BadMessage.TRUNCATED));
        assertEquals(2, s.bad(BadMessage.UNKNOWN_SENDER), "a stranger, and B itself");
        assertEquals(1, s.bad(BadMessage.WRONG_RECIPIENT));
        assertEquals(2, s.bad(BadMessage.STALE), "too old and too far ahead");
        assertEquals(3, s.bad(BadMessage.MALFORMED), "count, type and payload length");
        assertEquals(1, s.bad(BadMessage.BAD_MAGIC));
        assertEquals(13, s.badTotal());
        assertEquals(0, s.messagesReceived());

        // The sequence numbers of refused messages were not used up: the same sequence, sent right, passes.
        inject(valid, valid.limit());
        assertEquals(1, pollB());
        assertEquals(1, receivedB.size());
    }

    @Test
    void aReplayedDatagramIsRefusedAndAReorderedOneAccepted() throws IOException
    {
        final long seq = wallMs * 1000;
        final ByteBuffer first = forge(PeerMessageCodecTest.KEY, A, B, TYPE_LEARNED, seq + 10, wallMs, FLOW_ENTRY_LENGTH, 1);
        final ByteBuffer earlier = forge(PeerMessageCodecTest.KEY, A, B, TYPE_LEARNED, seq + 5, wallMs, FLOW_ENTRY_LENGTH, 1);
        final ByteBuffer ancient = forge(PeerMessageCodecTest.KEY, A, B, TYPE_LEARNED, seq + 10 - ReplayWindow.SIZE, wallMs,
            FLOW_ENTRY_LENGTH, 1);

        inject(first, first.limit());
        assertEquals(1, pollB());
        inject(first, first.limit());
        assertEquals(1, pollB());
        inject(earlier, earlier.limit());
        assertEquals(1, pollB());
        inject(earlier, earlier.limit());
        assertEquals(1, pollB());
        inject(ancient, ancient.limit());
        assertEquals(1, pollB());

        assertEquals(2, receivedB.size(), "the first and the reordered one");
        assertEquals(3, countersB.stats().bad(BadMessage.REPLAYED));
    }

    @Test
    void aRestartedSenderIsHeardAgain()
    {
        sendLearnedFromA(1);
        assertEquals(1, pollB());
        a.close();
        wallMs += 1;
        // A new incarnation of A starts its sequence from its clock: above everything the old one sent.
        a = new PeerEndpoint(A, new InetSocketAddress("127.0.0.1", 0), Map.of(B, bAddress), PeerMessageCodecTest.KEY, () -> wallMs, 2000,
            countersA);

        sendLearnedFromA(1);
        assertEquals(1, pollB());

        assertEquals(2, receivedB.size());
        assertEquals(0, countersB.stats().badTotal());
    }

    /**
     * Issue 10 finding 8: a message captured on its way to B, replayed into B after B restarted (still within
     * max-message-age), was accepted once, since the new B's replay window starts empty. B's start is now its
     * epoch: what was stamped before it is refused.
     */
    @Test
    void aMessageCapturedBeforeARestartIsNotReplayedIntoTheNewIncarnation() throws IOException
    {
        final ByteBuffer captured = forge(PeerMessageCodecTest.KEY, A, B, TYPE_LEARNED, wallMs * 1000 + 1, wallMs, FLOW_ENTRY_LENGTH, 1);
        inject(captured, captured.limit());
        assertEquals(1, pollB());
        assertEquals(1, receivedB.size());

        b.close();
        wallMs += 500;
        b = new PeerEndpoint(B, bAddress, Map.of(A, a.localAddress()), PeerMessageCodecTest.KEY, () -> wallMs, 2000, countersB);
        inject(captured, captured.limit());
        assertEquals(1, pollB());
        assertEquals(1, receivedB.size(), "the replay is not delivered");
        assertEquals(1, countersB.stats().bad(BadMessage.STALE));

        sendLearnedFromA(1);
        assertEquals(1, pollB());
        assertEquals(2, receivedB.size(), "what A sends the new B is heard");
    }
}
