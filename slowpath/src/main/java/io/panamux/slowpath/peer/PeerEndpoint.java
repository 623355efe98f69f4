package io.panamux.slowpath.peer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.panamux.common.auth.ReplayWindow;
import io.panamux.slowpath.config.IpAddress;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.UnsafeBuffer;

import static io.panamux.slowpath.peer.PeerMessageDescriptor.*;

/**
 * This MUX's end of the peer protocol ({@link PeerMessageDescriptor}): one non-blocking UDP socket,
 * messages signed on the way out and checked on the way in (tag, sender, recipient, age, replay, payload
 * shape), every dropped datagram counted by {@link BadMessage}. Only messages that pass every check reach
 * the {@link MessageHandler}. Control thread only.
 */
public final class PeerEndpoint implements AutoCloseable
{
    /** Receives the messages that passed every check. */
    @FunctionalInterface
    public interface MessageHandler
    {
        /**
         * @param from          the sending member.
         * @param type          {@code TYPE_LEARNED}, {@code TYPE_QUERY} or {@code TYPE_ANSWER}.
         * @param count         the header's entry count.
         * @param buffer        the datagram (valid during the call only).
         * @param payloadOffset where the payload starts in {@code buffer}.
         * @param payloadLength the payload's length.
         */
        void onMessage(Peer from, int type, int count, UnsafeBuffer buffer, int payloadOffset, int payloadLength);
    }

    /** Another member of the pool, as this endpoint sees it. */
    public static final class Peer
    {
        private final IpAddress address;
        private final InetSocketAddress endpoint;
        private final ReplayWindow window = new ReplayWindow();

        Peer(final IpAddress address, final InetSocketAddress endpoint)
        {
            this.address = address;
            this.endpoint = endpoint;
        }

        /** @return its pool address. */
        public IpAddress address()
        {
            return address;
        }

        /** @return where its messages go. */
        public InetSocketAddress endpoint()
        {
            return endpoint;
        }

        @Override
        public String toString()
        {
            return address + "@" + endpoint;
        }
    }

    private final IpAddress self;
    private final DatagramChannel channel;
    private final Map<IpAddress, Peer> peers = new HashMap<>();
    private final List<Peer> peerList = new ArrayList<>();
    private final List<Peer> peerView = Collections.unmodifiableList(peerList);
    private final PeerMessageCodec codec;
    private final EpochClock clock;
    private final long maxAgeMs;
    private final PeerCounters counters;
    private final ByteBuffer sendBytes = ByteBuffer.allocateDirect(MAX_DATAGRAM_LENGTH).order(ByteOrder.BIG_ENDIAN);
    private final UnsafeBuffer send = new UnsafeBuffer(sendBytes);
    private final ByteBuffer receiveBytes = ByteBuffer.allocateDirect(MAX_DATAGRAM_LENGTH + 1).order(ByteOrder.BIG_ENDIAN);
    private final UnsafeBuffer receive = new UnsafeBuffer(receiveBytes);
    private final long startedMs;
    private long sequence;

    /**
     * Binds the socket.
     *
     * @param self     this MUX's pool address (the sender of its messages).
     * @param listen   the UDP address to bind.
     * @param members  every other member of the pool and where its messages go.
     * @param key      the pool's shared key.
     * @param clock    the wall clock of timestamps (a fake one in tests).
     * @param maxAgeMs how far a message's timestamp may be from this MUX's clock.
     * @param counters where dropped datagrams are counted.
     * @throws UncheckedIOException when the socket cannot be bound.
     */
    public PeerEndpoint(final IpAddress self, final InetSocketAddress listen, final Map<IpAddress, InetSocketAddress> members,
        final byte[] key, final EpochClock clock, final long maxAgeMs, final PeerCounters counters)
    {
        this.self = self;
        this.codec = new PeerMessageCodec(key);
        this.clock = clock;
        this.maxAgeMs = maxAgeMs;
        this.counters = counters;
        members(members);
        // Microseconds of the wall clock: a restarted sender starts above anything it sent before.
        this.sequence = clock.time() * 1000;
        // This endpoint's epoch: its replay windows start empty, so what was stamped before it started (a message
        // captured before a restart, still within the allowed age) is refused as stale instead of accepted once.
        this.startedMs = clock.time();
        try
        {
            channel = DatagramChannel.open(listen.getAddress() instanceof java.net.Inet6Address ? StandardProtocolFamily.INET6
                : StandardProtocolFamily.INET);
            channel.configureBlocking(false);
            channel.bind(listen);
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException("cannot bind the peer endpoint to " + listen + ": " + e.getMessage(), e);
        }
    }

    /** @return this MUX's pool address. */
    public IpAddress self()
    {
        return self;
    }

    /** @return the member with pool address {@code address}, or null. */
    public Peer peer(final IpAddress address)
    {
        return peers.get(address);
    }

    /** @return every other member. */
    public Collection<Peer> peers()
    {
        return peerView;
    }

    /**
     * Replaces the other members (the pool changed: membership from leases, ARCHITECTURE.md §7). A member that
     * stays with the same endpoint keeps its {@link Peer} (and its replay window, so nothing it sent can be
     * replayed across the change); one whose endpoint changed, or that joins, starts a new one.
     *
     * @param members every other member of the pool and where its messages go ({@code self} is ignored).
     * @return the peers that are no longer members (their messages are refused as from an unknown sender from now on).
     */
    public List<Peer> members(final Map<IpAddress, InetSocketAddress> members)
    {
        final List<Peer> left = new ArrayList<>();
        final Map<IpAddress, Peer> next = new HashMap<>();
        peerList.clear();
        for (final Map.Entry<IpAddress, InetSocketAddress> e : members.entrySet())
        {
            if (e.getKey().equals(self))
            {
                continue;
            }
            final Peer old = peers.get(e.getKey());
            final Peer p = old != null && old.endpoint.equals(e.getValue()) ? old : new Peer(e.getKey(), e.getValue());
            next.put(e.getKey(), p);
            peerList.add(p);
        }
        for (final Peer old : peers.values())
        {
            if (next.get(old.address) != old)
            {
                left.add(old);
            }
        }
        peers.clear();
        peers.putAll(next);
        return left;
    }

    /** @return the bound address (its port when 0 was asked for). */
    public InetSocketAddress localAddress()
    {
        try
        {
            return (InetSocketAddress)channel.getLocalAddress();
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException(e);
        }
    }

    /** @return the send buffer: write a payload at {@link PeerMessageDescriptor#HEADER_LENGTH}, then {@link #send}. */
    public UnsafeBuffer sendBuffer()
    {
        return send;
    }

    /**
     * Signs and sends the payload in {@link #sendBuffer()}.
     *
     * @return false when the socket refused it (counted).
     */
    public boolean send(final Peer to, final int type, final int count, final int payloadLength)
    {
        final int length = codec.encode(sendBytes, type, count, self, to.address, ++sequence, clock.time(), payloadLength);
        sendBytes.limit(length).position(0);
        try
        {
            if (channel.send(sendBytes, to.endpoint) == length)
            {
                return true;
            }
        }
        catch (final IOException e)
        {
            // Counted below: a peer that is down (ICMP port unreachable) must not stop the control thread.
        }
        finally
        {
            sendBytes.clear();
        }
        counters.add(PeerCounters.SOCKET_ERRORS, 1);
        return false;
    }

    /**
     * Receives up to {@code limit} datagrams; those that pass every check go to {@code handler}.
     *
     * @return the datagrams received.
     */
    public int poll(final MessageHandler handler, final int limit)
    {
        int received = 0;
        while (received < limit)
        {
            receiveBytes.clear();
            final SocketAddress from;
            try
            {
                from = channel.receive(receiveBytes);
            }
            catch (final IOException e)
            {
                counters.add(PeerCounters.SOCKET_ERRORS, 1);
                break;
            }
            if (from == null)
            {
                break;
            }
            received++;
            final int length = receiveBytes.position();
            final Peer sender = check(length);
            if (sender != null)
            {
                counters.add(PeerCounters.MESSAGES_RECEIVED, 1);
                handler.onMessage(sender, PeerMessageCodec.type(receiveBytes), PeerMessageCodec.count(receiveBytes), receive, HEADER_LENGTH,
                    length - HEADER_LENGTH - TAG_LENGTH);
            }
        }
        return received;
    }

    /** @return the sender when the datagram passes every check, else null (counted). */
    private Peer check(final int length)
    {
        final BadMessage bad = codec.check(receiveBytes, length);
        if (bad != null)
        {
            counters.countBad(bad);
            return null;
        }
        final Peer sender = peers.get(PeerMessageCodec.address(receiveBytes, SENDER_OFFSET));
        if (sender == null)
        {
            counters.countBad(BadMessage.UNKNOWN_SENDER);
            return null;
        }
        if (!PeerMessageCodec.address(receiveBytes, RECIPIENT_OFFSET).equals(self))
        {
            counters.countBad(BadMessage.WRONG_RECIPIENT);
            return null;
        }
        final long timestamp = PeerMessageCodec.timestampMs(receiveBytes);
        if (Math.abs(clock.time() - timestamp) > maxAgeMs || timestamp < startedMs)
        {
            counters.countBad(BadMessage.STALE);
            return null;
        }
        final long seq = PeerMessageCodec.sequence(receiveBytes);
        if (!sender.window.fresh(seq))
        {
            counters.countBad(BadMessage.REPLAYED);
            return null;
        }
        if (!wellFormed(PeerMessageCodec.type(receiveBytes), PeerMessageCodec.count(receiveBytes), length - HEADER_LENGTH - TAG_LENGTH))
        {
            counters.countBad(BadMessage.MALFORMED);
            return null;
        }
        sender.window.accept(seq);
        return sender;
    }

    private boolean wellFormed(final int type, final int count, final int payloadLength)
    {
        return switch (type)
        {
            case TYPE_LEARNED -> count > 0 && payloadLength == count * FLOW_ENTRY_LENGTH;
            case TYPE_QUERY -> count == 1 && payloadLength > QUERY_PACKET_OFFSET
                && (receive.getShort(HEADER_LENGTH + QUERY_PACKET_LENGTH_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF) == payloadLength - QUERY_PACKET_OFFSET;
            case TYPE_ANSWER -> count == 1 && payloadLength == ANSWER_LENGTH;
            default -> false;
        };
    }

    @Override
    public void close()
    {
        try
        {
            channel.close();
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException(e);
        }
    }
}
