package io.panamux.common.auth;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;

import javax.crypto.Mac;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.SecretKeySpec;

/**
 * HMAC-SHA256 tags of messages with a shared key: the MUXes' peer messages carry the whole 32-byte tag; a
 * shorter one (16 bytes, as the host agents' Fastpath redirects carry) is its first bytes. Signs a message in
 * place and verifies one with a constant-time comparison, so the time a check takes tells an attacker
 * nothing about how much of a forged tag was right. One instance per thread (a {@link Mac} is not thread-safe); no allocation per message.
 */
public final class MessageAuthenticator
{
    /** The JCA name of the MAC. */
    public static final String ALGORITHM = "HmacSHA256";
    /** Bytes of a whole HMAC-SHA256 tag. */
    public static final int FULL_TAG_LENGTH = 32;

    private final Mac mac;
    private final int tagLength;
    private final byte[] tag = new byte[FULL_TAG_LENGTH];

    /**
     * @param key       the shared key.
     * @param tagLength bytes of the tag carried in a message: the first {@code tagLength} bytes of the
     *                  HMAC (RFC 2104 §5 truncation), 16 to {@value #FULL_TAG_LENGTH}.
     */
    public MessageAuthenticator(final byte[] key, final int tagLength)
    {
        if (tagLength < 16 || tagLength > FULL_TAG_LENGTH)
        {
            throw new IllegalArgumentException("tag length " + tagLength + " is not between 16 and " + FULL_TAG_LENGTH);
        }
        this.mac = newMac(key);
        this.tagLength = tagLength;
    }

    /**
     * Writes the tag of {@code buffer[0, length)} at {@code length}.
     *
     * @return the length of the signed message ({@code length + tagLength}).
     */
    public int sign(final ByteBuffer buffer, final int length)
    {
        compute(buffer, length);
        buffer.put(length, tag, 0, tagLength);
        return length + tagLength;
    }

    /**
     * @param buffer the received message, from index 0.
     * @param length its length, tag included.
     * @return whether the last {@code tagLength} bytes are the tag of the rest.
     */
    public boolean verify(final ByteBuffer buffer, final int length)
    {
        if (length < tagLength)
        {
            return false;
        }
        final int signed = length - tagLength;
        compute(buffer, signed);
        // Constant time: every byte is compared whatever the earlier ones were.
        int difference = 0;
        for (int i = 0; i < tagLength; i++)
        {
            difference |= tag[i] ^ buffer.get(signed + i);
        }
        return difference == 0;
    }

    /**
     * One HMAC-SHA256 of a whole message (off any hot path: allocates), e.g. to derive a value from a key.
     *
     * @param key     the key.
     * @param message the message.
     * @return the 32-byte HMAC.
     */
    public static byte[] hmac(final byte[] key, final byte[] message)
    {
        return newMac(key).doFinal(message);
    }

    private static Mac newMac(final byte[] key)
    {
        try
        {
            final Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(new SecretKeySpec(key, ALGORITHM));
            return mac;
        }
        catch (final GeneralSecurityException e)
        {
            throw new IllegalStateException("HMAC-SHA256 is not available", e);
        }
    }

    private void compute(final ByteBuffer buffer, final int length)
    {
        final ByteBuffer view = buffer.duplicate().limit(length).position(0);
        mac.update(view);
        try
        {
            mac.doFinal(tag, 0);
        }
        catch (final ShortBufferException e)
        {
            throw new IllegalStateException(e);
        }
    }
}
