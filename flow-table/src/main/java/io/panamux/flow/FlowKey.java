package io.panamux.flow;

/**
 * A reusable 5-tuple (IPv4 or IPv6) for the {@link FlowTable} calls that take a key: a caller keeps one
 * instance and refills it with {@link #v4} or {@link #v6} before each call, so a lookup, an insert or a
 * removal allocates nothing and does not pass seven to eleven primitives. Not thread-safe: one per thread.
 *
 * <p>The worker's per-packet path does not use it: it keeps calling the hashed {@code findV4}/{@code
 * probeFirstV4} overloads with the fields of its parsed packet, which C2 inlines without the stores and
 * loads of a key object.
 */
public final class FlowKey
{
    private boolean v6;
    private int srcV4;
    private int dstV4;
    private long srcHi;
    private long srcLo;
    private long dstHi;
    private long dstLo;
    private int srcPort;
    private int dstPort;
    private int protocol;

    /**
     * Makes this an IPv4 flow's key.
     *
     * @param srcAddr  source address (big-endian int).
     * @param dstAddr  destination address.
     * @param srcPort  source port.
     * @param dstPort  destination port.
     * @param protocol IP protocol.
     * @return this.
     */
    public FlowKey v4(final int srcAddr, final int dstAddr, final int srcPort, final int dstPort, final int protocol)
    {
        this.v6 = false;
        this.srcV4 = srcAddr;
        this.dstV4 = dstAddr;
        this.srcHi = 0;
        this.srcLo = 0;
        this.dstHi = 0;
        this.dstLo = 0;
        this.srcPort = srcPort;
        this.dstPort = dstPort;
        this.protocol = protocol;
        return this;
    }

    /**
     * Makes this an IPv6 flow's key.
     *
     * @param srcHi    first 8 bytes of the source address (big-endian long).
     * @param srcLo    last 8 bytes of the source address.
     * @param dstHi    first 8 bytes of the destination address.
     * @param dstLo    last 8 bytes of the destination address.
     * @param srcPort  source port.
     * @param dstPort  destination port.
     * @param protocol upper-layer protocol.
     * @return this.
     */
    public FlowKey v6(
        final long srcHi, final long srcLo, final long dstHi, final long dstLo, final int srcPort, final int dstPort, final int protocol)
    {
        this.v6 = true;
        this.srcV4 = 0;
        this.dstV4 = 0;
        this.srcHi = srcHi;
        this.srcLo = srcLo;
        this.dstHi = dstHi;
        this.dstLo = dstLo;
        this.srcPort = srcPort;
        this.dstPort = dstPort;
        this.protocol = protocol;
        return this;
    }

    /** @return whether the key is an IPv6 flow's. */
    public boolean isV6()
    {
        return v6;
    }

    /** @return the IPv4 source address (0 for IPv6). */
    public int srcV4()
    {
        return srcV4;
    }

    /** @return the IPv4 destination address (0 for IPv6). */
    public int dstV4()
    {
        return dstV4;
    }

    /** @return the IPv6 source's first 8 bytes (0 for IPv4). */
    public long srcHi()
    {
        return srcHi;
    }

    /** @return the IPv6 source's last 8 bytes (0 for IPv4). */
    public long srcLo()
    {
        return srcLo;
    }

    /** @return the IPv6 destination's first 8 bytes (0 for IPv4). */
    public long dstHi()
    {
        return dstHi;
    }

    /** @return the IPv6 destination's last 8 bytes (0 for IPv4). */
    public long dstLo()
    {
        return dstLo;
    }

    /** @return the source port. */
    public int srcPort()
    {
        return srcPort;
    }

    /** @return the destination port. */
    public int dstPort()
    {
        return dstPort;
    }

    /** @return the protocol. */
    public int protocol()
    {
        return protocol;
    }

    @Override
    public String toString()
    {
        return v6
            ? String.format("[%016x%016x]:%d -> [%016x%016x]:%d proto %d", srcHi, srcLo, srcPort, dstHi, dstLo, dstPort, protocol)
            : String.format("%d.%d.%d.%d:%d -> %d.%d.%d.%d:%d proto %d", srcV4 >>> 24, srcV4 >>> 16 & 0xFF, srcV4 >>> 8 & 0xFF,
                srcV4 & 0xFF, srcPort, dstV4 >>> 24, dstV4 >>> 16 & 0xFF, dstV4 >>> 8 & 0xFF, dstV4 & 0xFF, dstPort, protocol);
    }
}
