package io.panamux.flow;

/**
 * Receives flow-table entries from {@link FlowTable#forEach(FlowVisitor, int)}, one consistent snapshot of
 * an entry per call. Called on the dumping thread, outside any sequence window, so a slow visitor never
 * holds up the table's writer.
 */
public interface FlowVisitor
{
    /**
     * An IPv4 entry.
     *
     * @param srcAddr   source address (big-endian int).
     * @param dstAddr   destination address (big-endian int).
     * @param srcPort   source port.
     * @param dstPort   destination port.
     * @param protocol  IP protocol.
     * @param backendId the recorded backend.
     * @param lastSeen  last time the flow was seen, in the writer's clock units.
     * @param flags     the entry's flags (0 to {@link FlowTable#MAX_FLAGS}).
     */
    void onV4(
        int srcAddr, int dstAddr, int srcPort, int dstPort, int protocol, int backendId, int lastSeen, int flags);

    /**
     * An IPv6 entry.
     *
     * @param srcHi     first 8 bytes of the source address (big-endian long).
     * @param srcLo     last 8 bytes of the source address.
     * @param dstHi     first 8 bytes of the destination address.
     * @param dstLo     last 8 bytes of the destination address.
     * @param srcPort   source port.
     * @param dstPort   destination port.
     * @param protocol  upper-layer protocol.
     * @param backendId the recorded backend.
     * @param lastSeen  last time the flow was seen, in the writer's clock units.
     * @param flags     the entry's flags (0 to {@link FlowTable#MAX_FLAGS}).
     */
    void onV6(
        long srcHi,
        long srcLo,
        long dstHi,
        long dstLo,
        int srcPort,
        int dstPort,
        int protocol,
        int backendId,
        int lastSeen,
        int flags);
}
