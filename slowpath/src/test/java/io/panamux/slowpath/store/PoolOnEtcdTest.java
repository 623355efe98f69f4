package io.panamux.slowpath.store;

import static io.panamux.slowpath.store.AdminCalls.ctl;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.panamux.slowpath.store.AdminCalls.Result;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The pool's configuration in a real 3-member etcd cluster with two MUX processes ({@code ./panamux run} on
 * {@code net_null}), end to end (issue 12, ARCHITECTURE.md §7): a {@code ctl backend} change through one MUX is
 * applied by both at the same revision within 2 s with identical Maglev table digests; concurrent writers
 * through both MUXes lose no update; a hand-written invalid document is refused by both with the reason and
 * changes nothing; {@code pool push/show/diff}; one etcd member killed changes nothing; etcd fully down for 30 s
 * changes nothing, a MUX restarted meanwhile starts from its cache file, and the pool catches up after.
 */
class PoolOnEtcdTest
{
    private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PREFIX = "/panamux/pools/test";
    private static final String KEY = PREFIX + "/config";
    private static final String VIP = "192.0.2.10:80/tcp";
    private static final String DOCUMENT = """
        pool:
          hash-seed: 0x5eed
          maglev-table-size: 1021
        vips:
          - address: 192.0.2.10
            port: 80
            protocol: tcp
            backends:
              - { address: 10.1.0.1, weight: 1 }
              - { address: 10.1.0.2, weight: 2 }
        """;

    @TempDir
    Path dir;

    private EtcdCluster etcd;
    private final List<Process> muxes = new ArrayList<>();

    private record Mux(String name, String admin, Path config, Path log)
    {
    }

    @AfterEach
    void stopAll()
    {
        for (final Process p : muxes)
        {
            p.destroyForcibly();
        }
        if (etcd != null)
        {
            etcd.close();
        }
    }

    @Test
    void everyMuxFollowsThePoolDocument() throws Exception
    {
        assumeTrue(EtcdCluster.available(), "etcd-server is not installed (ci/env.sh installs it)");
        etcd = EtcdCluster.start(3);
        etcd.etcdctl("put", KEY, DOCUMENT);
        final long first = revision();

        final Mux a = mux("a", "10.0.0.10");
        final Mux b = mux("b", "10.0.0.11");
        final Process processB = start(b);
        start(a);
        awaitAdmin(a);
        awaitAdmin(b);
        assertEquals(first, applied(a), "started on the document in etcd");
        assertEquals(first, applied(b));
        assertEquals(digest(a), digest(b), "one document, one table");

        // A change through one MUX: every MUX applies it, at the same revision, within 2 s.
        final long start = System.nanoTime();
        final Result added = ctl("backend", "add", VIP, "10.1.0.3", "--weight", "3", "--admin", a.admin(), "--json");
        assertEquals(0, added.code(), added.output());
        final long written = JSON.readTree(added.output()).get("revision").asLong();
        assertTrue(written > first);
        awaitRevision(b, written, 2000);
        final long tookMs = (System.nanoTime() - start) / 1_000_000;
        assertTrue(tookMs <= 2000, "applied everywhere in " + tookMs + " ms");
        assertEquals(written, applied(a), "the writer applied its own change through the watch");
        // Each member's key carries the revision as soon as it is applied (nobody read ctl pool meanwhile).
        awaitMembersAt(written, 2000);
        assertEquals(digest(a), digest(b));
        assertTrue(backends(b).contains("10.1.0.3"), backends(b).toString());

        // Concurrent writers through both MUXes: 2 x 25 changes, none lost, each its own revision.
        final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        final Set<Long> revisions = java.util.concurrent.ConcurrentHashMap.newKeySet();
        final int n = 25;
        final Thread weights = new Thread(() ->
        {
            for (int i = 1; i <= n; i++)
            {
                record(ctl("backend", "weight", VIP, "10.1.0.1", Integer.toString(100 + i), "--admin", a.admin(), "--json"),
                    failures, revisions);
            }
        });
        final Thread adds = new Thread(() ->
        {
            for (int i = 1; i <= n; i++)
            {
                record(ctl("backend", "add", VIP, "10.2.0." + i, "--admin", b.admin(), "--json"), failures, revisions);
            }
        });
        weights.start();
        adds.start();
        weights.join();
        adds.join();
        assertTrue(failures.isEmpty(), failures.toString());
        assertEquals(2 * n, revisions.size(), "every change stored at a revision of its own");
        final String stored = etcd.etcdctl("get", KEY, "--print-value-only");
        for (int i = 1; i <= n; i++)
        {
            assertTrue(stored.contains("10.2.0." + i), "added backend 10.2.0." + i + " kept:\n" + stored);
        }
        assertTrue(stored.contains("weight: " + (100 + n)), "the last weight kept:\n" + stored);
        final long afterWriters = revision();
        awaitRevision(a, afterWriters, 3000);
        awaitRevision(b, afterWriters, 3000);
        assertEquals(digest(a), digest(b));
        assertEquals(3 + n, backends(a).size());

        // A hand-written invalid document: refused by every MUX with the reason; nothing changes.
        final String digestBefore = digest(a);
        etcd.etcdctl("put", KEY, stored.replace("weight: " + (100 + n), "weight: heavy"));
        final long bad = revision();
        for (final Mux m : List.of(a, b))
        {
            final JsonNode refused = awaitJson(m, "/v1/vips", v -> v.at("/pool_config/last_refused/revision").asLong() == bad, 3000)
                .at("/pool_config/last_refused");
            assertTrue(refused.get("errors").get(0).asText().startsWith("etcd:" + KEY + "@" + bad + ":"), refused.toString());
            assertTrue(refused.get("errors").get(0).asText().contains("weight: must be an integer >= 0, got \"heavy\""),
                refused.toString());
            assertEquals(afterWriters, applied(m), "the last good revision stays in force");
            assertEquals(digestBefore, digest(m));
            final Result text = ctl("vips", "--admin", m.admin());
            assertTrue(text.output().contains("revision " + bad + " refused:"), text.output());
            assertTrue(metrics(m).contains("panamux_pool_config_refused_total 1.0"), metrics(m));
        }
        final Result refusedChange = ctl("backend", "weight", VIP, "10.1.0.2", "5", "--admin", a.admin());
        assertNotEquals(0, refusedChange.code(), "a ctl change over an invalid document is refused: " + refusedChange.output());
        assertTrue(refusedChange.output().contains("is not valid"), refusedChange.output());

        // pool diff / push / show from the command line, over the invalid document.
        final Path pool = dir.resolve("pool.yaml");
        Files.writeString(pool, DOCUMENT);
        final Result diff = pool("diff", "--file", pool.toString(), "--etcd", etcd.endpointsCsv(), "--prefix", PREFIX);
        assertEquals(0, diff.code(), diff.output());
        assertTrue(diff.output().lines().anyMatch(l -> l.startsWith("-") && l.contains("10.2.0.1")), diff.output());
        assertTrue(diff.output().lines().anyMatch(l -> l.startsWith("+") && l.contains("10.1.0.2, weight: 2")), diff.output());
        Files.writeString(dir.resolve("bad.yaml"), DOCUMENT.replace("protocol: tcp", "protocol: sctp"));
        final Result badPush = pool("push", "--file", dir.resolve("bad.yaml").toString(), "--store", a.config().toString());
        assertEquals(2, badPush.code(), badPush.output());
        assertTrue(badPush.output().contains(dir.resolve("bad.yaml") + ":7: vips[0].protocol:"), badPush.output());
        assertEquals(bad, revision(), "an invalid push stores nothing");
        final Result push = pool("push", "--file", pool.toString(), "--store", a.config().toString());
        assertEquals(0, push.code(), push.output());
        final long pushed = revision();
        assertTrue(push.output().contains("revision " + pushed), push.output());
        final Result show = pool("show", "--etcd", etcd.endpointsCsv(), "--prefix", PREFIX);
        assertTrue(show.output().startsWith("# " + KEY + " revision " + pushed + "\n" + DOCUMENT), show.output());
        awaitRevision(a, pushed, 3000);
        awaitRevision(b, pushed, 3000);
        assertEquals(List.of("10.1.0.1", "10.1.0.2"), backends(b));

        // One etcd member of three killed: writes and watches go on.
        etcd.kill(0);
        final Result withTwo = ctl("backend", "drain", VIP, "10.1.0.2", "--admin", b.admin(), "--json");
        assertEquals(0, withTwo.code(), withTwo.output());
        final long drained = JSON.readTree(withTwo.output()).get("revision").asLong();
        awaitRevision(a, drained, 2000);
        assertTrue(JSON.readTree(get(a, "/v1/vips")).at("/vips/0/backends/1/draining").asBoolean(), get(a, "/v1/vips"));
        etcd.restart(0);

        // etcd fully down for 30 s: both keep the document they have; a MUX restarted meanwhile starts from its cache.
        final String digestDown = digest(a);
        final long down = System.nanoTime();
        etcd.killAll();
        awaitJson(a, "/v1/vips", v -> !v.at("/pool_config/store_reachable").asBoolean(), 5000);
        assertTrue(metrics(a).contains("panamux_pool_store_reachable 0.0"), metrics(a));
        final Result offline = ctl("backend", "weight", VIP, "10.1.0.1", "7", "--admin", a.admin());
        assertNotEquals(0, offline.code(), "no change while the store is down: " + offline.output());
        processB.destroy();
        assertTrue(processB.waitFor(20, TimeUnit.SECONDS));
        final Process restartedB = start(b);
        awaitAdmin(b);
        final JsonNode fromCache = JSON.readTree(get(b, "/v1/vips"));
        assertEquals(drained, fromCache.at("/pool_config/applied_revision").asLong(), fromCache.toString());
        assertTrue(fromCache.at("/pool_config/applied_from").asText().startsWith("cache "), fromCache.toString());
        assertEquals(digestDown, digest(b), "the restarted MUX forwards as before");
        Thread.sleep(Math.max(0, 30_000 - (System.nanoTime() - down) / 1_000_000));
        assertEquals(drained, applied(a));
        assertEquals(digestDown, digest(a));
        assertTrue(restartedB.isAlive());

        etcd.startAll();
        awaitJson(a, "/v1/vips", v -> v.at("/pool_config/store_reachable").asBoolean(), 10_000);
        awaitJson(b, "/v1/vips", v -> v.at("/pool_config/store_reachable").asBoolean(), 10_000);
        // 10.1.0.2 was draining, so every slot was 10.1.0.1's: its return changes the table.
        final Result after = retryCtl("backend", "weight", VIP, "10.1.0.2", "4", "--admin", b.admin(), "--json");
        final long caughtUp = JSON.readTree(after.output()).get("revision").asLong();
        awaitRevision(a, caughtUp, 3000);
        awaitRevision(b, caughtUp, 3000);
        assertEquals(digest(a), digest(b));
        assertNotEquals(digestDown, digest(a), "the change after the outage took effect");
    }

    private Mux mux(final String name, final String address) throws IOException
    {
        final int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            port = probe.getLocalPort();
        }
        final Path config = dir.resolve("mux-" + name + ".yaml");
        Files.writeString(config, """
            mux:
              name: mux-%s
              address: %s
            dataplane:
              eal: ["--no-huge", "-m", "256", "--no-pci", "--no-shconf", "--file-prefix=pmxpool%d%s", "-l", "0",
                    "--log-level=lib.eal:error", "--vdev=net_null0,no-rx=1"]
              port: 0
              workers: 1
              gateway-mac: "02:00:00:00:00:fe"
              flow-table: { capacity: 65536, idle-timeout-seconds: 300 }
            admin: { listen: "127.0.0.1:%d" }
            """.formatted(name, address, ProcessHandle.current().pid(), name, port) +
            etcd.storeYaml(PREFIX, 2, dir.resolve("cache-" + name + ".yaml")));
        return new Mux(name, "127.0.0.1:" + port, config, dir.resolve("mux-" + name + ".log"));
    }

    private Process start(final Mux m) throws IOException
    {
        final ProcessBuilder pb = new ProcessBuilder(ROOT.resolve("panamux").toString(), "run", "--config", m.config().toString(),
            "--duration", "300").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(m.log().toFile()));
        pb.environment().put("PANAMUX_CLASSPATH", System.getProperty("java.class.path"));
        final Process p = pb.start();
        muxes.add(p);
        return p;
    }

    private static void record(final Result r, final ConcurrentLinkedQueue<String> failures, final Set<Long> revisions)
    {
        if (r.code() != 0)
        {
            failures.add(r.output());
            return;
        }
        try
        {
            revisions.add(JSON.readTree(r.output()).get("revision").asLong());
        }
        catch (final IOException e)
        {
            failures.add(r.output());
        }
    }

    private long revision() throws IOException
    {
        final String out = etcd.etcdctl("get", KEY, "-w", "json");
        return JSON.readTree(out).at("/kvs/0/mod_revision").asLong();
    }

    private void awaitMembersAt(final long revision, final long timeoutMs) throws Exception
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        String values = "";
        while (System.nanoTime() < deadline)
        {
            values = etcd.etcdctl("get", PREFIX + "/members/", "--prefix", "--print-value-only");
            final List<Long> revisions = values.lines().filter(l -> l.startsWith("{")).map(l ->
            {
                try
                {
                    return JSON.readTree(l).get("revision").asLong();
                }
                catch (final IOException e)
                {
                    return -1L;
                }
            }).toList();
            if (revisions.size() == 2 && revisions.stream().allMatch(r -> r == revision))
            {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("the members' keys do not all carry revision " + revision + " within " + timeoutMs + " ms: " + values);
    }

    private static long applied(final Mux m) throws IOException, InterruptedException
    {
        return JSON.readTree(get(m, "/v1/vips")).at("/pool_config/applied_revision").asLong();
    }

    private static String digest(final Mux m) throws IOException, InterruptedException
    {
        final JsonNode vips = JSON.readTree(get(m, "/v1/vips")).get("vips");
        assertEquals(1, vips.size(), vips.toString());
        return vips.get(0).get("table_digest").asText();
    }

    private static List<String> backends(final Mux m) throws IOException, InterruptedException
    {
        final List<String> out = new ArrayList<>();
        for (final JsonNode b : JSON.readTree(get(m, "/v1/vips")).at("/vips/0/backends"))
        {
            out.add(b.get("address").asText());
        }
        return out;
    }

    private static void awaitRevision(final Mux m, final long revision, final long timeoutMs) throws Exception
    {
        awaitJson(m, "/v1/vips", v -> v.at("/pool_config/applied_revision").asLong() >= revision, timeoutMs);
    }

    private static JsonNode awaitJson(final Mux m, final String path, final Predicate<JsonNode> until, final long timeoutMs) throws Exception
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        JsonNode last = null;
        while (System.nanoTime() < deadline)
        {
            last = JSON.readTree(get(m, path));
            if (until.test(last))
            {
                return last;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("mux-" + m.name() + " " + path + " not as expected within " + timeoutMs + " ms: " + last + "\n" +
            Files.readString(m.log()));
    }

    private static String get(final Mux m, final String path) throws IOException, InterruptedException
    {
        return AdminCalls.get(m.admin(), path);
    }

    private static String metrics(final Mux m) throws IOException, InterruptedException
    {
        return get(m, "/metrics");
    }

    private static void awaitAdmin(final Mux m) throws InterruptedException, IOException
    {
        AdminCalls.awaitAdmin(m.name(), m.admin(), m.log());
    }

    private static Result retryCtl(final String... args) throws InterruptedException
    {
        return AdminCalls.retryCtl(20, args);
    }

    private static Result pool(final String... args)
    {
        final StringWriter out = new StringWriter();
        final int code = new CommandLine(new PoolCommand()).setOut(new PrintWriter(out)).setErr(new PrintWriter(out)).execute(args);
        return new Result(code, out.toString());
    }
}
