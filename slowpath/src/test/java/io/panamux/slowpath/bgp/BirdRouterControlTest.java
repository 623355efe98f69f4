package io.panamux.slowpath.bgp;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.panamux.slowpath.config.IpAddress;
import io.panamux.slowpath.router.InProcessRouterControl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
            filter pmx_export {
              if proto != "pmx_vips" then reject;
              if net = 192.0.2.11/32 then bgp_next_hop = 198.18.21.2;
              accept;
            }
            protocol bgp pmx_n0 {
              local as 65000;
              neighbor 198.18.11.1 as 65000;
              hold time 3; keepalive time 1;
              connect retry time 1; error wait time 1, 4;
              ipv4 { import none; export filter pmx_export; };
            }
            protocol bgp pmx_n1 {
              local as 65000;
              neighbor 198.18.99.1 as 65100;
              hold time 3; keepalive time 1;
              connect retry time 1; error wait time 1, 4;
              ipv4 { import none; export filter pmx_export; };
            }
            """, BirdConfig.render(settings(), routes));
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

            control.withdrawAll();
            awaitSettled(control);
            assertEquals(Map.of(), control.routes());
            assertFalse(configs.getLast().contains("route 192.0.2."), configs.getLast());
        }
        final String log = out.toString(StandardCharsets.UTF_8);
        assertTrue(log.contains("announce 192.0.2.10 via backend 198.18.21.2"), log);
        assertTrue(log.contains("withdraw 192.0.2.10"), log);
    }

    @Test
    void aFailedApplyIsRetriedUntilBirdTakesIt() throws Exception
    {
        final AtomicInteger calls = new AtomicInteger();
        try (BirdRouterControl control = BirdRouterControl.forTest(settings(), new PrintStream(new ByteArrayOutputStream()), socket ->
            calls.incrementAndGet() < 3 ? "bird: Unable to connect to server control socket" : null))
        {
            control.announce("192.0.2.10:80/tcp", VIP);
            final long deadline = System.nanoTime() + 10_000_000_000L;
            while (control.applies() == 0 && System.nanoTime() < deadline)
            {
                Thread.sleep(20);
            }
            assertEquals(1, control.applies());
            assertEquals(3, calls.get());
            assertTrue(control.settled());
        }
    }

    @Test
    void relayAppliesTheMuxInstructionLinesAndIgnoresTheRest()
    {
        final InProcessRouterControl recorded = new InProcessRouterControl();
        assertTrue(RouterInstructionRelay.apply(recorded, "panamux: router: announce 192.0.2.11:80/tcp"));
        assertTrue(RouterInstructionRelay.apply(recorded, "panamux: router: route-direct 192.0.2.11:80/tcp 198.18.23.2"));
        assertTrue(RouterInstructionRelay.apply(recorded, "panamux: router: announce [2001:db8::10]:80/tcp"));
        assertFalse(RouterInstructionRelay.apply(recorded, "panamux: m1 on port 0 (net_af_packet): 1 worker(s)"));
        assertFalse(RouterInstructionRelay.apply(recorded, "panamux: router: route-direct 192.0.2.11:80/tcp"));
        assertEquals(List.of("announce 192.0.2.11:80/tcp", "route-direct 192.0.2.11:80/tcp 198.18.23.2", "announce [2001:db8::10]:80/tcp"),
            recorded.instructions().stream().map(Object::toString).toList());
        assertEquals("direct 198.18.23.2", recorded.routes().get("192.0.2.11:80/tcp"));
    }

    private static void awaitSettled(final BirdRouterControl control) throws InterruptedException
    {
        final long deadline = System.nanoTime() + 10_000_000_000L;
        while (!control.settled() && System.nanoTime() < deadline)
        {
            Thread.sleep(5);
        }
        assertTrue(control.settled(), "applied within 10 s");
    }
}
