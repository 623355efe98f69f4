package io.panamux.fastpath.snapshot;

import io.panamux.fastpath.encap.TunnelEncapsulator;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The fragment lookups of {@link VipTable}: by address and protocol, and by address alone for an IPv6 later
 * fragment that does not carry its upper-layer protocol (destination options or AH first, RFC 8200 §4.5).
 */
class VipTableFragmentTest
{
    private static final long HI = 0x2001_0db8_0100_0000L;
    private static final long LO = 0x10L;
    private static final long OTHER_LO = 0x11L;
    private static final long THIRD_LO = 0x12L;
    /** The VIPs' GUE port (unused: they go IP-in-IP). */
    private static final int GUE_PORT = TunnelEncapsulator.DEFAULT_GUE_PORT;

    private static Vip v6(final int index, final long lo, final int port, final int protocol)
    {
        return new Vip(index, true, 0, HI, lo, port, protocol, TunnelEncapsulator.IPIP, GUE_PORT, Vip.TRACK_ON_CHANGE, Vip.MODE_STATELESS,
            new Backend[0], new int[0], null, null, "v" + index);
    }

    @Test
    void anAddressWithOneVipGivesItWhateverTheProtocol()
    {
        final VipTable table = new VipTable(new Vip[] {v6(0, LO, 80, 6), v6(1, OTHER_LO, 53, 17), v6(2, THIRD_LO, 80, 6),
            v6(3, THIRD_LO, 53, 17)});
        assertEquals(0, table.findFragmentV6AnyProtocol(HI, LO));
        assertEquals(1, table.findFragmentV6AnyProtocol(HI, OTHER_LO));
        // TCP and UDP VIPs on one address: a fragment that does not say which cannot be placed.
        assertEquals(VipTable.AMBIGUOUS, table.findFragmentV6AnyProtocol(HI, THIRD_LO));
        assertEquals(VipTable.MISSING, table.findFragmentV6AnyProtocol(HI, 0x99L));
        // The protocol-specific lookups are unchanged.
        assertEquals(2, table.findFragmentV6(HI, THIRD_LO, 6));
        assertEquals(3, table.findFragmentV6(HI, THIRD_LO, 17));
    }

    @Test
    void twoPortsOfOneProtocolStayAmbiguous()
    {
        final VipTable table = new VipTable(new Vip[] {v6(0, LO, 80, 6), v6(1, LO, 443, 6)});
        assertEquals(VipTable.AMBIGUOUS, table.findFragmentV6AnyProtocol(HI, LO));
    }
}
