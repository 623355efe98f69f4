package io.panamux.common.auth;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MessageAuthenticatorTest
{
    private static final byte[] KEY = "Jefe".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DATA = "what do ya want for nothing?".getBytes(StandardCharsets.US_ASCII);
    /** RFC 4231 test case 2. */
    private static final String HMAC = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";

    @Test
    void theWholeTagAndATruncatedOneAreThoseOfRfc4231()
    {
        assertArrayEquals(HexFormat.of().parseHex(HMAC), MessageAuthenticator.hmac(KEY, DATA));
        for (final int tagLength : new int[] {16, 32})
        {
            final ByteBuffer b = ByteBuffer.allocate(DATA.length + tagLength).put(DATA);
            assertEquals(DATA.length + tagLength, new MessageAuthenticator(KEY, tagLength).sign(b, DATA.length));
            final byte[] tag = new byte[tagLength];
            b.get(DATA.length, tag);
            assertEquals(HMAC.substring(0, 2 * tagLength), HexFormat.of().formatHex(tag));
            assertTrue(new MessageAuthenticator(KEY, tagLength).verify(b, b.capacity()));
            b.put(3, (byte)(b.get(3) ^ 1));
            assertFalse(new MessageAuthenticator(KEY, tagLength).verify(b, b.capacity()), "one bit changed");
        }
        assertFalse(new MessageAuthenticator(KEY, 16).verify(ByteBuffer.allocate(8), 8), "shorter than a tag");
        assertThrows(IllegalArgumentException.class, () -> new MessageAuthenticator(KEY, 8));
    }
}
