package io.panamux.slowpath;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

/**
 * The {@code --stats-json} document (ARCHITECTURE.md §5): one JSON object with at least
 * {@code rx_packets}, {@code tx_packets}, {@code drops} (reason to count), {@code flows} and
 * {@code mbufs_in_use}, plus the other counters of {@link MuxStats}.
 */
public final class StatsJson
{
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private StatsJson()
    {
    }

    /** @return the stats as an ordered map with the contract's snake_case keys. */
    public static Map<String, Object> toMap(final MuxStats s)
    {
        final Map<String, Object> m = new LinkedHashMap<>();
        m.put("rx_packets", s.rxPackets());
        m.put("rx_bytes", s.rxBytes());
        m.put("tx_packets", s.txPackets());
        m.put("tx_bytes", s.txBytes());
        m.put("drops", s.drops());
        m.put("drops_total", s.totalDrops());
        m.put("flows", s.flows());
        m.put("flow_hits", s.flowHits());
        m.put("flow_misses", s.flowMisses());
        m.put("flows_inserted", s.flowsInserted());
        m.put("flow_evictions", s.flowEvictions());
        m.put("flows_expired", s.flowsExpired());
        m.put("icmp_too_big_sent", s.icmpTooBig());
        m.put("to_control", s.toControl());
        m.put("ring_full", s.ringFull());
        m.put("owner_queries", s.ownerQueries());
        m.put("previous_table_hits", s.previousTableHits());
        m.put("backend_packets", s.backendPackets());
        m.put("mbufs_in_use", s.mbufsInUse());
        m.put("port_rx_missed", s.portRxMissed());
        m.put("port_rx_nombuf", s.portRxNoMbuf());
        m.put("snapshot_version", s.snapshotVersion());
        if (!s.peers().isEmpty())
        {
            m.put("peers", s.peers());
        }
        return m;
    }

    /** @return the stats as JSON text. */
    public static String toJson(final MuxStats s)
    {
        try
        {
            return JSON.writeValueAsString(toMap(s));
        }
        catch (final IOException e)
        {
            throw new IllegalStateException(e);
        }
    }

    /** Writes the stats to {@code file} (atomically: a temporary file renamed into place). */
    public static void write(final MuxStats s, final Path file) throws IOException
    {
        final Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, toJson(s));
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
