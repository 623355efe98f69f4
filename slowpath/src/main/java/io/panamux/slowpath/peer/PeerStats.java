package io.panamux.slowpath.peer;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The flow-ownership counters of one MUX at one moment ({@link PeerCounters}), for {@code ctl stats} and
 * metrics. Asker: queries sent, answered, timed out, decided locally. Owner: queries received, answers by
 * source, packets forwarded. Learned flows sent and received. Dropped datagrams by {@link BadMessage}.
 *
 * @param queriesSent           owner queries sent.
 * @param queryPacketsSent      later packets sent with an outstanding query.
 * @param queryPacketsDropped   later packets dropped (their query carried the most it may).
 * @param queriesAnswered       queries answered in time.
 * @param queriesTimedOut       queries unanswered in time (provisional choice recorded).
 * @param queriesDecidedLocally queries not sent (in-flight bound, send failure): decided locally.
 * @param answersUnmatched      answers matching no outstanding query.
 * @param answersUnknownBackend answers naming a backend unknown here.
 * @param queriesOwnedHere      worker queries for flows this MUX owns, answered here.
 * @param queriesReceived       queries received as owner.
 * @param answersSent           answers sent as owner.
 * @param answersFromTable      answers from this MUX's flow tables.
 * @param answersFromStore      answers from learned (or earlier decided) flows.
 * @param answersByRule2        answers decided by rule 2.
 * @param packetsForwarded      packets the control thread forwarded to backends.
 * @param forwardFailures       packets the control thread could not forward.
 * @param learnedSent           learned flows sent to owners.
 * @param learnedDatagramsSent  learned-flow datagrams sent.
 * @param learnedReceived       learned flows received.
 * @param learnedDropped        learned flows not sent.
 * @param storeSize             flows in the owner's store.
 * @param storeEvictions        store entries evicted (full).
 * @param storeExpired          store entries expired.
 * @param commandsFull          worker commands not queued (queue full).
 * @param socketErrors            datagrams the socket refused.
 * @param messagesReceived      datagrams accepted.
 * @param ringChanges           changes of the owner ring (members joined or left).
 * @param flowsReportedAgain    flows reported again to their new owner after a ring change.
 * @param storeHandedOver       stored flows given to their new owner after a ring change.
 * @param badMessages           datagrams dropped, by {@link BadMessage} ordinal.
 */
public record PeerStats(long queriesSent, long queryPacketsSent, long queryPacketsDropped, long queriesAnswered, long queriesTimedOut,
    long queriesDecidedLocally, long answersUnmatched, long answersUnknownBackend, long queriesOwnedHere, long queriesReceived,
    long answersSent, long answersFromTable, long answersFromStore, long answersByRule2, long packetsForwarded, long forwardFailures,
    long learnedSent, long learnedDatagramsSent, long learnedReceived, long learnedDropped, long storeSize, long storeEvictions,
    long storeExpired, long commandsFull, long socketErrors, long messagesReceived, long ringChanges, long flowsReportedAgain,
    long storeHandedOver, long[] badMessages)
{
    /** @return datagrams dropped for {@code reason}. */
    public long bad(final BadMessage reason)
    {
        return badMessages[reason.ordinal()];
    }

    /** @return every datagram dropped, whatever the reason. */
    public long badTotal()
    {
        long sum = 0;
        for (final long b : badMessages)
        {
            sum += b;
        }
        return sum;
    }

    /** @return the counters by metric name ({@code bad_messages} a nested map by reason), for JSON output. */
    public Map<String, Object> toMap()
    {
        final Map<String, Object> m = new LinkedHashMap<>();
        m.put("queries_sent", queriesSent);
        m.put("query_packets_sent", queryPacketsSent);
        m.put("query_packets_dropped", queryPacketsDropped);
        m.put("queries_answered", queriesAnswered);
        m.put("queries_timed_out", queriesTimedOut);
        m.put("queries_decided_locally", queriesDecidedLocally);
        m.put("answers_unmatched", answersUnmatched);
        m.put("answers_unknown_backend", answersUnknownBackend);
        m.put("queries_owned_here", queriesOwnedHere);
        m.put("queries_received", queriesReceived);
        m.put("answers_sent", answersSent);
        m.put("answers_from_table", answersFromTable);
        m.put("answers_from_store", answersFromStore);
        m.put("answers_by_rule2", answersByRule2);
        m.put("packets_forwarded", packetsForwarded);
        m.put("forward_failures", forwardFailures);
        m.put("learned_sent", learnedSent);
        m.put("learned_datagrams_sent", learnedDatagramsSent);
        m.put("learned_received", learnedReceived);
        m.put("learned_dropped", learnedDropped);
        m.put("store_size", storeSize);
        m.put("store_evictions", storeEvictions);
        m.put("store_expired", storeExpired);
        m.put("commands_full", commandsFull);
        m.put("socket_errors", socketErrors);
        m.put("messages_received", messagesReceived);
        m.put("ring_changes", ringChanges);
        m.put("flows_reported_again", flowsReportedAgain);
        m.put("store_handed_over", storeHandedOver);
        final Map<String, Long> bad = new LinkedHashMap<>();
        for (final BadMessage r : BadMessage.values())
        {
            bad.put(r.metricName(), badMessages[r.ordinal()]);
        }
        m.put("bad_messages", bad);
        return m;
    }

    /** @return one line of {@code name=value} pairs, for logs. */
    @Override
    public String toString()
    {
        final StringBuilder s = new StringBuilder();
        for (final Map.Entry<String, Object> e : toMap().entrySet())
        {
            if (!s.isEmpty())
            {
                s.append(' ');
            }
            s.append(e.getKey()).append('=').append(e.getValue());
        }
        return s.toString().replace(", ", ",");
    }
}
