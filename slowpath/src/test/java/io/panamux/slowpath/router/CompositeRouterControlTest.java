package io.panamux.slowpath.router;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.panamux.slowpath.config.IpAddress;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Both routers of a composite hear every instruction, in order.
 */
class CompositeRouterControlTest
{
    @Test
    void tellsEveryRouterEveryInstructionInOrder()
    {
        final InProcessRouterControl log = new InProcessRouterControl();
        final InProcessRouterControl speaker = new InProcessRouterControl();
        final RouterControl both = new CompositeRouterControl(List.of(log, speaker));
        final IpAddress vip = IpAddress.parse("192.0.2.10");

        both.announce("192.0.2.10:80/tcp", vip);
        both.routeDirect("192.0.2.10:80/tcp", vip, IpAddress.parse("198.18.23.2"));
        both.routeToPool("192.0.2.10:80/tcp", vip);
        both.withdraw("192.0.2.10:80/tcp", vip);

        final List<String> expected = List.of("announce 192.0.2.10:80/tcp", "route-direct 192.0.2.10:80/tcp 198.18.23.2",
            "route-to-pool 192.0.2.10:80/tcp", "withdraw 192.0.2.10:80/tcp");
        assertEquals(expected, log.instructions().stream().map(Object::toString).toList());
        assertEquals(expected, speaker.instructions().stream().map(Object::toString).toList());
    }
}
