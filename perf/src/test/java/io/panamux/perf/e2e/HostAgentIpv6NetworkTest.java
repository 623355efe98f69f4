package io.panamux.perf.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The host agent over IPv6 in the namespaced lab ({@code netlab.sh up --ipv6 --backends 2}): the MUXes tunnel
 * IPv6 VIPs' flows to b1 and b2 in IPv6 in IPv6, from their {@code mux.address6} to the agents' {@code agent.address6};
 * c2's agent (dual-stack behind its tap) takes Fastpath redirects for IPv6 flows (the version 2 message, over
 * IPv6) and selects an IPv6 VIP's backend itself. The router reaches c2's and the backends' IPv6 addresses
 * through the agents' neighbour answers. Then the agent's file is reloaded by SIGHUP: an invalid file is
 * refused with FILE:LINE and the running configuration stays; a valid one applies whole. With the pool in etcd
 * (the lab's default) the agent's file names the document's VIPs it selects for ({@code select:}); with
 * {@code up --files} it has those VIPs itself.
 *
 * <p>Tagged {@code network}; skipped, with the reason, where network namespaces cannot be made.
 */
@Tag("network")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HostAgentIpv6NetworkTest
{
    private static final String FASTPATH_VIP6 = "2001:db8:f::12";
    private static final String SELECTED_VIP6 = "2001:db8:f::13";
    private static final String FASTPATH_KEY = "[" + FASTPATH_VIP6 + "]:80/tcp";
    private static final String SELECTED_KEY = "[" + SELECTED_VIP6 + "]:80/tcp";
    private static final String M1_6 = "2001:db8:11::2";
    private static final String M2_6 = "2001:db8:12::2";

    private NetworkLab lab;
    private Path dir;

    @BeforeAll
    void buildTheNetwork() throws Exception
    {
        lab = NetworkLab.open("pmxa", "--ipv6", "--backends", "2");
        dir = lab.tempDir("netlab-agent6");
        lab.startMuxes("m1", "m2");
        lab.labOk(120, "wait-route", FASTPATH_VIP6, M1_6 + " " + M2_6, "120");
        lab.labOk(30, "wait-route", SELECTED_VIP6, M1_6 + " " + M2_6, "30");
        // The routes alone do not say the path is ready: the router may not have found c2 and the backends
        // through their agents' neighbour answers yet, and the tests' first connections then fail at once
        // (seen when counters stopped costing a ctl JVM each, which had given the lab ~10 s). Both VIPs must
        // answer c2 before the tests count anything; each test takes its own counters afterwards.
        for (final String vip : List.of(FASTPATH_VIP6, SELECTED_VIP6))
        {
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                .until(() -> lab.in("c2", 10, "curl", "-6", "-s", "-m", "3", "-o", "/dev/null", "-w", "%{http_code}",
                    "http://[" + vip + "]/id").output().strip().equals("200"));
        }
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
    void anIpv6FlowThroughAHostAgentIsRedirectedAndLeavesTheMuxesAfterItsFirstPackets() throws Exception
    {
        final long muxBefore = muxPackets(FASTPATH_KEY);
        final JsonNode c2Before = lab.agent("c2");
        final Path body = dir.resolve("upload.bin");
        Files.write(body, new byte[3_000_000]);
        final NetworkLab.Result upload = lab.in("c2", 120, "curl", "-6", "-s", "-m", "100", "--data-binary", "@" + body,
            "-H", "Content-Type: application/octet-stream", "-w", " %{http_code}", "http://[" + FASTPATH_VIP6 + "]/upload?rate=1000000");
        assertTrue(upload.output().matches("b[12] 3000000\\n 200"), "the upload completed: " + upload.output() + "\n" + lab.logs());

        final long muxPackets = muxPackets(FASTPATH_KEY) - muxBefore;
        final JsonNode c2 = lab.agent("c2");
        final long fastpath = c2.get("fastpath_packets").asLong() - c2Before.get("fastpath_packets").asLong();
        System.out.printf("network: IPv6 Fastpath upload of 3 MB: %d packets through the MUXes, %d straight to the backend%n",
            muxPackets, fastpath);
        assertTrue(muxPackets >= 1 && muxPackets <= 12, "the MUXes carried only the first packets: " + muxPackets);
        assertTrue(fastpath > 1500, "the rest went straight to the backend: " + fastpath + " " + c2);
        assertTrue(c2.get("redirects_accepted").asLong() > c2Before.get("redirects_accepted").asLong(), c2.toString());
        final long direct = lab.agent("b1").get("decapsulated_direct").asLong() + lab.agent("b2").get("decapsulated_direct").asLong();
        assertTrue(direct > 1500, "the backend's agent opened c2's own IPv6 tunnels: " + direct);
        // The router found c2's IPv6 address through the agent (its kernel sees no link).
        assertTrue(c2.get("ndp_answered").asLong() > 0, c2.toString());
    }

    @Test
    @Order(2)
    void anIpv6VipIsSelectedAtTheSourceAndItsConnectionsNeverReachAMux() throws Exception
    {
        final long muxBefore = muxPackets(SELECTED_KEY);
        final JsonNode before = lab.agent("c2");
        final List<String> results = curlMany("http://[" + SELECTED_VIP6 + "]/id", 100);
        final Map<String, Integer> answers = count(results);
        assertEquals(100, answers.getOrDefault("200 b1", 0) + answers.getOrDefault("200 b2", 0), answers.toString());
        assertTrue(answers.getOrDefault("200 b1", 0) > 0 && answers.getOrDefault("200 b2", 0) > 0, answers.toString());
        final long flows = results.stream().map(l -> l.substring(l.lastIndexOf(' ') + 1)).distinct().count();
        JsonNode after = lab.agent("c2");
        for (int i = 0; i < 5 && after.get("selected_flows").asLong() - before.get("selected_flows").asLong() < flows; i++)
        {
            after = lab.agent("c2");
        }
        assertEquals(flows, after.get("selected_flows").asLong() - before.get("selected_flows").asLong(), after.toString());
        assertEquals(muxBefore, muxPackets(SELECTED_KEY), "no packet of theirs reached a MUX");
    }

    @Test
    @Order(3)
    void sighupRefusesAnInvalidFileWithItsLineAndAppliesAValidOneWhole() throws Exception
    {
        final Path file = lab.run.resolve("c2-agent.yaml");
        final String original = Files.readString(file);
        final int lines = (int)original.lines().count();
        final JsonNode before = lab.agent("c2");

        // A mistake on the last line: refused, named with its line; c2 still selects f::13 itself.
        Files.writeString(file, original + "bogus-key: 1\n");
        hangup();
        final JsonNode refused = await("reloads_refused", before.get("reloads_refused").asLong() + 1);
        final String log = Files.readString(lab.run.resolve("c2-agent.log"));
        assertTrue(log.contains("c2-agent.yaml:" + (lines + 1) + ": unknown key \"bogus-key\""), log);
        final long muxSelected = muxPackets(SELECTED_KEY);
        assertEquals(10, count(curlMany("http://[" + SELECTED_VIP6 + "]/id", 10)).values().stream().mapToInt(Integer::intValue).sum());
        assertEquals(muxSelected, muxPackets(SELECTED_KEY), "the old configuration stays: still selected at c2");

        // A valid change: c2 no longer selects for f::13, so its connections go through the MUXes. On a pool in
        // etcd the VIP is the document's and the file names it in select:; else the file has the VIP itself.
        final String changed;
        if (lab.poolOnEtcd())
        {
            final String selected = ", \"" + SELECTED_KEY + "\"";
            assertTrue(original.contains("select: [") && original.contains(selected), original);
            changed = original.replace(selected, "");
        }
        else
        {
            final int cut = original.indexOf("  - address: \"" + SELECTED_VIP6 + "\"");
            assertTrue(cut > 0, original);
            changed = original.substring(0, cut);
        }
        Files.writeString(file, changed);
        hangup();
        await("reloads", refused.get("reloads").asLong() + 1);
        final List<String> viaMux = curlMany("http://[" + SELECTED_VIP6 + "]/id", 10);
        assertEquals(10, count(viaMux).getOrDefault("200 b1", 0) + count(viaMux).getOrDefault("200 b2", 0), viaMux.toString());
        assertTrue(muxPackets(SELECTED_KEY) > muxSelected, "after the reload the MUXes carry the VIP's connections");

        Files.writeString(file, original);
        hangup();
        await("reloads", refused.get("reloads").asLong() + 2);
    }

    private String signals = "";

    private void hangup() throws IOException, InterruptedException
    {
        final String pid = Files.readString(lab.run.resolve("c2-agent.pid")).strip();
        // What the process is and how it takes signals: shown if the reload does not happen.
        final Path status = Path.of("/proc", pid, "status");
        signals = pid + " " + (Files.exists(status) ? Files.readAllLines(status).stream()
            .filter(l -> l.startsWith("Name") || l.startsWith("Sig") || l.startsWith("PPid")).toList() : "gone");
        assertEquals(0, NetworkLab.exec(List.of("kill", "-HUP", pid), Map.of(), 10).code());
    }

    private JsonNode await(final String counter, final long atLeast) throws IOException, InterruptedException
    {
        JsonNode now = lab.agent("c2");
        for (int i = 0; i < 20 && now.get(counter).asLong() < atLeast; i++)
        {
            now = lab.agent("c2");
        }
        assertTrue(now.get(counter).asLong() >= atLeast, counter + " " + now + "\n" + signals + "\n"
            + Files.readString(lab.run.resolve("c2-agent.log")));
        return now;
    }

    private long muxPackets(final String key) throws IOException, InterruptedException
    {
        return lab.muxPackets("m1", key) + lab.muxPackets("m2", key);
    }

    private List<String> curlMany(final String url, final int connections) throws IOException, InterruptedException
    {
        final Path config = Files.createTempFile(dir, "curl", ".cfg");
        final StringBuilder sb = new StringBuilder();
        for (int i = 0; i < connections; i++)
        {
            sb.append("url = \"").append(url).append("\"\noutput = \"/dev/null\"\n");
        }
        Files.writeString(config, sb);
        final NetworkLab.Result r = lab.in("c2", 300, "curl", "-6", "-g", "-s", "--no-progress-meter", "--parallel", "--parallel-max", "8",
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
