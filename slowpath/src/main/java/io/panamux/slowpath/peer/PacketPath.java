package io.panamux.slowpath.peer;

/**
 * Where the control thread gets, sends and returns packet buffers ({@code struct rte_mbuf} addresses):
 * DPDK in the MUX ({@link DpdkPacketPath}), fake mbufs in tests. Control thread only.
 */
public interface PacketPath
{
    /** Called once on the control thread before the first packet (a DPDK lcore registers here). */
    default void onStart()
    {
    }

    /** @return a fresh single-segment mbuf, data offset at its default headroom and length 0; or 0 when none is free. */
    long allocate();

    /** Returns an mbuf to its pool. */
    void free(long mbuf);

    /**
     * Sends a frame out of the port towards the backends.
     *
     * @return false when it could not be queued (the caller still owns the mbuf).
     */
    boolean send(long mbuf);

    /** Called once on the control thread when it stops. */
    default void onClose()
    {
    }
}
