package io.panamux.slowpath.control;

/**
 * The control thread's packets on the data port: the one packet I/O of the control side, used by ARP
 * ({@code arp.ArpEndpoint}), the checks through the tunnel ({@code health.TunnelProbes}) and the flow
 * ownership protocol ({@code peer.FlowOwnership}, which forwards packets as a flow's owner). Frames come in
 * from the workers (handed over through their rings, {@link WorkerRecords}); frames go out on the control
 * thread's own TX queue or through a worker. {@link DpdkControlPort} is the MUX's; tests use
 * {@code FakeControlPort}. Control thread only; never blocks.
 *
 * <h2>Who frees what</h2>
 * Mbufs are DPDK {@code struct rte_mbuf} addresses, single-segment. Every mbuf has exactly one owner, and
 * the owner must either hand it on or {@link #free} it: an mbuf is never dropped on the floor (the MUX counts
 * mbufs in use at stop, and a leak shows there).
 * <ul>
 *   <li>A frame given to a {@link PacketHandler} by {@link #poll} belongs to the handler from then on: it
 *       must {@link #send} it (an answer made in place) or {@link #free} it, before it returns or later.</li>
 *   <li>An mbuf from {@link #allocate} belongs to the caller likewise.</li>
 *   <li>{@link #send} returning true takes the mbuf over (the port sends and frees it); returning false
 *       leaves it with the caller, who must free it.</li>
 *   <li>Frames received and not yet polled belong to the port; the port's owner frees them when the control
 *       thread has stopped ({@link DpdkControlPort#freePending}).</li>
 * </ul>
 */
public interface ControlPort
{
    /** Receives one frame; owns the mbuf from then on (it must be sent or freed). */
    @FunctionalInterface
    interface PacketHandler
    {
        /** @param mbuf the frame (data address and length through {@code io.panamux.dpdk.Mbuf}). */
        void onPacket(long mbuf);
    }

    /** No packets in or out: ARP is neither answered nor resolved (for runs without a data port). */
    ControlPort NONE = new ControlPort()
    {
        @Override
        public int poll(final PacketHandler handler, final int limit)
        {
            return 0;
        }

        @Override
        public boolean send(final long mbuf)
        {
            return false;
        }

        @Override
        public long allocate()
        {
            return 0;
        }

        @Override
        public void free(final long mbuf)
        {
        }
    };

    /**
     * Called on the control thread before its first use of the port by a user that allocates or sends from
     * there (a DPDK port registers the thread as an lcore, so that the pool's per-lcore cache is used).
     */
    default void onStart()
    {
    }

    /** Called on the control thread when the user that called {@link #onStart} stops. */
    default void onClose()
    {
    }

    /**
     * Hands up to {@code limit} received frames to {@code handler}, in arrival order.
     *
     * @return how many were handed over.
     */
    int poll(PacketHandler handler, int limit);

    /**
     * Queues a frame for transmission on the data port.
     *
     * @param mbuf a single-segment frame the caller owns, data length set.
     * @return true when it was taken (it will be sent and freed); false when it could not be queued (the
     *         caller still owns it and must free it).
     */
    boolean send(long mbuf);

    /** @return a fresh mbuf the caller owns (default headroom, data length 0), or 0 when the pool is empty. */
    long allocate();

    /** Returns an mbuf the caller owns to its pool. */
    void free(long mbuf);
}
