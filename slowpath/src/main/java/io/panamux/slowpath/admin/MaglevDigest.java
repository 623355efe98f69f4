package io.panamux.slowpath.admin;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import io.panamux.fastpath.snapshot.ForwardingSnapshot;
import io.panamux.fastpath.snapshot.Vip;

/**
 * A short digest of the table a VIP's new flows are chosen with, as the MUX published it: the seed, the table
 * size and, for every slot, the address of the backend it gives. Two MUXes (or a MUX and a host agent) that show
 * the same digest for a VIP send every new flow of it to the same backend, whatever order or ids their backends
 * have inside each process.
 */
public final class MaglevDigest
{
    private MaglevDigest()
    {
    }

    /**
     * @param snapshot the published snapshot.
     * @param vipKey   the VIP, {@code ADDRESS:PORT/PROTO}.
     * @return {@code sha256:} and the first 16 hex digits, or {@code none} when the snapshot has no such VIP.
     */
    public static String of(final ForwardingSnapshot snapshot, final String vipKey)
    {
        for (final Vip vip : snapshot.vips())
        {
            if (vip.text().equals(vipKey))
            {
                return of(snapshot.hashSeed(), snapshot.tableSize(), vip);
            }
        }
        return "none";
    }

    /**
     * @param seed      the hash seed the table was built with.
     * @param tableSize the Maglev table size.
     * @param vip       the VIP with its backends and table (a MUX's snapshot's, or a host agent's selection's).
     * @return {@code sha256:} and the first 16 hex digits.
     */
    public static String of(final long seed, final int tableSize, final Vip vip)
    {
        final MessageDigest sha;
        try
        {
            sha = MessageDigest.getInstance("SHA-256");
        }
        catch (final NoSuchAlgorithmException e)
        {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
        sha.update((Long.toHexString(seed) + " " + tableSize + " " + vip.table().length + "\n").getBytes(StandardCharsets.US_ASCII));
        final byte[][] names = new byte[vip.backends().length][];
        for (int i = 0; i < names.length; i++)
        {
            names[i] = (vip.backends()[i].text() + "\n").getBytes(StandardCharsets.US_ASCII);
        }
        for (final int slot : vip.table())
        {
            sha.update(names[slot]);
        }
        return "sha256:" + HexFormat.of().formatHex(sha.digest(), 0, 8);
    }
}
