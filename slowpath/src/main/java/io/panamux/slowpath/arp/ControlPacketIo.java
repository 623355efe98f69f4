package io.panamux.slowpath.arp;

/**
 * Packet I/O of the control thread on the data port: the frames the workers hand over (ARP, through the
 * fast path's {@code MbufHandoff}) and a way to send frames of its own (its TX queue, or worker 0's when
 * the device has none to spare). Control thread only; never blocks.
 *
 * <p>Mbufs are DPDK {@code struct rte_mbuf} addresses, single-segment. Ownership: an mbuf given to a
 * {@link PacketHandler} belongs to the handler, which must {@link #send} it or {@link #free} it; an mbuf
 * from {@link #allocate} belongs to the caller likewise; {@link #send} returning true takes it over.
 *
 * <p>{@link RingControlPacketIo} implements it over the fast path's rings (what the MUX runs with); tests
 * use fake mbufs.
 */
public interface ControlPacketIo
{
    /** Receives one frame; owns the mbuf from then on. */
    @FunctionalInterface
    interface PacketHandler
    {
        /** @param mbuf the frame (data address and length through {@code io.panamux.dpdk.Mbuf}). */
        void onPacket(long mbuf);
    }

    /** No packets in or out: ARP is neither answered nor resolved (for runs without a data port). */
    ControlPacketIo NONE = new ControlPacketIo()
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
     * Hands up to {@code limit} received frames to {@code handler}, in arrival order.
     *
     * @return how many were handed over.
     */
    int poll(PacketHandler handler, int limit);

    /**
     * Queues a frame for transmission on the data port.
     *
     * @param mbuf a single-segment frame, data length set.
     * @return true when it was taken (it will be sent and freed); false when it could not be queued (the
     *         caller still owns it).
     */
    boolean send(long mbuf);

    /** @return a fresh mbuf (default headroom, data length 0), or 0 when the pool is empty. */
    long allocate();

    /** Returns an mbuf to its pool. */
    void free(long mbuf);
}
