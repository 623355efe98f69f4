package io.panamux.slowpath.peer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import io.panamux.common.auth.MessageAuthenticator;
import io.panamux.slowpath.config.IpAddress;

import static io.panamux.slowpath.peer.PeerMessageDescriptor.*;

/**
 * Writes and checks the header and tag of peer messages ({@link PeerMessageDescriptor}) in a
 * {@link ByteBuffer}: {@link #encode} fills the header in front of a payload already in place and signs;
 * {@link #check} verifies what a receiver can verify without its pool state (length, magic, version, tag).
 * One instance per thread; no allocation per message.
 */
public final class PeerMessageCodec
{
    /** IPv4-mapped IPv6 prefix of the 16-byte address form, in the low word's top half. */
    private static final long V4_MAPPED = 0x0000_FFFFL << 32;

    private final MessageAuthenticator authenticator;

    /** @param key the pool's shared key. */
    public PeerMessageCodec(final byte[] key)
    {
        this.authenticator = new MessageAuthenticator(key, PeerMessageDescriptor.TAG_LENGTH);
    }

    /**
     * Writes the header in front of the payload at {@link PeerMessageDescriptor#HEADER_LENGTH} and the tag
     * after it.
     *
     * @return the datagram's length.
     */
    public int encode(final ByteBuffer b, final int type, final int count, final IpAddress sender, final IpAddress recipient,
        final long sequence, final long timestampMs, final int payloadLength)
    {
        b.order(ByteOrder.BIG_ENDIAN);
        b.putInt(MAGIC_OFFSET, MAGIC);
        b.put(VERSION_OFFSET, (byte)VERSION);
        b.put(TYPE_OFFSET, (byte)type);
        b.putShort(COUNT_OFFSET, (short)count);
        putAddress(b, SENDER_OFFSET, sender);
        putAddress(b, RECIPIENT_OFFSET, recipient);
        b.putLong(SEQUENCE_OFFSET, sequence);
        b.putLong(TIMESTAMP_OFFSET, timestampMs);
        return authenticator.sign(b, HEADER_LENGTH + payloadLength);
    }

    /**
     * Checks what needs no pool state: length, magic, version and tag, in that order.
     *
     * @return null when the datagram passes, else why it does not.
     */
    public BadMessage check(final ByteBuffer b, final int length)
    {
        if (length < HEADER_LENGTH + TAG_LENGTH || length > MAX_DATAGRAM_LENGTH)
        {
            return BadMessage.TRUNCATED;
        }
        b.order(ByteOrder.BIG_ENDIAN);
        if (b.getInt(MAGIC_OFFSET) != MAGIC)
        {
            return BadMessage.BAD_MAGIC;
        }
        if (b.get(VERSION_OFFSET) != VERSION)
        {
            return BadMessage.UNKNOWN_VERSION;
        }
        return authenticator.verify(b, length) ? null : BadMessage.BAD_TAG;
    }

    /** @return the message type. */
    public static int type(final ByteBuffer b)
    {
        return b.get(TYPE_OFFSET) & 0xFF;
    }

    /** @return the entry count. */
    public static int count(final ByteBuffer b)
    {
        return b.getShort(COUNT_OFFSET) & 0xFFFF;
    }

    /** @return the sender's sequence number. */
    public static long sequence(final ByteBuffer b)
    {
        return b.getLong(SEQUENCE_OFFSET);
    }

    /** @return the sender's timestamp, ms since the epoch. */
    public static long timestampMs(final ByteBuffer b)
    {
        return b.getLong(TIMESTAMP_OFFSET);
    }

    /** Writes an address in the 16-byte form (IPv4 as {@code ::ffff:a.b.c.d}). */
    public static void putAddress(final ByteBuffer b, final int offset, final IpAddress a)
    {
        b.putLong(offset, a.ipv6() ? a.high() : 0);
        b.putLong(offset + 8, a.ipv6() ? a.low() : V4_MAPPED | a.low());
    }

    /** @return the address in the 16-byte form at {@code offset}. */
    public static IpAddress address(final ByteBuffer b, final int offset)
    {
        final long high = b.getLong(offset);
        final long low = b.getLong(offset + 8);
        return high == 0 && (low >>> 32) == 0xFFFF ? IpAddress.ofIpv4((int)low) : IpAddress.ofIpv6(high, low);
    }
}
