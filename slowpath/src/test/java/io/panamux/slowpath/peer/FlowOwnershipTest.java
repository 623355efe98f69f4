package io.panamux.slowpath.peer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.List;

import io.panamux.fastpath.ring.ControlToWorker;
import io.panamux.fastpath.ring.FlowRecord;
import io.panamux.fastpath.snapshot.Backend;
import io.panamux.slowpath.config.IpAddress;
import io.panamux.slowpath.config.Peers;
import io.panamux.slowpath.control.SnapshotPublisher.BackendState;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static io.panamux.slowpath.peer.PeerMessageDescriptor.*;
import static io.panamux.slowpath.peer.PoolRig.CLIENT;
import static io.panamux.slowpath.peer.PoolRig.VIP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three flow-ownership endpoints in one JVM over loopback UDP, each with its own snapshot, flow table,
 * command queue and fake mbufs, stepped with fake clocks. Member 0 is A, 1 is B, 2 is C; the VIP has
 * backends .1 and .2, then .3 is added on every member (the stateful phase begins).
 */
class FlowOwnershipTest
{
    private static final List<String> BACKENDS = List.of("10.1.0.1", "10.1.0.2");
    private static final List<BackendState> WITH_THIRD = List.of(state("10.1.0.1"), state("10.1.0.2"), state("10.1.0.3"));

    private PoolRig rig;

    private static BackendState state(final String address)
    {
        return new BackendState(IpAddress.parse(address), 1, false);
    }

    private PoolRig pool(final PoolRig.PeersTuning tuning)
    {
        rig = new PoolRig(3, tuning, BACKENDS);
        for (final PoolRig.Member m : rig.members)
        {
            m.changeBackends(WITH_THIRD);
        }
        return rig;
    }

    @AfterEach
    void close()
    {
        if (rig != null)
        {
            for (final PoolRig.Member m : rig.members)
            {
                assertEquals(0, m.packets.outstanding().size(), "every mbuf freed or sent by " + m.address);
            }
            rig.close();
        }
    }

    /** @return rule 2's choice for the flow on member {@code m}. */
    private static Backend rule2(final PoolRig.Member m, final int srcPort)
    {
        return FlowOwnership.rule2(m.snapshot(), m.vip(), PoolRig.hash(srcPort));
    }

    /** @return a backend of the VIP that rule 2 does not choose for the flow. */
    private static String notRule2(final PoolRig.Member m, final int srcPort)
    {
        final String r2 = rule2(m, srcPort).text();
        return r2.equals("10.1.0.3") ? "10.1.0.1" : "10.1.0.3";
    }

    private static void assertPutFlow(final List<FlowRecord> commands, final int port, final Backend backend)
    {
        assertEquals(1, commands.size(), "one command: " + commands);
        final FlowRecord c = commands.get(0);
        assertEquals(ControlToWorker.PUT_FLOW, c.type());
        assertEquals(backend.id(), c.backendId(), "backend " + backend.text());
        assertEquals(0, c.flags(), "the flow is no longer pending");
        assertEquals(port, c.srcPort());
        assertEquals(80, c.dstPort());
        assertEquals(CLIENT, c.srcV4());
        assertEquals(VIP, c.dstV4());
        assertEquals(4, c.version());
    }

    @Test
    void learnedFlowsReachTheirOwnerBatched()
    {
        pool(p -> p);
        final PoolRig.Member a = rig.member(0);
        final PoolRig.Member b = rig.member(1);
        final int port = rig.portOwnedBy(1, x -> true);
        final PeerFlow flow = PeerFlow.v4(CLIENT, VIP, port, 80, 6);

        a.flowLearned(port, a.backend("10.1.0.3"));
        rig.step(a);
        rig.step(b);
        assertEquals(0, a.stats().learnedSent(), "waiting for the batch interval");

        rig.nowNs += Peers.DEFAULT_LEARNED_BATCH_INTERVAL_MS * 1_000_000L;
        rig.stepUntil(() -> b.ownership.store().peek(flow) != null, a, b);

        assertEquals(IpAddress.parse("10.1.0.3"), b.ownership.store().peek(flow));
        assertEquals(1, a.stats().learnedSent());
        assertEquals(1, a.stats().learnedDatagramsSent());
        assertEquals(1, b.stats().learnedReceived());
        assertEquals(0, rig.member(2).ownership.store().size(), "only the owner hears about it");
    }

    @Test
    void aFullBatchGoesAtOnceAndFlowsOwnedHereAreNotSent()
    {
        pool(p -> p);
        final PoolRig.Member a = rig.member(0);
        final PoolRig.Member b = rig.member(1);
        int port = 20000;
        for (int sent = 0; sent < LEARNED_PER_DATAGRAM; port++)
        {
            if (a.ownerOf(port) == 1)
            {
                a.flowLearned(port, a.backend("10.1.0.2"));
                sent++;
            }
            else if (a.ownerOf(port) == 0)
            {
                a.flowLearned(port, a.backend("10.1.0.2"));
            }
        }

        assertEquals(1, a.stats().learnedDatagramsSent(), "sent when full, before the interval");
        rig.stepUntil(() -> b.stats().learnedReceived() == LEARNED_PER_DATAGRAM, b);
        assertEquals(LEARNED_PER_DATAGRAM, b.ownership.store().size());
        assertEquals(LEARNED_PER_DATAGRAM, a.stats().learnedSent(), "flows A owns itself are not sent");
    }

    @Test
    void aQueryIsAnsweredWithTheLearnedBackendAndTheOwnerForwardsThePacket()
    {
        pool(p -> p);
        final PoolRig.Member a = rig.member(0);
        final PoolRig.Member b = rig.member(1);
        final PoolRig.Member c = rig.member(2);
        final int port = rig.portOwnedBy(1, x -> true);
        final String learned = notRule2(b, port);
        // A saw the connection open on the new table; C sees it mid-connection and would guess rule 2.
        a.flowLearned(port, a.backend(learned));
        rig.nowNs += 20_000_000L;
        rig.stepUntil(() -> b.stats().learnedReceived() == 1, a, b);

        c.ownerQuery(port, rule2(c, port));
        assertEquals(1, c.ownership.queriesInFlight());
        rig.stepUntil(() -> c.stats().queriesAnswered() == 1, b, c);

        assertPutFlow(c.drainCommands(), port, c.backend(learned));
        assertEquals(1, b.packets.sent().size(), "the owner sent the packet on");
        assertEquals(learned, PoolRig.outerDestination(b.packets.sent().get(0)));
        assertEquals(port, PoolRig.innerSourcePort(b.packets.sent().get(0)));
        assertEquals(0, c.packets.sent().size());
        assertEquals(1, c.packets.freed(), "the asker freed the packet it sent to the owner");
        assertEquals(0, c.ownership.queriesInFlight());
        final PeerStats bs = b.stats();
        assertEquals(1, bs.queriesReceived());
        assertEquals(1, bs.answersFromStore());
        assertEquals(1, bs.answersSent());
        assertEquals(1, bs.packetsForwarded());
        assertEquals(1, c.stats().queriesSent());
        assertEquals(0, c.stats().queriesTimedOut());
    }

    @Test
    void theOwnerAnswersFromItsOwnFlowTable()
    {
        pool(p -> p);
        final PoolRig.Member b = rig.member(1);
        final PoolRig.Member c = rig.member(2);
        final int port = rig.portOwnedBy(1, x -> true);
        final String recorded = notRule2(b, port);
        b.table.putV4(CLIENT, VIP, port, 80, 6, b.backend(recorded).id(), 0, 1);

        c.ownerQuery(port, rule2(c, port));
        rig.stepUntil(() -> c.stats().queriesAnswered() == 1, b, c);

        assertPutFlow(c.drainCommands(), port, c.backend(recorded));
        assertEquals(1, b.stats().answersFromTable());
        assertEquals(recorded, PoolRig.outerDestination(b.packets.sent().get(0)));
    }

    @Test
    void aRule2DecisionIsRememberedSoEveryAskerGetsTheSameAnswer()
    {
        pool(p -> p);
        final PoolRig.Member a = rig.member(0);
        final PoolRig.Member b = rig.member(1);
        final PoolRig.Member c = rig.member(2);
        // A flow whose rule-2 backend changes with the next change of backends.
        final int port = rig.portOwnedBy(1, x -> !rule2(b, x).text().equals(b.vip().backends()[
            io.panamux.flow.MaglevTable.lookup(b.vip().table(), PoolRig.hash(x))].text()));
        final Backend decided = rule2(b, port);

        a.ownerQuery(port, rule2(a, port));
        rig.stepUntil(() -> a.stats().queriesAnswered() == 1, a, b);
        assertPutFlow(a.drainCommands(), port, a.backend(decided.text()));
        assertEquals(1, b.stats().answersByRule2());

        // b's phase ends (nothing in its own tables needs it) and another change comes: the previous table is
        // now the one with three backends, and rule 2 would differ. (A change during the phase keeps the
        // phase's previous table, and with it rule 2.)
        b.publisher.endStatefulPhase(b.publisher.vips().get(PoolRig.VIP_KEY));
        b.changeBackends(List.of(state("10.1.0.1"), state("10.1.0.2"), state("10.1.0.3"), state("10.1.0.4")));
        assertNotEquals(decided.text(), rule2(b, port).text());

        c.ownerQuery(port, rule2(c, port));
        rig.stepUntil(() -> c.stats().queriesAnswered() == 1, b, c);

        assertPutFlow(c.drainCommands(), port, c.backend(decided.text()));
        assertEquals(1, b.stats().answersFromStore());
        assertEquals(2, b.packets.sent().size());
        assertEquals(decided.text(), PoolRig.outerDestination(b.packets.sent().get(1)));
    }

    @Test
    void aSilentOwnerTimesOutToTheProvisionalChoiceAndItsLateAnswerIsIgnored()
    {
        pool(p -> p);
        final PoolRig.Member b = rig.member(1);
        final PoolRig.Member c = rig.member(2);
        final int port = rig.portOwnedBy(1, x -> true);
        final Backend provisional = c.backend(notRule2(c, port));

        c.ownerQuery(port, provisional);
        rig.step(c);
        rig.nowNs += Peers.DEFAULT_QUERY_TIMEOUT_MS * 1_000_000L - 1;
        rig.step(c);
        assertEquals(List.of(), c.drainCommands(), "still waiting");

        rig.nowNs += 1;
        rig.step(c);

        assertPutFlow(c.drainCommands(), port, provisional);
        assertEquals(1, c.stats().queriesTimedOut());
        assertEquals(0, c.stats().queriesAnswered());
        assertEquals(0, c.ownership.queriesInFlight());

        // The owner wakes up and answers: too late, nothing changes.
        rig.stepUntil(() -> c.stats().answersUnmatched() == 1, b, c);
        assertEquals(List.of(), c.drainCommands());
        assertEquals(0, c.stats().queriesAnswered());
    }

    @Test
    void theInFlightBoundDecidesLocallyAndAFlowsLaterPacketsRideItsQuery()
    {
        pool(p -> new Peers(p.listen(), p.key(), p.endpoints(), p.queryTimeoutMs(), 2, p.learnedBatchIntervalMs(),
            p.maxLearnedFlows(), p.maxMessageAgeMs()));
        final PoolRig.Member b = rig.member(1);
        final PoolRig.Member c = rig.member(2);
        final int first = rig.portOwnedBy(1, x -> true);
        final int second = rig.portOwnedBy(1, x -> x > first);
        final int third = rig.portOwnedBy(1, x -> x > second);

        c.ownerQuery(first, rule2(c, first));
        c.ownerQuery(second, rule2(c, second));
        final Backend provisional = rule2(c, third);
        c.ownerQuery(third, provisional);

        assertEquals(2, c.ownership.queriesInFlight());
        assertEquals(2, c.stats().queriesSent());
        assertEquals(1, c.stats().queriesDecidedLocally());
        assertPutFlow(c.drainCommands(), third, provisional);
        assertEquals(1, c.packets.sent().size(), "the asker forwarded the third flow's packet itself");
        assertEquals(provisional.text(), PoolRig.outerDestination(c.packets.sent().get(0)));
        assertEquals(third, PoolRig.innerSourcePort(c.packets.sent().get(0)));

        // Later packets of the first flow go with its query, up to the bound; then they are dropped.
        for (int i = 1; i < FlowOwnership.MAX_PACKETS_PER_QUERY + 2; i++)
        {
            c.ownerQuery(first, rule2(c, first));
        }
        assertEquals(FlowOwnership.MAX_PACKETS_PER_QUERY - 1, c.stats().queryPacketsSent());
        assertEquals(2, c.stats().queryPacketsDropped());
        assertEquals(2, c.ownership.queriesInFlight(), "still one query per flow");

        rig.stepUntil(() -> c.stats().queriesAnswered() == 2 && b.stats().queriesReceived() == FlowOwnership.MAX_PACKETS_PER_QUERY + 1,
            b, c);
        final List<FlowRecord> commands = c.drainCommands();
        assertEquals(2, commands.size(), "one answer recorded per query: " + commands);
        assertEquals(FlowOwnership.MAX_PACKETS_PER_QUERY - 1, c.stats().answersUnmatched(), "answers to the later packets");
        // Every packet of the first flow went to one backend.
        final long toFirst = b.packets.sent().stream().filter(f -> PoolRig.innerSourcePort(f) == first)
            .map(PoolRig::outerDestination).distinct().count();
        assertEquals(1, toFirst);
        assertEquals(FlowOwnership.MAX_PACKETS_PER_QUERY + 1, b.packets.sent().size());
    }

    @Test
    void aQueryForAFlowThisMuxOwnsIsAnsweredHereWithoutTheNetwork()
    {
        pool(p -> p);
        final PoolRig.Member a = rig.member(0);
        final int port = rig.portOwnedBy(0, x -> true);
        final PeerFlow flow = PeerFlow.v4(CLIENT, VIP, port, 80, 6);
        final String learned = notRule2(a, port);
        a.ownership.store().put(flow, IpAddress.parse(learned), rig.nowNs);

        a.ownerQuery(port, rule2(a, port));

        assertPutFlow(a.drainCommands(), port, a.backend(learned));
        assertEquals(1, a.stats().queriesOwnedHere());
        assertEquals(0, a.stats().queriesSent());
        assertEquals(learned, PoolRig.outerDestination(a.packets.sent().get(0)));
    }

    @Test
    void forgedAndReplayedPeerMessagesChangeNothing() throws IOException
    {
        pool(p -> p);
        final PoolRig.Member b = rig.member(1);
        final int port = rig.portOwnedBy(1, x -> true);
        final PeerFlow flow = PeerFlow.v4(CLIENT, VIP, port, 80, 6);
        final InetSocketAddress to = b.ownership.localAddress();
        final byte[] wrongKey = PoolRig.KEY.clone();
        wrongKey[5] ^= 1;

        try (DatagramChannel attacker = DatagramChannel.open().bind(new InetSocketAddress("127.0.0.1", 0)))
        {
            attacker.send(learned(wrongKey, IpAddress.parse("10.0.0.1"), flow, 1), to);
            attacker.send(learned(PoolRig.KEY, IpAddress.parse("10.0.0.77"), flow, 2), to);
            rig.stepUntil(() -> b.stats().badTotal() == 2, b);
            assertNull(b.ownership.store().peek(flow), "nothing was learned from them");

            final ByteBuffer genuine = learned(PoolRig.KEY, IpAddress.parse("10.0.0.1"), flow, 3);
            attacker.send(genuine.duplicate(), to);
            rig.stepUntil(() -> b.stats().learnedReceived() == 1, b);
            b.ownership.store().put(flow, IpAddress.parse("10.1.0.1"), rig.nowNs);
            attacker.send(genuine.duplicate(), to);
            rig.stepUntil(() -> b.stats().bad(BadMessage.REPLAYED) == 1, b);
        }
        assertEquals(IpAddress.parse("10.1.0.1"), b.ownership.store().peek(flow), "the replay changed nothing");
        assertEquals(1, b.stats().learnedReceived());
        assertEquals(1, b.stats().bad(BadMessage.BAD_TAG));
        assertEquals(1, b.stats().bad(BadMessage.UNKNOWN_SENDER));
    }

    /** A LEARNED datagram naming 10.1.0.3 for {@code flow}, to member B (10.0.0.2). */
    private ByteBuffer learned(final byte[] key, final IpAddress sender, final PeerFlow flow, final long seq)
    {
        final ByteBuffer d = ByteBuffer.allocate(MAX_DATAGRAM_LENGTH);
        flow.write(new UnsafeBuffer(d), HEADER_LENGTH, IpAddress.parse("10.1.0.3"));
        d.limit(new PeerMessageCodec(key).encode(d, TYPE_LEARNED, 1, sender, IpAddress.parse("10.0.0.2"), rig.wallMs * 1000 + seq,
            rig.wallMs, FLOW_ENTRY_LENGTH));
        return d;
    }

    @Test
    void noMbufMeansTheOwnerCannotForwardButStillAnswers()
    {
        pool(p -> p);
        final PoolRig.Member b = rig.member(1);
        final PoolRig.Member c = rig.member(2);
        final int port = rig.portOwnedBy(1, x -> true);
        b.packets.poolEmpty(true);

        c.ownerQuery(port, rule2(c, port));
        rig.stepUntil(() -> c.stats().queriesAnswered() == 1, b, c);

        assertPutFlow(c.drainCommands(), port, c.backend(rule2(b, port).text()));
        assertEquals(1, b.stats().forwardFailures());
        assertEquals(0, b.stats().packetsForwarded());
        assertTrue(b.packets.started(), "the packet path was started on the control thread");
    }
}
