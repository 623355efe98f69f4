package io.panamux.perf.e2e;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.panamux.slowpath.store.EtcdCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Membership from leases end to end (issue 12 item 4, ARCHITECTURE.md §7): a real 3-member etcd cluster and MUX
 * processes ({@code ./panamux run} on {@code net_null}, each with a {@code store} section). Shown through each
 * MUX's own {@code ctl pool --json}: two MUXes see each other; one killed with SIGKILL leaves the other's view
 * within the lease + 2 s; a new one joins; with every etcd member killed the MUX keeps its members, says the
 * store is unreachable and keeps answering; etcd back, every MUX is registered again and they see each other.
 */
class PoolMembershipTest
{
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final int LEASE_SECONDS = 2;
    private static final String PREFIX = "/panamux/pools/membership-e2e";

    @TempDir
    Path dir;

    private final String tag = String.valueOf(ProcessHandle.current().pid() % 100_000);

    @Test
    void aKilledMuxLeavesANewOneJoinsAndAnEtcdOutageChangesNothing() throws Exception
    {
        assumeTrue(EtcdCluster.available(), "etcd-server is not installed (ci/env.sh installs it)");
        final List<MuxProcess> muxes = new ArrayList<>();
        try (EtcdCluster etcd = EtcdCluster.start(3))
        {
            try
            {
                final MuxProcess a = MuxProcess.start(dir, "mux-0", config(etcd, 0), 180, false);
                final MuxProcess b = MuxProcess.start(dir, "mux-1", config(etcd, 1), 180, false);
                muxes.add(a);
                muxes.add(b);
                a.awaitOutput("admin API on", 90);
                b.awaitOutput("admin API on", 90);
                awaitMembers(a, List.of("10.0.0.10", "10.0.0.11"), 10_000);
                awaitMembers(b, List.of("10.0.0.10", "10.0.0.11"), 10_000);
                final String text = ctlPool(a);
                assertTrue(text.matches("(?s).*10\\.0\\.0\\.10 +mux-0 .*lease alive.*\\(this MUX\\).*"), text);
                assertTrue(text.matches("(?s).*10\\.0\\.0\\.11 +mux-1 .*lease alive.*"), text);
                final JsonNode seen = pool(a);
                assertTrue(seen.get("store_reachable").asBoolean(), seen.toString());
                assertTrue(seen.get("registered").asBoolean(), seen.toString());
                assertEquals(2, seen.get("ring").size(), "the owner ring follows: " + seen);
                assertEquals("mux-1", seen.get("members").get(1).get("name").asText(), seen.toString());

                // SIGKILL: no chance to revoke its lease.
                final long killed = System.nanoTime();
                b.process.destroyForcibly();
                b.process.waitFor(10, TimeUnit.SECONDS);
                final long leftMs = awaitMembers(a, List.of("10.0.0.10"), (LEASE_SECONDS + 2) * 1000L);
                System.out.printf("pool: a SIGKILLed MUX left the other's ctl pool after %d ms (lease %d s)%n",
                    (System.nanoTime() - killed) / 1_000_000, LEASE_SECONDS);
                assertTrue(leftMs <= (LEASE_SECONDS + 2) * 1000L);
                assertEquals("10.0.0.11", pool(a).get("departed").get(0).get("address").asText());
                assertEquals(1, pool(a).get("ring").size());

                // A new one joins.
                final MuxProcess c = MuxProcess.start(dir, "mux-2", config(etcd, 2), 180, false);
                muxes.add(c);
                c.awaitOutput("admin API on", 90);
                awaitMembers(a, List.of("10.0.0.10", "10.0.0.12"), 10_000);
                awaitMembers(c, List.of("10.0.0.10", "10.0.0.12"), 10_000);

                // etcd fully down for longer than the lease: nothing changes for the MUXes but what they say.
                etcd.killAll();
                final long down = System.nanoTime();
                awaitJson(a, "store unreachable", 10_000, p -> !p.get("store_reachable").asBoolean());
                Thread.sleep(LEASE_SECONDS * 1000L + 1000);
                final JsonNode during = pool(a);
                assertEquals(2, during.get("members").size(), "the last known members stay: " + during);
                assertEquals(2, during.get("ring").size(), during.toString());
                assertTrue(during.get("store_problem").asText().contains("unreachable"), during.toString());
                assertTrue(a.process.isAlive() && c.process.isAlive());
                etcd.startAll();
                awaitJson(a, "registered again", 20_000, p -> p.get("store_reachable").asBoolean() && p.get("registered").asBoolean());
                awaitJson(c, "registered again", 20_000, p -> p.get("store_reachable").asBoolean() && p.get("registered").asBoolean());
                awaitMembers(a, List.of("10.0.0.10", "10.0.0.12"), 10_000);
                System.out.printf("pool: etcd down for %d ms; both MUXes registered again%n", (System.nanoTime() - down) / 1_000_000);
            }
            finally
            {
                for (final MuxProcess m : muxes)
                {
                    m.stop();
                }
            }
        }
        for (final MuxProcess m : muxes.subList(0, 1))
        {
            assertEquals(0, m.process.exitValue(), m.name + ":\n" + m.output());
            assertTrue(m.output().contains("panamux: pool: member 10.0.0.11 (mux-1) left"), m.output());
            assertFalse(m.output().contains("cannot start"), m.output());
        }
    }

    private String config(final EtcdCluster etcd, final int i) throws IOException
    {
        return """
            mux:
              name: mux-%d
              address: 10.0.0.%d
            dataplane:
              eal: ["--no-huge", "-m", "256", "--no-pci", "--no-shconf", "--file-prefix=pmxmember%s%d", "-l", "0",
                    "--log-level=lib.eal:error", "--vdev=net_null0"]
              port: 0
              workers: 1
              gateway-mac: "02:00:00:00:00:fe"
              flow-table: { capacity: 4096, idle-timeout-seconds: 300 }
            admin: { listen: "127.0.0.1:%d" }
            """.formatted(i, 10 + i, tag, i, MuxProcess.freeTcpPort()) + etcd.storeYaml(PREFIX, LEASE_SECONDS, null);
    }

    /** {@code ctl pool --json} as the MUX answers it ({@code GET /v1/pool}: what ctl prints), fetched in-process to time it closely. */
    private static JsonNode pool(final MuxProcess m) throws Exception
    {
        final HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://" + m.admin() + "/v1/pool"))
            .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }

    /** The operator's {@code ./panamux ctl pool}, once: its text names every live member. */
    private static String ctlPool(final MuxProcess m) throws Exception
    {
        return MuxProcess.awaitCtl(MuxProcess.startCtl(m.admin(), "pool"), "pool");
    }

    /** @return milliseconds until {@code m}'s live members were exactly {@code expected}. */
    private static long awaitMembers(final MuxProcess m, final List<String> expected, final long limitMs) throws Exception
    {
        return awaitJson(m, "members " + expected, limitMs, p ->
        {
            final List<String> live = new ArrayList<>();
            for (final JsonNode member : p.get("members"))
            {
                if (!member.get("lease_alive").isBoolean() || member.get("lease_alive").asBoolean())
                {
                    live.add(member.get("address").asText());
                }
            }
            return live.equals(expected);
        });
    }

    @FunctionalInterface
    private interface Check
    {
        boolean test(JsonNode pool);
    }

    private static long awaitJson(final MuxProcess m, final String what, final long limitMs, final Check check) throws Exception
    {
        final long start = System.nanoTime();
        JsonNode last = null;
        while ((System.nanoTime() - start) / 1_000_000 <= limitMs)
        {
            last = pool(m);
            if (check.test(last))
            {
                return (System.nanoTime() - start) / 1_000_000;
            }
            Thread.sleep(100);
        }
        throw new AssertionError(m.name + ": " + what + " not within " + limitMs + " ms; last ctl pool: " + last + "\n" + m.output());
    }
}
