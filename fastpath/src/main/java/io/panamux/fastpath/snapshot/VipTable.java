package io.panamux.fastpath.snapshot;

import java.util.Arrays;

/**
 * VIP lookup by (address, port, protocol) for IPv4 and IPv6, and by (address, protocol) for fragments
 * that carry no ports. Open addressing over primitive arrays built once per snapshot, read-only
 * afterwards: lookups allocate nothing and take one or two cache lines.
 */
public final class VipTable
{
    /** No VIP. */
    public static final int MISSING = -1;
    /** Several VIPs share the address and protocol on different ports (fragment lookup only). */
    public static final int AMBIGUOUS = -2;

    private static final int TCP = 6;
    private static final int UDP = 17;

    private final long[] keys4;
    private final int[] values4;
    private final int mask4;
    private final long[] hi6;
    private final long[] lo6;
    private final int[] portProto6;
    private final int[] values6;
    private final int mask6;
    private final long[] fragKeys4;
    private final int[] fragValues4;
    private final long[] fragHi6;
    private final long[] fragLo6;
    private final int[] fragProto6;
    private final int[] fragValues6;

    /** Builds the table for {@code vips} (their indices are the values). */
    public VipTable(final Vip[] vips)
    {
        int n4 = 0;
        int n6 = 0;
        for (final Vip v : vips)
        {
            if (v.v6())
            {
                n6++;
            }
            else
            {
                n4++;
            }
        }
        final int cap4 = capacity(n4);
        final int cap6 = capacity(n6);
        keys4 = new long[cap4];
        values4 = filled(cap4);
        fragKeys4 = new long[cap4];
        fragValues4 = filled(cap4);
        mask4 = cap4 - 1;
        hi6 = new long[cap6];
        lo6 = new long[cap6];
        portProto6 = new int[cap6];
        values6 = filled(cap6);
        fragHi6 = new long[cap6];
        fragLo6 = new long[cap6];
        fragProto6 = new int[cap6];
        fragValues6 = filled(cap6);
        mask6 = cap6 - 1;
        for (final Vip v : vips)
        {
            if (v.v6())
            {
                put6(v.v6Hi(), v.v6Lo(), (v.port() << 8) | v.protocol(), v.index());
                putFragment6(v.v6Hi(), v.v6Lo(), v.protocol(), v.index());
            }
            else
            {
                final long key = key4(v.v4(), v.port(), v.protocol());
                int i = mix(key) & mask4;
                while (values4[i] != MISSING)
                {
                    if (keys4[i] == key)
                    {
                        throw new IllegalArgumentException("duplicate VIP " + v.text());
                    }
                    i = (i + 1) & mask4;
                }
                keys4[i] = key;
                values4[i] = v.index();
                putFragment4(v.v4(), v.protocol(), v.index());
            }
        }
    }

    /** @return the index of the IPv4 VIP, or {@link #MISSING}. */
    public int findV4(final int address, final int port, final int protocol)
    {
        final long key = key4(address, port, protocol);
        int i = mix(key) & mask4;
        int v;
        while ((v = values4[i]) != MISSING)
        {
            if (keys4[i] == key)
            {
                return v;
            }
            i = (i + 1) & mask4;
        }
        return MISSING;
    }

    /** @return the index of the IPv6 VIP, or {@link #MISSING}. */
    public int findV6(final long hi, final long lo, final int port, final int protocol)
    {
        final int pp = (port << 8) | protocol;
        int i = mix(hi ^ Long.rotateLeft(lo, 17) ^ pp) & mask6;
        int v;
        while ((v = values6[i]) != MISSING)
        {
            if (hi6[i] == hi && lo6[i] == lo && portProto6[i] == pp)
            {
                return v;
            }
            i = (i + 1) & mask6;
        }
        return MISSING;
    }

    /**
     * @return the only IPv4 VIP on {@code address} with {@code protocol}, {@link #AMBIGUOUS} when several
     * ports share them, or {@link #MISSING}: for later fragments, which carry no ports.
     */
    public int findFragmentV4(final int address, final int protocol)
    {
        final long key = key4(address, 0, protocol);
        int i = mix(key) & mask4;
        int v;
        while ((v = fragValues4[i]) != MISSING)
        {
            if (fragKeys4[i] == key)
            {
                return v;
            }
            i = (i + 1) & mask4;
        }
        return MISSING;
    }

    /** @return as {@link #findFragmentV4}, for IPv6. */
    public int findFragmentV6(final long hi, final long lo, final int protocol)
    {
        int i = mix(hi ^ Long.rotateLeft(lo, 17) ^ protocol) & mask6;
        int v;
        while ((v = fragValues6[i]) != MISSING)
        {
            if (fragHi6[i] == hi && fragLo6[i] == lo && fragProto6[i] == protocol)
            {
                return v;
            }
            i = (i + 1) & mask6;
        }
        return MISSING;
    }

    /**
     * @return the only IPv6 VIP on the address whatever its protocol and port, {@link #AMBIGUOUS} when there
     * are several, or {@link #MISSING}: for a later fragment that does not carry its upper-layer protocol
     * ({@code PacketInfo.upperProtocolUnknown()}).
     */
    public int findFragmentV6AnyProtocol(final long hi, final long lo)
    {
        final int tcp = findFragmentV6(hi, lo, TCP);
        final int udp = findFragmentV6(hi, lo, UDP);
        if (tcp == MISSING)
        {
            return udp;
        }
        return udp == MISSING ? tcp : AMBIGUOUS;
    }

    private void put6(final long hi, final long lo, final int pp, final int index)
    {
        int i = mix(hi ^ Long.rotateLeft(lo, 17) ^ pp) & mask6;
        while (values6[i] != MISSING)
        {
            if (hi6[i] == hi && lo6[i] == lo && portProto6[i] == pp)
            {
                throw new IllegalArgumentException("duplicate IPv6 VIP");
            }
            i = (i + 1) & mask6;
        }
        hi6[i] = hi;
        lo6[i] = lo;
        portProto6[i] = pp;
        values6[i] = index;
    }

    private void putFragment4(final int address, final int protocol, final int index)
    {
        final long key = key4(address, 0, protocol);
        int i = mix(key) & mask4;
        while (fragValues4[i] != MISSING)
        {
            if (fragKeys4[i] == key)
            {
                fragValues4[i] = AMBIGUOUS;
                return;
            }
            i = (i + 1) & mask4;
        }
        fragKeys4[i] = key;
        fragValues4[i] = index;
    }

    private void putFragment6(final long hi, final long lo, final int protocol, final int index)
    {
        int i = mix(hi ^ Long.rotateLeft(lo, 17) ^ protocol) & mask6;
        while (fragValues6[i] != MISSING)
        {
            if (fragHi6[i] == hi && fragLo6[i] == lo && fragProto6[i] == protocol)
            {
                fragValues6[i] = AMBIGUOUS;
                return;
            }
            i = (i + 1) & mask6;
        }
        fragHi6[i] = hi;
        fragLo6[i] = lo;
        fragProto6[i] = protocol;
        fragValues6[i] = index;
    }

    private static long key4(final int address, final int port, final int protocol)
    {
        return ((address & 0xFFFFFFFFL) << 24) | ((long)port << 8) | protocol;
    }

    private static int mix(final long key)
    {
        final long h = key * 0x9E3779B97F4A7C15L;
        return (int)(h ^ (h >>> 32));
    }

    private static int capacity(final int n)
    {
        // At most a quarter full: an empty slot ends every probe quickly.
        int cap = 4;
        while (cap < 4 * n)
        {
            cap <<= 1;
        }
        return cap;
    }

    private static int[] filled(final int n)
    {
        final int[] a = new int[n];
        Arrays.fill(a, MISSING);
        return a;
    }
}
