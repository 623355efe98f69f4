package io.panamux.slowpath.peer;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.panamux.slowpath.config.HostPort;
import io.panamux.slowpath.config.IpAddress;
import io.panamux.slowpath.config.PoolMembership;
import io.panamux.slowpath.control.SnapshotPublisher.BackendState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static io.panamux.slowpath.peer.PoolRig.CLIENT;
import static io.panamux.slowpath.peer.PoolRig.VIP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The owner ring following a changing membership (ARCHITECTURE.md §7, issue 12 item 4): three MUXes in one JVM
 * ({@link PoolRig}), each with a {@link PoolRing} over a membership the test changes, as the store's watch
 * would. When an owner leaves, the flows reported to it reach their new owner again; when a member joins, the
 * flows the old owner stored for it are handed over. Either way the new owner then answers an owner query
 * from what it was told, not by rule 2.
 */
class PoolRingTest
{
    private static final List<String> BACKENDS = List.of("10.1.0.1", "10.1.0.2");
    private static final List<BackendState> WITH_THIRD = List.of(state("10.1.0.1"), state("10.1.0.2"), state("10.1.0.3"));

    /** A membership the test sets, as a store's watch would. */
    private static final class Members implements PoolMembership
    {
        volatile List<IpAddress> list;
        final Map<IpAddress, HostPort> endpoints = new HashMap<>();

        @Override
        public List<IpAddress> members()
        {
            return list;
        }

        @Override
        public Map<IpAddress, HostPort> peerEndpoints()
        {
            return Map.copyOf(endpoints);
        }

        @Override
        public boolean dynamic()
        {
            return true;
        }
    }

    private PoolRig rig;
    private final List<PoolRing> rings = new ArrayList<>();
    private final List<Members> views = new ArrayList<>();
    private final ByteArrayOutputStream log = new ByteArrayOutputStream();

    private static BackendState state(final String address)
    {
        return new BackendState(IpAddress.parse(address), 1, false);
    }

    @AfterEach
    void close()
    {
        if (rig != null)
        {
            rig.close();
        }
    }

    /** Three MUXes whose membership starts as {@code initial} (indexes into the rig), the VIP in its stateful phase. */
    private void pool(final int... initial)
    {
        rig = new PoolRig(3, PoolRig.defaults(), BACKENDS);
        for (final PoolRig.Member m : rig.members)
        {
            m.changeBackends(WITH_THIRD);
            final Members view = new Members();
            for (final PoolRig.Member o : rig.members)
            {
                view.endpoints.put(o.address, new HostPort(IpAddress.parse("127.0.0.1"), o.ownership.localAddress().getPort()));
            }
            view.list = addresses(initial);
            final PoolRing ring = new PoolRing(view, m.address, PoolRig.SEED, Optional.empty(), m.publisher,
                () -> m.publisher.publish(rig.nowNs), new PrintStream(log, true, StandardCharsets.UTF_8));
            ring.ownership(m.ownership);
            ring.update();
            views.add(view);
            rings.add(ring);
            // The rig started every member with the whole pool's ring: let it settle on this one (empty tables).
            for (int i = 0; i < 3 || m.ownership.rescanning(); i++)
            {
                m.ownership.doWork(rig.nowNs);
            }
        }
    }

    private List<IpAddress> addresses(final int... members)
    {
        final List<IpAddress> out = new ArrayList<>();
        for (final int i : members)
        {
            out.add(rig.member(i).address);
        }
        return List.copyOf(out);
    }

    /** Every member's membership becomes {@code members}; then each ring follows on its next duty cycle. */
    private void membersBecome(final int... members)
    {
        for (final Members v : views)
        {
            v.list = addresses(members);
        }
    }

    /** One duty cycle of the ring and the ownership protocol of each given member. */
    private void step(final PoolRig.Member... only)
    {
        for (final PoolRig.Member m : only)
        {
            rings.get(m.index).doWork(rig.nowNs);
            m.ownership.doWork(rig.nowNs);
        }
    }

    private void stepUntil(final java.util.function.BooleanSupplier done, final PoolRig.Member... only)
    {
        for (int i = 0; i < 5000; i++)
        {
            step(only);
            rig.nowNs += 1_000_000L;
            if (done.getAsBoolean())
            {
                return;
            }
            Thread.onSpinWait();
        }
        throw new AssertionError("the pool did not get there");
    }

    /** A flow member {@code recorder}'s worker recorded on {@code backend} and reported to its owner. */
    private PeerFlow recorded(final PoolRig.Member recorder, final int port, final String backend)
    {
        final int id = recorder.backend(backend).id();
        recorder.table.putV4(CLIENT, VIP, port, 80, 6, id, 0, 1);
        recorder.flowLearned(port, recorder.backend(backend));
        return PeerFlow.v4(CLIENT, VIP, port, 80, 6);
    }

    /** @return a backend other than the one rule 2 would give the flow. */
    private static String notRule2(final PoolRig.Member m, final int port)
    {
        final String r2 = FlowOwnership.rule2(m.snapshot(), m.vip(), PoolRig.hash(port)).text();
        return r2.equals("10.1.0.3") ? "10.1.0.1" : "10.1.0.3";
    }

    @Test
    void flowsReportedToAnOwnerThatLeftReachTheNewOwner()
    {
        pool(0, 1, 2);
        final PoolRig.Member a = rig.member(0);
        final PoolRig.Member b = rig.member(1);
        final PoolRig.Member c = rig.member(2);
        // Flows A recorded and reported to C, which B owns once C has left.
        final List<PeerFlow> flows = new ArrayList<>();
        final List<String> backends = new ArrayList<>();
        for (int port = 20000; flows.size() < 20 && port < 60000; port++)
        {
            if (a.ownerOf(port) != 2)
            {
                continue;
            }
            final int p = port;
            final IpAddress newOwner = new io.panamux.flow.OwnerRing(List.of(a.address.toString(), b.address.toString()), PoolRig.SEED)
                .owner(PoolRig.hash(p)) == 1 ? b.address : a.address;
            if (!newOwner.equals(b.address))
            {
                continue;
            }
            final String backend = notRule2(a, p);
            flows.add(recorded(a, p, backend));
            backends.add(backend);
        }
        assertEquals(20, flows.size());
        rig.nowNs += 20_000_000L;
        stepUntil(() -> c.ownership.store().size() == flows.size(), a, c);
        assertEquals(0, b.ownership.store().size(), "B owned none of them");

        // C dies: its lease expires and A and B see the pool without it.
        final long changesBefore = a.stats().ringChanges();
        membersBecome(0, 1);
        stepUntil(() -> flows.stream().allMatch(f -> b.ownership.store().peek(f) != null), a, b);
        for (int i = 0; i < flows.size(); i++)
        {
            assertEquals(IpAddress.parse(backends.get(i)), b.ownership.store().peek(flows.get(i)), "the recorded backend, not rule 2's");
        }
        assertEquals(flows.size(), a.stats().flowsReportedAgain());
        assertEquals(1, a.stats().ringChanges() - changesBefore);
        assertEquals(2, a.snapshot().owners().size());
        assertTrue(log.toString(StandardCharsets.UTF_8).contains("left [" + c.address + "]"), log.toString(StandardCharsets.UTF_8));

        // An owner query from A for one of them is answered by B from what it was told.
        final int port = flows.get(0).srcPort();
        a.ownerQuery(port, a.backend(FlowOwnership.rule2(a.snapshot(), a.vip(), PoolRig.hash(port)).text()));
        stepUntil(() -> b.stats().answersSent() == 1, a, b);
        assertEquals(1, b.stats().answersFromStore());
        assertEquals(0, b.stats().answersByRule2());
        stepUntil(() -> a.stats().queriesAnswered() == 1, a, b);
        final var put = a.drainCommands();
        assertEquals(a.backend(backends.get(0)).id(), put.get(put.size() - 1).backendId());
    }

    @Test
    void aMemberThatJoinsGetsTheFlowsItNowOwns()
    {
        pool(0, 1);
        final PoolRig.Member a = rig.member(0);
        final PoolRig.Member b = rig.member(1);
        final PoolRig.Member c = rig.member(2);
        assertEquals(2, a.snapshot().owners().size());
        // Flows A reported to B that C owns once it has joined.
        final List<PeerFlow> flows = new ArrayList<>();
        for (int port = 20000; flows.size() < 10 && port < 60000; port++)
        {
            if (a.snapshot().owners().owner(PoolRig.hash(port)) != 1
                || new io.panamux.flow.OwnerRing(List.of("10.0.0.1", "10.0.0.2", "10.0.0.3"), PoolRig.SEED).owner(PoolRig.hash(port)) != 2)
            {
                continue;
            }
            flows.add(recorded(a, port, notRule2(a, port)));
        }
        rig.nowNs += 20_000_000L;
        stepUntil(() -> b.ownership.store().size() == flows.size(), a, b);
        assertNull(c.ownership.store().peek(flows.get(0)));

        membersBecome(0, 1, 2);
        stepUntil(() -> flows.stream().allMatch(f -> c.ownership.store().peek(f) != null), a, b, c);
        assertEquals(3, c.snapshot().owners().size());
        assertEquals(flows.size(), b.stats().storeHandedOver(), "B gives C what it stored for C's flows");
        assertEquals(flows.size(), a.stats().flowsReportedAgain(), "A reports its flows to C");
        for (final PeerFlow f : flows)
        {
            assertEquals(b.ownership.store().peek(f), c.ownership.store().peek(f));
            assertNotEquals(null, c.ownership.store().peek(f));
        }
    }

    @Test
    void aMemberAloneHasNoRingAndItsFlowsGoToTheFirstThatJoins()
    {
        pool(0);
        final PoolRig.Member a = rig.member(0);
        final PoolRig.Member b = rig.member(1);
        assertNull(a.snapshot().owners(), "alone: no owner queries");
        final List<PeerFlow> flows = new ArrayList<>();
        for (int port = 20000; flows.size() < 5; port++)
        {
            if (new io.panamux.flow.OwnerRing(List.of("10.0.0.1", "10.0.0.2"), PoolRig.SEED).owner(PoolRig.hash(port)) == 1)
            {
                final int id = a.backend(notRule2(a, port)).id();
                a.table.putV4(CLIENT, VIP, port, 80, 6, id, 0, 1);
                flows.add(PeerFlow.v4(CLIENT, VIP, port, 80, 6));
            }
        }
        membersBecome(0, 1);
        stepUntil(() -> flows.stream().allMatch(f -> b.ownership.store().peek(f) != null), a, b);
        assertEquals(flows.size(), a.stats().flowsReportedAgain());
    }
}
