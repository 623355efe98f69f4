package io.panamux.slowpath.peer;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The flow-ownership counters of one MUX: written by the control thread only (ordered stores), read by
 * any thread ({@link #stats()}). Indices are the {@code static final int}s below.
 */
public final class PeerCounters
{
    /** Owner queries sent (first packet of a flow). */
    public static final int QUERIES_SENT = 0;
    /** Later packets of a flow sent with its outstanding query. */
    public static final int QUERY_PACKETS_SENT = 1;
    /** Later packets dropped because their query already carried the most it may. */
    public static final int QUERY_PACKETS_DROPPED = 2;
    /** Queries answered by the owner in time. */
    public static final int QUERIES_ANSWERED = 3;
    /** Queries the owner did not answer in time: the provisional choice was recorded. */
    public static final int QUERIES_TIMED_OUT = 4;
    /** Queries not sent because too many were in flight (or the send failed): decided locally. */
    public static final int QUERIES_DECIDED_LOCALLY = 5;
    /** Answers that matched no outstanding query (late, or repeated). */
    public static final int ANSWERS_UNMATCHED = 6;
    /** Answers naming a backend this MUX does not have for the VIP: the provisional choice was recorded. */
    public static final int ANSWERS_UNKNOWN_BACKEND = 7;
    /** Queries received as owner. */
    public static final int QUERIES_RECEIVED = 8;
    /** Answers sent as owner. */
    public static final int ANSWERS_SENT = 9;
    /** Answers taken from this MUX's workers' flow tables. */
    public static final int ANSWERS_FROM_TABLE = 10;
    /** Answers taken from the flows learned from peers (or decided before). */
    public static final int ANSWERS_FROM_STORE = 11;
    /** Answers decided now by rule 2 (and recorded). */
    public static final int ANSWERS_BY_RULE2 = 12;
    /** Packets forwarded to a backend by the control thread: as owner, or for a query decided here. */
    public static final int PACKETS_FORWARDED = 13;
    /** Packets the control thread could not forward (no mbuf, unparsable, not the flow, too big, TX full). */
    public static final int FORWARD_FAILURES = 14;
    /** Learned flows sent to their owners. */
    public static final int LEARNED_SENT = 15;
    /** Learned-flow datagrams sent. */
    public static final int LEARNED_DATAGRAMS_SENT = 16;
    /** Learned flows received from peers. */
    public static final int LEARNED_RECEIVED = 17;
    /** Learned flows not sent (their backend left the snapshot before the batch). */
    public static final int LEARNED_DROPPED = 18;
    /** Flows in the store of flows learned from peers. */
    public static final int STORE_SIZE = 19;
    /** Store entries evicted because it was full. */
    public static final int STORE_EVICTIONS = 20;
    /** Store entries that expired. */
    public static final int STORE_EXPIRED = 21;
    /** Commands to workers not queued because the worker's command queue was full. */
    public static final int COMMANDS_FULL = 22;
    /** Datagrams the socket refused to send or receive. */
    public static final int SOCKET_ERRORS = 23;
    /** Owner queries for flows this MUX owns itself, answered here. */
    public static final int QUERIES_OWNED_HERE = 24;
    /** Datagrams received and accepted. */
    public static final int MESSAGES_RECEIVED = 25;

    /** Changes of the owner ring (the pool's members changed). */
    public static final int RING_CHANGES = 26;
    /** Flows of this MUX's tables reported again to their new owner after a ring change. */
    public static final int FLOWS_REPORTED_AGAIN = 27;
    /** Flows of the owner's store given to their new owner after a ring change. */
    public static final int STORE_HANDED_OVER = 28;

    private static final int FIXED = 29;
    private static final BadMessage[] REASONS = BadMessage.values();

    private final AtomicLongArray values = new AtomicLongArray(FIXED + REASONS.length);

    /** Adds to a counter (control thread). */
    public void add(final int counter, final long delta)
    {
        values.setRelease(counter, values.getPlain(counter) + delta);
    }

    /** Sets a gauge (control thread). */
    public void set(final int counter, final long value)
    {
        values.setRelease(counter, value);
    }

    /** Counts a dropped datagram (control thread). */
    public void countBad(final BadMessage reason)
    {
        add(FIXED + reason.ordinal(), 1);
    }

    /** @return a counter (any thread). */
    public long get(final int counter)
    {
        return values.getAcquire(counter);
    }

    /** @return datagrams dropped for {@code reason} (any thread). */
    public long badMessages(final BadMessage reason)
    {
        return values.getAcquire(FIXED + reason.ordinal());
    }

    /** @return every counter now (any thread). */
    public PeerStats stats()
    {
        final long[] bad = new long[REASONS.length];
        for (int i = 0; i < bad.length; i++)
        {
            bad[i] = badMessages(REASONS[i]);
        }
        return new PeerStats(get(QUERIES_SENT), get(QUERY_PACKETS_SENT), get(QUERY_PACKETS_DROPPED), get(QUERIES_ANSWERED),
            get(QUERIES_TIMED_OUT), get(QUERIES_DECIDED_LOCALLY), get(ANSWERS_UNMATCHED), get(ANSWERS_UNKNOWN_BACKEND),
            get(QUERIES_OWNED_HERE), get(QUERIES_RECEIVED), get(ANSWERS_SENT), get(ANSWERS_FROM_TABLE), get(ANSWERS_FROM_STORE),
            get(ANSWERS_BY_RULE2), get(PACKETS_FORWARDED), get(FORWARD_FAILURES), get(LEARNED_SENT), get(LEARNED_DATAGRAMS_SENT),
            get(LEARNED_RECEIVED), get(LEARNED_DROPPED), get(STORE_SIZE), get(STORE_EVICTIONS), get(STORE_EXPIRED), get(COMMANDS_FULL),
            get(SOCKET_ERRORS), get(MESSAGES_RECEIVED), get(RING_CHANGES), get(FLOWS_REPORTED_AGAIN), get(STORE_HANDED_OVER), bad);
    }
}
