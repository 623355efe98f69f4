package io.panamux.slowpath.control;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import io.panamux.fastpath.snapshot.Backend;
import io.panamux.fastpath.snapshot.ForwardingSnapshot;
import io.panamux.fastpath.snapshot.SnapshotSlot;
import io.panamux.fastpath.snapshot.Vip;
import io.panamux.slowpath.config.ConfigLoader;
import io.panamux.slowpath.config.MuxConfig;
import io.panamux.slowpath.control.SnapshotPublisher.VipState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static io.panamux.slowpath.control.ControlHarness.CLIENT;
import static io.panamux.slowpath.control.ControlHarness.DNS;
import static io.panamux.slowpath.control.ControlHarness.IDLE_NS;
import static io.panamux.slowpath.control.ControlHarness.MINIMUM_PHASE_NS;
import static io.panamux.slowpath.control.ControlHarness.SECOND;
import static io.panamux.slowpath.control.ControlHarness.WEB;
import static io.panamux.slowpath.control.ControlHarness.ip;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The backend-change and stateful-phase state machine (ARCHITECTURE.md §1 item 2) on a stepped control
 * agent with a fake clock, flow tables filled as workers fill them.
 */
class BackendChangesTest
{
    private final ControlHarness h = new ControlHarness();

    @AfterEach
    void close()
    {
        h.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"add", "remove", "weight", "drain"})
    void everyBackendChangeEntersTheStatefulPhaseKeepingThePreviousTable(final String change) throws Exception
    {
        assertEquals(Vip.MODE_STATELESS, h.mode(WEB));
        final long version = h.publisher.version();
        final int[] before = h.vip(WEB).table().clone();
        final Backend[] backendsBefore = h.vip(WEB).backends();

        final VipView view = h.run((c, now) -> switch (change)
        {
            case "add" -> h.changes.add(WEB, "10.1.0.4", 2, now);
            case "remove" -> h.changes.remove(WEB, "10.1.0.3", now);
            case "weight" -> h.changes.weight(WEB, "10.1.0.1", 5, now);
            default -> h.changes.drain(WEB, "10.1.0.2", now);
        });

        final Vip vip = h.vip(WEB);
        assertEquals(Vip.MODE_STATEFUL, vip.mode());
        assertTrue(vip.recordsFlows());
        assertEquals(VipView.Mode.STATEFUL, view.mode());
        assertEquals(version + 1, h.publisher.version(), "published once");
        assertArrayEquals(before, vip.previousTable(), "the table before the change is the previous table");
        assertEquals(Arrays.stream(backendsBefore).map(Backend::text).toList(),
            Arrays.stream(vip.previousBackends()).map(Backend::text).toList());
        assertFalse(Arrays.equals(before, vip.table()), "the table changed");
        switch (change)
        {
            case "add" -> assertEquals(List.of("10.1.0.1", "10.1.0.2", "10.1.0.3", "10.1.0.4"), texts(vip.backends()));
            case "remove" -> assertEquals(List.of("10.1.0.1", "10.1.0.2"), texts(vip.backends()));
            case "weight" -> assertTrue(share(vip, "10.1.0.1") > 0.6, "weight 5 of 7: " + share(vip, "10.1.0.1"));
            default ->
            {
                final Backend drained = vip.backends()[1];
                assertEquals("10.1.0.2", drained.text());
                assertTrue(drained.draining(), "still present, draining");
                assertEquals(0.0, share(vip, "10.1.0.2"), "no new flows to a draining backend");
                assertTrue(view.backends().get(1).draining());
            }
        }
    }

    /**
     * A second change while the VIP is still in the stateful phase of the first keeps the table from before
     * the first as the previous table. The connections older than both changes may not have sent a packet
     * between them (a MUX can apply two changes a few milliseconds apart, another MUX of the pool both at
     * once), so they are unrecorded and must still find their backend in the previous table; the
     * connections opened in between were recorded as new connections. With the intermediate table as the
     * previous one, a connection the first change moved went to its new backend and broke (NetworkTest,
     * "a backend added and another drained").
     */
    @Test
    void aSecondChangeDuringTheStatefulPhaseKeepsTheTableFromBeforeTheFirst() throws Exception
    {
        final int[] before = h.vip(WEB).table().clone();
        final List<String> backendsBefore = texts(h.vip(WEB).backends());
        final ForwardingSnapshot stable = h.slot.current();
        final Vip stableVip = h.vip(WEB);
        h.run((c, now) -> h.changes.add(WEB, "10.1.0.4", 1, now));
        final long firstSince = h.publisher.vips().get(WEB).statefulSinceNs();
        h.advance(2 * SECOND);
        h.run((c, now) -> h.changes.drain(WEB, "10.1.0.1", now));

        final Vip vip = h.vip(WEB);
        assertEquals(Vip.MODE_STATEFUL, vip.mode());
        assertArrayEquals(before, vip.previousTable(), "the table from before the first change");
        assertEquals(backendsBefore, texts(vip.previousBackends()));
        assertTrue(h.publisher.vips().get(WEB).statefulSinceNs() > firstSince, "the phase's minimum runs from the last change");

        // Every connection older than both changes keeps its backend, the drained one included.
        final ForwardingSnapshot s = h.slot.current();
        int moved = 0;
        for (int port = 1000; port < 1400; port++)
        {
            final Backend original = ControlHarness.choice(stable, stableVip, CLIENT, port);
            final long hash = ControlHarness.hash(s, CLIENT, vip.v4(), port, vip.port(), vip.protocol());
            final Backend kept = vip.backendForExisting(s, hash);
            assertEquals(original.text(), kept.text(), "client port " + port);
            moved += ControlHarness.choice(s, vip, CLIENT, port).id() != kept.id() ? 1 : 0;
        }
        assertTrue(moved > 100, "the two changes move a share of the flows for new connections: " + moved);
    }

    /**
     * The next hop reaches the workers in the snapshot: the configured {@code gateway-mac} from the first
     * snapshot on, and one ARP learnt (when none is configured) in the next snapshot published.
     */
    @Test
    void theNextHopMacIsPublishedInTheSnapshot() throws Exception
    {
        assertEquals(0x02_00_00_00_00_FEL, h.slot.current().nextHopMac(), "dataplane.gateway-mac");
        final SnapshotSlot slot = new SnapshotSlot(ForwardingSnapshot.empty(1));
        final SnapshotPublisher publisher = new SnapshotPublisher(slot, new BackendIds(ControlHarness.SECOND));
        publisher.apply(ConfigLoader.parse(ControlHarness.CONFIG.replace("gateway-mac: \"02:00:00:00:00:fe\"", "gateway: 10.0.0.1"), "mux.yaml"), 0);
        assertEquals(0, slot.current().nextHopMac(), "no gateway-mac: unknown until ARP answers");
        publisher.learntNextHop(0x02_AA_BB_CC_DD_01L);
        assertEquals(0, slot.current().nextHopMac(), "published with the next snapshot, not before");
        publisher.publish(1);
        assertEquals(0x02_AA_BB_CC_DD_01L, slot.current().nextHopMac());
    }

    @Test
    void phaseEndsAfterTheMinimumWhenNoRecordedFlowNeedsItsOldBackend() throws Exception
    {
        h.run((c, now) -> h.changes.add(WEB, "10.1.0.4", 1, now));
        final ForwardingSnapshot s = h.slot.current();
        final Vip vip = h.vip(WEB);
        // New connections during the phase: recorded with the current table's choice.
        for (int port = 1000; port < 1400; port++)
        {
            final Backend now = ControlHarness.choice(s, vip, CLIENT, port);
            h.tables.get(port & 1).putV4(CLIENT, vip.v4(), port, 80, 6, now.id(), 0, 100);
        }

        h.advance(MINIMUM_PHASE_NS - 2 * SECOND);
        assertEquals(Vip.MODE_STATEFUL, h.mode(WEB), "not before the minimum");
        assertEquals(0, h.tracker.pendingFlows(h.publisher.vips().get(WEB)));

        h.advance(3 * SECOND);
        assertEquals(Vip.MODE_STATELESS, h.mode(WEB));
        assertEquals(Vip.MODE_STATELESS, h.vip(WEB).mode(), "published");
        assertNull(h.vip(WEB).previousTable());
    }

    @Test
    void phaseLastsWhileFlowsOnTheirOldBackendLiveAndEndsWhenTheyAreGone() throws Exception
    {
        h.run((c, now) -> h.changes.add(WEB, "10.1.0.4", 1, now));
        final List<Integer> moved = recordMovedFlows(100);
        assertTrue(moved.size() > 20, "a quarter of the flows move to the new backend: " + moved.size());

        h.advance(MINIMUM_PHASE_NS + 5 * SECOND);
        assertEquals(Vip.MODE_STATEFUL, h.mode(WEB), "flows still need their old backend");
        assertEquals(moved.size(), h.tracker.pendingFlows(h.publisher.vips().get(WEB)));

        // The connections end: the workers' tables lose them.
        for (final int port : moved)
        {
            assertTrue(h.tables.get(port & 1).removeV4(CLIENT, ControlHarness.WEB_ADDRESS, port, 80, 6));
        }
        h.advance(2 * SECOND);
        assertEquals(Vip.MODE_STATELESS, h.mode(WEB));
        assertEquals(Vip.MODE_STATELESS, h.vip(WEB).mode());
    }

    @Test
    void phaseEndsWhenTheFlowsThatNeedItIdleOutAndActivityExtendsIt() throws Exception
    {
        h.run((c, now) -> h.changes.add(WEB, "10.1.0.4", 1, now));
        final List<Integer> moved = recordMovedFlows(100);
        final VipState state = h.publisher.vips().get(WEB);
        final long since = state.statefulSinceNs();

        h.advance(20 * SECOND);
        assertEquals(Vip.MODE_STATEFUL, h.mode(WEB));
        final VipView early = h.changes.views(h.clock.nanoTime()).get(0);
        assertEquals(VipView.Mode.STATEFUL, early.mode());
        assertEquals(since + SECOND + IDLE_NS, early.statefulUntilNs(), "last activity (first pass) + idle timeout");
        assertEquals(moved.size(), early.statefulFlows());

        // One of the old connections sends again: the workers move its last-seen time on.
        final int port = moved.get(0);
        final ForwardingSnapshot s = h.slot.current();
        h.tables.get(port & 1).putV4(CLIENT, ControlHarness.WEB_ADDRESS, port, 80, 6,
            ControlHarness.previousChoice(s, h.vip(WEB), CLIENT, port).id(), 0, 120);
        h.advance(25 * SECOND);
        assertEquals(Vip.MODE_STATEFUL, h.mode(WEB), "activity 25 s ago, idle timeout 30 s");
        assertTrue(h.changes.views(h.clock.nanoTime()).get(0).statefulUntilNs() > since + 50 * SECOND);

        h.advance(10 * SECOND);
        assertEquals(Vip.MODE_STATELESS, h.mode(WEB), "nothing seen for the idle timeout, flows still in the tables");
    }

    @Test
    void unhealthyBackendsLeaveTheTableAndReturnAndASingleHealthyOneIsBypassed() throws Exception
    {
        h.run((c, now) ->
        {
            h.changes.healthChanged(WEB, ip("10.1.0.2"), false, now);
            return null;
        });
        assertEquals(List.of("10.1.0.1", "10.1.0.3"), texts(h.vip(WEB).backends()), "unhealthy: out of the table");
        assertEquals(Vip.MODE_STATEFUL, h.vip(WEB).mode(), "a backend change");
        final VipView view = h.changes.views(h.clock.nanoTime()).get(0);
        assertEquals(VipView.Health.UNHEALTHY, view.backends().get(1).health());
        assertFalse(view.backends().get(1).inTable());
        assertEquals(VipView.Health.HEALTHY, view.backends().get(0).health());

        h.run((c, now) ->
        {
            h.changes.healthChanged(WEB, ip("10.1.0.3"), false, now);
            return null;
        });
        assertEquals(Vip.MODE_BYPASS, h.vip(WEB).mode(), "one healthy backend left: bypass");
        assertEquals("direct 10.1.0.1", h.router.routes().get(WEB));

        h.run((c, now) ->
        {
            h.changes.healthChanged(WEB, ip("10.1.0.2"), true, now);
            return null;
        });
        assertEquals(List.of("10.1.0.1", "10.1.0.2"), texts(h.vip(WEB).backends()), "recovered: back in the table");
        assertEquals(Vip.MODE_STATEFUL, h.vip(WEB).mode());
        assertEquals("pool", h.router.routes().get(WEB));
        assertEquals(List.of("10.1.0.1"), texts(h.vip(WEB).previousBackends()), "the bypass's backend is the previous table");
    }

    @Test
    void rejectedChangesSayWhyAndChangeNothing()
    {
        final long version = h.publisher.version();
        final int instructions = h.router.instructions().size();
        final int[] table = h.vip(WEB).table().clone();

        assertRejected(ChangeRejectedException.CONFLICT, "10.1.0.1 is already a backend of 192.0.2.10:80/tcp",
            (c, now) -> h.changes.add(WEB, "10.1.0.1", 1, now));
        assertRejected(ChangeRejectedException.NOT_FOUND, "no VIP 192.0.2.99:80/tcp (VIPs: 192.0.2.10:80/tcp, 192.0.2.11:53/udp)",
            (c, now) -> h.changes.add("192.0.2.99:80/tcp", "10.1.0.9", 1, now));
        assertRejected(ChangeRejectedException.NOT_FOUND, "10.1.0.9 is not a backend of 192.0.2.10:80/tcp",
            (c, now) -> h.changes.remove(WEB, "10.1.0.9", now));
        assertRejected(ChangeRejectedException.INVALID, "a VIP is ADDRESS:PORT/PROTO",
            (c, now) -> h.changes.drain("192.0.2.10/tcp", "10.1.0.1", now));
        assertRejected(ChangeRejectedException.INVALID, "a weight is at least 0, got -1",
            (c, now) -> h.changes.weight(WEB, "10.1.0.1", -1, now));
        assertRejected(ChangeRejectedException.INVALID, "an IPv6 backend needs mux.address6",
            (c, now) -> h.changes.add(WEB, "2001:db8::1", 1, now));
        assertRejected(ChangeRejectedException.INVALID, "a backend is an IPv4 or IPv6 address, got \"backend-1\"",
            (c, now) -> h.changes.add(WEB, "backend-1", 1, now));

        assertEquals(version, h.publisher.version(), "no snapshot published");
        assertEquals(Vip.MODE_STATELESS, h.mode(WEB));
        assertArrayEquals(table, h.vip(WEB).table());
        assertEquals(instructions, h.router.instructions().size());
    }

    @Test
    void reloadAppliesTheFileWholeAndRefusesRestartOnlyChanges() throws Exception
    {
        final long version = h.publisher.version();
        final MuxConfig restart = ConfigLoader.parse(ControlHarness.CONFIG.replace("workers: 2", "workers: 4")
            .replace("10.1.0.3, weight: 1", "10.1.0.3, weight: 7"), "mux.yaml");

        final ChangeRejectedException e = assertThrows(ChangeRejectedException.class, () -> h.run((c, now) -> h.changes.reload(restart, now)));
        assertEquals(ChangeRejectedException.Reason.NEEDS_RESTART, e.reason());
        assertTrue(e.getMessage().startsWith("not reloaded: dataplane.workers changed (2 -> 4)"), e.getMessage());
        assertEquals(version, h.publisher.version(), "a refused reload publishes nothing");
        assertEquals(Vip.MODE_STATELESS, h.mode(WEB), "and changes no VIP");
        assertEquals(1, h.vip(WEB).backends()[2].weight());

        final MuxConfig withBgp = ConfigLoader.parse(ControlHarness.CONFIG + """
            router:
              bgp:
                local-as: 65000
                neighbors: [ { address: 198.18.11.1, as: 65000 } ]
                run-directory: /run/panamux/mux-test
            """, "mux.yaml");
        final ChangeRejectedException bgp = assertThrows(ChangeRejectedException.class, () -> h.run((c, now) -> h.changes.reload(withBgp, now)));
        assertTrue(bgp.getMessage().startsWith("not reloaded: router.bgp changed"), bgp.getMessage());
        assertEquals(version, h.publisher.version());

        final MuxConfig next = ConfigLoader.parse(ControlHarness.CONFIG
            .replace("10.1.0.3, weight: 1", "10.1.0.3, weight: 7")
            .replace("""
                  - address: 192.0.2.11
                    port: 53
                    protocol: udp
                """, """
                  - address: 192.0.2.12
                    port: 53
                    protocol: udp
                """), "mux.yaml");
        final List<String> summary = h.run((c, now) -> h.changes.reload(next, now));

        assertEquals(List.of("192.0.2.11:53/udp: removed", "192.0.2.10:80/tcp: changed", "192.0.2.12:53/udp: added"), summary);
        assertEquals(7, h.vip(WEB).backends()[2].weight());
        assertEquals(Vip.MODE_STATEFUL, h.mode(WEB), "a re-weight enters the stateful phase");
        assertEquals(2, h.slot.current().vips().length);
        assertEquals(List.of(
            "announce 192.0.2.10:80/tcp", "announce 192.0.2.11:53/udp", "route-direct 192.0.2.11:53/udp 10.1.1.1",
            "withdraw 192.0.2.11:53/udp", "announce 192.0.2.12:53/udp", "route-direct 192.0.2.12:53/udp 10.1.1.1"),
            h.router.instructions().stream().map(Object::toString).toList());
    }

    /**
     * A reload applies the file whole, also to a VIP whose lines in the file did not change but whose backends
     * were changed with ctl since: the workers' table must go back to the file's backends, as ctl's view does.
     * It kept the ctl-made backends (the publisher saw the VIP's configuration unchanged), so the workers sent
     * new flows to a backend that ctl showed gone and could not remove (found by the soak test).
     */
    @Test
    void aReloadTakesBackACtlChangeToAVipTheFileDoesNotChange() throws Exception
    {
        h.run((c, now) -> h.changes.add(WEB, "10.1.0.4", 1, now));
        h.run((c, now) -> h.changes.drain(WEB, "10.1.0.1", now));
        assertEquals(List.of("10.1.0.1", "10.1.0.2", "10.1.0.3", "10.1.0.4"), texts(h.vip(WEB).backends()));

        h.run((c, now) -> h.changes.reload(ConfigLoader.parse(ControlHarness.CONFIG, "mux.yaml"), now));

        assertEquals(List.of("10.1.0.1", "10.1.0.2", "10.1.0.3"), texts(h.vip(WEB).backends()), "the workers' backends are the file's");
        assertTrue(Arrays.stream(h.vip(WEB).backends()).noneMatch(Backend::draining), "the drain ended with the reload");
        final VipView view = h.run((c, now) -> h.changes.views(now).stream().filter(v -> v.vip().equals(WEB)).findFirst().orElseThrow());
        assertEquals(List.of("10.1.0.1", "10.1.0.2", "10.1.0.3"), view.backends().stream().map(VipView.BackendView::address).toList(),
            "and ctl shows the same");
    }

    @Test
    void vipKeysAreCanonicalised() throws Exception
    {
        assertEquals("192.0.2.10:80/tcp", BackendChanges.canonicalVipKey("192.0.2.10:80/TCP"));
        assertEquals("[2001:db8::10]:443/tcp", BackendChanges.canonicalVipKey("[2001:0db8:0:0::10]:443/tcp"));
        assertThrows(ChangeRejectedException.class, () -> BackendChanges.canonicalVipKey("2001:db8::10:443/tcp"));
        assertThrows(ChangeRejectedException.class, () -> BackendChanges.canonicalVipKey("192.0.2.10:0/tcp"));
        assertThrows(ChangeRejectedException.class, () -> BackendChanges.canonicalVipKey("192.0.2.10:80/sctp"));
        assertNotNull(h.run((c, now) -> h.changes.drain("192.0.2.10:80/TCP", "10.1.0.1", now)));
    }

    /**
     * Records, as workers would in the stateful phase, the flows of 400 client ports: each on the previous
     * table's backend (an old connection's mid-connection packet).
     *
     * @return the client ports whose backend the current table would change.
     */
    private List<Integer> recordMovedFlows(final int lastSeen)
    {
        final ForwardingSnapshot s = h.slot.current();
        final Vip vip = h.vip(WEB);
        final List<Integer> moved = new ArrayList<>();
        for (int port = 1000; port < 1400; port++)
        {
            final Backend before = ControlHarness.previousChoice(s, vip, CLIENT, port);
            h.tables.get(port & 1).putV4(CLIENT, vip.v4(), port, 80, 6, before.id(), 0, lastSeen);
            if (ControlHarness.choice(s, vip, CLIENT, port).id() != before.id())
            {
                moved.add(port);
            }
        }
        return moved;
    }

    private void assertRejected(final ChangeRejectedException.Reason reason, final String message, final ControlAgent.Command<?> command)
    {
        final ChangeRejectedException e = assertThrows(ChangeRejectedException.class, () -> h.run(command));
        assertEquals(reason, e.reason(), e.getMessage());
        assertTrue(e.getMessage().startsWith(message), e.getMessage());
    }

    private static List<String> texts(final Backend[] backends)
    {
        return Arrays.stream(backends).map(Backend::text).toList();
    }

    private static double share(final Vip vip, final String backend)
    {
        int n = 0;
        for (final int i : vip.table())
        {
            n += vip.backends()[i].text().equals(backend) ? 1 : 0;
        }
        return (double)n / vip.table().length;
    }
}
