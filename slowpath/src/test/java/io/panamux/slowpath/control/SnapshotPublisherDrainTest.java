package io.panamux.slowpath.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;

import io.panamux.fastpath.snapshot.ForwardingSnapshot;
import io.panamux.fastpath.snapshot.SnapshotSlot;
import io.panamux.fastpath.snapshot.Vip;
import io.panamux.slowpath.config.ConfigLoader;
import io.panamux.slowpath.config.MuxConfig;
import org.junit.jupiter.api.Test;

/**
 * A backend with {@code drain: true} in the configuration (how a pool on etcd stores {@code ctl backend drain})
 * is draining in the first snapshot a MUX publishes: a MUX started, or restarted from its cache file, on such a
 * document gives it no new flows, as a running MUX that applied the drain does, and as a host agent's
 * source-side selection does (issue 12: one document, one table).
 */
class SnapshotPublisherDrainTest
{
    @Test
    void aDrainedBackendOfTheConfigurationTakesNoNewFlowsFromTheFirstSnapshot()
    {
        final MuxConfig config = ConfigLoader.parse("""
            mux: { name: m, address: 10.0.0.10, hash-seed: 0x5eed }
            dataplane: { eal: [], port: 0, gateway-mac: "02:00:00:00:00:fe", maglev-table-size: 1009 }
            vips:
              - address: 192.0.2.10
                port: 80
                protocol: tcp
                backends:
                  - { address: 10.1.0.1 }
                  - { address: 10.1.0.2, drain: true }
            """, "mux.yaml");
        final SnapshotPublisher publisher = new SnapshotPublisher(new SnapshotSlot(ForwardingSnapshot.empty(config.mux().hashSeed())),
            new BackendIds(600_000_000_000L));
        final Vip vip = publisher.apply(config, 0).vips()[0];
        assertEquals("10.1.0.2", vip.backends()[1].text());
        assertTrue(vip.backends()[1].draining(), "drain: true is a draining backend");
        assertFalse(vip.backends()[0].draining());
        assertTrue(Arrays.stream(vip.table()).allMatch(slot -> slot == 0), "every slot is the backend that is not draining");
    }
}
