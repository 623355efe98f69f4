package io.panamux.slowpath.router;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import io.panamux.slowpath.config.IpAddress;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The recording router: instructions kept in order, the resulting route of each VIP, and the log lines
 * ({@code panamux: router: ...}) that other tools read.
 */
class InProcessRouterControlTest
{
    @Test
    void recordsInstructionsRoutesAndLines()
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final InProcessRouterControl router = new InProcessRouterControl(new PrintStream(out, true, StandardCharsets.UTF_8));
        final IpAddress web = IpAddress.parse("192.0.2.10");
        final IpAddress v6 = IpAddress.parse("2001:db8::10");

        router.announce("192.0.2.10:80/tcp", web);
        router.announce("[2001:db8::10]:443/tcp", v6);
        router.routeDirect("192.0.2.10:80/tcp", web, IpAddress.parse("10.1.0.1"));
        assertEquals(Map.of("192.0.2.10:80/tcp", "direct 10.1.0.1", "[2001:db8::10]:443/tcp", "pool"), router.routes());

        router.routeToPool("192.0.2.10:80/tcp", web);
        router.withdraw("[2001:db8::10]:443/tcp", v6);

        assertEquals(Map.of("192.0.2.10:80/tcp", "pool"), router.routes());
        assertEquals(List.of(
            "announce 192.0.2.10:80/tcp",
            "announce [2001:db8::10]:443/tcp",
            "route-direct 192.0.2.10:80/tcp 10.1.0.1",
            "route-to-pool 192.0.2.10:80/tcp",
            "withdraw [2001:db8::10]:443/tcp"), router.instructions().stream().map(Object::toString).toList());
        assertEquals("""
            panamux: router: announce 192.0.2.10:80/tcp
            panamux: router: announce [2001:db8::10]:443/tcp
            panamux: router: route-direct 192.0.2.10:80/tcp 10.1.0.1
            panamux: router: route-to-pool 192.0.2.10:80/tcp
            panamux: router: withdraw [2001:db8::10]:443/tcp
            """, out.toString(StandardCharsets.UTF_8));
    }
}
