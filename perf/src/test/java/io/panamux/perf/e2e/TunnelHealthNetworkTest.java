package io.panamux.perf.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Health checks through the tunnel in the namespaced lab ({@code netlab.sh up --ipv6}, one MUX): the plain
 * backends k1, k2 stand behind VIP 192.0.2.20 (a plain TCP check of their own addresses) and VIP 192.0.2.21
 * (an HTTP check through the tunnel: its connection and {@code GET /id} to the VIP, IP-in-IP to the backend,
 * which {@code net_decap.py} decapsulates). When k1's decapsulation stops ({@code netlab.sh decap-stop k1}: its address still answers),
 * the tunnelled check fails and k1 gets no new connections of 192.0.2.21, while the plain check of the same
 * host stays green; when it starts again, k1 is back. Tagged {@code network}; skipped, with the reason,
 * where network namespaces cannot be made.
 */
@Tag("network")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TunnelHealthNetworkTest
{
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PLAIN_KEY = "192.0.2.20:80/tcp";
    private static final String TUNNEL_VIP = "192.0.2.21";
    private static final String TUNNEL_KEY = TUNNEL_VIP + ":80/tcp";
    private static final String M1 = "198.18.11.2";
    private static final String K1 = "198.18.31.2";
    private static final String K2 = "198.18.32.2";
    /** interval 500 ms, timeout 400 ms, fall 1 (netlab.sh): a verdict changes within a second; room for a loaded machine. */
    private static final long VERDICT_MS = 10_000;

    private NetworkLab lab;
    private Path dir;

    @BeforeAll
    void buildTheNetwork() throws Exception
    {
        lab = NetworkLab.open("pmxt", "--ipv6", "--muxes", "1", "--backends", "0");
        dir = lab.tempDir("netlab-tunnel-health");
        lab.startMuxes("m1");
        lab.labOk(120, "wait-route", TUNNEL_VIP, M1, "120");
    }

    @AfterAll
    void tearDown() throws Exception
    {
        if (lab != null)
        {
            lab.close();
        }
    }

    @Test
    void aBackendWhoseTunnelBreaksFailsItsTunnelledCheckAndGetsNoNewFlowsWhileItsPlainCheckStaysGreen() throws Exception
    {
        // Both healthy through the tunnel, and the probes really are answered (not merely "healthy until proved not").
        // The servers may still be starting (a probe is refused until they listen): wait for both to be healthy.
        final long ready = System.currentTimeMillis() + 30_000;
        while (!(healthy(TUNNEL_KEY, K1) && healthy(TUNNEL_KEY, K2) && healthy(PLAIN_KEY, K1)) && System.currentTimeMillis() < ready)
        {
            Thread.sleep(100);
        }
        final long answeredBefore = stats().get("health_tunnel_probes_answered").asLong();
        Thread.sleep(1500);
        final JsonNode before = stats();
        assertTrue(before.get("health_tunnel_probes_answered").asLong() >= answeredBefore + 4,
            "both backends answer the probes through the tunnel (2 a second each): " + probeCounters(before));
        assertEquals("healthy", health(TUNNEL_KEY, K1));
        assertEquals("healthy", health(TUNNEL_KEY, K2));
        final Map<String, Integer> spread = count(curlMany(TUNNEL_VIP, 40));
        assertTrue(spread.getOrDefault("200 k1", 0) > 0 && spread.getOrDefault("200 k2", 0) > 0 &&
            spread.getOrDefault("200 k1", 0) + spread.getOrDefault("200 k2", 0) == 40, "both backends take connections: " + spread);

        // What the MUX logs from here on: the verdicts the broken tunnel causes.
        final int logMark = Files.readString(lab.run.resolve("m1.log")).length();
        lab.labOk(30, "decap-stop", "k1");
        final long stoppedAt = System.nanoTime();
        final long deadline = System.currentTimeMillis() + VERDICT_MS;
        while (healthy(TUNNEL_KEY, K1) && System.currentTimeMillis() < deadline)
        {
            Thread.sleep(20);
        }
        final long failedMs = (System.nanoTime() - stoppedAt) / 1_000_000;
        final String vips = lab.ctl("m1", "vips");
        assertEquals("unhealthy", health(TUNNEL_KEY, K1), "k1 fails its check through the tunnel:\n" + vips);
        // The same host, checked at its own address: still green, and at the same moment.
        assertEquals("healthy", health(PLAIN_KEY, K1), "k1's plain check stays green:\n" + vips);
        assertEquals("healthy", health(TUNNEL_KEY, K2), "k2's tunnel works:\n" + vips);
        assertTrue(!healthy(TUNNEL_KEY, K1) && healthy(PLAIN_KEY, K1), "/metrics: k1 unhealthy through the tunnel, healthy plainly");
        final String metrics = lab.in("m1", 30, "curl", "-s", "http://127.0.0.1:9480/metrics").output();
        assertTrue(metrics.lines().anyMatch(l -> l.startsWith("panamux_health_tunnel_probes_timed_out_total ") && !l.endsWith(" 0.0")),
            "/metrics counts the probes that timed out:\n" + metrics.lines().filter(l -> l.contains("health_tunnel")).toList());

        // No new flows to k1: every new connection to the tunnelled VIP is answered by k2.
        final Map<String, Integer> after = count(curlMany(TUNNEL_VIP, 40));
        assertEquals(Map.of("200 k2", 40), after, "k1 gets no new connections once its tunnel is broken");

        lab.labOk(30, "decap-start", "k1");
        final long restartedAt = System.nanoTime();
        final long back = System.currentTimeMillis() + VERDICT_MS;
        while (!healthy(TUNNEL_KEY, K1) && System.currentTimeMillis() < back)
        {
            Thread.sleep(20);
        }
        final long backMs = (System.nanoTime() - restartedAt) / 1_000_000;
        assertEquals("healthy", health(TUNNEL_KEY, K1), "k1 is back once its tunnel works again");
        final JsonNode end = stats();
        System.out.printf("network: k1's decapsulation stopped: its check through the tunnel failed after %d ms while its plain check "
            + "stayed green; started again: healthy after %d ms; %s; connections before %s, after %s%n", failedMs, backMs,
            probeCounters(end), spread, after);

        final String log = Files.readString(lab.run.resolve("m1.log")).substring(logMark);
        assertTrue(log.contains("panamux: health: " + TUNNEL_KEY + " " + K1 + " (through the tunnel) unhealthy"), "the MUX logs the verdict");
        assertTrue(!log.contains("panamux: health: " + PLAIN_KEY + " " + K1 + " unhealthy"), "and k1's plain check never failed:\n" + log);
        lab.labOk(60, "mux-stop", "m1");
        final JsonNode finalStats = JSON.readTree(lab.run.resolve("m1-stats.json").toFile());
        assertEquals(0, finalStats.get("mbufs_in_use").asLong(), "no mbuf left out of the pool: " + finalStats);
    }

    private JsonNode stats() throws IOException, InterruptedException
    {
        final String out = lab.ctl("m1", "stats", "--json");
        return JSON.readTree(out.substring(out.indexOf('{')));
    }

    private static Map<String, Long> probeCounters(final JsonNode stats)
    {
        final Map<String, Long> out = new TreeMap<>();
        stats.properties().forEach(e ->
        {
            if (e.getKey().startsWith("health_tunnel"))
            {
                out.put(e.getKey(), e.getValue().asLong());
            }
        });
        return out;
    }

    /** @return {@code backend}'s health for {@code vipKey} from {@code /metrics} (curl: quicker to ask than ctl's JVM). */
    private boolean healthy(final String vipKey, final String backend) throws IOException, InterruptedException
    {
        final String metrics = lab.in("m1", 30, "curl", "-s", "http://127.0.0.1:9480/metrics").output();
        for (final String l : metrics.lines().toList())
        {
            if (l.startsWith("panamux_backend_healthy{") && l.contains("backend=\"" + backend + "\"") && l.contains("vip=\"" + vipKey + "\""))
            {
                return Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)) == 1;
            }
        }
        throw new AssertionError(vipKey + " " + backend + " not in /metrics:\n" + metrics);
    }

    /** @return {@code backend}'s health for {@code vipKey} in {@code ctl vips --json}. */
    private String health(final String vipKey, final String backend) throws IOException, InterruptedException
    {
        final String out = lab.ctl("m1", "vips", "--json");
        final JsonNode vips = JSON.readTree(out.substring(out.indexOf('{'))).get("vips");
        for (final JsonNode v : vips)
        {
            if (v.get("vip").asText().equals(vipKey))
            {
                for (final JsonNode b : v.get("backends"))
                {
                    if (b.get("address").asText().equals(backend))
                    {
                        return b.get("health").asText();
                    }
                }
            }
        }
        throw new AssertionError(vipKey + " " + backend + " not in ctl vips: " + out);
    }

    /** {@code connections} requests from c1 to {@code vip}, each its own connection: a line "code backend port" each. */
    private List<String> curlMany(final String vip, final int connections) throws IOException, InterruptedException
    {
        final Path config = Files.createTempFile(dir, "curl", ".cfg");
        final StringBuilder sb = new StringBuilder();
        for (int i = 0; i < connections; i++)
        {
            sb.append("url = \"http://").append(vip).append("/id\"\noutput = \"/dev/null\"\n");
        }
        Files.writeString(config, sb);
        final NetworkLab.Result r = lab.in("c1", 300, "curl", "-s", "--no-progress-meter", "--parallel", "--parallel-max", "4",
            "--connect-timeout", "5", "-m", "20", "-H", "Connection: close", "-w", "%{http_code} %header{x-backend} %{local_port}\\n", "-K",
            config.toString());
        return r.output().lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
    }

    private static Map<String, Integer> count(final List<String> lines)
    {
        final Map<String, Integer> out = new TreeMap<>();
        for (final String l : lines)
        {
            final int lastSpace = l.lastIndexOf(' ');
            out.merge(lastSpace < 0 ? l : l.substring(0, lastSpace), 1, Integer::sum);
        }
        return out;
    }
}
