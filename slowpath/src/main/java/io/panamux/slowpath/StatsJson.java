package io.panamux.slowpath;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.panamux.fastpath.CounterDescriptor;
import io.panamux.fastpath.WorkerCounters;

/**
 * The {@code --stats-json} document (ARCHITECTURE.md §5): one JSON object with at least
 * {@code rx_packets}, {@code tx_packets}, {@code drops} (reason to count), {@code flows} and
 * {@code mbufs_in_use}, plus the other counters of {@link MuxStats}. The workers' counters come from their
 * descriptors ({@link WorkerCounters#DESCRIPTORS}), so a new one appears here by itself.
 */
public final class StatsJson
{
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private StatsJson()
    {
    }

    /**
     * @return the stats as an ordered map with the contract's snake_case keys: every reported worker counter
     *     under its descriptor's name, in slot order, then {@code drops} (and {@code drops_total}),
     *     {@code backend_packets} (keyed {@code "VIP BACKEND"}), the pool's and port's counters and
     *     {@code peers} (when in a pool), then the health checks' probes through the tunnel.
     */
    public static Map<String, Object> toMap(final MuxStats s)
    {
        final Map<String, Object> m = new LinkedHashMap<>();
        for (final CounterDescriptor d : WorkerCounters.DESCRIPTORS)
        {
            if (d.reported())
            {
                m.put(d.name(), s.get(d));
            }
        }
        m.put("drops", s.drops());
        m.put("drops_total", s.totalDrops());
        final Map<String, Long> perBackend = new LinkedHashMap<>();
        for (final MuxStats.BackendPackets b : s.backendPackets())
        {
            perBackend.put(b.vip() + " " + b.backend(), b.packets());
        }
        m.put("backend_packets", perBackend);
        m.put("mbufs_in_use", s.mbufsInUse());
        m.put("port_rx_missed", s.portRxMissed());
        m.put("port_rx_nombuf", s.portRxNoMbuf());
        if (!s.peers().isEmpty())
        {
            m.put("peers", s.peers());
        }
        // The health checks' probes through the tunnel (health_tunnel_probes_sent, ...).
        m.putAll(s.healthProbes());
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
