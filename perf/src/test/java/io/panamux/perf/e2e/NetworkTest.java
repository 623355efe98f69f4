package io.panamux.perf.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

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

    private NetworkLab lab;
    private Path dir;

    @BeforeAll
    void buildTheNetwork() throws Exception
    {
        final String why = NetworkLab.unavailable();
        Assumptions.assumeTrue(why == null, "network end-to-end tests skipped: " + why);
        dir = Files.createTempDirectory("netlab-test");
        // A prefix and run directory of this run's own: another build's lab on the same machine is left alone.
        final String prefix = "pmxt" + Long.toString(ProcessHandle.current().pid() % 100_000, 36);
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
        lab.labOk(180, "up");
        lab.labOk(30, "mux-start", "m1");
        lab.labOk(30, "mux-start", "m2");
        lab.labOk(90, "wait-route", VIP, M1 + " " + M2, "80");
        lab.labOk(30, "wait-route", BYPASS_VIP, B3, "30");
    }

    @AfterAll
    void tearDown() throws Exception
    {
        if (lab != null)
        {
            lab.down();
            // The logs were shown with any failure; the next run makes its own directory.
            try (var files = Files.walk(lab.run))
            {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
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
            capture("m1", "eth0", "src host " + VIP, "m1-replies.pcap"),
            capture("m2", "eth0", "src host " + VIP, "m2-replies.pcap"),
            capture("rt", "rt-c1", "src host " + VIP + " and tcp", "c1-replies.pcap")};
        Thread.sleep(1000);

        final int connections = 2000;
        final List<String> results = curlMany("c1", "http://" + VIP + "/id", connections, 16);
        stop(captures);

        final Map<String, Integer> byAnswer = count(results);
        assertEquals(connections, results.size(), "one result per connection: " + byAnswer);
        assertEquals(connections, byAnswer.getOrDefault("200 b1", 0) + byAnswer.getOrDefault("200 b2", 0),
            "every connection answered by a backend of the VIP: " + byAnswer);
        assertTrue(byAnswer.getOrDefault("200 b1", 0) > connections / 5 && byAnswer.getOrDefault("200 b2", 0) > connections / 5,
            "Maglev spreads the connections over both backends: " + byAnswer);

        final long m1 = lab.muxPackets("m1", VIP + ":80/tcp") - m1Before;
        final long m2 = lab.muxPackets("m2", VIP + ":80/tcp") - m2Before;
        assertTrue(m1 > connections && m2 > connections,
            "the router's ECMP spreads the connections over both MUXes: m1 " + m1 + ", m2 " + m2 + " packets");

        assertEquals(0, packets("m1-replies.pcap"), "no reply crossed MUX m1");
        assertEquals(0, packets("m2-replies.pcap"), "no reply crossed MUX m2");
        final long replies = packets("c1-replies.pcap");
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
        final Transfers transfers = downloads("c1", VIP, TRANSFERS, 20_000_000, 200_000);
        assertTrue(carries("m1", m1Before), "m1 carries some of the transfers before it dies");

        final String stopped = lab.labOk(60, "mux-stop", "m1", "--kill");
        final long killedAt = System.nanoTime();
        assertTrue(stopped.matches("(?s).*m1: its BGP speaker \\(BIRD pid \\d+\\) ended with the MUX.*"),
            "BIRD died with the MUX it belonged to (pdeathsig): " + stopped);
        lab.labOk(30, "wait-route", VIP, M2, "10");
        final double withdrawnSeconds = (System.nanoTime() - killedAt) / 1e9;
        assertTrue(transfers.running(), "m1 died in the middle of the transfers");
        Thread.sleep(2000);

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
        final Transfers transfers = downloads("c1", VIP, TRANSFERS, 20_000_000, 200_000);
        assertTrue(carries("m2", m2Before), "m2 carries some of the transfers before it stops");

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

        final Map<String, Integer> during = count(curlMany("c1", "http://" + VIP + "/id", 100, 8));
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
        final Transfers transfers = downloads("c1", VIP, 8, 20_000_000, 200_000);
        Thread.sleep(2000);
        ctlOnEveryMux("backend", "add", VIP + ":80/tcp", B3);
        ctlOnEveryMux("backend", "drain", VIP + ":80/tcp", B1);
        Thread.sleep(2000);
        assertTrue(transfers.running(), "the backends changed while the transfers ran");
        final List<String> results = transfers.await(300);
        assertEquals(8, results.size(), "every transfer finished: " + results);
        for (final String r : results)
        {
            assertTrue(r.startsWith("200 20000000 "), "a transfer broke during the backend change: " + results);
        }

        final Map<String, Integer> after = count(curlMany("c1", "http://" + VIP + "/id", 60, 8));
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
        final Map<String, Integer> bypassed = count(curlMany("c1", "http://" + BYPASS_VIP + "/id", 200, 8));
        assertEquals(Map.of("200 b3", 200), bypassed, "the router sends the VIP straight to its backend");
        assertEquals(m1Before, lab.muxPackets("m1", key), "m1 saw none of the bypassed VIP's packets");
        assertEquals(m2Before, lab.muxPackets("m2", key), "m2 saw none of the bypassed VIP's packets");

        // Connections opened during the bypass, still running when a second backend comes.
        final Transfers transfers = downloads("c1", BYPASS_VIP, 6, 20_000_000, 200_000);
        Thread.sleep(2000);
        ctlOnEveryMux("backend", "add", key, B2);
        lab.labOk(30, "wait-route", BYPASS_VIP, M1 + " " + M2, "15");
        final long muxAtReturn = lab.muxPackets("m1", key) + lab.muxPackets("m2", key);
        Thread.sleep(1500);
        assertTrue(transfers.running(), "the router sent the VIP back to the MUXes while the transfers ran");
        assertTrue(lab.muxPackets("m1", key) + lab.muxPackets("m2", key) > muxAtReturn, "the MUXes carry the VIP again");
        final List<String> results = transfers.await(300);
        assertEquals(6, results.size(), results.toString());
        for (final String r : results)
        {
            assertEquals("200 20000000 b3", r, "a connection opened during the bypass stays on its backend through the change: " + results);
        }
        final Map<String, Integer> after = count(curlMany("c1", "http://" + BYPASS_VIP + "/id", 60, 8));
        assertTrue(after.getOrDefault("200 b2", 0) > 0 && after.getOrDefault("200 b3", 0) > 0, "new connections use both: " + after);
    }

    @Test
    @Order(7)
    void aFastpathFlowLeavesTheMuxesAfterItsFirstPacketsAndForgedOrStaleRedirectsAreRefused() throws Exception
    {
        final String key = FASTPATH_VIP + ":80/tcp";
        final long muxBefore = lab.muxPackets("m1", key) + lab.muxPackets("m2", key);
        final JsonNode c2Before = lab.agent("c2");
        final Path body = dir.resolve("upload.bin");
        Files.write(body, new byte[3_000_000]);
        final NetworkLab.Result upload = lab.in("c2", 120, "curl", "-s", "-m", "100", "--data-binary", "@" + body,
            "-H", "Content-Type: application/octet-stream", "-w", " %{http_code}", "http://" + FASTPATH_VIP + "/upload?rate=1000000");
        assertTrue(upload.output().matches("b[12] 3000000\\n 200"), "the upload completed: " + upload.output());

        final long muxPackets = lab.muxPackets("m1", key) + lab.muxPackets("m2", key) - muxBefore;
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
        Thread.sleep(1500);
        final JsonNode refused = lab.agent("c2");
        for (final String reason : List.of("refused_forged", "refused_stale", "refused_not_from_backend", "refused_replayed"))
        {
            assertEquals(1, refused.get(reason).asLong() - c2.get(reason).asLong(), reason + ": " + refused);
        }
    }

    @Test
    @Order(8)
    void sourceSideSelectionSendsTheVipsConnectionsStraightToTheBackends() throws Exception
    {
        final String key = SELECTED_VIP + ":80/tcp";
        final long muxBefore = lab.muxPackets("m1", key) + lab.muxPackets("m2", key);
        final JsonNode before = lab.agent("c2");
        final List<String> results = curlMany("c2", "http://" + SELECTED_VIP + "/id", 300, 8);
        final Map<String, Integer> answers = count(results);
        assertEquals(300, answers.getOrDefault("200 b1", 0) + answers.getOrDefault("200 b2", 0), answers.toString());
        assertTrue(answers.getOrDefault("200 b1", 0) > 0 && answers.getOrDefault("200 b2", 0) > 0, answers.toString());
        // One new flow per distinct 5-tuple: a source port the kernel used twice is the same flow, still recorded.
        final long flows = results.stream().map(NetworkTest::localPort).distinct().count();
        assertTrue(flows > 290, "curl reports its source ports: " + flows);
        // The agent writes its counters every second: wait for a file that has counted them all.
        JsonNode after = lab.agent("c2");
        for (int i = 0; i < 5 && after.get("selected_flows").asLong() - before.get("selected_flows").asLong() < flows; i++)
        {
            after = lab.agent("c2");
        }
        assertEquals(flows, after.get("selected_flows").asLong() - before.get("selected_flows").asLong(), after.toString());
        assertEquals(muxBefore, lab.muxPackets("m1", key) + lab.muxPackets("m2", key), "no packet of theirs reached a MUX");
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
        String backend = null;
        for (int i = 0; i < 60 && backend == null; i++)
        {
            Thread.sleep(500);
            final long b1 = lab.agent("b1").get("decapsulated_direct").asLong() - b1Before;
            final long b2 = lab.agent("b2").get("decapsulated_direct").asLong() - b2Before;
            backend = Math.max(b1, b2) > 50 ? (b1 > b2 ? "b1" : "b2") : null;
        }
        assertTrue(backend != null, "the upload is redirected to its backend");

        final JsonNode before = lab.agent("c2");
        final long muxBefore = lab.muxPackets("m1", key) + lab.muxPackets("m2", key);
        // The backend's link goes down: the router answers tunnel packets to it with "unreachable".
        assertEquals(0, lab.in("rt", 10, "ip", "link", "set", "rt-" + backend, "down").code());
        JsonNode during = before;
        for (int i = 0; i < 30 && during.get("fallbacks").asLong() == before.get("fallbacks").asLong(); i++)
        {
            Thread.sleep(500);
            during = lab.agent("c2");
        }
        Thread.sleep(1000);
        final long muxDuring = lab.muxPackets("m1", key) + lab.muxPackets("m2", key);
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
     * Long downloads running in the background: paced until {@link #release()}, so they are still running
     * whatever the test did meanwhile and however slow the machine is, then finished at full speed.
     */
    private final class Transfers
    {
        private final Process process;
        private final Path output;
        private final Path release;

        Transfers(final Process process, final Path output, final Path release)
        {
            this.process = process;
            this.output = output;
            this.release = release;
        }

        void release() throws IOException
        {
            Files.writeString(release, "go");
        }

        boolean running()
        {
            return process.isAlive();
        }

        List<String> await(final int seconds) throws IOException, InterruptedException
        {
            release();
            if (!process.waitFor(seconds, TimeUnit.SECONDS))
            {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                throw new AssertionError("transfers still running after " + seconds + " s: " + Files.readString(output));
            }
            return Files.readAllLines(output).stream().map(String::strip).filter(l -> !l.isEmpty()).toList();
        }
    }

    /** {@code ./panamux ctl ARGS} on both MUXes at once (a change the pool makes together). */
    private void ctlOnEveryMux(final String... args) throws Exception
    {
        final var other = java.util.concurrent.CompletableFuture.supplyAsync(() ->
        {
            try
            {
                return lab.ctl("m2", args);
            }
            catch (final IOException | InterruptedException e)
            {
                throw new java.util.concurrent.CompletionException(e);
            }
        });
        lab.ctl("m1", args);
        other.get(60, TimeUnit.SECONDS);
    }

    private Transfers downloads(final String client, final String vip, final int count, final int bytes, final int rate) throws IOException
    {
        final Path output = Files.createTempFile(dir, "transfers", ".txt");
        final Path release = dir.resolve("release-" + output.getFileName());
        final String url = "http://" + vip + "/stream?bytes=" + bytes + "&rate=" + rate + "&release=" + release;
        final Process p = lab.startIn(client, output, "bash", "-c",
            "for i in $(seq 1 " + count + "); do curl -s -m 400 -o /dev/null -w '%{http_code} %{size_download} %header{x-backend}\\n' '"
                + url + "' & done; wait");
        return new Transfers(p, output, release);
    }

    /**
     * Waits (at most 20 s: on a loaded machine the transfers' processes take a while to start) until MUX
     * {@code node} has forwarded packets of the VIP beyond {@code before}, and at least 2.5 s, so that every
     * transfer has started.
     *
     * @return whether it has.
     */
    private boolean carries(final String node, final long before) throws IOException, InterruptedException
    {
        Thread.sleep(2500);
        for (int i = 0; i < 70 && lab.muxPackets(node, VIP + ":80/tcp") <= before; i++)
        {
            Thread.sleep(250);
        }
        return lab.muxPackets(node, VIP + ":80/tcp") > before;
    }

    /**
     * {@code connections} requests, each its own TCP connection, {@code parallel} at a time, by one curl.
     * @return a line per connection: status code, the backend that answered ({@code x-backend}), source port.
     */
    private List<String> curlMany(final String client, final String url, final int connections, final int parallel)
        throws IOException, InterruptedException
    {
        final Path config = Files.createTempFile(dir, "curl", ".cfg");
        final StringBuilder sb = new StringBuilder();
        for (int i = 0; i < connections; i++)
        {
            sb.append("url = \"").append(url).append("\"\noutput = \"/dev/null\"\n");
        }
        Files.writeString(config, sb);
        final NetworkLab.Result r = lab.in(client, 600, "curl", "-s", "--no-progress-meter", "--parallel", "--parallel-max", Integer.toString(parallel),
            "--connect-timeout", "5", "-m", "20", "-H", "Connection: close", "-w", "%{http_code} %header{x-backend} %{local_port}\\n", "-K", config.toString());
        return r.output().lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
    }

    /** @return how many connections got each answer ("code backend"). */
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

    /** @return the connection's source port, the last field of a {@link #curlMany} line. */
    private static String localPort(final String line)
    {
        return line.substring(line.lastIndexOf(' ') + 1);
    }

    private Process capture(final String node, final String device, final String filter, final String file) throws IOException
    {
        final List<String> command = new ArrayList<>(List.of("tcpdump", "-i", device, "-n", "-U", "-w", dir.resolve(file).toString()));
        command.addAll(List.of(filter.split(" ")));
        return lab.startIn(node, dir.resolve(file + ".log"), command.toArray(new String[0]));
    }

    private static void stop(final Process... captures) throws InterruptedException
    {
        Thread.sleep(500);
        for (final Process p : captures)
        {
            // tcpdump runs under ip netns exec, which execs it: the process is tcpdump itself.
            p.destroy();
        }
        for (final Process p : captures)
        {
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private long packets(final String file) throws IOException, InterruptedException
    {
        final NetworkLab.Result r = NetworkLab.exec(List.of("tcpdump", "-n", "-r", dir.resolve(file).toString()), Map.of(), 60);
        return r.output().lines().filter(l -> l.contains(" IP ")).count();
    }
}
