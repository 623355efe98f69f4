package io.panamux.slowpath.config;

import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;

/**
 * The {@code peers:} section: how this MUX talks to the other members of its pool about flow ownership
 * (ARCHITECTURE.md §1 item 3). Required when {@code mux.pool} has more than one member.
 *
 * <pre>
 * peers:
 *   listen: "10.0.0.10:9470"            UDP address of this MUX's peer endpoint
 *   key: "hex:6b3a..."                   shared by the whole pool: "hex:" or "base64:", at least 32 bytes
 *   endpoints:                           optional, per pool member; default MEMBER:(listen port)
 *     10.0.0.11: "10.0.1.11:9470"
 *   query-timeout-ms: 5                  how long an asker waits for the owner
 *   max-queries-in-flight: 1024          beyond it, the asker decides locally
 *   learned-batch-interval-ms: 10        how long a learned flow may wait for its batch
 *   max-learned-flows: 1048576           flows learned from peers kept by the owner
 *   max-message-age-ms: 2000             older (or that far in the future) messages are dropped
 * </pre>
 *
 * @param listen                 the UDP address this MUX receives peer messages on.
 * @param key                    the pool's shared HMAC-SHA256 key, at least {@link #MIN_KEY_BYTES} bytes.
 * @param endpoints              per pool member: where to send its messages, when not
 *                               {@code member:listen.port}.
 * @param queryTimeoutMs         how long an owner query may go unanswered, {@code 1..1000} ms.
 * @param maxQueriesInFlight     queries outstanding at once, {@code 1..}{@link #MAX_QUERIES_IN_FLIGHT}.
 * @param learnedBatchIntervalMs how long a learned flow may wait to fill a datagram, {@code 0..1000} ms.
 * @param maxLearnedFlows        flows the owner keeps from peers, {@code 1..2^31-1}.
 * @param maxMessageAgeMs        the replay window in time: {@code 1..60000} ms.
 */
public record Peers(
    HostPort listen,
    byte[] key,
    Map<IpAddress, HostPort> endpoints,
    int queryTimeoutMs,
    int maxQueriesInFlight,
    int learnedBatchIntervalMs,
    int maxLearnedFlows,
    int maxMessageAgeMs)
{
    /** The shortest key accepted: the HMAC-SHA256 output length (RFC 2104 §3). */
    public static final int MIN_KEY_BYTES = 32;
    /** Default owner query timeout: a few round trips inside a data centre. */
    public static final int DEFAULT_QUERY_TIMEOUT_MS = 5;
    /** Default bound of outstanding queries. */
    public static final int DEFAULT_MAX_QUERIES_IN_FLIGHT = 1024;
    /** Largest bound of outstanding queries. */
    public static final int MAX_QUERIES_IN_FLIGHT = 1 << 20;
    /** Default batch interval of learned flows. */
    public static final int DEFAULT_LEARNED_BATCH_INTERVAL_MS = 10;
    /** Default number of flows kept from peers. */
    public static final int DEFAULT_MAX_LEARNED_FLOWS = 1 << 20;
    /** Default replay window in time. */
    public static final int DEFAULT_MAX_MESSAGE_AGE_MS = 2000;

    /**
     * Copies the key and the endpoints; rejects nulls and short keys.
     */
    public Peers
    {
        Objects.requireNonNull(listen, "listen");
        key = key.clone();
        if (key.length < MIN_KEY_BYTES)
        {
            throw new IllegalArgumentException("the peer key must have at least " + MIN_KEY_BYTES + " bytes");
        }
        endpoints = Map.copyOf(endpoints);
    }

    /** @return a copy of the shared key. */
    @Override
    public byte[] key()
    {
        return key.clone();
    }

    /**
     * @param member a pool member.
     * @return where its peer messages go: its endpoint override, else {@code member:listen.port}.
     */
    public HostPort endpointOf(final IpAddress member)
    {
        final HostPort override = endpoints.get(member);
        return override != null ? override : new HostPort(member, listen.port());
    }

    /** Compares the key by content, in constant time. */
    @Override
    public boolean equals(final Object o)
    {
        return o instanceof Peers p && listen.equals(p.listen) && MessageDigest.isEqual(key, p.key) && endpoints.equals(p.endpoints) &&
            queryTimeoutMs == p.queryTimeoutMs && maxQueriesInFlight == p.maxQueriesInFlight &&
            learnedBatchIntervalMs == p.learnedBatchIntervalMs && maxLearnedFlows == p.maxLearnedFlows && maxMessageAgeMs == p.maxMessageAgeMs;
    }

    @Override
    public int hashCode()
    {
        return Objects.hash(listen, Arrays.hashCode(key), endpoints, queryTimeoutMs, maxQueriesInFlight, learnedBatchIntervalMs,
            maxLearnedFlows, maxMessageAgeMs);
    }

    /** Never shows the key: configurations end up in logs. */
    @Override
    public String toString()
    {
        return "Peers[listen=" + listen + ", key=<redacted " + key.length + " bytes>, endpoints=" + endpoints + ", queryTimeoutMs=" +
            queryTimeoutMs + ", maxQueriesInFlight=" + maxQueriesInFlight + ", learnedBatchIntervalMs=" + learnedBatchIntervalMs +
            ", maxLearnedFlows=" + maxLearnedFlows + ", maxMessageAgeMs=" + maxMessageAgeMs + "]";
    }
}
