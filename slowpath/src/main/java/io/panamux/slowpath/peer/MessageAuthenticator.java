package io.panamux.slowpath.peer;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;

import javax.crypto.Mac;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.SecretKeySpec;

import static io.panamux.slowpath.peer.PeerMessageDescriptor.TAG_LENGTH;

/**
 * HMAC-SHA256 tags of peer messages with the pool's shared key ({@link PeerMessageDescriptor}): signs a
 * message in place and verifies one with a constant-time comparison, so the time a check takes tells an
 * attacker nothing about how much of a forged tag was right. One instance per thread (a {@link Mac} is not
 * thread-safe); no allocation per message.
 */
public final class MessageAuthenticator
{
    /** The JCA name of the MAC. */
    public static final String ALGORITHM = "HmacSHA256";

    private final Mac mac;
    private final byte[] tag = new byte[TAG_LENGTH];

    /** @param key the pool's shared key. */
    public MessageAuthenticator(final byte[] key)
    {
        try
        {
            mac = Mac.getInstance(ALGORITHM);
            mac.init(new SecretKeySpec(key, ALGORITHM));
        }
        catch (final GeneralSecurityException e)
        {
            throw new IllegalStateException("HMAC-SHA256 is not available", e);
        }
    }

    /**
     * Writes the tag of {@code buffer[0, length)} at {@code length}.
     *
     * @return the length of the signed message ({@code length + TAG_LENGTH}).
     */
    public int sign(final ByteBuffer buffer, final int length)
    {
        compute(buffer, length);
        buffer.put(length, tag, 0, TAG_LENGTH);
        return length + TAG_LENGTH;
    }

    /**
     * @param buffer the received message.
     * @param length its length, tag included.
     * @return whether the last {@link PeerMessageDescriptor#TAG_LENGTH} bytes are the tag of the rest.
     */
    public boolean verify(final ByteBuffer buffer, final int length)
    {
        if (length < TAG_LENGTH)
        {
            return false;
        }
        final int signed = length - TAG_LENGTH;
        compute(buffer, signed);
        // Constant time: every byte is compared whatever the earlier ones were.
        int difference = 0;
        for (int i = 0; i < TAG_LENGTH; i++)
        {
            difference |= tag[i] ^ buffer.get(signed + i);
        }
        return difference == 0;
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
