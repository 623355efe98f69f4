package io.panamux.perf.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * panamux on a real, namespaced network ({@code ci/topology/netlab.sh}): a BIRD router with ECMP multipath
 * routes learnt over BGP from two MUXes ({@code ./panamux run} on {@code net_af_packet}, each starting and
 * driving its own BIRD speaker from the {@code router.bgp} section of its configuration), three backends whose host agents decapsulate into the kernel where an unmodified HTTP
 * server is bound to the VIPs, a plain Linux client (c1) and a client with a host agent (c2). Real Linux TCP,
 * real {@code curl}.
 *
 * <p>The tests run in order on one network (building it takes a while): later ones see the changes earlier
 * ones made (m1 restarted, VIP .10's backends changed). Tagged {@code network}; skipped, with the reason,
 * where network namespaces cannot be made.
 */
@Tag("network")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NetworkTest
{
    private static final String VIP = "192.0.2.10";
    private static final String BYPASS_VIP = "192.0.2.11";
    private static final String FASTPATH_VIP = "192.0.2.12";
    private static final String SELECTED_VIP = "192.0.2.13";
    /**
     * Transfers running while a MUX fails or stops: enough that the router's L4 ECMP hash gives the MUX some
     * (all on the other one: 1 run in 4,096).
     */
    private static final int TRANSFERS = 12;
    private static final String M1 = "198.18.11.2";
    private static final String M2 = "198.18.12.2";
    private static final String B1 = "198.18.21.2";
    private static final String B2 = "198.18.22.2";
    private static final String B3 = "198.18.23.2";
    private static final List<String> MUXES = List.of("m1", "m2");

    private NetworkLab lab;
    private Path dir;

    @BeforeAll
    void buildTheNetwork() throws Exception
    {
        lab = NetworkLab.open("pmxt");
        dir = lab.tempDir("netlab-test");
        lab.startMuxes("m1", "m2");
        lab.labOk(90, "wait-route", VIP, M1 + " " + M2, "80");
        lab.labOk(30, "wait-route", BYPASS_VIP, B3, "30");
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
    @Order(1)
    void thousandsOfConnectionsAllSucceedAndAreAnsweredByTheBackendsDirectly() throws Exception
    {
        final long m1Before = lab.muxPackets("m1", VIP + ":80/tcp");
        final long m2Before = lab.muxPackets("m2", VIP + ":80/tcp");
        // Captures: anything from the VIP on a MUX's link would be a reply crossing a MUX; on the client's
        // link, the replies must all be there.
        final Process[] captures = {
            lab.capture(dir, "m1", "eth0", "src host " + VIP, "m1-replies.pcap"),
            lab.capture(dir, "m2", "eth0", "src host " + VIP, "m2-replies.pcap"),
            lab.capture(dir, "rt", "rt-c1", "src host " + VIP + " and tcp", "c1-replies.pcap")};

        final int connections = 2000;
        final List<String> results = curlMany("c1", "http://" + VIP + "/id", connections, 16);
        NetworkLab.stopCaptures(captures);

        final Map<String, Integer> byAnswer = NetworkLab.count(results);
        assertEquals(connections, results.size(), "one result per connection: " + byAnswer);
        assertEquals(connections, byAnswer.getOrDefault("200 b1", 0) + byAnswer.getOrDefault("200 b2", 0),
            "every connection answered by a backend of the VIP: " + byAnswer);
        assertTrue(byAnswer.getOrDefault("200 b1", 0) > connections / 5 && byAnswer.getOrDefault("200 b2", 0) > connections / 5,
            "Maglev spreads the connections over both backends: " + byAnswer);

        final long m1 = lab.muxPackets("m1", VIP + ":80/tcp") - m1Before;
        final long m2 = lab.muxPackets("m2", VIP + ":80/tcp") - m2Before;
        assertTrue(m1 > connections && m2 > connections,
            "the router's ECMP spreads the connections over both MUXes: m1 " + m1 + ", m2 " + m2 + " packets");

        assertEquals(0, NetworkLab.packets(dir.resolve("m1-replies.pcap"), " IP "), "no reply crossed MUX m1");
        assertEquals(0, NetworkLab.packets(dir.resolve("m2-replies.pcap"), " IP "), "no reply crossed MUX m2");
        final long replies = NetworkLab.packets(dir.resolve("c1-replies.pcap"), " IP ");
        assertTrue(replies >= 3L * connections, "the replies reached the client straight from the backends: " + replies);
        final JsonNode b1 = lab.agent("b1");
        assertTrue(b1.get("decapsulated_from_mux").asLong() > connections, "b1's agent decapsulated the MUXes' packets: " + b1);

        // The MUX's own speaker announced the VIPs, and only once its worker was cycling.
        final String m1Log = Files.readString(lab.run.resolve("m1.log"));
        final int started = m1Log.indexOf("panamux: bgp: speaker started (BIRD, pid ");
        final int cycling = m1Log.indexOf("panamux: data path: every worker is cycling: announcing 4 VIP(s)");
        final int told = m1Log.indexOf("panamux: router: announce " + VIP + ":80/tcp");
        final int applied = m1Log.indexOf("announce " + VIP + " via this MUX");
        assertTrue(started >= 0 && started < cycling && cycling < told && told < applied, "speaker started, workers cycling, VIPs "
            + "announced, BIRD told, in that order:\n" + m1Log);
    }

    @Test
    @Order(2)
    void aMuxKilledInTheMiddleOfLongTransfersIsWithdrawnAndTheTransfersFinishThroughTheOther() throws Exception
    {
        final long m1Before = lab.muxPackets("m1", VIP + ":80/tcp");
        final NetworkLab.Transfers transfers = lab.downloads(dir, "c1", VIP, TRANSFERS, 20_000_000, 200_000);
        awaitCarries(transfers, "m1", m1Before);

        final String stopped = lab.labOk(60, "mux-stop", "m1", "--kill");
        final long killedAt = System.nanoTime();
        assertTrue(stopped.matches("(?s).*m1: its BGP speaker \\(BIRD pid \\d+\\) ended with the MUX.*"),
            "BIRD died with the MUX it belonged to (pdeathsig): " + stopped);
        lab.labOk(30, "wait-route", VIP, M2, "10");
        final double withdrawnSeconds = (System.nanoTime() - killedAt) / 1e9;
        assertTrue(transfers.running(), "m1 died in the middle of the transfers");
        // The transfers go on through m2 alone before they are released.
        final long m2AtWithdrawal = lab.muxPackets("m2", VIP + ":80/tcp");
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(250)).untilAsserted(() ->
            assertTrue(lab.muxPackets("m2", VIP + ":80/tcp") > m2AtWithdrawal, "the transfers go on through m2"));

        final List<String> results = transfers.await(300);
        for (final String r : results)
        {
            assertTrue(r.startsWith("200 20000000 "), "a transfer broke when m1 died: " + results);
        }
        assertEquals(TRANSFERS, results.size(), "every transfer finished: " + results);
        System.out.printf("network: m1 killed; the router withdrew it within %.1f s; %d transfers finished through m2%n",
            withdrawnSeconds, results.size());

        lab.labOk(30, "mux-start", "m1");
        lab.labOk(90, "wait-route", VIP, M1 + " " + M2, "80");
    }

    @Test
    @Order(3)
    void aMuxStoppedCleanlyDuringLongTransfersIsWithdrawnBeforeItStopsForwarding() throws Exception
    {
        final long m2Before = lab.muxPackets("m2", VIP + ":80/tcp");
        final NetworkLab.Transfers transfers = lab.downloads(dir, "c1", VIP, TRANSFERS, 20_000_000, 200_000);
        awaitCarries(transfers, "m2", m2Before);

        final Path stopOutput = dir.resolve("m2-stop.txt");
        final Process stop = lab.labAsync(stopOutput, "mux-stop", "m2");
        final long stoppedAt = System.nanoTime();
        lab.labOk(30, "wait-route", VIP, M1, "10");
        final double withdrawnSeconds = (System.nanoTime() - stoppedAt) / 1e9;
        // The MUX goes on forwarding for a second after its speaker stopped: the router withdrew it first.
        final String atWithdrawal = Files.readString(lab.run.resolve("m2.log"));
        assertFalse(atWithdrawal.contains("panamux: forwarding stopped"), "the router withdrew m2 while m2 still forwarded:\n"
            + atWithdrawal);
        assertTrue(stop.waitFor(60, TimeUnit.SECONDS), "m2 stopped");
        final String stopOut = Files.readString(stopOutput);
        assertTrue(stopOut.matches("(?s).*m2: its BGP speaker \\(BIRD pid \\d+\\) ended with the MUX.*"), stopOut);

        final String log = Files.readString(lab.run.resolve("m2.log"));
        final int toldRouter = log.indexOf("panamux: router: withdraw " + VIP + ":80/tcp");
        final int speakerStopped = log.indexOf("panamux: bgp: speaker stopped: every route of this MUX withdrawn");
        final int grace = log.indexOf("panamux: withdrawn from the router; forwarding for 1000 ms more");
        final int forwardingStopped = log.indexOf("panamux: forwarding stopped");
        assertTrue(toldRouter >= 0 && toldRouter < speakerStopped && speakerStopped < grace && grace < forwardingStopped,
            "withdrawn, speaker stopped, then forwarding stopped, in that order:\n" + log);
        assertTrue(log.contains("panamux: stopped: rx "), "a clean stop, counters written:\n" + log);

        assertTrue(transfers.running(), "m2 stopped in the middle of the transfers");
        final List<String> results = transfers.await(300);
        assertEquals(TRANSFERS, results.size(), "every transfer finished: " + results);
        for (final String r : results)
        {
            assertTrue(r.startsWith("200 20000000 "), "a transfer broke when m2 stopped: " + results);
        }
        System.out.printf("network: m2 stopped cleanly; the router withdrew it within %.1f s, before it stopped forwarding; "
            + "%d transfers finished through m1%n", withdrawnSeconds, results.size());

        lab.labOk(30, "mux-start", "m2");
        lab.labOk(90, "wait-route", VIP, M1 + " " + M2, "80");
    }

    @Test
    @Order(4)
    void aMuxWhoseWorkerStopsCyclingIsWithdrawnAndAnnouncedAgainWhenItCyclesAgain() throws Exception
    {
        // m1's worker thread stopped (ptrace), the rest of m1 running: its control thread sees the worker's
        // duty-cycle count stand still and withdraws every VIP.
        final Path output = dir.resolve("freeze.txt");
        final Process freeze = new ProcessBuilder("/usr/bin/python3", NetworkLab.PYTHON_DIR.resolve("net_freeze_thread.py").toString(),
            "--match", "io.panamux.slowpath.Main run --config " + lab.run.resolve("m1.yaml"), "--thread", "panamux-worker",
            "--seconds", "6").redirectErrorStream(true).redirectOutput(output.toFile()).start();
        final long frozenAt = System.nanoTime();
        lab.labOk(30, "wait-route", VIP, M2, "10");
        final double withdrawnSeconds = (System.nanoTime() - frozenAt) / 1e9;
        assertTrue(freeze.isAlive(), "withdrawn while m1's worker was stopped: " + Files.readString(output));

        final Map<String, Integer> during = NetworkLab.count(curlMany("c1", "http://" + VIP + "/id", 100, 8));
        assertEquals(100, during.getOrDefault("200 b1", 0) + during.getOrDefault("200 b2", 0), "every connection through m2: " + during);

        assertTrue(freeze.waitFor(60, TimeUnit.SECONDS), "the worker was released");
        assertEquals(0, freeze.exitValue(), Files.readString(output));
        lab.labOk(30, "wait-route", VIP, M1 + " " + M2, "15");
        final String log = Files.readString(lab.run.resolve("m1.log"));
        final int stalled = log.indexOf("panamux: data path: worker 0 has not completed a duty cycle for ");
        final int withdrawn = log.indexOf("panamux: router: withdraw " + VIP + ":80/tcp", stalled);
        final int again = log.indexOf("panamux: data path: every worker has been cycling again for ", withdrawn);
        final int announced = log.indexOf("panamux: router: announce " + VIP + ":80/tcp", again);
        assertTrue(stalled >= 0 && withdrawn > stalled && again > withdrawn && announced > again,
            "stalled, withdrawn, cycling again, announced again, in that order:\n" + log);
        System.out.printf("network: m1's worker stopped; the router withdrew m1 within %.1f s and took it back once it cycled again%n",
            withdrawnSeconds);
    }

    @Test
    @Order(5)
    void aBackendAddedAndAnotherDrainedDuringLongTransfersBreakNoneOfThem() throws Exception
    {
        final NetworkLab.Transfers transfers = lab.downloads(dir, "c1", VIP, 8, 20_000_000, 200_000);
        transfers.awaitEstablished();
        lab.changePool("backend", "add", VIP + ":80/tcp", B3);
        lab.changePool("backend", "drain", VIP + ":80/tcp", B1);
        // The transfers go on through the MUXes after the change before they are released.
        awaitMuxesCarry(VIP + ":80/tcp", lab.muxPackets(MUXES, VIP + ":80/tcp"), 20, "the transfers go on after the backend change");
        assertTrue(transfers.running(), "the backends changed while the transfers ran");
        final List<String> results = transfers.await(300);
        assertEquals(8, results.size(), "every transfer finished: " + results);
        for (final String r : results)
        {
            assertTrue(r.startsWith("200 20000000 "), "a transfer broke during the backend change: " + results);
        }

        final Map<String, Integer> after = NetworkLab.count(curlMany("c1", "http://" + VIP + "/id", 60, 8));
        assertEquals(0, after.getOrDefault("200 b1", 0), "no new connection to the drained backend: " + after);
        assertTrue(after.getOrDefault("200 b3", 0) > 0 && after.getOrDefault("200 b2", 0) > 0, "new connections use b2 and b3: " + after);
        assertEquals(60, after.getOrDefault("200 b2", 0) + after.getOrDefault("200 b3", 0), after.toString());
    }

    @Test
    @Order(6)
    void aSingleBackendVipBypassesTheMuxesAndReturnsToThemWhenScaledToTwo() throws Exception
    {
        final String key = BYPASS_VIP + ":80/tcp";
        lab.labOk(30, "wait-route", BYPASS_VIP, B3, "10");
        final long m1Before = lab.muxPackets("m1", key);
        final long m2Before = lab.muxPackets("m2", key);
        final Map<String, Integer> bypassed = NetworkLab.count(curlMany("c1", "http://" + BYPASS_VIP + "/id", 200, 8));
        assertEquals(Map.of("200 b3", 200), bypassed, "the router sends the VIP straight to its backend");
        assertEquals(m1Before, lab.muxPackets("m1", key), "m1 saw none of the bypassed VIP's packets");
        assertEquals(m2Before, lab.muxPackets("m2", key), "m2 saw none of the bypassed VIP's packets");

        // Connections opened during the bypass, still running when a second backend comes.
        final NetworkLab.Transfers transfers = lab.downloads(dir, "c1", BYPASS_VIP, 6, 20_000_000, 200_000);
        transfers.awaitEstablished();
        lab.changePool("backend", "add", key, B2);
        lab.labOk(30, "wait-route", BYPASS_VIP, M1 + " " + M2, "15");
        final long muxAtReturn = lab.muxPackets(MUXES, key);
        awaitMuxesCarry(key, muxAtReturn, 15, "the MUXes carry the VIP again");
        assertTrue(transfers.running(), "the router sent the VIP back to the MUXes while the transfers ran");
        final List<String> results = transfers.await(300);
        assertEquals(6, results.size(), results.toString());
        for (final String r : results)
        {
            assertEquals("200 20000000 b3", r, "a connection opened during the bypass stays on its backend through the change: " + results);
        }
        final Map<String, Integer> after = NetworkLab.count(curlMany("c1", "http://" + BYPASS_VIP + "/id", 60, 8));
        assertTrue(after.getOrDefault("200 b2", 0) > 0 && after.getOrDefault("200 b3", 0) > 0, "new connections use both: " + after);
    }

    @Test
    @Order(7)
    void aFastpathFlowLeavesTheMuxesAfterItsFirstPacketsAndForgedOrStaleRedirectsAreRefused() throws Exception
    {
        final String key = FASTPATH_VIP + ":80/tcp";
        final long muxBefore = lab.muxPackets(MUXES, key);
        final JsonNode c2Before = lab.agent("c2");
        final Path body = dir.resolve("upload.bin");
        Files.write(body, new byte[3_000_000]);
        final NetworkLab.Result upload = lab.in("c2", 120, "curl", "-s", "-m", "100", "--data-binary", "@" + body,
            "-H", "Content-Type: application/octet-stream", "-w", " %{http_code}", "http://" + FASTPATH_VIP + "/upload?rate=1000000");
        assertTrue(upload.output().matches("b[12] 3000000\\n 200"), "the upload completed: " + upload.output());

        final long muxPackets = lab.muxPackets(MUXES, key) - muxBefore;
        final JsonNode c2 = lab.agent("c2");
        final long fastpath = c2.get("fastpath_packets").asLong() - c2Before.get("fastpath_packets").asLong();
        System.out.printf("network: Fastpath upload of 3 MB: %d packets through the MUXes, %d straight to the backend%n", muxPackets,
            fastpath);
        assertTrue(muxPackets >= 1 && muxPackets <= 12, "the MUXes carried only the first packets: " + muxPackets);
        assertTrue(fastpath > 1500, "the rest went straight to the backend: " + fastpath);
        assertTrue(c2.get("redirects_accepted").asLong() > c2Before.get("redirects_accepted").asLong(), c2.toString());

        // Hand-made messages from b3 (which names itself): each must be refused for its own reason.
        final NetworkLab.Result sent = lab.in("b3", 30, "/usr/bin/python3", NetworkLab.PYTHON_DIR.resolve("net_redirect.py").toString(),
            "--key-file", lab.run.resolve("fastpath.key").toString(), "--to", "198.18.2.2", "--sender", B3, "--other-backend", B2,
            "--vip", FASTPATH_VIP, "forged", "stale", "not_from_backend", "replayed");
        assertEquals(0, sent.code(), sent.output());
        final List<String> reasons = List.of("refused_forged", "refused_stale", "refused_not_from_backend", "refused_replayed");
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() ->
        {
            final JsonNode now = lab.agent("c2");
            return reasons.stream().allMatch(r -> now.get(r).asLong() > c2.get(r).asLong());
        });
        // Counted once each, and still once a counters file later.
        final JsonNode refused = lab.agent("c2");
        for (final String reason : reasons)
        {
            assertEquals(1, refused.get(reason).asLong() - c2.get(reason).asLong(), reason + ": " + refused);
        }
    }

    @Test
    @Order(8)
    void sourceSideSelectionSendsTheVipsConnectionsStraightToTheBackends() throws Exception
    {
        final String key = SELECTED_VIP + ":80/tcp";
        final long muxBefore = lab.muxPackets(MUXES, key);
        final JsonNode before = lab.agent("c2");
        final List<String> results = curlMany("c2", "http://" + SELECTED_VIP + "/id", 300, 8);
        final Map<String, Integer> answers = NetworkLab.count(results);
        assertEquals(300, answers.getOrDefault("200 b1", 0) + answers.getOrDefault("200 b2", 0), answers.toString());
        assertTrue(answers.getOrDefault("200 b1", 0) > 0 && answers.getOrDefault("200 b2", 0) > 0, answers.toString());
        // One new flow per distinct 5-tuple: a source port the kernel used twice is the same flow, still recorded.
        final long flows = results.stream().map(NetworkTest::localPort).distinct().count();
        assertTrue(flows > 290, "curl reports its source ports: " + flows);
        // The agent writes its counters every second: wait for a file that has counted them all.
        final JsonNode after = await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() -> lab.agent("c2"),
            a -> a.get("selected_flows").asLong() - before.get("selected_flows").asLong() >= flows);
        assertEquals(flows, after.get("selected_flows").asLong() - before.get("selected_flows").asLong(), after.toString());
        assertEquals(muxBefore, lab.muxPackets(MUXES, key), "no packet of theirs reached a MUX");
    }

    @Test
    @Order(9)
    void aRedirectedFlowWhoseBackendGoesAwayFallsBackToTheVipAndFinishesWhenItReturns() throws Exception
    {
        final String key = FASTPATH_VIP + ":80/tcp";
        final Path release = dir.resolve("release-upload");
        final Path output = dir.resolve("upload2.txt");
        final long b1Before = lab.agent("b1").get("decapsulated_direct").asLong();
        final long b2Before = lab.agent("b2").get("decapsulated_direct").asLong();
        // Paced by the client until released, so that it keeps sending through the whole outage.
        final Process upload = lab.startIn("c2", output, "/usr/bin/python3", NetworkLab.PYTHON_DIR.resolve("net_upload.py").toString(),
            "--url", "http://" + FASTPATH_VIP + "/upload", "--bytes", "20000000", "--rate", "150000", "--release", release.toString());
        final String backend = await("the upload is redirected to its backend").atMost(Duration.ofSeconds(30))
            .pollInterval(Duration.ofMillis(500)).until(() ->
            {
                final long b1 = lab.agent("b1").get("decapsulated_direct").asLong() - b1Before;
                final long b2 = lab.agent("b2").get("decapsulated_direct").asLong() - b2Before;
                return Math.max(b1, b2) > 50 ? (b1 > b2 ? "b1" : "b2") : null;
            }, b -> b != null);

        final JsonNode before = lab.agent("c2");
        final long muxBefore = lab.muxPackets(MUXES, key);
        // The backend's link goes down: the router answers tunnel packets to it with "unreachable".
        assertEquals(0, lab.in("rt", 10, "ip", "link", "set", "rt-" + backend, "down").code());
        final JsonNode during = await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(500)).until(() -> lab.agent("c2"),
            d -> d.get("fallbacks").asLong() > before.get("fallbacks").asLong());
        // Its packets go to the VIP, through the MUXes, while the backend is away.
        awaitMuxesCarry(key, muxBefore, 15, "its packets went to the VIP, through the MUXes, again");
        final long muxDuring = lab.muxPackets(MUXES, key);
        assertEquals(0, lab.in("rt", 10, "ip", "link", "set", "rt-" + backend, "up").code());
        assertTrue(upload.isAlive(), "the upload was still running through the outage");

        assertTrue(during.get("backends_unreachable").asLong() > before.get("backends_unreachable").asLong(),
            "the ICMP error told c2's agent the backend went away: " + during);
        assertTrue(during.get("fallbacks").asLong() > before.get("fallbacks").asLong(), "the flow fell back to the VIP: " + during);
        assertTrue(muxDuring > muxBefore, "its packets went to the VIP, through the MUXes, again");

        Files.writeString(release, "go");
        assertTrue(upload.waitFor(300, TimeUnit.SECONDS), "the upload ended");
        assertEquals(backend + " 20000000 200", Files.readString(output).strip(),
            "the upload finished on its backend once the backend was back");
        final JsonNode after = lab.agent("c2");
        assertTrue(after.get("redirects_accepted").asLong() > during.get("redirects_accepted").asLong(),
            "back through the MUX, the flow was redirected again: " + after);
    }

    @Test
    @Order(10)
    void theLabsAgentStopEndsTheHostAgentItself() throws Exception
    {
        // The pid file holds the shell that started the agent through "ns ... &"; stopping that one left the
        // agent's JVM running.
        final String agent = "io.panamux.hostagent.HostAgentMain --config " + lab.run.resolve("b2-agent.yaml");
        assertFalse(lab.pidsIn("b2", agent).isEmpty(), "b2's host agent runs");
        lab.labOk(60, "agent-stop", "b2");
        assertEquals(List.of(), lab.pidsIn("b2", agent), "agent-stop ended b2's host agent");
        lab.labOk(120, "agent-start", "b2");
        assertEquals(1, lab.pidsIn("b2", agent).size(), "agent-start started it again, once");
    }

    // ---------------------------------------------------------------------------------------------------

    /**
     * Waits until every one of {@code transfers} is established and MUX {@code node} has forwarded packets of
     * the VIP beyond {@code before} (at most 20 s: on a loaded machine the transfers' processes take a while).
     */
    private void awaitCarries(final NetworkLab.Transfers transfers, final String node, final long before)
    {
        transfers.awaitEstablished();
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(250)).untilAsserted(() ->
            assertTrue(lab.muxPackets(node, VIP + ":80/tcp") > before, node + " carries some of the transfers"));
    }

    /** Waits (at most {@code seconds}) until the MUXes together have forwarded packets of {@code key} beyond {@code before}. */
    private void awaitMuxesCarry(final String key, final long before, final int seconds, final String what)
    {
        await().atMost(Duration.ofSeconds(seconds)).pollInterval(Duration.ofMillis(250)).untilAsserted(() ->
            assertTrue(lab.muxPackets(MUXES, key) > before, what));
    }

    private List<String> curlMany(final String client, final String url, final int connections, final int parallel)
        throws IOException, InterruptedException
    {
        return lab.curlMany(dir, client, url, connections, parallel);
    }

    /** @return the connection's source port, the last field of a {@link NetworkLab#curlMany} line. */
    private static String localPort(final String line)
    {
        return line.substring(line.lastIndexOf(' ') + 1);
    }
}
