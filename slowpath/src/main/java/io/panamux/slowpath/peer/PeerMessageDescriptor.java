package io.panamux.slowpath.peer;

import io.panamux.common.auth.ReplayWindow;

/**
 * The wire format of the flow-ownership protocol between the control threads of a MUX pool: one UDP
 * datagram per message, all integers big-endian (network order).
 *
 * <h2>Message</h2>
 * <pre>
 *   0               4       5       6               8
 *   +---------------+-------+-------+---------------+
 *   | magic "PMXP"  |version| type  | count         |
 *   +---------------+-------+-------+---------------+
 *   8   sender: the sending MUX's pool address (16 bytes, IPv4 as ::ffff:a.b.c.d)
 *   24  recipient: the receiving MUX's pool address (16 bytes, same form)
 *   40  sequence (8): strictly increasing per sender; starts at the sender's wall clock in µs
 *   48  timestamp (8): the sender's wall clock in ms since the epoch
 *   56  payload (type-specific, see below)
 *   ... HMAC-SHA256 tag (32) over every byte before it, with the pool's shared key
 * </pre>
 *
 * A receiver drops (and counts by reason) a datagram that is shorter than a header and a tag, has another
 * magic or version, whose tag does not verify (compared in constant time), whose sender is not a member
 * of its pool or whose recipient is not itself, whose timestamp is further than the allowed age from its
 * own clock or earlier than the receiver's own start, whose sequence it has seen (a window of {@link ReplayWindow#SIZE} behind the highest), or
 * whose payload does not match its type and count. The recipient in the authenticated header stops a
 * message for one member being replayed to another; the sequence starting from the wall clock lets a
 * restarted sender be heard again without state kept across restarts, and refusing what was stamped before
 * the receiver started closes the gap its empty replay windows would leave after a restart: a message
 * captured within the allowed age cannot be replayed once into the new incarnation (the epoch of a receiver
 * is its start; a sender whose clock lags it by d ms is not heard for the first d ms).
 *
 * <h2>Flow entry (56 bytes)</h2>
 * Flows are named by their 5-tuple, backends by address (backend ids are local to each MUX; the VIP is
 * the flow's destination address, port and protocol).
 * <pre>
 *   0       1       2               4               6       7       8
 *   +-------+-------+---------------+---------------+-------+-------+
 *   |version|proto  | source port   | dest. port    |backend|  0    |
 *   | 4 / 6 |       |               |               |4/6/0  |       |
 *   +-------+-------+---------------+---------------+-------+-------+
 *   8   source address: high 64 bits (IPv4: 0), low 64 bits (IPv4: the address)
 *   24  destination address: high, low
 *   40  backend address: high, low (backend family 0: none)                               56
 * </pre>
 *
 * <h2>Payloads</h2>
 * <pre>
 *   LEARNED  count flow entries: flows a MUX recorded in a stateful phase, for their owner
 *   QUERY    query id (8) | flow entry (backend: the asker's provisional choice) | packet length (2) |
 *            0 (6) | the packet as received (Ethernet frame); count = 1
 *   ANSWER   query id (8) | flow entry (backend: the answer, family 0 if none) | source (1) | 0 (7);
 *            count = 1
 * </pre>
 */
public final class PeerMessageDescriptor
{
    /** "PMXP". */
    public static final int MAGIC = 0x504D_5850;
    /** The only version this code speaks. */
    public static final int VERSION = 1;

    /** Flows recorded in a stateful phase, for their owner. */
    public static final int TYPE_LEARNED = 1;
    /** A packet of a flow the sender does not know, and a question about it. */
    public static final int TYPE_QUERY = 2;
    /** The owner's answer to a query. */
    public static final int TYPE_ANSWER = 3;

    /** Magic. */
    public static final int MAGIC_OFFSET = 0;
    /** Version. */
    public static final int VERSION_OFFSET = 4;
    /** Message type. */
    public static final int TYPE_OFFSET = 5;
    /** Number of entries in the payload. */
    public static final int COUNT_OFFSET = 6;
    /** Sender's pool address. */
    public static final int SENDER_OFFSET = 8;
    /** Recipient's pool address. */
    public static final int RECIPIENT_OFFSET = 24;
    /** Sender's sequence number. */
    public static final int SEQUENCE_OFFSET = 40;
    /** Sender's wall clock, ms. */
    public static final int TIMESTAMP_OFFSET = 48;
    /** Bytes of the header; the payload starts here. */
    public static final int HEADER_LENGTH = 56;
    /** Bytes of the HMAC-SHA256 tag at the end. */
    public static final int TAG_LENGTH = 32;

    /** Flow entry: IP version of the flow. */
    public static final int FLOW_VERSION_OFFSET = 0;
    /** Flow entry: IP protocol. */
    public static final int FLOW_PROTOCOL_OFFSET = 1;
    /** Flow entry: source port. */
    public static final int FLOW_SRC_PORT_OFFSET = 2;
    /** Flow entry: destination port. */
    public static final int FLOW_DST_PORT_OFFSET = 4;
    /** Flow entry: backend address family (4, 6, or 0 for none). */
    public static final int FLOW_BACKEND_FAMILY_OFFSET = 6;
    /** Flow entry: source address, high 64 bits. */
    public static final int FLOW_SRC_HI_OFFSET = 8;
    /** Flow entry: source address, low 64 bits. */
    public static final int FLOW_SRC_LO_OFFSET = 16;
    /** Flow entry: destination address, high 64 bits. */
    public static final int FLOW_DST_HI_OFFSET = 24;
    /** Flow entry: destination address, low 64 bits. */
    public static final int FLOW_DST_LO_OFFSET = 32;
    /** Flow entry: backend address, high 64 bits. */
    public static final int FLOW_BACKEND_HI_OFFSET = 40;
    /** Flow entry: backend address, low 64 bits. */
    public static final int FLOW_BACKEND_LO_OFFSET = 48;
    /** Bytes of a flow entry. */
    public static final int FLOW_ENTRY_LENGTH = 56;

    /** Query and answer: the asker's query id. */
    public static final int QUERY_ID_OFFSET = 0;
    /** Query and answer: the flow entry. */
    public static final int QUERY_FLOW_OFFSET = 8;
    /** Query: length of the packet that follows the fixed part. */
    public static final int QUERY_PACKET_LENGTH_OFFSET = QUERY_FLOW_OFFSET + FLOW_ENTRY_LENGTH;
    /** Query: the packet. */
    public static final int QUERY_PACKET_OFFSET = QUERY_PACKET_LENGTH_OFFSET + 8;
    /** Answer: where the owner found the answer ({@code SOURCE_*}). */
    public static final int ANSWER_SOURCE_OFFSET = QUERY_FLOW_OFFSET + FLOW_ENTRY_LENGTH;
    /** Bytes of an answer's payload. */
    public static final int ANSWER_LENGTH = ANSWER_SOURCE_OFFSET + 8;

    /** Answer source: the owner knows no backend for the flow (no such VIP, or no backend). */
    public static final int SOURCE_NONE = 0;
    /** Answer source: one of the owner's own workers' flow tables. */
    public static final int SOURCE_TABLE = 1;
    /** Answer source: the flows the owner learned from peers or decided before. */
    public static final int SOURCE_STORE = 2;
    /** Answer source: decided now by rule 2 (previous table's backend if still present, else current). */
    public static final int SOURCE_RULE2 = 3;

    /** Largest packet a query carries: what fits one default DPDK mbuf's data room. */
    public static final int MAX_PACKET_LENGTH = 2048;
    /** Largest datagram this protocol sends (a query with the largest packet). */
    public static final int MAX_DATAGRAM_LENGTH = HEADER_LENGTH + QUERY_PACKET_OFFSET + MAX_PACKET_LENGTH + TAG_LENGTH;
    /** Datagrams of learned flows stay below a 1500-byte path MTU (IPv6 + UDP headers included). */
    public static final int MAX_LEARNED_DATAGRAM_LENGTH = 1500 - 40 - 8;
    /** Flow entries per learned-flows datagram. */
    public static final int LEARNED_PER_DATAGRAM = (MAX_LEARNED_DATAGRAM_LENGTH - HEADER_LENGTH - TAG_LENGTH) / FLOW_ENTRY_LENGTH;

    private PeerMessageDescriptor()
    {
    }
}
