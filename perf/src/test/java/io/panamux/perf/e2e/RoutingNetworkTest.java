package io.panamux.perf.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

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
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the MUXes tell the router, on the dual-stack lab ({@code netlab.sh up --ipv6}): IPv6 VIPs announced
 * over the MUXes' (IPv4) BGP sessions and reached by a plain client with nothing but those announcements, the
 * single-backend bypass of an IPv6 VIP, and their withdrawal. The VIPs here stand on two plain Linux backends
 * (k1, k2: the kernel owns their link, {@code net_decap.py} decapsulates), so no host agent is involved.
 *
 * <p>The tests run in order on one network; later ones see what earlier ones changed. Tagged {@code network};
 * skipped, with the reason, where network namespaces cannot be made.
 */
@Tag("network")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RoutingNetworkTest
{
    private static final String VIP6 = "2001:db8:f::10";
    private static final String BYPASS_VIP6 = "2001:db8:f::11";
    private static final String VIP6_KEY = "[" + VIP6 + "]:80/tcp";
    private static final String BYPASS_VIP6_KEY = "[" + BYPASS_VIP6 + "]:80/tcp";
    private static final String M1_6 = "2001:db8:11::2";
    private static final String M2_6 = "2001:db8:12::2";
    private static final String K1_6 = "2001:db8:31::2";
    private static final String K2_6 = "2001:db8:32::2";
    private static final String M1 = "198.18.11.2";
    private static final String M2 = "198.18.12.2";
    private static final String K2 = "198.18.32.2";
    /** The VIP with a health check (http /id every 500 ms, fall 1, rise 1, hold-down 1500 ms: netlab.sh). */
    private static final String CHECKED_VIP = "192.0.2.20";
    private static final String CHECKED_KEY = CHECKED_VIP + ":80/tcp";
    private static final long CHECK_INTERVAL_MS = 500;
    private static final long HOLD_DOWN_MS = 1500;
    /** What the MUX's speaker (birdc configure), iBGP and the router's kernel route take, with room for a loaded machine. */
    private static final long ROUTER_SLACK_MS = 1500;
    /** Transfers running while a MUX freezes: enough that the router's ECMP hash gives it some. */
    private static final int TRANSFERS = 12;

    private NetworkLab lab;
    private Path dir;

    @BeforeAll
    void buildTheNetwork() throws Exception
    {
        // No host-agent backends: the VIPs under test stand on the plain backends k1, k2.
        lab = NetworkLab.open("pmxr", "--ipv6", "--bfd", "--backends", "0");
        dir = lab.tempDir("netlab-routing");
        lab.startMuxes("m1", "m2");
        lab.labOk(120, "wait-route", VIP6, M1_6 + " " + M2_6, "120");
        lab.labOk(30, "wait-route", BYPASS_VIP6, K1_6, "30");
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
    void anIpv6VipIsReachedThroughTheMuxPoolWithOnlyWhatTheMuxesAnnounce() throws Exception
    {
        // Nothing but BGP put the route there: the router's only route to the VIP is BIRD's, over both MUXes.
        final String route = lab.in("rt", 30, "ip", "-6", "route", "show", VIP6 + "/128").output();
        assertTrue(route.contains("proto bird") && route.contains("via " + M1_6) && route.contains("via " + M2_6),
            "the router learnt the IPv6 VIP from both MUXes over BGP: " + route);
        final String clientRoutes = lab.in("c1", 30, "ip", "-6", "route", "show").output();
        assertTrue(clientRoutes.lines().noneMatch(l -> l.startsWith("2001:db8:f:")), "the client has no route of its own to the VIP: "
            + clientRoutes);

        final long m1Before = lab.muxPackets("m1", VIP6_KEY);
        final long m2Before = lab.muxPackets("m2", VIP6_KEY);
        final Process[] captures = {
            lab.capture(dir, "m1", "eth0", "ip6 and src host " + VIP6, "m1-replies6.pcap"),
            lab.capture(dir, "m2", "eth0", "ip6 and src host " + VIP6, "m2-replies6.pcap"),
            lab.capture(dir, "rt", "rt-c1", "ip6 and src host " + VIP6 + " and tcp", "c1-replies6.pcap")};

        final int connections = 300;
        final List<String> results = curlMany("c1", "http://[" + VIP6 + "]/id", connections, 8);
        NetworkLab.stopCaptures(captures);

        final Map<String, Integer> byAnswer = NetworkLab.count(results);
        assertEquals(connections, results.size(), "one result per connection: " + byAnswer);
        assertEquals(connections, byAnswer.getOrDefault("200 k1", 0) + byAnswer.getOrDefault("200 k2", 0),
            "every connection over IPv6 answered by a backend of the VIP: " + byAnswer);
        assertTrue(byAnswer.getOrDefault("200 k1", 0) > connections / 5 && byAnswer.getOrDefault("200 k2", 0) > connections / 5,
            "Maglev spreads the connections over both backends: " + byAnswer);
        final long m1 = lab.muxPackets("m1", VIP6_KEY) - m1Before;
        final long m2 = lab.muxPackets("m2", VIP6_KEY) - m2Before;
        assertTrue(m1 > connections / 5 && m2 > connections / 5, "the router's ECMP spreads the IPv6 connections over both MUXes: m1 " + m1
            + ", m2 " + m2 + " packets");
        assertEquals(0, NetworkLab.packets(dir.resolve("m1-replies6.pcap"), " IP6 "), "no reply crossed MUX m1");
        assertEquals(0, NetworkLab.packets(dir.resolve("m2-replies6.pcap"), " IP6 "), "no reply crossed MUX m2");
        final long replies = NetworkLab.packets(dir.resolve("c1-replies6.pcap"), " IP6 ");
        assertTrue(replies >= 3L * connections, "the replies reached the client straight from the backends: " + replies);
        System.out.printf("network: %d curl -6 connections to %s through m1 (%d packets) and m2 (%d), answered directly (%d replies)%n",
            connections, VIP6, m1, m2, replies);
    }

    @Test
    @Order(2)
    void anIpv6VipWithOneBackendIsRoutedStraightToItAndBackToThePoolWhenASecondComes() throws Exception
    {
        final long before = lab.muxPackets("m1", BYPASS_VIP6_KEY) + lab.muxPackets("m2", BYPASS_VIP6_KEY);
        final Map<String, Integer> direct = NetworkLab.count(curlMany("c1", "http://[" + BYPASS_VIP6 + "]/id", 50, 4));
        assertEquals(Map.of("200 k1", 50), direct, "the single backend answers every connection");
        assertEquals(before, lab.muxPackets("m1", BYPASS_VIP6_KEY) + lab.muxPackets("m2", BYPASS_VIP6_KEY),
            "the router sent the bypassed IPv6 VIP's packets to k1 itself, past the MUXes");

        // A second backend: both MUXes take the VIP back, and the router sends it to the pool again.
        lab.changePool("backend", "add", BYPASS_VIP6_KEY, K2_6);
        lab.labOk(30, "wait-route", BYPASS_VIP6, M1_6 + " " + M2_6, "20");
        final Map<String, Integer> pooled = NetworkLab.count(curlMany("c1", "http://[" + BYPASS_VIP6 + "]/id", 100, 4));
        assertEquals(100, pooled.getOrDefault("200 k1", 0) + pooled.getOrDefault("200 k2", 0), "every connection answered: " + pooled);
        assertTrue(lab.muxPackets("m1", BYPASS_VIP6_KEY) + lab.muxPackets("m2", BYPASS_VIP6_KEY) > before,
            "the MUXes carry the VIP again");

        // Back to one backend: the bypass again.
        lab.changePool("backend", "remove", BYPASS_VIP6_KEY, K2_6);
        lab.labOk(60, "wait-route", BYPASS_VIP6, K1_6, "50");
    }

    @Test
    @Order(3)
    void aStoppedMuxIsWithdrawnFromTheIpv6VipsAsFromTheIpv4Ones() throws Exception
    {
        lab.labOk(60, "mux-stop", "m2");
        lab.labOk(30, "wait-route", VIP6, M1_6, "10");
        lab.labOk(30, "wait-route", CHECKED_VIP, M1, "10");
        final Map<String, Integer> answers = NetworkLab.count(curlMany("c1", "http://[" + VIP6 + "]/id", 50, 4));
        assertEquals(50, answers.getOrDefault("200 k1", 0) + answers.getOrDefault("200 k2", 0),
            "every connection answered through m1 alone: " + answers);
        final String log = Files.readString(lab.run.resolve("m2.log"));
        assertTrue(log.contains("panamux: bgp: speaker stopped"), log);

        lab.labOk(30, "mux-start", "m2");
        lab.labOk(120, "wait-route", VIP6, M1_6 + " " + M2_6, "90");
    }

    @Test
    @Order(4)
    void aVipWhoseBackendsAllFailIsWithdrawnWithinIntervalAndHoldDownAndReturnsWhenOneRecovers() throws Exception
    {
        lab.labOk(30, "wait-route", CHECKED_VIP, M1 + " " + M2, "20");
        lab.labOk(30, "server-stop", "k1");
        lab.labOk(30, "server-stop", "k2");
        // From the moment the last server is gone (server-stop returns once its process has exited).
        final long stoppedAt = System.nanoTime();
        lab.labOk(60, "wait-route", CHECKED_VIP, "none", "30");
        final long withdrawnMs = (System.nanoTime() - stoppedAt) / 1_000_000;
        final String vips = lab.ctl("m1", "vips");
        final String metrics = lab.in("m1", 30, "curl", "-s", "http://127.0.0.1:9480/metrics").output();
        assertTrue(vips.lines().anyMatch(l -> l.startsWith(CHECKED_KEY) && l.contains("withdrawn (no healthy backend for ")),
            "ctl vips shows the VIP withdrawn:\n" + vips);
        assertTrue(metrics.contains("panamux_vip_announced{vip=\"" + CHECKED_KEY + "\"} 0"), "/metrics shows it withdrawn:\n"
            + metrics.lines().filter(l -> l.contains("vip_announced")).toList());
        assertTrue(metrics.contains("panamux_vip_announced{vip=\"" + VIP6_KEY + "\"} 1"), "a VIP without checks stays announced");
        // Within one check interval (the first failed check: fall 1) and the hold-down, plus what BGP and the
        // router's kernel take; and not before the hold-down: a shorter outage would have moved no route.
        assertTrue(withdrawnMs >= HOLD_DOWN_MS && withdrawnMs <= CHECK_INTERVAL_MS + HOLD_DOWN_MS + ROUTER_SLACK_MS,
            "the router lost the VIP " + withdrawnMs + " ms after its servers stopped (interval " + CHECK_INTERVAL_MS + " ms, hold-down "
                + HOLD_DOWN_MS + " ms)");

        final long startedAt = System.nanoTime();
        lab.labOk(30, "server-start", "k2");
        // One healthy backend: the VIP comes back as a single-backend VIP, routed straight to k2.
        lab.labOk(60, "wait-route", CHECKED_VIP, K2, "30");
        final long backMs = (System.nanoTime() - startedAt) / 1_000_000;
        final Map<String, Integer> answers = NetworkLab.count(curlMany("c1", "http://" + CHECKED_VIP + "/id", 50, 4));
        assertEquals(Map.of("200 k2", 50), answers, "new connections succeed, on the backend that came back");
        assertTrue(lab.ctl("m2", "vips").lines().anyMatch(l -> l.startsWith(CHECKED_KEY) && !l.contains("withdrawn")));
        System.out.printf("network: %s withdrawn %d ms after its servers stopped (check interval %d ms, hold-down %d ms), back %d ms "
            + "after one started%n", CHECKED_VIP, withdrawnMs, CHECK_INTERVAL_MS, HOLD_DOWN_MS, backMs);
        lab.labOk(30, "server-start", "k1");
        lab.labOk(60, "wait-route", CHECKED_VIP, M1 + " " + M2, "30");
    }

    @Test
    @Order(5)
    void aFrozenMuxLeavesTheRoutersEcmpSetWithinASecondThroughBfdAndLongTransfersFinishThroughTheOther() throws Exception
    {
        lab.labOk(60, "wait-route", VIP6, M1_6 + " " + M2_6, "30");
        lab.labOk(60, "wait-route", "192.0.2.10", M1 + " " + M2, "30");
        final long m1Before = lab.muxPackets("m1", VIP6_KEY);
        final NetworkLab.Transfers transfers = lab.downloads(dir, "c1", "[" + VIP6 + "]", TRANSFERS, 20_000_000, 200_000);
        transfers.awaitEstablished();
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(250)).untilAsserted(() ->
            assertTrue(lab.muxPackets("m1", VIP6_KEY) > m1Before, "m1 carries some of the transfers before it freezes"));

        // The MUX's host goes silent (its JVM and its BIRD stopped; TCP sessions open, link up): only BFD (or,
        // without it, the 3 s hold time) tells the router.
        final String bird = Files.readString(lab.run.resolve("m1-bgp/bird.pid")).strip();
        final String jvm = NetworkLab.exec(List.of("pgrep", "-f", "io.panamux.slowpath.Main run --config " + lab.run.resolve("m1.yaml")),
            Map.of(), 30).output().lines().findFirst().orElseThrow().strip();
        final long frozenAt = System.nanoTime();
        assertEquals(0, NetworkLab.exec(List.of("kill", "-STOP", bird, jvm), Map.of(), 30).code(), "m1 and its BIRD frozen");
        final long ipv4Ms = awaitOnlyNextHop("192.0.2.10", M2, frozenAt);
        final long ipv6Ms = awaitOnlyNextHop(VIP6, M2_6, frozenAt);
        assertTrue(transfers.running(), "m1 froze in the middle of the transfers");
        final String routerBird = NetworkLab.exec(List.of("birdc", "-s", lab.run.resolve("rt-bird.ctl").toString(), "show", "protocols", "m1"),
            Map.of(), 30).output();

        final List<String> results = transfers.await(300);
        for (final String r : results)
        {
            assertTrue(r.startsWith("200 20000000 "), "a transfer broke when m1 froze: " + results);
        }
        assertEquals(TRANSFERS, results.size(), "every transfer finished: " + results);
        System.out.printf("network: m1 frozen; the router dropped it from the ECMP set of 192.0.2.10 in %d ms and of %s in %d ms "
            + "(BFD 100 ms x 3, hold time 3 s); %d IPv6 transfers finished through m2%n", ipv4Ms, VIP6, ipv6Ms, results.size());
        assertTrue(ipv4Ms < 1000 && ipv6Ms < 1000, "the router dropped the frozen MUX within 1 s: IPv4 " + ipv4Ms + " ms, IPv6 " + ipv6Ms
            + " ms\n" + routerBird);
        assertTrue(routerBird.contains("BFD session down"), "BFD took the session down: "
            + routerBird);

        lab.labOk(60, "mux-stop", "m1", "--kill");
        lab.labOk(30, "mux-start", "m1");
        lab.labOk(120, "wait-route", VIP6, M1_6 + " " + M2_6, "90");
    }

    /**
     * Polls the router's kernel route to {@code vip} (every few milliseconds) until {@code nextHop} is its only
     * gateway.
     *
     * @return milliseconds since {@code sinceNs}.
     */
    private long awaitOnlyNextHop(final String vip, final String nextHop, final long sinceNs) throws IOException, InterruptedException
    {
        final List<String> command = vip.contains(":") ? List.of("ip", "-n", lab.prefix + "-rt", "-6", "route", "show", vip + "/128")
            : List.of("ip", "-n", lab.prefix + "-rt", "route", "show", vip + "/32");
        final String last = await().atMost(Duration.ofNanos(Math.max(1, sinceNs + 15_000_000_000L - System.nanoTime())))
            .pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(5)).until(() -> NetworkLab.exec(command, Map.of(), 30).output(),
                route -> java.util.regex.Pattern.compile("via ([0-9a-f:.]+)").matcher(route).results().map(m -> m.group(1)).toList()
                    .equals(List.of(nextHop)));
        assertTrue(last.contains(nextHop));
        return (System.nanoTime() - sinceNs) / 1_000_000;
    }

    private List<String> curlMany(final String client, final String url, final int connections, final int parallel)
        throws IOException, InterruptedException
    {
        return lab.curlMany(dir, client, url, connections, parallel);
    }
}
