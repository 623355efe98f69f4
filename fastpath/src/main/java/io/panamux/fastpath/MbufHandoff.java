package io.panamux.fastpath;

/**
 * Where a worker hands packets that are not its to forward but the control thread's to answer (ARP,
 * packets for the MUX's own address). The control thread owns the packet afterwards. Implementations
 * never block and never allocate: when they cannot take the packet they return false and the worker
 * frees it and counts it.
 */
@FunctionalInterface
public interface MbufHandoff
{
    /** Hands nothing over: every such packet is freed and counted by the worker. */
    MbufHandoff NONE = mbuf -> false;

    /**
     * @param mbuf the packet.
     * @return true when the receiver took ownership of the mbuf.
     */
    boolean offer(long mbuf);
}
