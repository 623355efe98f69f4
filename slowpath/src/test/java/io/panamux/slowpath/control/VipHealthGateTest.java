package io.panamux.slowpath.control;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.panamux.slowpath.config.IpAddress;
import io.panamux.slowpath.router.InProcessRouterControl;

import static io.panamux.slowpath.control.ControlHarness.DNS;
import static io.panamux.slowpath.control.ControlHarness.SECOND;
import static io.panamux.slowpath.control.ControlHarness.WEB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Health-driven announcement on a stepped control agent with a fake clock: a VIP none of whose backends is
 * healthy is withdrawn after its hold-down (not before), comes back as soon as one backend is healthy, a
 * flap shorter than the hold-down moves no route, and a VIP without a health check or a backend that has not
 * failed its first checks is never withdrawn.
 */
class VipHealthGateTest
{
    /** WEB with a 2 s hold-down; DNS has no health check. */
    private static final String CONFIG = ControlHarness.CONFIG.replace("health-check: { type: tcp, port: 8080 }",
        "health-check: { type: tcp, port: 8080, hold-down-ms: 2000 }");

    private static IpAddress ip(final String text)
    {
        return IpAddress.parse(text);
    }

    private static long instructions(final InProcessRouterControl router, final InProcessRouterControl.Kind kind, final String key)
    {
        return router.instructions().stream().filter(i -> i.kind() == kind && i.vipKey().equals(key)).count();
    }

    private static VipView view(final ControlHarness h, final String key)
    {
        return h.changes.views(h.clock.nanoTime()).stream().filter(v -> v.vip().equals(key)).findFirst().orElseThrow();
    }

    private static ControlHarness harness(final ByteArrayOutputStream log)
    {
        final ControlHarness h = new ControlHarness(CONFIG, new InProcessRouterControl());
        h.control.addDuty(h.changes.healthGate().log(new PrintStream(log, true, StandardCharsets.UTF_8)));
        return h;
    }

    @Test
    void aVipWithNoHealthyBackendIsWithdrawnAfterItsHoldDownAndAnnouncedWhenOneRecovers() throws Exception
    {
        final ByteArrayOutputStream log = new ByteArrayOutputStream();
        try (ControlHarness h = harness(log))
        {
            assertEquals(Map.of(WEB, "pool", DNS, "direct 10.1.1.1"), h.router.routes(), "announced at start (grace: no check done yet)");
            assertTrue(view(h, WEB).announced());

            final long now = h.clock.nanoTime();
            h.changes.healthChanged(WEB, ip("10.1.0.1"), false, now);
            h.changes.healthChanged(WEB, ip("10.1.0.2"), false, now);
            h.advance(5 * SECOND);
            assertEquals("direct 10.1.0.3", h.router.routes().get(WEB), "one healthy backend left: announced (bypassed to it)");

            h.changes.healthChanged(WEB, ip("10.1.0.3"), false, h.clock.nanoTime());
            h.advance(SECOND);
            assertEquals("pool", h.router.routes().get(WEB), "1 s of the 2 s hold-down: still announced");
            assertTrue(view(h, WEB).announcement().startsWith("withdrawing in "), view(h, WEB).announcement());
            h.advance(SECOND);
            assertFalse(h.router.routes().containsKey(WEB), "withdrawn after the hold-down: " + h.router.routes());
            assertEquals(1, instructions(h.router, InProcessRouterControl.Kind.WITHDRAW, WEB));
            assertFalse(view(h, WEB).announced());
            assertTrue(view(h, WEB).announcement().startsWith("withdrawn (no healthy backend for "), view(h, WEB).announcement());
            assertEquals("direct 10.1.1.1", h.router.routes().get(DNS), "the other VIP is untouched");
            h.advance(10 * SECOND);
            assertEquals(1, instructions(h.router, InProcessRouterControl.Kind.WITHDRAW, WEB), "withdrawn once");

            // One backend healthy: announced at once, and to the pool (via the single backend's direct route
            // it has become: one healthy backend is a single-backend VIP).
            h.changes.healthChanged(WEB, ip("10.1.0.2"), true, h.clock.nanoTime());
            assertEquals("direct 10.1.0.2", h.router.routes().get(WEB), "announced again, with the state as it is now");
            assertTrue(view(h, WEB).announced());
            assertEquals(2, instructions(h.router, InProcessRouterControl.Kind.ANNOUNCE, WEB));
            assertEquals(1, h.changes.healthGate().withdrawals());
        }
        final String text = log.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("panamux: health: " + WEB + " has had no healthy backend for 2000 ms (hold-down 2000 ms): withdrawing it"),
            text);
        assertTrue(text.contains("panamux: health: " + WEB + " has a healthy backend again: announcing it"), text);
    }

    @Test
    void aFlapShorterThanTheHoldDownMovesNoRoute() throws Exception
    {
        try (ControlHarness h = harness(new ByteArrayOutputStream()))
        {
            for (int flap = 0; flap < 5; flap++)
            {
                for (final String b : List.of("10.1.0.1", "10.1.0.2", "10.1.0.3"))
                {
                    h.changes.healthChanged(WEB, ip(b), false, h.clock.nanoTime());
                }
                h.advance(SECOND);
                h.changes.healthChanged(WEB, ip("10.1.0.1"), true, h.clock.nanoTime());
                h.advance(SECOND);
            }
            assertEquals(0, instructions(h.router, InProcessRouterControl.Kind.WITHDRAW, WEB), "never withdrawn: " + h.router.instructions());
            assertEquals(0, h.changes.healthGate().withdrawals());
        }
    }

    @Test
    void aVipWithoutAHealthCheckOrWithoutBackendsIsNeverWithdrawnForItsHealth() throws Exception
    {
        try (ControlHarness h = harness(new ByteArrayOutputStream()))
        {
            h.run((c, now) -> h.changes.remove(DNS, "10.1.1.1", now));
            h.run((c, now) -> h.changes.remove(WEB, "10.1.0.1", now));
            h.run((c, now) -> h.changes.remove(WEB, "10.1.0.2", now));
            h.run((c, now) -> h.changes.remove(WEB, "10.1.0.3", now));
            h.advance(10 * SECOND);
            assertEquals(Map.of(WEB, "pool", DNS, "pool"), h.router.routes(), "no backend is not a failed health check");
        }
    }

    @Test
    void aVipWithdrawnForItsHealthThatIsRemovedIsNotWithdrawnTwice() throws Exception
    {
        try (ControlHarness h = harness(new ByteArrayOutputStream()))
        {
            for (final String b : List.of("10.1.0.1", "10.1.0.2", "10.1.0.3"))
            {
                h.changes.healthChanged(WEB, ip(b), false, h.clock.nanoTime());
            }
            h.advance(3 * SECOND);
            assertFalse(h.router.routes().containsKey(WEB));
            h.run((c, now) -> h.changes.reload(io.panamux.slowpath.config.ConfigLoader.parse(CONFIG.substring(0, CONFIG.indexOf("  - address: 192.0.2.10"))
                + CONFIG.substring(CONFIG.indexOf("  - address: 192.0.2.11")), "mux.yaml"), now));
            assertEquals(1, instructions(h.router, InProcessRouterControl.Kind.WITHDRAW, WEB), h.router.instructions().toString());
            assertEquals(Map.of(DNS, "direct 10.1.1.1"), h.router.routes());
        }
    }
}
