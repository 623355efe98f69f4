package io.panamux.hostagent;

import java.security.GeneralSecurityException;

import javax.crypto.Mac;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.SecretKeySpec;

import io.panamux.dpdk.Memory;

/**
 * A Fastpath message between host agents, the payload of a UDP datagram from the destination host's
 * agent (the backend's) to the source host's agent (the client's), both on the Fastpath port.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-------------------------------+---------------+---------------+
 *  |        magic 0x5046 "PF"      |  version = 1  | type          |  0
 *  +---------------+---------------+---------------+---------------+
 *  |   protocol    |                reserved (0)                   |  4
 *  +---------------+-----------------------------------------------+
 *  |                  client (flow source) IPv4                    |  8
 *  +---------------------------------------------------------------+
 *  |                  VIP (flow destination) IPv4                  | 12
 *  +-------------------------------+-------------------------------+
 *  |          client port          |           VIP port            | 16
 *  +-------------------------------+-------------------------------+
 *  |                     backend (DIP) IPv4                        | 20
 *  +---------------------------------------------------------------+
 *  |            issued at, milliseconds since the epoch            | 24
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |     sequence: the sender's, increasing over its lifetime      | 32
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |   tag: HMAC-SHA256 of bytes 0..39 with the agents' key,       | 40
 *  |   first 16 bytes                                              |
 *  +---------------------------------------------------------------+ 56
 * </pre>
 *
 * {@link #REDIRECT}: "send the rest of this flow to the backend yourself". {@link #REVOKE}: "stop doing
 * so; send it to the VIP again". The message is read and written in place at a native address (inside an
 * mbuf); the tag is computed over a copy of the 40 signed bytes in a scratch array, so signing and checking
 * allocate nothing. One instance per thread ({@link Mac} is not thread-safe).
 */
public final class RedirectMessage
{
    /** "PF". */
    public static final int MAGIC = 0x5046;
    /** The only version. */
    public static final int VERSION = 1;
    /** Send the flow straight to the backend. */
    public static final int REDIRECT = 1;
    /** Send the flow to the VIP again. */
    public static final int REVOKE = 2;

    /** Offset of the magic number. */
    public static final int MAGIC_OFFSET = 0;
    /** Offset of the version. */
    public static final int VERSION_OFFSET = 2;
    /** Offset of the type. */
    public static final int TYPE_OFFSET = 3;
    /** Offset of the flow's IP protocol. */
    public static final int PROTOCOL_OFFSET = 4;
    /** Offset of the client address. */
    public static final int CLIENT_OFFSET = 8;
    /** Offset of the VIP address. */
    public static final int VIP_OFFSET = 12;
    /** Offset of the client port. */
    public static final int CLIENT_PORT_OFFSET = 16;
    /** Offset of the VIP port. */
    public static final int VIP_PORT_OFFSET = 18;
    /** Offset of the backend address. */
    public static final int BACKEND_OFFSET = 20;
    /** Offset of the issue time. */
    public static final int ISSUED_AT_OFFSET = 24;
    /** Offset of the sequence number. */
    public static final int SEQUENCE_OFFSET = 32;
    /** Offset of the tag: also the number of signed bytes. */
    public static final int TAG_OFFSET = 40;
    /** Bytes of the tag. */
    public static final int TAG_LENGTH = 16;
    /** Bytes of a message. */
    public static final int LENGTH = TAG_OFFSET + TAG_LENGTH;

    private static final String ALGORITHM = "HmacSHA256";

    private final Mac mac;
    private final byte[] signed = new byte[TAG_OFFSET];
    private final byte[] digest = new byte[32];

    /** @param key the key every host agent shares (at least 16 bytes). */
    public RedirectMessage(final byte[] key)
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
     * Writes a whole signed message at {@code address}.
     *
     * @param address    where ({@link #LENGTH} bytes).
     * @param type       {@link #REDIRECT} or {@link #REVOKE}.
     * @param protocol   the flow's IP protocol.
     * @param client     the flow's source address.
     * @param vip        the flow's destination address.
     * @param clientPort the flow's source port.
     * @param vipPort    the flow's destination port.
     * @param backend    where the flow goes (the sender's own address).
     * @param issuedAt   now, in milliseconds since the epoch.
     * @param sequence   the sender's next sequence number.
     */
    public void write(final long address, final int type, final int protocol, final int client, final int vip, final int clientPort,
        final int vipPort, final int backend, final long issuedAt, final long sequence)
    {
        Memory.putU16Be(address + MAGIC_OFFSET, MAGIC);
        Memory.putU8(address + VERSION_OFFSET, VERSION);
        Memory.putU8(address + TYPE_OFFSET, type);
        Memory.putI32Be(address + PROTOCOL_OFFSET, protocol << 24);
        Memory.putI32Be(address + CLIENT_OFFSET, client);
        Memory.putI32Be(address + VIP_OFFSET, vip);
        Memory.putU16Be(address + CLIENT_PORT_OFFSET, clientPort);
        Memory.putU16Be(address + VIP_PORT_OFFSET, vipPort);
        Memory.putI32Be(address + BACKEND_OFFSET, backend);
        Memory.putI64Be(address + ISSUED_AT_OFFSET, issuedAt);
        Memory.putI64Be(address + SEQUENCE_OFFSET, sequence);
        tag(address);
        Memory.copyFromArray(digest, 0, address + TAG_OFFSET, TAG_LENGTH);
    }

    /**
     * @param address a received message of {@link #LENGTH} bytes.
     * @return whether its magic, version and type are right and its tag is that of its contents under the
     * key (compared in constant time).
     */
    public boolean verify(final long address)
    {
        if (Memory.getU16Be(address + MAGIC_OFFSET) != MAGIC || Memory.getU8(address + VERSION_OFFSET) != VERSION)
        {
            return false;
        }
        final int type = type(address);
        if (type != REDIRECT && type != REVOKE)
        {
            return false;
        }
        tag(address);
        // Constant time: every byte is compared whatever the earlier ones were.
        int difference = 0;
        for (int i = 0; i < TAG_LENGTH; i++)
        {
            difference |= digest[i] ^ (byte)Memory.getU8(address + TAG_OFFSET + i);
        }
        return difference == 0;
    }

    private void tag(final long address)
    {
        Memory.copyToArray(address, signed, 0, TAG_OFFSET);
        mac.update(signed, 0, TAG_OFFSET);
        try
        {
            mac.doFinal(digest, 0);
        }
        catch (final ShortBufferException e)
        {
            throw new IllegalStateException(e);
        }
    }

    /** @return the message type. */
    public static int type(final long address)
    {
        return Memory.getU8(address + TYPE_OFFSET);
    }

    /** @return the flow's protocol. */
    public static int protocol(final long address)
    {
        return Memory.getU8(address + PROTOCOL_OFFSET);
    }

    /** @return the flow's source address. */
    public static int client(final long address)
    {
        return Memory.getI32Be(address + CLIENT_OFFSET);
    }

    /** @return the flow's destination address (the VIP). */
    public static int vip(final long address)
    {
        return Memory.getI32Be(address + VIP_OFFSET);
    }

    /** @return the flow's source port. */
    public static int clientPort(final long address)
    {
        return Memory.getU16Be(address + CLIENT_PORT_OFFSET);
    }

    /** @return the flow's destination port. */
    public static int vipPort(final long address)
    {
        return Memory.getU16Be(address + VIP_PORT_OFFSET);
    }

    /** @return the backend the flow is redirected to. */
    public static int backend(final long address)
    {
        return Memory.getI32Be(address + BACKEND_OFFSET);
    }

    /** @return the issue time in milliseconds since the epoch. */
    public static long issuedAt(final long address)
    {
        return Memory.getI64Be(address + ISSUED_AT_OFFSET);
    }

    /** @return the sender's sequence number. */
    public static long sequence(final long address)
    {
        return Memory.getI64Be(address + SEQUENCE_OFFSET);
    }
}
