package io.panamux.slowpath.control;

import java.util.Arrays;
import java.util.List;

import io.panamux.fastpath.snapshot.Backend;
import io.panamux.fastpath.snapshot.ForwardingSnapshot;
import io.panamux.fastpath.snapshot.Vip;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static io.panamux.slowpath.control.ControlHarness.CLIENT;
import static io.panamux.slowpath.control.ControlHarness.DNS;
import static io.panamux.slowpath.control.ControlHarness.MINIMUM_PHASE_NS;
import static io.panamux.slowpath.control.ControlHarness.SECOND;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The single-backend bypass (ARCHITECTURE.md §1 item 4) of a VIP scaled 1 -&gt; 2 -&gt; 1 backends, on a
 * stepped control agent: marks, router instructions in order, and the stateful phase on scale-up that
 * keeps connections opened during the bypass on the first backend.
 */
class BypassStateMachineTest
{
    private final ControlHarness h = new ControlHarness();

    @AfterEach
    void close()
    {
        h.close();
    }

    @Test
    void singleBackendVipScaledUpAndDown() throws Exception
    {
        // 1 backend at start: marked, no flow state, router told to go direct.
        assertEquals(Vip.MODE_BYPASS, h.vip(DNS).mode());
        assertFalse(h.vip(DNS).recordsFlows());
        assertEquals(List.of("announce 192.0.2.10:80/tcp", "announce 192.0.2.11:53/udp", "route-direct 192.0.2.11:53/udp 10.1.1.1"),
            instructions());
        assertEquals(VipView.Mode.BYPASS, view().mode());
        assertEquals("direct 10.1.1.1", view().route());

        // 1 -> 2: mark cleared, stateful with the bypass's single backend as the previous table, then the router.
        h.run((c, now) -> h.changes.add(DNS, "10.1.1.2", 1, now));
        final Vip up = h.vip(DNS);
        assertEquals(Vip.MODE_STATEFUL, up.mode());
        assertTrue(up.recordsFlows());
        assertEquals(List.of("10.1.1.1"), Arrays.stream(up.previousBackends()).map(Backend::text).toList());
        assertTrue(Arrays.stream(up.previousTable()).allMatch(i -> i == 0), "every previous slot is the first backend");
        assertEquals("route-to-pool 192.0.2.11:53/udp", last());
        assertEquals("route-to-pool " + DNS + " at v" + h.slot.current().version() + " mode " + Vip.MODE_STATEFUL, lastSeen(),
            "the router is told after the stateful snapshot is published");

        // Flows opened during the bypass now reach the MUX mid-connection; workers keep them on the previous
        // table's backend, 10.1.1.1, and record them. Those the new table would move keep the phase going.
        final ForwardingSnapshot s = h.slot.current();
        int moved = 0;
        for (int port = 2000; port < 2200; port++)
        {
            final Backend before = ControlHarness.previousChoice(s, up, CLIENT, port);
            assertEquals("10.1.1.1", before.text());
            h.tables.get(port & 1).putV4(CLIENT, up.v4(), port, 53, 17, before.id(), 0, 5);
            moved += ControlHarness.choice(s, up, CLIENT, port).id() != before.id() ? 1 : 0;
        }
        assertTrue(moved > 50, "about half move: " + moved);
        h.advance(MINIMUM_PHASE_NS + 3 * SECOND);
        assertEquals(Vip.MODE_STATEFUL, h.mode(DNS));
        assertEquals(moved, h.tracker.pendingFlows(h.publisher.vips().get(DNS)));

        // 2 -> 1: marked again at once (the removed backend's flows cannot be kept anyway), router told after.
        h.run((c, now) -> h.changes.remove(DNS, "10.1.1.2", now));
        final Vip down = h.vip(DNS);
        assertEquals(Vip.MODE_BYPASS, down.mode());
        assertNull(down.previousTable());
        assertFalse(down.recordsFlows());
        assertEquals("route-direct " + DNS + " at v" + h.slot.current().version() + " mode " + Vip.MODE_BYPASS, lastSeen());

        assertEquals(List.of(
            "announce 192.0.2.10:80/tcp", "announce 192.0.2.11:53/udp", "route-direct 192.0.2.11:53/udp 10.1.1.1",
            "route-to-pool 192.0.2.11:53/udp",
            "route-direct 192.0.2.11:53/udp 10.1.1.1"), instructions());
    }

    @Test
    void drainingTheOnlyBackendEndsTheBypassAndKeepsItsConnections() throws Exception
    {
        final int[] bypassTable = h.vip(DNS).table().clone();

        h.run((c, now) -> h.changes.drain(DNS, "10.1.1.1", now));

        final Vip vip = h.vip(DNS);
        assertEquals(Vip.MODE_STATEFUL, vip.mode());
        assertEquals(0, vip.table().length, "no new flows");
        assertArrayEquals(bypassTable, vip.previousTable(), "existing connections keep 10.1.1.1");
        assertEquals("route-to-pool 192.0.2.11:53/udp", last());
    }

    @Test
    void reweightingTheOnlyBackendStaysBypassedWithoutTellingTheRouterAgain() throws Exception
    {
        final int before = h.router.instructions().size();

        h.run((c, now) -> h.changes.weight(DNS, "10.1.1.1", 3, now));

        assertEquals(Vip.MODE_BYPASS, h.vip(DNS).mode());
        assertEquals(before, h.router.instructions().size());
    }

    private VipView view()
    {
        return h.changes.views(h.clock.nanoTime()).get(1);
    }

    private List<String> instructions()
    {
        return h.router.instructions().stream().map(Object::toString).toList();
    }

    private String last()
    {
        final List<String> all = instructions();
        return all.get(all.size() - 1);
    }

    private String lastSeen()
    {
        return h.seenByRouter.get(h.seenByRouter.size() - 1);
    }
}
