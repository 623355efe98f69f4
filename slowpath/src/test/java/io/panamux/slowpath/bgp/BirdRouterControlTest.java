package io.panamux.slowpath.bgp;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.panamux.slowpath.config.BgpSettings;
import io.panamux.slowpath.config.IpAddress;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The BIRD speaker: its configuration text, the per-address folding and whole-state applies, retries, and
 * the daemon's life (started, waited for, started again when it dies, stopped) with a stand-in script for
 * BIRD and birdc.
 */
class BirdRouterControlTest
{
    private static final IpAddress VIP = IpAddress.parse("192.0.2.10");
    private static final IpAddress VIP2 = IpAddress.parse("192.0.2.11");
    private static final IpAddress B1 = IpAddress.parse("198.18.21.2");
    private static final IpAddress B2 = IpAddress.parse("198.18.22.2");

    @TempDir
    Path dir;

    private BgpSettings settings()
    {
        return new BgpSettings(65000, IpAddress.parse("198.18.11.2"),
            List.of(new BgpSettings.Neighbor(IpAddress.parse("198.18.11.1"), 65000), new BgpSettings.Neighbor(IpAddress.parse("198.18.99.1"), 65100)),
            3, dir, BgpSettings.DEFAULT_BIRD, BgpSettings.DEFAULT_BIRDC);
    }

    @Test
    void rendersEveryAnnouncedAddressWithItsNextHopAndOneSessionPerNeighbor()
    {
        final TreeMap<IpAddress, Optional<IpAddress>> routes = new TreeMap<>();
        routes.put(VIP, Optional.empty());
        routes.put(VIP2, Optional.of(B1));
        routes.put(IpAddress.parse("2001:db8::10"), Optional.empty());
        routes.put(IpAddress.parse("2001:db8::11"), Optional.of(IpAddress.parse("2001:db8:23::2")));
        assertEquals("""
            # Written by panamux: the MUX's BGP speaker. Rewritten whole on every change; do not edit.
            router id 198.18.11.2;
            log stderr all;
            protocol device { scan time 10; }
            protocol static pmx_vips {
              ipv4;
              route 192.0.2.10/32 blackhole;
              route 192.0.2.11/32 blackhole;
            }
            protocol static pmx_vips6 {
              ipv6;
              route 2001:db8::10/128 blackhole;
              route 2001:db8::11/128 blackhole;
            }
            filter pmx_export {
              if proto != "pmx_vips" && proto != "pmx_vips6" then reject;
              if net = 192.0.2.11/32 then bgp_next_hop = 198.18.21.2;
              if net = 2001:db8::11/128 then bgp_next_hop = 2001:db8:23::2;
              accept;
            }
            protocol bgp pmx_n0 {
              local as 65000;
              neighbor 198.18.11.1 as 65000;
              hold time 3; keepalive time 1;
              connect retry time 1; error wait time 1, 4;
              ipv4 { import none; export filter pmx_export; };
              ipv6 { import none; export filter pmx_export; };
            }
            protocol bgp pmx_n1 {
              local as 65000;
              neighbor 198.18.99.1 as 65100;
              hold time 3; keepalive time 1;
              connect retry time 1; error wait time 1, 4;
              ipv4 { import none; export filter pmx_export; };
              ipv6 { import none; export filter pmx_export; };
            }
            """, BirdConfig.render(settings(), routes));
    }

    @Test
    void aBackendOfTheOtherFamilyIsNeverTheNextHop()
    {
        final TreeMap<IpAddress, Optional<IpAddress>> routes = new TreeMap<>();
        routes.put(VIP, Optional.of(IpAddress.parse("2001:db8:21::2")));
        routes.put(IpAddress.parse("2001:db8::10"), Optional.of(B1));
        final String text = BirdConfig.render(settings(), routes);
        assertFalse(text.contains("bgp_next_hop"), text);
        assertTrue(text.contains("route 192.0.2.10/32 blackhole;") && text.contains("route 2001:db8::10/128 blackhole;"), text);
    }

    @Test
    void theIpv6NextHopIsNamedWhenConfigured()
    {
        final BgpSettings s = settings();
        final BgpSettings withNextHop = new BgpSettings(s.localAs(), s.routerId(), s.neighbors(), s.holdSeconds(), s.runDirectory(), s.bird(),
            s.birdc(), IpAddress.parse("2001:db8:11::2"));
        assertTrue(BirdConfig.render(withNextHop, new TreeMap<>())
            .contains("  ipv6 { import none; export filter pmx_export; next hop address 2001:db8:11::2; };\n"));
    }

    @Test
    void bfdIsRunWithEveryNeighborWhenConfigured()
    {
        final BgpSettings s = settings();
        final BgpSettings withBfd = new BgpSettings(s.localAs(), s.routerId(), s.neighbors(), s.holdSeconds(), s.runDirectory(), s.bird(),
            s.birdc(), null, new BgpSettings.Bfd(100, 3));
        final String text = BirdConfig.render(withBfd, new TreeMap<>());
        assertTrue(text.contains("""
            protocol bfd pmx_bfd {
              interface "*" { min rx interval 100 ms; min tx interval 100 ms; multiplier 3; };
            }
            """), text);
        assertEquals(2, text.split("  direct; bfd on;\n", -1).length - 1, "in both sessions: " + text);
        assertFalse(BirdConfig.render(s, new TreeMap<>()).contains("bfd"), "none unless configured");
        assertEquals(300, withBfd.bfd().detectionMs());
    }

    /** BIRD itself parses what is rendered (bird -p), both families, bypass lines, a named IPv6 next hop, BFD. */
    @Test
    void birdParsesTheRenderedConfiguration() throws Exception
    {
        Assumptions.assumeTrue(Files.isExecutable(Path.of(BgpSettings.DEFAULT_BIRD)), "BIRD 2 (Debian bird2) is not installed");
        final BgpSettings s = settings();
        final BgpSettings withNextHop = new BgpSettings(s.localAs(), s.routerId(), s.neighbors(), s.holdSeconds(), s.runDirectory(), s.bird(),
            s.birdc(), IpAddress.parse("2001:db8:11::2"), new BgpSettings.Bfd(50, 5));
        final TreeMap<IpAddress, Optional<IpAddress>> routes = new TreeMap<>();
        routes.put(VIP, Optional.empty());
        routes.put(VIP2, Optional.of(B1));
        routes.put(IpAddress.parse("2001:db8::10"), Optional.empty());
        routes.put(IpAddress.parse("2001:db8::11"), Optional.of(IpAddress.parse("2001:db8:23::2")));
        for (final BgpSettings each : List.of(s, withNextHop))
        {
            final Path conf = dir.resolve("parse.conf");
            Files.writeString(conf, BirdConfig.render(each, routes));
            final Process p = new ProcessBuilder(BgpSettings.DEFAULT_BIRD, "-p", "-c", conf.toString()).redirectErrorStream(true).start();
            final String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), "bird -p: " + output + "\n" + Files.readString(conf));
        }
    }

    @Test
    void foldsKeysPerAddressAndAppliesTheWholeStateEachTime() throws Exception
    {
        final List<String> configs = new CopyOnWriteArrayList<>();
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (BirdRouterControl control = BirdRouterControl.forTest(settings(), new PrintStream(out, true, StandardCharsets.UTF_8), socket ->
        {
            configs.add(Files.readString(dir.resolve("bird.conf")));
            return null;
        }))
        {
            control.announce("192.0.2.10:80/tcp", VIP);
            control.announce("192.0.2.10:443/tcp", VIP);
            awaitSettled(control);
            assertEquals(Map.of("192.0.2.10", "pool"), control.routes());
            assertTrue(configs.getLast().contains("route 192.0.2.10/32 blackhole;"), configs.getLast());
            assertFalse(configs.getLast().contains("bgp_next_hop"), configs.getLast());

            // One key direct, the other to the pool: the address still goes to the pool.
            control.routeDirect("192.0.2.10:80/tcp", VIP, B1);
            awaitSettled(control);
            assertEquals(Map.of("192.0.2.10", "pool"), control.routes());

            // Every key on the address direct to the same backend: the router sends the address there.
            control.routeDirect("192.0.2.10:443/tcp", VIP, B1);
            awaitSettled(control);
            assertEquals(Map.of("192.0.2.10", "direct 198.18.21.2"), control.routes());
            assertTrue(configs.getLast().contains("if net = 192.0.2.10/32 then bgp_next_hop = 198.18.21.2;"), configs.getLast());

            // Two different backends cannot both have the address: the pool keeps it.
            control.routeDirect("192.0.2.10:443/tcp", VIP, B2);
            awaitSettled(control);
            assertEquals(Map.of("192.0.2.10", "pool"), control.routes());

            control.routeToPool("192.0.2.10:80/tcp", VIP);
            control.withdraw("192.0.2.10:443/tcp", VIP);
            control.announce("192.0.2.11:80/tcp", VIP2);
            awaitSettled(control);
            assertEquals(Map.of("192.0.2.10", "pool", "192.0.2.11", "pool"), control.routes());

            // IPv6 VIPs: announced and bypassed the same way, withdrawn the same way; a bypass to a backend of
            // the other family stays on the pool (the router cannot route across families).
            final IpAddress vip6 = IpAddress.parse("2001:db8::10");
            final IpAddress vip6b = IpAddress.parse("2001:db8::11");
            control.announce("[2001:db8::10]:80/tcp", vip6);
            control.announce("[2001:db8::11]:80/tcp", vip6b);
            control.routeDirect("[2001:db8::10]:80/tcp", vip6, IpAddress.parse("2001:db8:21::2"));
            control.routeDirect("[2001:db8::11]:80/tcp", vip6b, B1);
            awaitSettled(control);
            assertEquals(Map.of("192.0.2.10", "pool", "192.0.2.11", "pool", "2001:db8::10", "direct 2001:db8:21::2", "2001:db8::11", "pool"),
                control.routes());
            assertTrue(configs.getLast().contains("route 2001:db8::10/128 blackhole;"), configs.getLast());
            assertTrue(configs.getLast().contains("if net = 2001:db8::10/128 then bgp_next_hop = 2001:db8:21::2;"), configs.getLast());
            assertFalse(configs.getLast().contains("if net = 2001:db8::11/128"), configs.getLast());
            control.withdraw("[2001:db8::10]:80/tcp", vip6);
            awaitSettled(control);
            assertFalse(configs.getLast().contains("2001:db8::10/128"), configs.getLast());
            assertTrue(configs.getLast().contains("route 2001:db8::11/128 blackhole;"), configs.getLast());

            control.withdrawAll();
            awaitSettled(control);
            assertEquals(Map.of(), control.routes());
            assertFalse(configs.getLast().contains("route 192.0.2."), configs.getLast());
            assertFalse(configs.getLast().contains("route 2001:db8:"), configs.getLast());
        }
        final String log = out.toString(StandardCharsets.UTF_8);
        assertTrue(log.contains("announce 192.0.2.10 via backend 198.18.21.2"), log);
        assertTrue(log.contains("withdraw 192.0.2.10"), log);
        assertTrue(log.contains("announce 2001:db8::10 via backend 2001:db8:21::2"), log);
        assertTrue(log.contains("withdraw 2001:db8::10"), log);
    }

    @Test
    void aFailedApplyIsRetriedUntilBirdTakesIt() throws Exception
    {
        final AtomicInteger calls = new AtomicInteger();
        try (BirdRouterControl control = BirdRouterControl.forTest(settings(), new PrintStream(new ByteArrayOutputStream()), socket ->
            calls.incrementAndGet() < 3 ? "bird: Unable to connect to server control socket" : null))
        {
            control.announce("192.0.2.10:80/tcp", VIP);
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() -> control.applies() != 0);
            assertEquals(1, control.applies());
            assertEquals(3, calls.get());
            assertTrue(control.settled());
        }
    }

    /** A stand-in for BIRD: opens its "socket" (a file is enough for the wait), says how it was started, sleeps. */
    private Path fakeBird(final String body) throws Exception
    {
        final Path script = dir.resolve("fake-bird");
        Files.writeString(script, """
            #!/bin/sh
            while [ $# -gt 0 ]; do case $1 in -s) sock=$2; shift 2;; -c) conf=$2; shift 2;; *) shift;; esac; done
            """ + body);
        script.toFile().setExecutable(true);
        return script;
    }

    private BgpSettings settings(final Path bird, final Path birdc)
    {
        return new BgpSettings(65000, IpAddress.parse("198.18.11.2"), List.of(new BgpSettings.Neighbor(IpAddress.parse("198.18.11.1"), 65000)),
            3, dir.resolve("run"), bird.toString(), birdc.toString());
    }

    @Test
    void startsTheDaemonAppliesThroughTheConfiguredBirdcRestartsItWhenItDiesAndStopsIt() throws Exception
    {
        final Path bird = fakeBird("""
            echo "fake bird on $conf"
            touch "$sock"
            exec sleep 600
            """);
        final Path calls = dir.resolve("birdc-calls");
        final Path birdc = dir.resolve("fake-birdc");
        Files.writeString(birdc, "#!/bin/sh\necho \"$@\" >> " + calls + "\necho Reconfigured\n");
        birdc.toFile().setExecutable(true);
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final long first;
        final long second;
        try (BirdRouterControl control = BirdRouterControl.start(settings(bird, birdc), new PrintStream(out, true, StandardCharsets.UTF_8)))
        {
            first = control.daemonPid();
            assertTrue(first > 0, "running");
            assertTrue(Files.readString(dir.resolve("run/bird.log")).contains("fake bird on " + dir.resolve("run/bird.conf")));

            control.announce("192.0.2.10:80/tcp", VIP);
            awaitSettled(control);
            assertEquals(List.of("-s " + dir.resolve("run/bird.ctl") + " configure"), Files.readAllLines(calls), "router.bgp.birdc was run");
            assertTrue(Files.readString(dir.resolve("run/bird.conf")).contains("route 192.0.2.10/32 blackhole;"));

            // BIRD dies on its own: started again, and told the whole state again.
            ProcessHandle.of(first).orElseThrow().destroyForcibly();
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20))
                .until(() -> control.starts() >= 2 && control.settled() && Files.readAllLines(calls).size() >= 2);
            second = control.daemonPid();
            assertEquals(2, control.starts(), out.toString(StandardCharsets.UTF_8));
            assertTrue(second > 0 && second != first, "a new BIRD: " + second);
            assertEquals(2, Files.readAllLines(calls).size(), "the restarted BIRD was told the state again");
            assertTrue(control.settled());
        }
        assertFalse(ProcessHandle.of(second).map(ProcessHandle::isAlive).orElse(false), "close stops BIRD");
        final String log = out.toString(StandardCharsets.UTF_8);
        assertTrue(log.contains("panamux: bgp: speaker started (BIRD, pid " + first + ", AS 65000, neighbors [198.18.11.1 AS 65000])"), log);
        assertTrue(log.contains("exited with status 137: the routers withdraw this MUX; starting it again in 1000 ms"), log);
        assertTrue(log.contains("panamux: bgp: speaker started again (BIRD, pid " + second + ")"), log);
        assertTrue(log.contains("panamux: bgp: speaker stopped: every route of this MUX withdrawn"), log);
    }

    @Test
    void aBirdThatExitsAtStartFailsTheStartWithItsLog() throws Exception
    {
        final Path bird = fakeBird("""
            echo "bird: $conf:3:1 syntax error, unexpected CF_SYM_UNDEFINED"
            exit 1
            """);
        final IOException e = assertThrows(IOException.class, () -> BirdRouterControl.start(settings(bird, Path.of("/bin/true")),
            new PrintStream(new ByteArrayOutputStream())));
        assertTrue(e.getMessage().startsWith("BIRD exited at start (status 1): bird: " + dir.resolve("run/bird.conf") + ":3:1 syntax error"),
            e.getMessage());
    }

    @Test
    void aMissingBirdFailsTheStartSayingWhichPackage()
    {
        final IOException e = assertThrows(IOException.class, () -> BirdRouterControl.start(settings(dir.resolve("no-bird"),
            Path.of("/bin/true")), new PrintStream(new ByteArrayOutputStream())));
        assertEquals(dir.resolve("no-bird") + " is not an executable program (BIRD 2: Debian package bird2; router.bgp.bird and " +
            "router.bgp.birdc name others)", e.getMessage());
    }

    private static void awaitSettled(final BirdRouterControl control)
    {
        await("applied within 10 s").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(5)).until(control::settled);
    }
}
