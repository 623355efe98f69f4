package io.panamux.perf.e2e;

import java.io.OutputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import io.panamux.dpdk.Eal;
import io.panamux.dpdk.RingPorts;
import io.panamux.slowpath.Mux;
import io.panamux.slowpath.config.ConfigLoader;
import io.panamux.slowpath.config.IpAddress;
import io.panamux.slowpath.config.MuxConfig;
import io.panamux.slowpath.config.StaticPoolMembership;
import io.panamux.slowpath.router.RouterSession;
import org.junit.jupiter.api.Test;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A MUX started with the caller's {@link RouterSession} (issue 11 item 4): it tells that session what to route once
 * its worker cycles, and owns it: its close ends the session, before anything else is stopped.
 */
class MuxRouterSessionTest
{
    private static final String CONFIG = """
        mux:
          name: session
          address: 10.0.0.10
        dataplane:
          eal: []
          port: 0
          workers: 1
          gateway-mac: "02:00:00:00:00:fe"
          flow-table: { capacity: 4096, idle-timeout-seconds: 300 }
        vips:
          - address: 192.0.2.10
            port: 80
            protocol: tcp
            backends:
              - { address: 10.1.0.1 }
              - { address: 10.1.0.2 }
        """;

    @Test
    void theMuxTellsTheGivenSessionAndClosesIt()
    {
        Eal.ensureInitialised(Eal.virtualDeviceArgs(512));
        final RingPorts rings = RingPorts.create("mxrs", 1, 1024);
        final RecordingSession session = new RecordingSession();
        final MuxConfig config = ConfigLoader.parse(CONFIG, "session.yaml");
        try
        {
            final Mux mux = Mux.start(config, StaticPoolMembership.fromConfig(config), session, rings.b(),
                new PrintStream(OutputStream.nullOutputStream()));
            try
            {
                await().atMost(Duration.ofSeconds(10)).until(() -> session.calls.contains("announce 192.0.2.10:80/tcp 192.0.2.10"));
                assertTrue(session.closedAt < 0, "the session stays open while the MUX runs");
            }
            finally
            {
                mux.close();
            }
            assertTrue(session.closedAt >= 0, "the MUX closed the session it was given");
            assertEquals("announce 192.0.2.10:80/tcp 192.0.2.10", session.calls.get(0), "announced once the worker cycled: " + session.calls);
        }
        finally
        {
            rings.close();
        }
    }

    /** Records what the MUX tells the routers, and when it ends the session. */
    private static final class RecordingSession implements RouterSession
    {
        final List<String> calls = new CopyOnWriteArrayList<>();
        volatile int closedAt = -1;

        @Override
        public void announce(final String vipKey, final IpAddress vip)
        {
            calls.add("announce " + vipKey + " " + vip);
        }

        @Override
        public void withdraw(final String vipKey, final IpAddress vip)
        {
            calls.add("withdraw " + vipKey + " " + vip);
        }

        @Override
        public void routeDirect(final String vipKey, final IpAddress vip, final IpAddress backend)
        {
            calls.add("direct " + vipKey + " " + backend);
        }

        @Override
        public void routeToPool(final String vipKey, final IpAddress vip)
        {
            calls.add("pool " + vipKey);
        }

        @Override
        public void close()
        {
            if (closedAt < 0)
            {
                closedAt = calls.size();
            }
        }
    }
}
