package io.panamux.hostagent;

import static io.panamux.slowpath.store.AdminCalls.ctl;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.panamux.slowpath.store.AdminCalls;
import io.panamux.slowpath.store.AdminCalls.Result;
import io.panamux.slowpath.store.EtcdCluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A host agent and two MUXes on one pool document in a real 3-member etcd cluster (issue 12, ARCHITECTURE.md
 * §7): the agent ({@code ./panamux hostagent} on {@code net_null}) takes its source-side selection from the
 * document and its Maglev tables are the MUXes' (same {@code table_digest}), before and after a change made
 * through one MUX's {@code ctl}; it registers under {@code PREFIX/agents/NAME} with its applied revision; a
 * hand-written invalid document is refused with the reason and changes nothing; restarted while etcd is down,
 * it starts from its cache file with the same tables; a clean stop takes its key away at once.
 */
class HostAgentOnEtcdTest
{
    private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PREFIX = "/panamux/pools/agents";
    private static final String KEY = PREFIX + "/config";
    private static final String SELECTED = "192.0.2.13:80/tcp";
    private static final String SELECTED6 = "[2001:db8:f::13]:80/tcp";
    private static final String DOCUMENT = """
        pool:
          hash-seed: 0x1234abcd
          maglev-table-size: 1021
        vips:
          - address: 192.0.2.10
            port: 80
            protocol: tcp
            backends:
              - { address: 10.1.0.1 }
          - address: 192.0.2.13
            port: 80
            protocol: tcp
            encapsulation: gre
            backends:
              - { address: 10.1.0.1, weight: 1 }
              - { address: 10.1.0.2, weight: 2 }
              - { address: 10.1.0.3, weight: 1, drain: true }
          - address: "2001:db8:f::13"
            port: 80
            protocol: tcp
            backends:
              - { address: "2001:db8:21::2", weight: 1 }
              - { address: "2001:db8:22::2", weight: 3 }
        """;

    @TempDir
    Path dir;

    private EtcdCluster etcd;
    private final List<Process> processes = new ArrayList<>();

    private record Mux(String name, String admin, Path log)
    {
    }

    private record Agent(Path config, Path stats, Path log)
    {
    }

    @AfterEach
    void stopAll()
    {
        for (final Process p : processes)
        {
            p.destroyForcibly();
        }
        if (etcd != null)
        {
            etcd.close();
        }
    }

    @Test
    void aHostAgentSelectsWithTheMuxesTables() throws Exception
    {
        assumeTrue(EtcdCluster.available(), "etcd-server is not installed (ci/env.sh installs it)");
        etcd = EtcdCluster.start(3);
        etcd.etcdctl("put", KEY, DOCUMENT);
        final long first = revision();

        final Mux a = mux("a", "10.0.0.10");
        final Mux b = mux("b", "10.0.0.11");
        final Agent agent = agent();
        final Process agentProcess = start(agent);
        awaitAdmin(a);
        awaitAdmin(b);
        JsonNode stats = awaitStats(agent, s -> s.at("/pool_config/applied_revision").asLong() == first, 60_000);
        assertEquals("etcd", stats.at("/pool_config/applied_from").asText(), stats.toString());
        // The agent selects for the two VIPs it names, with the MUXes' tables.
        assertEquals(List.of(SELECTED, SELECTED6), selected(stats), stats.toString());
        final JsonNode started = stats;
        // 10.1.0.3 is drained in the document: no slot is its, on a MUX started on it as at the agent.
        assertEquals(digest(a, SELECTED), agentDigest(stats, SELECTED), () -> stats(a) + "\n" + started);
        assertEquals(digest(b, SELECTED), agentDigest(stats, SELECTED));
        assertEquals(digest(a, SELECTED6), agentDigest(stats, SELECTED6), () -> stats(a) + "\n" + started);
        assertEquals(digest(b, SELECTED6), agentDigest(stats, SELECTED6));
        awaitRegistered(first, 5000);

        // A change through one MUX: both MUXes and the agent apply it, at the same revision, within 2 s.
        final String before = agentDigest(stats, SELECTED);
        final long start = System.nanoTime();
        final Result added = ctl("backend", "add", SELECTED, "10.1.0.4", "--weight", "3", "--admin", a.admin(), "--json");
        assertEquals(0, added.code(), added.output());
        final long written = JSON.readTree(added.output()).get("revision").asLong();
        awaitMux(b, written, 2000);
        stats = awaitStats(agent, s -> s.at("/pool_config/applied_revision").asLong() >= written, 2000);
        final long tookMs = (System.nanoTime() - start) / 1_000_000;
        assertTrue(tookMs <= 2000, "applied everywhere in " + tookMs + " ms");
        assertEquals(written, stats.at("/pool_config/applied_revision").asLong());
        assertNotEquals(before, agentDigest(stats, SELECTED), "the agent's table changed with the document");
        assertEquals(digest(a, SELECTED), agentDigest(stats, SELECTED));
        assertEquals(digest(b, SELECTED), agentDigest(stats, SELECTED));
        // The registration carries the applied revision at once (no status read needed).
        awaitRegistered(written, 2000);

        // A hand-written invalid document: refused with the reason, the last good tables stay.
        final String stored = etcd.etcdctl("get", KEY, "--print-value-only");
        etcd.etcdctl("put", KEY, stored.replace("weight: 3", "weight: heavy"));
        final long bad = revision();
        stats = awaitStats(agent, s -> s.at("/pool_config/last_refused/revision").asLong() == bad, 3000);
        final String reason = stats.at("/pool_config/last_refused/errors/0").asText();
        assertTrue(reason.startsWith("etcd:" + KEY + "@" + bad + ":"), stats.toString());
        assertTrue(reason.contains("weight: must be an integer >= 0, got \"heavy\""), reason);
        assertEquals(1, stats.at("/pool_config/refused_total").asLong());
        assertEquals(written, stats.at("/pool_config/applied_revision").asLong());
        assertEquals(digest(a, SELECTED), agentDigest(stats, SELECTED));
        etcd.etcdctl("put", KEY, stored);
        final long good = revision();
        stats = awaitStats(agent, s -> s.at("/pool_config/applied_revision").asLong() == good, 3000);

        // etcd fully down: the agent keeps its tables; restarted meanwhile, it starts from its cache file.
        final String digestDown = agentDigest(stats, SELECTED);
        etcd.killAll();
        awaitStats(agent, s -> !s.at("/pool_config/store_reachable").asBoolean(), 10_000);
        agentProcess.destroy();
        assertTrue(agentProcess.waitFor(20, TimeUnit.SECONDS));
        Files.deleteIfExists(agent.stats());
        final Process restarted = start(agent);
        stats = awaitStats(agent, s -> s.has("pool_config"), 60_000);
        assertTrue(stats.at("/pool_config/applied_from").asText().startsWith("cache "), stats.toString());
        assertEquals(good, stats.at("/pool_config/applied_revision").asLong());
        assertEquals(digestDown, agentDigest(stats, SELECTED), "the restarted agent selects as before");

        // etcd back: a change reaches the agent; a clean stop takes its key away at once.
        etcd.startAll();
        final Result weight = retryCtl("backend", "weight", SELECTED, "10.1.0.1", "5", "--admin", b.admin(), "--json");
        final long caughtUp = JSON.readTree(weight.output()).get("revision").asLong();
        stats = awaitStats(agent, s -> s.at("/pool_config/applied_revision").asLong() >= caughtUp, 10_000);
        assertEquals(digest(b, SELECTED), agentDigest(stats, SELECTED));
        assertEquals("etcd", stats.at("/pool_config/applied_from").asText());
        awaitRegistered(caughtUp, 10_000);
        restarted.destroy();
        assertTrue(restarted.waitFor(20, TimeUnit.SECONDS));
        assertEquals(0, restarted.exitValue(), Files.readString(agent.log()));
        assertEquals("", etcd.etcdctl("get", PREFIX + "/agents/", "--prefix", "--keys-only").strip(), "the lease was revoked");
    }

    private Mux mux(final String name, final String address) throws IOException
    {
        final int port = freePort();
        final Path config = dir.resolve("mux-" + name + ".yaml");
        Files.writeString(config, """
            mux:
              name: mux-%s
              address: %s
              address6: "2001:db8:99::%s"
            dataplane:
              eal: ["--no-huge", "-m", "256", "--no-pci", "--no-shconf", "--file-prefix=pmxagent%d%s", "-l", "0",
                    "--log-level=lib.eal:error", "--vdev=net_null0,no-rx=1"]
              port: 0
              workers: 1
              gateway-mac: "02:00:00:00:00:fe"
              flow-table: { capacity: 65536, idle-timeout-seconds: 300 }
            admin: { listen: "127.0.0.1:%d" }
            """.formatted(name, address, name.equals("a") ? "a" : "b", ProcessHandle.current().pid(), name, port) +
            etcd.storeYaml(PREFIX, 2, dir.resolve("cache-" + name + ".yaml")));
        final Mux m = new Mux(name, "127.0.0.1:" + port, dir.resolve("mux-" + name + ".log"));
        launch(List.of("run", "--config", config.toString(), "--duration", "300"), m.log());
        return m;
    }

    private Agent agent() throws IOException
    {
        final Path config = dir.resolve("agent.yaml");
        Files.writeString(config, """
            agent:
              name: c2
              address: 198.18.2.2
              address6: "2001:db8:2::2"
            pool:
              muxes: [10.0.0.10, 10.0.0.11]
            select: ["%s", "%s"]
            dataplane:
              eal: ["--no-huge", "-m", "128", "--no-pci", "--no-shconf", "--file-prefix=pmxagent%dc2", "-l", "0",
                    "--log-level=lib.eal:error"]
              network: "net_null0,no-rx=1"
              host: "net_null1,no-rx=1"
              gateway-mac: "02:98:00:00:02:01"
            """.formatted(SELECTED, SELECTED6, ProcessHandle.current().pid()) +
            etcd.storeYaml(PREFIX, 2, dir.resolve("cache-agent.yaml")));
        return new Agent(config, dir.resolve("agent.json"), dir.resolve("agent.log"));
    }

    private Process start(final Agent agent) throws IOException
    {
        return launch(List.of("hostagent", "--config", agent.config().toString(), "--duration", "300", "--stats-json",
            agent.stats().toString()), agent.log());
    }

    private Process launch(final List<String> args, final Path log) throws IOException
    {
        final List<String> command = new ArrayList<>(List.of(ROOT.resolve("panamux").toString()));
        command.addAll(args);
        final ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().put("PANAMUX_CLASSPATH", System.getProperty("java.class.path"));
        final Process p = pb.start();
        processes.add(p);
        return p;
    }

    private static int freePort() throws IOException
    {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            return probe.getLocalPort();
        }
    }

    private long revision() throws IOException
    {
        return JSON.readTree(etcd.etcdctl("get", KEY, "-w", "json")).at("/kvs/0/mod_revision").asLong();
    }

    private void awaitRegistered(final long revision, final long timeoutMs) throws Exception
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        String value = "";
        while (System.nanoTime() < deadline)
        {
            value = etcd.etcdctl("get", PREFIX + "/agents/c2", "--print-value-only").strip();
            if (!value.isEmpty() && JSON.readTree(value).get("revision").asLong() == revision)
            {
                assertEquals("198.18.2.2", JSON.readTree(value).get("address").asText(), value);
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError(PREFIX + "/agents/c2 has not revision " + revision + " within " + timeoutMs + " ms: " + value);
    }

    private static List<String> selected(final JsonNode stats)
    {
        final List<String> out = new ArrayList<>();
        stats.get("vips").forEach(v -> out.add(v.get("vip").asText()));
        return out;
    }

    private static String agentDigest(final JsonNode stats, final String vip)
    {
        for (final JsonNode v : stats.get("vips"))
        {
            if (v.get("vip").asText().equals(vip))
            {
                return v.get("table_digest").asText();
            }
        }
        throw new AssertionError(vip + " not selected by the agent: " + stats);
    }

    private static String digest(final Mux m, final String vip) throws IOException, InterruptedException
    {
        for (final JsonNode v : JSON.readTree(get(m, "/v1/vips")).get("vips"))
        {
            if (v.get("vip").asText().equals(vip) || (v.path("address").asText() + ":" + v.path("port").asText()).equals(vip))
            {
                return v.get("table_digest").asText();
            }
        }
        throw new AssertionError(vip + " not on mux-" + m.name() + ": " + get(m, "/v1/vips"));
    }

    private JsonNode awaitStats(final Agent agent, final Predicate<JsonNode> until, final long timeoutMs) throws Exception
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        JsonNode last = null;
        while (System.nanoTime() < deadline)
        {
            try
            {
                last = JSON.readTree(Files.readString(agent.stats()));
                if (until.test(last))
                {
                    return last;
                }
            }
            catch (final NoSuchFileException e)
            {
                // Not written yet.
            }
            Thread.sleep(50);
        }
        throw new AssertionError("the agent's stats not as expected within " + timeoutMs + " ms: " + last + "\n" +
            (Files.exists(agent.log()) ? Files.readString(agent.log()) : "(no log)"));
    }

    private static void awaitMux(final Mux m, final long revision, final long timeoutMs) throws Exception
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        long applied = -1;
        while (System.nanoTime() < deadline)
        {
            applied = JSON.readTree(get(m, "/v1/vips")).at("/pool_config/applied_revision").asLong();
            if (applied >= revision)
            {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("mux-" + m.name() + " applied " + applied + ", not " + revision + ", within " + timeoutMs + " ms");
    }

    private static String stats(final Mux m)
    {
        try
        {
            return get(m, "/v1/vips");
        }
        catch (final IOException | InterruptedException e)
        {
            return e.toString();
        }
    }

    private static String get(final Mux m, final String path) throws IOException, InterruptedException
    {
        return AdminCalls.get(m.admin(), path);
    }

    private static void awaitAdmin(final Mux m) throws InterruptedException, IOException
    {
        AdminCalls.awaitAdmin(m.name(), m.admin(), m.log());
    }

    private static Result retryCtl(final String... args) throws InterruptedException
    {
        return AdminCalls.retryCtl(40, args);
    }
}
