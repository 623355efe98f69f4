package io.panamux.slowpath.admin;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.panamux.fastpath.CounterDescriptor;
import io.panamux.fastpath.WorkerCounters;
import io.panamux.fastpath.snapshot.ForwardingSnapshot;
import io.panamux.fastpath.snapshot.SnapshotSlot;
import io.panamux.fastpath.snapshot.Vip;
import io.panamux.flow.FlowHash;
import io.panamux.flow.FlowTable;
import io.panamux.flow.MaglevTable;
import io.panamux.slowpath.MuxStats;
import io.panamux.slowpath.StatsJson;
import io.panamux.slowpath.config.FileConfigSource;
import io.panamux.slowpath.config.MuxConfig;
import io.panamux.slowpath.control.BackendChanges;
import io.panamux.slowpath.control.BackendIds;
import io.panamux.slowpath.control.ControlAgent;
import io.panamux.slowpath.control.SnapshotPublisher;
import io.panamux.slowpath.control.StatefulPhaseTracker;
import io.panamux.slowpath.pool.PoolStatus;
import io.panamux.slowpath.router.InProcessRouterControl;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.SleepingMillisIdleStrategy;
import org.agrona.concurrent.SystemNanoClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The admin API on an ephemeral loopback port against a control agent run by its own thread, driven by
 * the real {@code ctl} command classes (picocli, in process) for every command, with and without
 * {@code --json}; token checks; refused changes; {@code /metrics} parsed as Prometheus text.
 */
class AdminApiTest
{
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CONFIG = """
        mux:
          name: mux-admin
          address: 10.0.0.10
          hash-seed: 0x5eed
        dataplane:
          eal: []
          port: 0
          workers: 2
          gateway-mac: "02:00:00:00:00:fe"
          flow-table: { capacity: 4096, idle-timeout-seconds: 300 }
          maglev-table-size: 1009
        vips:
          - address: 192.0.2.10
            port: 80
            protocol: tcp
            health-check: { type: tcp, port: 8080 }
            backends:
              - { address: 10.1.0.1, weight: 1 }
              - { address: 10.1.0.2, weight: 2 }
          - address: 192.0.2.11
            port: 53
            protocol: udp
            backends:
              - { address: 10.1.1.1 }
        """;

    @TempDir
    Path dir;

    private Path file;
    private SnapshotSlot slot;
    private ControlAgent control;
    private AgentRunner runner;
    private AdminServer server;
    private final List<FlowTable> tables = new ArrayList<>();
    private final InProcessRouterControl router = new InProcessRouterControl();
    private AdminTarget target;

    @BeforeEach
    void start() throws Exception
    {
        file = dir.resolve("mux.yaml");
        Files.writeString(file, CONFIG);
        final FileConfigSource source = new FileConfigSource(file);
        final MuxConfig config = source.load();
        slot = new SnapshotSlot(ForwardingSnapshot.empty(config.mux().hashSeed()));
        final SnapshotPublisher publisher = new SnapshotPublisher(slot, new BackendIds(600_000_000_000L));
        control = new ControlAgent(publisher, new SystemNanoClock());
        tables.add(new FlowTable(4096));
        tables.add(new FlowTable(4096));
        final StatefulPhaseTracker tracker = new StatefulPhaseTracker(control, slot, tables, 300_000_000_000L, 300_000_000_000L,
            1_000_000_000L);
        control.addDuty(tracker);
        final BackendChanges changes = new BackendChanges(config, publisher, router, tracker);
        changes.start(System.nanoTime());
        fillFlows();
        runner = new AgentRunner(new SleepingMillisIdleStrategy(1), Throwable::printStackTrace, null, control);
        AgentRunner.startOnThread(runner);
        target = new AdminTarget(control, changes, AdminApiTest::stats, slot::current, tables, source);
        server = AdminServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), Optional.empty(), target);
    }

    @AfterEach
    void stop()
    {
        server.close();
        runner.close();
        tables.forEach(FlowTable::close);
    }

    /** Ten flows of the web VIP on worker 0, five of the DNS VIP on worker 1, on their current backends. */
    private void fillFlows()
    {
        final ForwardingSnapshot s = slot.current();
        for (int i = 0; i < 15; i++)
        {
            final Vip vip = s.vips()[i < 10 ? 0 : 1];
            final int src = 0xC6336400 + i;
            final int port = 40000 + i;
            final long hash = FlowHash.hashV4(s.hashSeed(), src, vip.v4(), port, vip.port(), vip.protocol());
            final int id = vip.backends()[MaglevTable.lookup(vip.table(), hash)].id();
            tables.get(i < 10 ? 0 : 1).putV4(src, vip.v4(), port, vip.port(), vip.protocol(), id, 0, 7);
        }
    }

    private static MuxStats stats()
    {
        final Map<String, Long> drops = new TreeMap<>(Map.of("not_vip", 5L, "bad_ipv4_checksum", 2L));
        return new MuxStats(WorkerCounters.sum(List.of(COUNTERS)), drops,
            List.of(new MuxStats.BackendPackets("192.0.2.10:80/tcp", "10.1.0.1", 77L), new MuxStats.BackendPackets("192.0.2.11:53/udp", "10.1.1.1", 12L)),
            42, 0, 0, Map.of("queries_sent", 5L, "queries_answered", 4L, "bad_messages", Map.of("bad_tag", 2L)));
    }

    /** One worker's counters: every descriptor a value of its own (1000 + id), some chosen for the tests below. */
    private static final WorkerCounters COUNTERS = new WorkerCounters();

    static
    {
        for (final CounterDescriptor d : WorkerCounters.DESCRIPTORS)
        {
            COUNTERS.set(d, 1000 + d.id());
        }
        COUNTERS.set(WorkerCounters.RX_PACKETS, 1234);
        COUNTERS.set(WorkerCounters.RX_BYTES, 99_000);
        COUNTERS.set(WorkerCounters.TX_PACKETS, 1200);
        COUNTERS.set(WorkerCounters.FLOWS, 15);
        COUNTERS.set(WorkerCounters.FLOW_MISSES, 200);
        COUNTERS.set(WorkerCounters.OWNER_QUERIES, 8);
        COUNTERS.set(WorkerCounters.RING_FULL, 7);
    }

    private record Result(int code, String out, String err)
    {
        JsonNode json() throws Exception
        {
            return JSON.readTree(out);
        }
    }

    private Result ctl(final String... args)
    {
        return ctlAt("127.0.0.1:" + server.port(), args);
    }

    private static Result ctlAt(final String admin, final String... args)
    {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final List<String> all = new ArrayList<>(List.of(args));
        all.add("--admin");
        all.add(admin);
        final int code = new CommandLine(new CtlCommand()).setOut(new PrintWriter(out)).setErr(new PrintWriter(err))
            .execute(all.toArray(new String[0]));
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void vipsShowsModesBackendsWeightsAndHealth() throws Exception
    {
        final Result human = ctl("vips");
        assertEquals(0, human.code(), human.err());
        assertTrue(human.out().contains("192.0.2.10:80/tcp  stateless  [ipip, flow-tracking on-change]"), human.out());
        assertTrue(human.out().matches("(?s).*10\\.1\\.0\\.2 +weight 2 +healthy.*"), human.out());
        assertTrue(human.out().contains("192.0.2.11:53/udp  single-DIP bypass (router: direct 10.1.1.1)"), human.out());
        assertTrue(human.out().matches("(?s).*10\\.1\\.1\\.1 +weight 1 +unchecked.*"), human.out());

        final JsonNode json = ctl("vips", "--json").json();
        assertEquals(2, json.get("vips").size());
        final JsonNode web = json.get("vips").get(0);
        assertEquals("192.0.2.10:80/tcp", web.get("vip").asText());
        assertEquals("stateless", web.get("mode").asText());
        assertEquals("pool", web.get("route").asText());
        assertEquals(2, web.get("backends").get(1).get("weight").asInt());
        assertEquals("healthy", web.get("backends").get(1).get("health").asText());
        assertFalse(web.get("backends").get(1).get("draining").asBoolean());
        assertEquals("bypass", json.get("vips").get(1).get("mode").asText());
    }

    @Test
    void backendCommandsChangeTheVipAndSayHow() throws Exception
    {
        final long version = slot.current().version();

        final Result add = ctl("backend", "add", "192.0.2.10:80/tcp", "10.1.0.3", "--weight", "3");
        assertEquals(0, add.code(), add.err());
        assertTrue(add.out().startsWith("added 10.1.0.3 (192.0.2.10:80/tcp)"), add.out());
        assertTrue(add.out().contains("stateful until "), add.out());
        assertTrue(add.out().contains("(estimate"), add.out());
        assertEquals(version + 1, slot.current().version());
        assertEquals(3, slot.current().vips()[0].backends().length);

        final JsonNode added = ctl("backend", "add", "192.0.2.10:80/tcp", "10.1.0.4", "--json").json();
        assertEquals("stateful", added.get("vip").get("mode").asText());
        assertTrue(added.get("vip").has("stateful_until"));
        assertEquals("10.1.0.4", added.get("vip").get("backends").get(3).get("address").asText());

        final Result drain = ctl("backend", "drain", "192.0.2.10:80/tcp", "10.1.0.1");
        assertEquals(0, drain.code(), drain.err());
        assertTrue(drain.out().matches("(?s)draining 10\\.1\\.0\\.1.*10\\.1\\.0\\.1 +weight 1 +healthy +draining.*"), drain.out());
        assertTrue(slot.current().vips()[0].backends()[0].draining());
        assertTrue(ctl("backend", "drain", "192.0.2.10:80/tcp", "10.1.0.2", "--json").json().get("vip").get("backends").get(1)
            .get("draining").asBoolean());

        final Result weight = ctl("backend", "weight", "192.0.2.10:80/tcp", "10.1.0.1", "5");
        assertEquals(0, weight.code(), weight.err());
        assertEquals(5, slot.current().vips()[0].backends()[0].weight());
        assertFalse(slot.current().vips()[0].backends()[0].draining(), "re-weighting ends the drain");
        assertEquals(6, ctl("backend", "weight", "192.0.2.10:80/tcp", "10.1.0.1", "6", "--json").json().get("vip").get("backends").get(0)
            .get("weight").asInt());

        final Result remove = ctl("backend", "remove", "192.0.2.10:80/tcp", "10.1.0.4");
        assertEquals(0, remove.code(), remove.err());
        assertTrue(remove.out().startsWith("removed 10.1.0.4"), remove.out());
        assertEquals(3, ctl("backend", "remove", "192.0.2.10:80/tcp", "10.1.0.3", "--json").json().get("vip").get("backends").size() + 1);
        assertEquals(2, slot.current().vips()[0].backends().length);
    }

    @Test
    void aRefusedChangeSaysWhyExitsNonZeroAndChangesNothing() throws Exception
    {
        final long version = slot.current().version();

        final Result duplicate = ctl("backend", "add", "192.0.2.10:80/tcp", "10.1.0.1");
        assertEquals(CtlCommand.REFUSED, duplicate.code());
        assertEquals("ctl: 10.1.0.1 is already a backend of 192.0.2.10:80/tcp (ctl backend weight changes its weight)\n", duplicate.err());

        final Result unknown = ctl("backend", "remove", "192.0.2.99:80/tcp", "10.1.0.1", "--json");
        assertEquals(CtlCommand.REFUSED, unknown.code());
        assertTrue(unknown.json().get("error").asText().startsWith("no VIP 192.0.2.99:80/tcp"), unknown.out());

        final Result negative = ctl("backend", "weight", "192.0.2.10:80/tcp", "10.1.0.1", "-3");
        assertEquals(CtlCommand.REFUSED, negative.code());
        assertTrue(negative.err().contains("a weight is at least 0"), negative.err());

        assertEquals(version, slot.current().version(), "nothing published");
        assertEquals(2, slot.current().vips()[0].backends().length);
        assertEquals(Vip.MODE_STATELESS, slot.current().vips()[0].mode());

        final HttpResponse<String> bad = http("/v1/backends/add", "POST", "{\"vip\": 7}", null);
        assertEquals(400, bad.statusCode());
        assertEquals("vip is required (a string)", JSON.readTree(bad.body()).get("error").asText());
        assertEquals(405, http("/v1/vips", "POST", "{}", null).statusCode());
        assertEquals(404, http("/v1/nothing", "GET", null, null).statusCode());
    }

    @Test
    void statsShowsTheCounters() throws Exception
    {
        final Result human = ctl("stats");
        assertEquals(0, human.code(), human.err());
        assertTrue(human.out().matches("(?s).*rx_packets +1234\n.*"), human.out());
        assertTrue(human.out().matches("(?s).*drops:\n  bad_ipv4_checksum +2\n  not_vip +5\n.*"), human.out());
        assertTrue(human.out().matches("(?s).*mbufs_in_use +42\n.*"), human.out());

        final JsonNode json = ctl("stats", "--json").json();
        assertEquals(1234, json.get("rx_packets").asLong());
        assertEquals(1200, json.get("tx_packets").asLong());
        assertEquals(5, json.get("drops").get("not_vip").asLong());
        assertEquals(15, json.get("flows").asLong());
        assertEquals(200, json.get("flow_misses").asLong());
        assertEquals(8, json.get("owner_queries").asLong());
        assertEquals(7, json.get("ring_full").asLong());
        assertEquals(42, json.get("mbufs_in_use").asLong());
    }

    @Test
    void flowsAreListedBoundedAndByVip() throws Exception
    {
        final Result human = ctl("flows");
        assertEquals(0, human.code(), human.err());
        assertTrue(human.out().endsWith("15 of 15 flow(s)\n"), human.out());
        assertTrue(human.out().contains("198.51.100.0:40000"), human.out());

        final JsonNode web = ctl("flows", "--vip", "192.0.2.10:80/tcp", "--json").json();
        assertEquals(10, web.get("flows").size());
        assertFalse(web.get("truncated").asBoolean());
        for (final JsonNode f : web.get("flows"))
        {
            assertEquals("192.0.2.10:80/tcp", f.get("vip").asText());
            assertTrue(f.get("backend").asText().startsWith("10.1.0."), f.toString());
            assertEquals(0, f.get("worker").asInt());
        }

        final JsonNode bounded = ctl("flows", "--vip", "192.0.2.11", "--limit", "2", "--json").json();
        assertEquals(2, bounded.get("flows").size());
        assertEquals(5, bounded.get("matched").asLong());
        assertTrue(bounded.get("truncated").asBoolean());
        assertEquals("udp", bounded.get("flows").get(0).get("protocol").asText());

        final Result tooMany = ctl("flows", "--limit", "100000");
        assertEquals(CtlCommand.REFUSED, tooMany.code());
    }

    @Test
    void reloadAppliesTheFileWholeOrNotAtAll() throws Exception
    {
        final Result same = ctl("reload");
        assertEquals(0, same.code(), same.err());
        assertTrue(same.out().contains("nothing changed"), same.out());

        Files.writeString(file, CONFIG.replace("      - { address: 10.1.1.1 }\n", "      - { address: 10.1.1.1 }\n      - { address: 10.1.1.2 }\n"));
        final JsonNode reloaded = ctl("reload", "--json").json();
        assertEquals(List.of("192.0.2.11:53/udp: changed"), List.of(reloaded.get("changes").get(0).asText()));
        assertEquals(Vip.MODE_STATEFUL, slot.current().vips()[1].mode(), "scaled up: out of the bypass");
        final long version = slot.current().version();

        Files.writeString(file, CONFIG.replace("port: 53", "port: 99999"));
        final Result broken = ctl("reload");
        assertEquals(CtlCommand.REFUSED, broken.code());
        assertTrue(broken.err().contains(file + ":21: vips[1].port: must be an integer between 1 and 65535, got \"99999\""), broken.err());
        assertTrue(ctl("reload", "--json").json().get("errors").get(0).asText().startsWith(file + ":21:"));

        Files.writeString(file, CONFIG.replace("workers: 2", "workers: 3"));
        final Result restart = ctl("reload");
        assertEquals(CtlCommand.REFUSED, restart.code());
        assertTrue(restart.err().contains("not reloaded: dataplane.workers changed (2 -> 3)"), restart.err());

        assertEquals(version, slot.current().version(), "refused reloads publish nothing");
        assertEquals(2, slot.current().vips()[1].backends().length);
    }

    @Test
    void aConfiguredTokenIsRequiredOnEveryRequest() throws Exception
    {
        try (AdminServer guarded = AdminServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), Optional.of("s3cret"), target))
        {
            final String admin = "127.0.0.1:" + guarded.port();
            final Result without = ctlAt(admin, "vips");
            assertEquals(CtlCommand.REFUSED, without.code());
            assertTrue(without.err().contains("requires Authorization: Bearer TOKEN"), without.err());
            assertEquals(CtlCommand.REFUSED, ctlAt(admin, "stats", "--token", "s3cre").code());
            assertEquals(CtlCommand.REFUSED, ctlAt(admin, "backend", "add", "192.0.2.10:80/tcp", "10.1.0.9", "--token", "wrong").code());
            assertEquals(2, slot.current().vips()[0].backends().length, "an unauthorised change changes nothing");

            final Result with = ctlAt(admin, "vips", "--token", "s3cret");
            assertEquals(0, with.code(), with.err());

            final HttpClient client = HttpClient.newHttpClient();
            final HttpResponse<String> metrics = client.send(HttpRequest.newBuilder(URI.create("http://" + admin + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
            assertEquals(401, metrics.statusCode(), "metrics too");
            assertEquals("Bearer", metrics.headers().firstValue("WWW-Authenticate").orElse(""));
        }
    }

    @Test
    void metricsParseAsPrometheusTextWithTheCounters() throws Exception
    {
        final HttpResponse<String> r = http("/metrics", "GET", null, null);
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"), r.headers().toString());

        final Map<String, Double> samples = new HashMap<>();
        final Map<String, String> types = new HashMap<>();
        parseMetrics(r.body(), samples, types);

        assertEquals("counter", types.get("panamux_rx_packets_total"));
        assertEquals("counter", types.get("panamux_drops_total"));
        assertEquals("gauge", types.get("panamux_vip_mode"));
        assertEquals(1234.0, samples.get("panamux_rx_packets_total{}"));
        assertEquals(99_000.0, samples.get("panamux_rx_bytes_total{}"));
        assertEquals(1200.0, samples.get("panamux_tx_packets_total{}"));
        assertEquals(5.0, samples.get("panamux_drops_total{reason=not_vip}"));
        assertEquals(2.0, samples.get("panamux_drops_total{reason=bad_ipv4_checksum}"));
        assertEquals(15.0, samples.get("panamux_flows{}"));
        assertEquals(200.0, samples.get("panamux_flow_misses_total{}"));
        assertEquals(8.0, samples.get("panamux_owner_queries_total{}"));
        assertEquals(7.0, samples.get("panamux_ring_full_total{}"));
        assertEquals(42.0, samples.get("panamux_mbufs_in_use{}"));
        assertEquals(77.0, samples.get("panamux_backend_packets_total{backend=10.1.0.1, vip=192.0.2.10:80/tcp}"));
        assertEquals(1.0, samples.get("panamux_vip_mode{mode=stateless, vip=192.0.2.10:80/tcp}"));
        assertEquals(0.0, samples.get("panamux_vip_mode{mode=bypass, vip=192.0.2.10:80/tcp}"));
        assertEquals(1.0, samples.get("panamux_vip_mode{mode=bypass, vip=192.0.2.11:53/udp}"));
        assertEquals(1.0, samples.get("panamux_vip_announced{vip=192.0.2.10:80/tcp}"), "no VIP is withdrawn for its health here");
        assertEquals(1.0, samples.get("panamux_backend_healthy{backend=10.1.0.2, vip=192.0.2.10:80/tcp}"));
        assertEquals(5.0, samples.get("panamux_peer_events_total{event=queries_sent}"));
        assertEquals(2.0, samples.get("panamux_peer_bad_messages_total{reason=bad_tag}"));
    }

    /**
     * {@code ctl pool} and the pool gauges over what the membership reports (the store itself is tested with a real
     * etcd in {@code EtcdPoolMembershipTest}; here the view is given): the members with their leases and revisions,
     * the one that left, the store unreachable with its problem; and a MUX without a pool view answers 404.
     */
    @Test
    void poolShowsTheMembersTheirLeasesAndTheStore() throws Exception
    {
        final PoolStatus status = new PoolStatus(Optional.of("etcd [http://127.0.0.1:2379] /panamux/pools/a"), false,
            Optional.of("etcd unreachable: no answer in 3000 ms"), 1_765_000_000_000L, true, 0x694dL, 5, 42,
            List.of("10.0.0.10", "10.0.0.11"),
            List.of(new PoolStatus.MemberStatus("10.0.0.10", "mux-a", Optional.of("10.0.0.10:9470"), Optional.of(true), 42, true, 0),
                new PoolStatus.MemberStatus("10.0.0.11", "mux-b", Optional.of("10.0.0.11:9470"), Optional.empty(), 41, false, 0)),
            List.of(new PoolStatus.MemberStatus("10.0.0.12", "mux-c", Optional.empty(), Optional.of(false), 40, false, 1_765_000_001_000L)),
            Map.of("/panamux/pools/a/members/x", "the key does not end in an address"));
        try (AdminServer withPool = AdminServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), Optional.empty(),
            new AdminTarget(target.control(), target.changes(), target.stats(), target.snapshot(), tables, null, List.of(), () -> status)))
        {
            final String admin = "127.0.0.1:" + withPool.port();
            final Result human = ctlAt(admin, "pool");
            assertEquals(0, human.code(), human.err());
            assertTrue(human.out().contains("store: etcd [http://127.0.0.1:2379] /panamux/pools/a: UNREACHABLE"), human.out());
            assertTrue(human.out().contains("etcd unreachable: no answer in 3000 ms"), human.out());
            assertTrue(human.out().contains("applied configuration revision: 42"), human.out());
            assertTrue(human.out().matches("(?s).*10\\.0\\.0\\.10 +mux-a +peers 10\\.0\\.0\\.10:9470 +lease alive +revision 42 +\\(this MUX\\).*"),
                human.out());
            assertTrue(human.out().matches("(?s).*10\\.0\\.0\\.11 +mux-b .*lease unknown +revision 41.*"), human.out());
            assertTrue(human.out().matches("(?s).*departed:\\s+10\\.0\\.0\\.12 +mux-c .*lease NOT alive.*left 2025-.*"), human.out());
            assertTrue(human.out().contains("refused: /panamux/pools/a/members/x"), human.out());

            final JsonNode json = ctlAt(admin, "pool", "--json").json();
            assertFalse(json.get("store_reachable").asBoolean());
            assertEquals(42, json.get("applied_revision").asLong());
            assertEquals(2, json.get("members").size());
            assertTrue(json.get("members").get(0).get("lease_alive").asBoolean());
            assertTrue(json.get("members").get(1).get("lease_alive").isNull(), "unknown while the store is unreachable");
            assertEquals("10.0.0.12", json.get("departed").get(0).get("address").asText());

            final Map<String, Double> samples = new HashMap<>();
            final Map<String, String> types = new HashMap<>();
            parseMetrics(HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://" + admin + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body(), samples, types);
            assertEquals(2.0, samples.get("panamux_pool_members{}"));
            assertEquals(1.0, samples.get("panamux_pool_registered{}"));
        }
        final Result none = ctl("pool");
        assertEquals(CtlCommand.REFUSED, none.code());
        assertTrue(none.err().contains("this MUX has no pool view"), none.err());
    }

    /**
     * The one-place rule of the counter descriptors: every worker counter declared in {@link WorkerCounters}
     * (among them {@code worker_errors}, which was added by nothing but its descriptor) reaches
     * {@code ctl stats --json}, the {@code --stats-json} file and {@code /metrics}, under its name, with its
     * value and kind; the internal ones reach none of them.
     */
    @Test
    void everyCounterDescriptorReachesCtlStatsTheStatsFileAndMetrics() throws Exception
    {
        final JsonNode ctlJson = ctl("stats", "--json").json();
        final Path statsFile = dir.resolve("stats.json");
        StatsJson.write(stats(), statsFile);
        final JsonNode fileJson = JSON.readTree(Files.readString(statsFile));
        final Map<String, Double> samples = new HashMap<>();
        final Map<String, String> types = new HashMap<>();
        parseMetrics(http("/metrics", "GET", null, null).body(), samples, types);

        assertTrue(WorkerCounters.DESCRIPTORS.contains(WorkerCounters.WORKER_ERRORS));
        for (final CounterDescriptor d : WorkerCounters.DESCRIPTORS)
        {
            final boolean counter = d.kind() == CounterDescriptor.Kind.COUNTER;
            final String metric = d.metricName() + (counter ? "_total" : "");
            if (!d.reported())
            {
                assertFalse(ctlJson.has(d.name()), d.name());
                assertFalse(fileJson.has(d.name()), d.name());
                assertFalse(samples.containsKey(metric + "{}"), metric);
                continue;
            }
            final long expected = COUNTERS.get(d);
            assertEquals(expected, ctlJson.path(d.name()).asLong(-1), "ctl stats --json: " + d.name());
            assertEquals(expected, fileJson.path(d.name()).asLong(-1), "--stats-json: " + d.name());
            assertEquals((double)expected, samples.get(metric + "{}"), "/metrics: " + metric);
            assertEquals(counter ? "counter" : "gauge", types.get(metric), "/metrics type of " + metric);
        }
        assertEquals(1000 + WorkerCounters.WORKER_ERRORS.id(), ctlJson.get("worker_errors").asLong());
        assertTrue(ctl("stats").out().matches("(?s).*worker_errors +" + (1000 + WorkerCounters.WORKER_ERRORS.id()) + "\n.*"));
    }

    /**
     * Issue 10 finding 2, as found: two connections that send a POST's headers and one byte of its body (one
     * without the token, refused; one with it) held both admin threads, and an authorised GET /v1/stats went
     * unanswered for 84 s. Now it is answered while they still hang.
     */
    @Test
    void twoSlowClientsDoNotKeepAnOperatorsRequestUnanswered() throws Exception
    {
        try (AdminServer guarded = AdminServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), Optional.of("s3cret"), target);
            Socket refused = new Socket(InetAddress.getLoopbackAddress(), guarded.port());
            Socket authorised = new Socket(InetAddress.getLoopbackAddress(), guarded.port()))
        {
            final String body = "{\"vip\": \"192.0.2.10:80/tcp\", \"address\": \"10.1.0.9\"}";
            for (final Socket slow : List.of(refused, authorised))
            {
                slow.getOutputStream().write(("POST /v1/backends/add HTTP/1.1\r\nHost: 127.0.0.1:" + guarded.port()
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length() + "\r\n"
                    + (slow == authorised ? "Authorization: Bearer s3cret\r\n" : "") + "\r\n" + body.charAt(0))
                    .getBytes(StandardCharsets.US_ASCII));
                slow.getOutputStream().flush();
            }
            refused.setSoTimeout(5000);
            assertTrue(statusLine(refused.getInputStream()).startsWith("HTTP/1.1 401"), "refused at once, its body unread");

            final HttpResponse<String> stats = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + guarded.port() + "/v1/stats")).header("Authorization", "Bearer s3cret")
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, stats.statusCode(), "answered while both slow clients still hold their connections");
            assertEquals(2, slot.current().vips()[0].backends().length, "the unfinished change changed nothing");
        }
    }

    /**
     * Issue 10 finding 3, as found: a POST with Content-Type text/plain (a cross-site form from any web page
     * open on the MUX host) and a GET with Host: attacker.example (DNS rebinding) were both obeyed.
     */
    @Test
    void browserRequestsCannotReachTheTokenlessLoopbackApi() throws Exception
    {
        final String body = "{\"vip\": \"192.0.2.10:80/tcp\", \"address\": \"10.1.0.9\"}";
        final String self = "127.0.0.1:" + server.port();
        assertEquals("HTTP/1.1 415", raw("POST", "/v1/backends/add", self, "text/plain", body).substring(0, 12));
        assertEquals("HTTP/1.1 415", raw("POST", "/v1/backends/add", self, null, body).substring(0, 12));
        assertEquals("HTTP/1.1 415", raw("POST", "/v1/reload", self, "application/x-www-form-urlencoded", "a=b").substring(0, 12));
        assertEquals(2, slot.current().vips()[0].backends().length, "no change was made");

        assertEquals("HTTP/1.1 421", raw("GET", "/v1/stats", "attacker.example:" + server.port(), null, null).substring(0, 12));
        assertEquals("HTTP/1.1 421", raw("GET", "/v1/vips", "attacker.example", null, null).substring(0, 12));
        assertEquals("HTTP/1.1 421", raw("POST", "/v1/backends/add", "rebind.attacker.example:" + server.port(), "application/json", body)
            .substring(0, 12));
        assertEquals(2, slot.current().vips()[0].backends().length, "no change was made");

        assertEquals("HTTP/1.1 413", raw("POST", "/v1/backends/add", self, "application/json", "{" + " ".repeat(70_000) + "}")
            .substring(0, 12), "too long a body is refused on its Content-Length");
        assertEquals("HTTP/1.1 200", raw("GET", "/v1/stats", self, null, null).substring(0, 12));
        assertEquals("HTTP/1.1 200", raw("GET", "/v1/stats", "localhost:" + server.port(), null, null).substring(0, 12));
        assertEquals("HTTP/1.1 200", raw("POST", "/v1/backends/add", self, "application/json; charset=utf-8", body).substring(0, 12));
        assertEquals(3, slot.current().vips()[0].backends().length, "ctl's kind of request still works");
    }

    /** One request over a raw socket (the HTTP client will not set Host itself); @return the status line. */
    private String raw(final String method, final String path, final String host, final String contentType, final String body)
        throws IOException
    {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.port()))
        {
            socket.setSoTimeout(5000);
            final byte[] bytes = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
            final OutputStream out = socket.getOutputStream();
            out.write((method + " " + path + " HTTP/1.1\r\nHost: " + host + "\r\n" + (contentType == null ? "" : "Content-Type: "
                + contentType + "\r\n") + "Content-Length: " + bytes.length + "\r\nConnection: close\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
            try
            {
                out.write(bytes);
                out.flush();
            }
            catch (final IOException closed)
            {
                // A refused request's connection may be closed before its body is sent: the status is still there.
            }
            return statusLine(socket.getInputStream());
        }
    }

    private static String statusLine(final InputStream in) throws IOException
    {
        final StringBuilder line = new StringBuilder();
        for (int c = in.read(); c >= 0 && c != '\r'; c = in.read())
        {
            line.append((char)c);
        }
        return line.toString();
    }

    @Test
    void anUnreachableMuxIsExitCodeThree()
    {
        final Result r = ctlAt("127.0.0.1:1", "vips");

        assertEquals(CtlCommand.UNREACHABLE, r.code());
        assertTrue(r.err().startsWith("ctl: cannot reach the MUX's admin API at 127.0.0.1:1"), r.err());
    }

    /** Parses Prometheus text: samples keyed {@code name{labels}} (sorted labels), types by name. */
    private static void parseMetrics(final String text, final Map<String, Double> samples, final Map<String, String> types)
    {
        final Pattern sample = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})? (-?[0-9.eE+-]+|NaN|[+-]Inf)");
        final Pattern label = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");
        for (final String line : text.split("\n"))
        {
            if (line.startsWith("# TYPE "))
            {
                final String[] parts = line.split(" ");
                types.put(parts[2], parts[3]);
                continue;
            }
            if (line.startsWith("#") || line.isEmpty())
            {
                continue;
            }
            final Matcher m = sample.matcher(line);
            assertTrue(m.matches(), "not a Prometheus sample line: " + line);
            final TreeMap<String, String> labels = new TreeMap<>();
            if (m.group(3) != null)
            {
                final Matcher l = label.matcher(m.group(3));
                while (l.find())
                {
                    labels.put(l.group(1), l.group(2));
                }
            }
            samples.put(m.group(1) + labels, Double.parseDouble(m.group(4)));
        }
    }

    private HttpResponse<String> http(final String path, final String method, final String body, final String token) throws Exception
    {
        final HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
            .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null)
        {
            b.header("Content-Type", "application/json");
        }
        if (token != null)
        {
            b.header("Authorization", "Bearer " + token);
        }
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
