package io.panamux.perf.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The network lab with its pool in etcd ({@code netlab.sh up --etcd}, issue 12): the MUXes and host agents run
 * from the pool document, pushed with {@code ./panamux pool push}; their files hold only their own settings and
 * the store section. Real TCP through the router's ECMP: connections to the pool VIP are answered by the
 * backends, c2's agent selects .13's backends itself with the MUXes' Maglev tables (same {@code table_digest}),
 * a change through one MUX's {@code ctl} reaches the other and the agent within 2 s. Then etcd is down for 30 s
 * in the middle of long transfers: nothing changes on the wire (every transfer finishes whole, new connections
 * are answered, the tables stay, m1 counts no new drop), a MUX restarted meanwhile starts from its cache file
 * and forwards again, and after etcd returns a change reaches every node. Tagged {@code network}; skipped, with
 * the reason, where network namespaces cannot be made or etcd is not installed.
 */
@Tag("network")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PoolOnEtcdNetworkTest
{
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String VIP = "192.0.2.10";
    private static final String SELECTED = "192.0.2.13:80/tcp";
    private static final String M1 = "198.18.11.2";
    private static final String M2 = "198.18.12.2";
    private static final int TRANSFERS = 6;

    private NetworkLab lab;
    private Path dir;

    @BeforeAll
    void buildTheNetwork() throws Exception
    {
        final String why = NetworkLab.unavailable();
        Assumptions.assumeTrue(why == null, "network end-to-end tests skipped: " + why);
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/etcd")), "etcd-server is not installed (ci/env.sh installs it)");
        dir = Files.createTempDirectory("netlab-etcd");
        final String prefix = "pmxe" + Long.toString(ProcessHandle.current().pid() % 100_000, 36);
        lab = new NetworkLab(Path.of("/run/panamux-" + prefix), prefix);
        Runtime.getRuntime().addShutdownHook(new Thread(() ->
        {
            try
            {
                lab.down();
            }
            catch (final Exception e)
            {
                // The JVM is going away; nothing more to do.
            }
        }));
        lab.labOk(180, "up", "--etcd");
        lab.labOk(30, "mux-start", "m1");
        lab.labOk(30, "mux-start", "m2");
        lab.labOk(90, "wait-route", VIP, M1 + " " + M2, "80");
    }

    @AfterAll
    void tearDown() throws Exception
    {
        if (lab != null)
        {
            lab.down();
            try (var files = Files.walk(lab.run))
            {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    @Test
    void theLabRunsFromThePoolDocumentAndRidesOutAnEtcdOutage() throws Exception
    {
        // Only the pool document has VIPs; the nodes' files have the store section instead.
        assertFalse(Files.readString(lab.run.resolve("m1.yaml")).contains("vips:"));
        assertTrue(Files.readString(lab.run.resolve("m1.yaml")).contains("store:"));
        assertFalse(Files.readString(lab.run.resolve("c2-agent.yaml")).contains("vips:"));
        assertTrue(Files.readString(lab.run.resolve("pool.yaml")).contains("192.0.2.13"));

        // Real TCP through both MUXes, answered by the backends.
        final Map<String, Integer> answers = NetworkLab.count(lab.curlMany(dir, "c1", "http://" + VIP + "/id", 100, 8));
        assertEquals(100, answers.getOrDefault("200 b1", 0) + answers.getOrDefault("200 b2", 0), answers.toString());
        assertTrue(lab.muxPackets("m1", VIP + ":80/tcp") > 0 && lab.muxPackets("m2", VIP + ":80/tcp") > 0, "both MUXes carry the VIP");

        // c2 selects .13 itself, with the MUXes' table.
        final long muxBefore = lab.muxPackets(List.of("m1", "m2"), SELECTED);
        final Map<String, Integer> selected = NetworkLab.count(lab.curlMany(dir, "c2", "http://192.0.2.13/id", 50, 8));
        assertEquals(50, selected.getOrDefault("200 b1", 0) + selected.getOrDefault("200 b2", 0), selected.toString());
        assertEquals(muxBefore, lab.muxPackets(List.of("m1", "m2"), SELECTED), "c2's agent sent them straight to the backends");
        final long first = applied("m1");
        assertEquals(first, applied("m2"));
        assertDigestsEqual(first);

        // A change through m1's ctl: m2 and c2's agent apply it within 2 s, with the same tables.
        final String before = digest("m1");
        final JsonNode changed = JSON.readTree(lab.ctl("m1", "backend", "weight", SELECTED, "198.18.21.2", "3", "--json"));
        final long written = changed.get("revision").asLong();
        // From ctl's answer (m1 applied it then); ctl's own JVM start is not the pool's time.
        final long start = System.nanoTime();
        await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(50)).until(() -> applied("m2") >= written &&
            agentApplied() >= written);
        System.out.printf("network: a ctl change through m1 applied by m2 and c2's agent in %d ms%n", (System.nanoTime() - start) / 1_000_000);
        assertNotEquals(before, digest("m1"));
        assertDigestsEqual(written);
        // Every MUX and agent is registered under the prefix.
        final String agents = lab.labOk(30, "exec", "etcd", "etcdctl", "--endpoints", "http://127.0.0.1:2379", "get",
            "/panamux/pools/netlab/agents/", "--prefix", "--keys-only");
        for (final String node : List.of("c2", "b1", "b2", "b3"))
        {
            assertTrue(agents.contains("/panamux/pools/netlab/agents/" + node), agents);
        }
        assertTrue(lab.ctl("m1", "pool").contains(M2), lab.ctl("m1", "pool"));

        // etcd down for 30 s in the middle of long transfers through both MUXes.
        final String digestDown = digest("m1");
        final long m1Drops = forwardingDrops("m1");
        final NetworkLab.Transfers transfers = lab.downloads(dir, "c1", VIP, TRANSFERS, 8_000_000, 400_000);
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> lab.established("c1", VIP) >= TRANSFERS);
        final long down = System.nanoTime();
        lab.labOk(30, "etcd-stop");
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).until(() ->
            !vips("m1").at("/pool_config/store_reachable").asBoolean() && !vips("m2").at("/pool_config/store_reachable").asBoolean());
        // New connections meanwhile: answered, by the same backends' tables.
        final Map<String, Integer> during = NetworkLab.count(lab.curlMany(dir, "c1", "http://" + VIP + "/id", 50, 8));
        assertEquals(50, during.getOrDefault("200 b1", 0) + during.getOrDefault("200 b2", 0), during.toString());
        final Map<String, Integer> selectedDuring = NetworkLab.count(lab.curlMany(dir, "c2", "http://192.0.2.13/id", 20, 4));
        assertEquals(20, selectedDuring.getOrDefault("200 b1", 0) + selectedDuring.getOrDefault("200 b2", 0), selectedDuring.toString());
        // m2 restarted while etcd is down: it starts from its cache file and forwards again.
        lab.labOk(60, "mux-stop", "m2");
        lab.labOk(30, "mux-start", "m2");
        lab.labOk(90, "wait-route", VIP, M1 + " " + M2, "80");
        // The route comes with the announcement, a moment before the admin API answers (its first answer once
        // had no applied_from yet, the next one had the cache's).
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).untilAsserted(() ->
        {
            final JsonNode v = vips("m2");
            assertTrue(v.at("/pool_config/applied_from").asText().startsWith("cache "), v.toString());
        });
        assertEquals(digestDown, digest("m2"), "the restarted MUX has the tables it had");
        final long left = 30_000 - (System.nanoTime() - down) / 1_000_000;
        if (left > 0)
        {
            Thread.sleep(left);
        }
        assertEquals(digestDown, digest("m1"));
        assertEquals(digestDown, agentDigest());
        lab.labOk(30, "etcd-start");
        final List<String> results = transfers.await(300);
        assertEquals(TRANSFERS, results.size(), results.toString());
        for (final String r : results)
        {
            assertTrue(r.startsWith("200 8000000 "), "a transfer broke during the outage: " + results);
        }
        assertEquals(m1Drops, forwardingDrops("m1"), "m1 dropped nothing of the VIPs' traffic: " + lab.muxStats("m1").get("drops"));

        // etcd back: a change through the restarted m2 reaches m1 and the agent.
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(250)).until(() ->
            vips("m2").at("/pool_config/store_reachable").asBoolean());
        final long after = await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500)).until(() ->
        {
            // The restarted MUX's client may meet one failed connection to the returning etcd first.
            final NetworkLab.Result r = lab.in("m2", 60, NetworkLab.ROOT.resolve("panamux").toString(), "ctl", "backend", "weight", SELECTED,
                "198.18.21.2", "1", "--json");
            return r.code() == 0 ? JSON.readTree(r.output()).get("revision").asLong() : -1L;
        }, r -> r > 0);
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100)).until(() -> applied("m1") >= after && agentApplied() >= after);
        assertDigestsEqual(after);
    }

    private void assertDigestsEqual(final long revision) throws Exception
    {
        final String m1 = digest("m1");
        assertEquals(m1, digest("m2"), "m1 and m2 at revision " + revision);
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
            assertEquals(m1, agentDigest(), "c2's agent at revision " + revision + ": " + lab.agent("c2")));
    }

    /**
     * @return the MUX's drops of traffic it should have forwarded (no backend, a full ring, a worker's error, no
     *         headroom, too big); not the link's other frames (BGP to the kernel, neighbour discovery: not_vip and
     *         the like), which a MUX on af_packet sees and counts whatever etcd does.
     */
    private long forwardingDrops(final String node) throws IOException, InterruptedException
    {
        final JsonNode drops = lab.muxStats(node).get("drops");
        long sum = 0;
        for (final String reason : List.of("no_backend", "tx_full", "worker_error", "headroom", "too_big"))
        {
            sum += drops.path(reason).asLong();
        }
        return sum;
    }

    private JsonNode vips(final String node) throws IOException, InterruptedException
    {
        return lab.muxVips(node);
    }

    private long applied(final String node) throws IOException, InterruptedException
    {
        return vips(node).at("/pool_config/applied_revision").asLong();
    }

    private String digest(final String node) throws IOException, InterruptedException
    {
        for (final JsonNode v : vips(node).get("vips"))
        {
            if (SELECTED.equals(v.path("vip").asText()))
            {
                return v.get("table_digest").asText();
            }
        }
        throw new AssertionError(SELECTED + " not on " + node + ": " + vips(node));
    }

    private long agentApplied() throws IOException, InterruptedException
    {
        return lab.agent("c2").at("/pool_config/applied_revision").asLong();
    }

    private String agentDigest() throws IOException, InterruptedException
    {
        for (final JsonNode v : lab.agent("c2").get("vips"))
        {
            if (SELECTED.equals(v.path("vip").asText()))
            {
                return v.get("table_digest").asText();
            }
        }
        throw new AssertionError(SELECTED + " not selected by c2's agent: " + lab.agent("c2"));
    }
}
