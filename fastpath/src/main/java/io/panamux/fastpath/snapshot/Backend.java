package io.panamux.fastpath.snapshot;

/**
 * One backend (DIP) of one VIP in a snapshot. Immutable.
 *
 * <p>{@link #id} is assigned by the control thread, stable for the life of the (VIP, backend address)
 * pair across snapshots and dense (below {@code WorkerCounters.MAX_BACKEND_IDS}); the flow table records
 * this id, so a flow survives snapshots in which the backend's position in the list changes.
 *
 * @param id       stable id of the (VIP, backend) pair.
 * @param vipIndex index of its VIP in the snapshot.
 * @param v6       whether the address is IPv6 (then the outer header is IPv6).
 * @param v4       IPv4 address, network order read big-endian.
 * @param v6Hi     high 64 bits of the IPv6 address.
 * @param v6Lo     low 64 bits of the IPv6 address.
 * @param weight   Maglev weight (0: no new flows).
 * @param draining no new flows; existing flows stay.
 * @param text     the address as configured, for display.
 */
public record Backend(int id, int vipIndex, boolean v6, int v4, long v6Hi, long v6Lo, int weight, boolean draining, String text)
{
}
