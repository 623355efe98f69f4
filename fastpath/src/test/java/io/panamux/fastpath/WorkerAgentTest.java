package io.panamux.fastpath;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.panamux.dpdk.Burst;
import io.panamux.dpdk.Eal;
import io.panamux.dpdk.EthPort;
import io.panamux.dpdk.Lcore;
import io.panamux.dpdk.Mbuf;
import io.panamux.dpdk.Memory;
import io.panamux.dpdk.PacketPool;
import io.panamux.dpdk.RingPorts;
import io.panamux.fastpath.encap.IcmpTooBigWriter;
import io.panamux.fastpath.encap.TunnelEncapsulator;
import io.panamux.fastpath.packet.DropReason;
import io.panamux.fastpath.packet.Frames;
import io.panamux.fastpath.ring.ControlToWorker;
import io.panamux.fastpath.ring.FlowRecord;
import io.panamux.fastpath.ring.WorkerToControl;
import io.panamux.fastpath.snapshot.Backend;
import io.panamux.fastpath.snapshot.ForwardingSnapshot;
import io.panamux.fastpath.snapshot.SnapshotSlot;
import io.panamux.fastpath.snapshot.Vip;
import io.panamux.fastpath.snapshot.VipTable;
import io.panamux.flow.FlowHash;
import io.panamux.flow.FlowTable;
import io.panamux.flow.MaglevTable;
import io.panamux.flow.OwnerRing;
import org.agrona.concurrent.CachedNanoClock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The worker agent on real DPDK ring ports, stepped by the test ({@code doWork()}) with a fake clock:
 * frames go in on one port, the worker forwards from the other, and what comes back is decoded and
 * checked: backend choice per flow (stateless, always-tracked, stateful phase with the previous table,
 * drain), drops by reason, TX buffering, no mbuf left behind, and no allocation in the steady loop.
 */
class WorkerAgentTest
{
    private static final int TCP = 6;
    private static final int SYN = 0x02;
    private static final int ACK = 0x10;
    private static final long SEED = 0x5eedL;
    private static final int M = 65537;
    private static final int MTU = 1500;
    /** The VIP's GUE port (unused: it goes IP-in-IP). */
    private static final int GUE_PORT = TunnelEncapsulator.DEFAULT_GUE_PORT;

    private static PacketPool pool;
    private static RingPorts rings;
    private static EthPort client;
    private static EthPort mux;

    private final CachedNanoClock clock = new CachedNanoClock();
    private SnapshotSlot slot;
    private FlowTable flows;
    private WorkerCounters counters;
    private WorkerAgent worker;
    private MemorySegment burst;
    private OwnerRing owners;

    @BeforeAll
    static void startDpdk()
    {
        Eal.ensureInitialised(Eal.virtualDeviceArgs(512));
        Lcore.register();
        pool = PacketPool.create("wat_pool", 8191, 64, PacketPool.DEFAULT_DATA_ROOM, 0);
        rings = RingPorts.create("wat", 1, 4096);
        client = rings.a();
        mux = rings.b();
        for (final EthPort p : new EthPort[] {client, mux})
        {
            p.configure(1, 1, 0);
            p.setupRxQueue(0, 512, pool);
            p.setupTxQueue(0, 512);
            p.start();
        }
    }

    @AfterAll
    static void stopDpdk()
    {
        for (final EthPort p : new EthPort[] {client, mux})
        {
            p.stop();
            p.close();
        }
        rings.close();
        assertEquals(0, pool.inUse(), "mbufs leaked");
        pool.close();
        Lcore.unregister();
    }

    @BeforeEach
    void newWorker()
    {
        burst = Arena.ofAuto().allocate(JAVA_LONG, 64);
        slot = new SnapshotSlot(ForwardingSnapshot.empty(SEED));
        flows = new FlowTable(1 << 16, 1234);
        counters = new WorkerCounters();
        final TunnelEncapsulator encapsulator = new TunnelEncapsulator(Frames.PORT_MAC, Frames.GATEWAY_MAC, Frames.MUX,
            Frames.high(Frames.MUX6), Frames.low(Frames.MUX6), MTU);
        worker = new WorkerAgent(new WorkerConfig(mux.id(), 0, 0, 32, -1, WorkerConfig.DEFAULT_TX_DRAIN_NANOS, 300), slot, flows,
            encapsulator, counters, new WorkerToControl(1 << 16), new ControlToWorker(1 << 16), clock);
    }

    @AfterEach
    void closeWorker()
    {
        // Flush and drain whatever a failed test left in flight, so the pool check of stopDpdk is about leaks.
        worker.doWork();
        clock.advance(1_000_000);
        worker.doWork();
        received();
        flows.close();
    }

    /** Backends 10.1.0.{1..n} with ids base+i. */
    private static Backend[] backends(final int vipIndex, final int base, final int... weights)
    {
        final Backend[] b = new Backend[weights.length];
        for (int i = 0; i < weights.length; i++)
        {
            b[i] = new Backend(base + i, vipIndex, false, Frames.ipv4("10.1.0." + (i + 1)), 0, 0, weights[i], weights[i] == 0,
                "10.1.0." + (i + 1));
        }
        return b;
    }

    private static int[] table(final Backend[] backends)
    {
        final long[] keys = new long[backends.length];
        final int[] weights = new int[backends.length];
        for (int i = 0; i < backends.length; i++)
        {
            keys[i] = FlowHash.hashLong(SEED, backends[i].v4());
            weights[i] = backends[i].draining() ? 0 : backends[i].weight();
        }
        return MaglevTable.build(keys, weights, M);
    }

    private static Vip vip(final int tracking, final int mode, final Backend[] backends, final Backend[] previous)
    {
        return new Vip(0, false, Frames.VIP, 0, 0, 80, TCP, TunnelEncapsulator.IPIP, GUE_PORT, tracking, mode, backends, table(backends),
            previous, previous == null ? null : table(previous), "192.0.2.10:80/tcp");
    }

    private void publish(final long version, final Vip vip)
    {
        publish(version, vip, Frames.GATEWAY_MAC);
    }

    private void publish(final long version, final Vip vip, final long nextHopMac)
    {
        final Vip[] vips = {vip};
        final List<Backend> byId = new ArrayList<>();
        for (final Backend b : vip.backends())
        {
            while (byId.size() <= b.id())
            {
                byId.add(null);
            }
            byId.set(b.id(), b);
        }
        slot.publish(new ForwardingSnapshot(version, SEED, M, vips, new VipTable(vips), byId.toArray(new Backend[0]), owners, 0, nextHopMac));
    }

    private static byte[] tcpFrame(final int client, final int sport, final int flags)
    {
        return Frames.toMux(0x0800, Frames.ipv4(TCP, client, Frames.VIP, Frames.tcp(sport, 80, flags, new byte[16])));
    }

    /** Sends frames from the client port. */
    private void send(final List<byte[]> frames)
    {
        int i = 0;
        while (i < frames.size())
        {
            final int n = Math.min(32, frames.size() - i);
            assertTrue(Burst.allocBulk(pool.address(), burst, n));
            for (int k = 0; k < n; k++)
            {
                final long m = burst.getAtIndex(JAVA_LONG, k);
                final byte[] f = frames.get(i + k);
                assertTrue(Mbuf.length(m, f.length));
                Memory.copyFromArray(f, 0, Mbuf.dataAddress(m), f.length);
            }
            assertEquals(n, Burst.tx(client.id(), 0, burst, n));
            i += n;
        }
    }

    /** Runs the worker until its input is drained and its TX buffer flushed. */
    private void step()
    {
        for (int i = 0; i < 1000 && worker.doWork() > 0; i++)
        {
            clock.advance(1_000);
        }
        clock.advance(WorkerConfig.DEFAULT_TX_DRAIN_NANOS);
        worker.doWork();
    }

    /** @return every frame the client port received, freeing the mbufs. */
    private List<byte[]> received()
    {
        final List<byte[]> out = new ArrayList<>();
        int n;
        while ((n = Burst.rx(client.id(), 0, burst, 64)) > 0)
        {
            for (int k = 0; k < n; k++)
            {
                final long m = burst.getAtIndex(JAVA_LONG, k);
                final byte[] f = new byte[Mbuf.dataLength(m)];
                Memory.copyToArray(Mbuf.dataAddress(m), f, 0, f.length);
                out.add(f);
            }
            Burst.freeTail(burst, 0, n);
        }
        return out;
    }

    private static int outerDst(final byte[] frame)
    {
        assertEquals(0x0800, ((frame[12] & 0xFF) << 8) | (frame[13] & 0xFF), "outer IPv4");
        assertEquals(4, frame[14 + 9], "IPIP");
        return ((frame[30] & 0xFF) << 24) | ((frame[31] & 0xFF) << 16) | ((frame[32] & 0xFF) << 8) | (frame[33] & 0xFF);
    }

    private static int innerSourcePort(final byte[] frame)
    {
        return ((frame[34 + 20] & 0xFF) << 8) | (frame[34 + 21] & 0xFF);
    }

    /**
     * The next hop travels in the snapshot (ARP's answer on the control thread becomes a new snapshot): the
     * worker writes the snapshot's MAC, holds packets back while it is 0, and never uses the MAC its
     * encapsulator was built with once a snapshot says otherwise.
     */
    @Test
    void theNextHopMacComesFromTheSnapshot()
    {
        final Backend[] b = backends(0, 0, 1);
        final long learnt = 0x02_AA_BB_CC_DD_EEL;
        publish(1, vip(Vip.TRACK_ON_CHANGE, Vip.MODE_STATELESS, b, null), 0);
        send(List.of(tcpFrame(Frames.CLIENT, 1024, SYN)));
        step();
        assertEquals(List.of(), received(), "no next hop: held back");
        assertEquals(1, counters.drops(DropReason.NO_NEXT_HOP.ordinal()));

        publish(2, vip(Vip.TRACK_ON_CHANGE, Vip.MODE_STATELESS, b, null), learnt);
        send(List.of(tcpFrame(Frames.CLIENT, 1025, SYN)));
        step();
        final List<byte[]> out = received();
        assertEquals(1, out.size());
        assertEquals(learnt, destinationMac(out.getFirst()), "sent to the snapshot's next hop");
    }

    private static long destinationMac(final byte[] frame)
    {
        long mac = 0;
        for (int i = 0; i < 6; i++)
        {
            mac = (mac << 8) | (frame[i] & 0xFF);
        }
        return mac;
    }

    @Test
    void statelessVipSpreadsFlowsByWeightAndKeepsEachFlowOnOneBackend()
    {
        final Backend[] b = backends(0, 0, 1, 1, 2);
        publish(1, vip(Vip.TRACK_ON_CHANGE, Vip.MODE_STATELESS, b, null));
        final List<byte[]> frames = new ArrayList<>();
        for (int f = 0; f < 4000; f++)
        {
            frames.add(tcpFrame(Frames.CLIENT + f, 1024 + f, SYN));
            frames.add(tcpFrame(Frames.CLIENT + f, 1024 + f, ACK));
        }
        final Map<Integer, Integer> perBackend = new HashMap<>();
        final Map<Integer, Set<Integer>> backendsOfFlow = new HashMap<>();
        for (int i = 0; i < frames.size(); i += 500)
        {
            send(frames.subList(i, Math.min(frames.size(), i + 500)));
            step();
            for (final byte[] out : received())
            {
                final int dst = outerDst(out);
                perBackend.merge(dst, 1, Integer::sum);
                backendsOfFlow.computeIfAbsent(innerSourcePort(out), k -> new HashSet<>()).add(dst);
            }
        }
        assertEquals(8000, perBackend.values().stream().mapToInt(Integer::intValue).sum(), "every packet out exactly once");
        assertEquals(4000, backendsOfFlow.size());
        backendsOfFlow.values().forEach(s -> assertEquals(1, s.size(), "one backend per flow"));
        final double share3 = perBackend.get(Frames.ipv4("10.1.0.3")) / 8000.0;
        assertTrue(Math.abs(share3 - 0.5) < 0.04, "weight 2 of 4 gets half: " + perBackend);
        assertEquals(0, flows.size(), "a stateless VIP records no flows");
        assertEquals(8000, counters.get(WorkerCounters.TX_PACKETS));
        assertEquals(1, counters.get(WorkerCounters.SNAPSHOT_VERSION));
    }

    @Test
    void alwaysTrackedVipRecordsFlowsAndKeepsThemAcrossATableChange()
    {
        final Backend[] before = backends(0, 0, 1, 1, 1);
        publish(1, vip(Vip.TRACK_ALWAYS, Vip.MODE_STATELESS, before, null));
        final List<byte[]> syns = new ArrayList<>();
        for (int f = 0; f < 300; f++)
        {
            syns.add(tcpFrame(Frames.CLIENT + f, 2000 + f, SYN));
        }
        send(syns);
        step();
        final Map<Integer, Integer> first = new HashMap<>();
        for (final byte[] out : received())
        {
            first.put(innerSourcePort(out), outerDst(out));
        }
        assertEquals(300, first.size());
        assertEquals(300, flows.size(), "every flow recorded");

        // A fourth backend arrives: the table changes, recorded flows must not move.
        final Backend[] after = backends(0, 0, 1, 1, 1, 1);
        publish(2, vip(Vip.TRACK_ALWAYS, Vip.MODE_STATELESS, after, null));
        final List<byte[]> acks = new ArrayList<>();
        for (int f = 0; f < 300; f++)
        {
            acks.add(tcpFrame(Frames.CLIENT + f, 2000 + f, ACK));
        }
        send(acks);
        step();
        int moved = 0;
        for (final byte[] out : received())
        {
            if (first.get(innerSourcePort(out)) != outerDst(out))
            {
                moved++;
            }
        }
        assertEquals(0, moved, "no recorded flow changes backend");
        assertEquals(300, counters.get(WorkerCounters.FLOW_HITS));
    }

    @Test
    void idleFlowsAreSweptOutOverAnEighthOfTheTimeoutWhateverTheCycleRate()
    {
        publish(1, vip(Vip.TRACK_ALWAYS, Vip.MODE_STATELESS, backends(0, 0, 1, 1, 1), null));
        final List<byte[]> syns = new ArrayList<>();
        for (int f = 0; f < 2000; f++)
        {
            syns.add(tcpFrame(Frames.CLIENT + f, 3000 + f, SYN));
        }
        send(syns);
        step();
        assertEquals(2000, received().size());
        assertEquals(2000, flows.size());

        // One sweep of the table per eighth of the idle timeout, 1 s at least, 30 s at most.
        assertEquals(1_000_000_000L, WorkerAgent.sweepPeriodNs(5));
        assertEquals(7_500_000_000L, WorkerAgent.sweepPeriodNs(60));
        assertEquals(30_000_000_000L, WorkerAgent.sweepPeriodNs(300));
        assertEquals(30_000_000_000L, WorkerAgent.sweepPeriodNs(Integer.MAX_VALUE));
        final int periodMs = (int)(WorkerAgent.sweepPeriodNs(300) / 1_000_000);

        // Half a second before the idle timeout (300 s): the sweep catches up with the jump, nothing expires.
        clock.advance(299_500_000_000L);
        idleCycles(100);
        assertEquals(2000, flows.size(), "no flow is idle for 300 s yet");
        idleCycles(399);
        assertEquals(2000, flows.size(), "no flow is idle for 300 s yet");
        // A tenth of the sweep period past the timeout, one cycle a millisecond: a tenth of the buckets has
        // been swept since, so about a tenth of the flows has gone (64 buckets a cycle, as before, swept the
        // table every 128 cycles).
        idleCycles(1 + periodMs / 10);
        final long early = 2000 - flows.size();
        assertTrue(early >= 50 && early <= 500, "a tenth of the table swept in a tenth of the period, not all of it: " + early + " expired");
        // A whole sweep later every one has gone.
        idleCycles(periodMs);
        assertEquals(0, flows.size(), "every idle flow expired within a sweep period");
        assertEquals(2000, counters.get(WorkerCounters.FLOWS_EXPIRED));
        assertEquals(0, counters.get(WorkerCounters.FLOWS), "the gauge follows");
    }

    /** Runs the worker without input, one cycle per millisecond of the clock. */
    private void idleCycles(final int n)
    {
        for (int i = 0; i < n; i++)
        {
            clock.advance(1_000_000);
            assertEquals(0, worker.doWork());
        }
    }

    @Test
    void statefulPhaseKeepsUnrecordedConnectionsOnThePreviousBackendAndSendsNewOnesToTheNewTable()
    {
        final Backend[] old = backends(0, 0, 1, 1);
        final Backend[] now = backends(0, 0, 1, 1, 1);
        final int[] oldTable = table(old);
        final int[] newTable = table(now);
        // Flows whose backend differs between the two tables are the ones the phase must protect.
        final List<Integer> movers = new ArrayList<>();
        for (int f = 0; movers.size() < 50 && f < 100_000; f++)
        {
            final long h = FlowHash.hashV4(SEED, Frames.CLIENT + f, Frames.VIP, 3000 + (f & 0x7FFF), 80, TCP);
            if (old[MaglevTable.lookup(oldTable, h)].id() != now[MaglevTable.lookup(newTable, h)].id())
            {
                movers.add(f);
            }
        }
        assertEquals(50, movers.size());
        publish(1, vip(Vip.TRACK_ON_CHANGE, Vip.MODE_STATEFUL, now, old));

        final List<byte[]> mid = new ArrayList<>();
        final List<byte[]> fresh = new ArrayList<>();
        for (final int f : movers)
        {
            mid.add(tcpFrame(Frames.CLIENT + f, 3000 + (f & 0x7FFF), ACK));
            fresh.add(tcpFrame(Frames.CLIENT + f, 3000 + (f & 0x7FFF) + 1, SYN));
        }
        send(mid);
        step();
        for (final byte[] out : received())
        {
            final int sport = innerSourcePort(out);
            final int flow = movers.stream().filter(x -> 3000 + (x & 0x7FFF) == sport).findFirst().orElseThrow();
            final long h = FlowHash.hashV4(SEED, Frames.CLIENT + flow, Frames.VIP, sport, 80, TCP);
            assertEquals(old[MaglevTable.lookup(oldTable, h)].v4(), outerDst(out), "a connection from before the change keeps its backend");
        }
        assertEquals(50, counters.get(WorkerCounters.PREVIOUS_TABLE_HITS));
        assertEquals(50, flows.size(), "the stateful phase records what it decided");

        send(fresh);
        step();
        for (final byte[] out : received())
        {
            final int sport = innerSourcePort(out);
            final int flow = movers.stream().filter(x -> 3000 + (x & 0x7FFF) + 1 == sport).findFirst().orElseThrow();
            final long h = FlowHash.hashV4(SEED, Frames.CLIENT + flow, Frames.VIP, sport, 80, TCP);
            assertEquals(now[MaglevTable.lookup(newTable, h)].v4(), outerDst(out), "a new connection follows the new table");
        }
    }

    @Test
    void unknownMidConnectionPacketsOfFlowsOwnedElsewhereGoToTheControlThreadUntilItAnswers()
    {
        owners = new OwnerRing(List.of("10.0.0.10", "10.0.0.11"), SEED);
        final Backend[] old = backends(0, 0, 1, 1);
        final Backend[] now = backends(0, 0, 1, 1, 1);
        publish(1, vip(Vip.TRACK_ON_CHANGE, Vip.MODE_STATEFUL, now, old));
        // A flow owned by the other MUX (index 1), and one owned here.
        int elsewhere = -1;
        int here = -1;
        for (int f = 0; (elsewhere < 0 || here < 0) && f < 1000; f++)
        {
            final long h = FlowHash.hashV4(SEED, Frames.CLIENT + f, Frames.VIP, 7000 + f, 80, TCP);
            if (owners.owner(h) == 1 && elsewhere < 0)
            {
                elsewhere = f;
            }
            else if (owners.owner(h) == 0 && here < 0)
            {
                here = f;
            }
        }
        send(List.of(tcpFrame(Frames.CLIENT + elsewhere, 7000 + elsewhere, ACK), tcpFrame(Frames.CLIENT + here, 7000 + here, ACK)));
        step();
        final List<byte[]> out = received();
        assertEquals(0, out.size(), "both unknown mid-connection packets go to the control thread (owner here or elsewhere)");
        final List<FlowRecord> records = new ArrayList<>();
        worker.toControl().ring().read((type, buffer, index, length) -> records.add(FlowRecord.decode(type, buffer, index)), 100);
        assertEquals(2, records.size());
        assertEquals(7000 + here, records.get(1).srcPort());
        Burst.free(records.get(1).mbuf());
        final FlowRecord q = records.get(0);
        assertEquals(WorkerToControl.OWNER_QUERY, q.type());
        assertEquals(7000 + elsewhere, q.srcPort());
        assertEquals(Frames.CLIENT + elsewhere, q.srcV4());
        assertTrue(q.mbuf() != 0, "the packet travels with the query");
        Burst.free(q.mbuf());
        assertEquals(2, counters.get(WorkerCounters.OWNER_QUERIES));

        // A second packet of the pending flow takes the same way.
        send(List.of(tcpFrame(Frames.CLIENT + elsewhere, 7000 + elsewhere, ACK)));
        step();
        assertEquals(0, received().size());
        records.clear();
        worker.toControl().ring().read((type, buffer, index, length) -> records.add(FlowRecord.decode(type, buffer, index)), 100);
        assertEquals(1, records.size());
        Burst.free(records.get(0).mbuf());

        // The owner answers backend 10.1.0.3 (id 2): the worker records it and forwards there.
        assertTrue(worker.commands().putFlow(false, 0, Frames.CLIENT + elsewhere & 0xFFFFFFFFL, 0, Frames.VIP & 0xFFFFFFFFL,
            7000 + elsewhere, 80, TCP, 2, 0));
        send(List.of(tcpFrame(Frames.CLIENT + elsewhere, 7000 + elsewhere, ACK)));
        step();
        final List<byte[]> after = received();
        assertEquals(1, after.size());
        assertEquals(now[2].v4(), outerDst(after.get(0)), "the owner's answer is used");

        // A new connection owned elsewhere is forwarded here and reported to the owner.
        int syn = -1;
        for (int f = 2000; syn < 0; f++)
        {
            if (owners.owner(FlowHash.hashV4(SEED, Frames.CLIENT + f, Frames.VIP, 8000, 80, TCP)) == 1)
            {
                syn = f;
            }
        }
        send(List.of(tcpFrame(Frames.CLIENT + syn, 8000, SYN)));
        step();
        assertEquals(1, received().size());
        records.clear();
        worker.toControl().ring().read((type, buffer, index, length) -> records.add(FlowRecord.decode(type, buffer, index)), 100);
        assertEquals(1, records.size());
        assertEquals(WorkerToControl.FLOW_LEARNED, records.get(0).type());
        assertEquals(0, records.get(0).mbuf());
    }

    @Test
    void aRemovedBackendsConnectionsTakeTheNewTableAndADrainingBackendGetsNoNewFlows()
    {
        final Backend[] two = backends(0, 0, 1, 1);
        publish(1, vip(Vip.TRACK_ALWAYS, Vip.MODE_STATELESS, two, null));
        final List<byte[]> syns = new ArrayList<>();
        for (int f = 0; f < 200; f++)
        {
            syns.add(tcpFrame(Frames.CLIENT + f, 4000 + f, SYN));
        }
        send(syns);
        step();
        final Map<Integer, Integer> first = new HashMap<>();
        for (final byte[] out : received())
        {
            first.put(innerSourcePort(out), outerDst(out));
        }
        // Backend 2 drains: its flows stay, new flows avoid it.
        final Backend[] draining = {two[0], new Backend(1, 0, false, two[1].v4(), 0, 0, 1, true, two[1].text())};
        publish(2, vip(Vip.TRACK_ALWAYS, Vip.MODE_STATELESS, draining, null));
        final List<byte[]> more = new ArrayList<>();
        for (int f = 0; f < 200; f++)
        {
            more.add(tcpFrame(Frames.CLIENT + f, 4000 + f, ACK));
            more.add(tcpFrame(Frames.CLIENT + f, 5000 + f, SYN));
        }
        send(more);
        step();
        int toDraining = 0;
        for (final byte[] out : received())
        {
            final int sport = innerSourcePort(out);
            if (sport >= 5000)
            {
                assertEquals(two[0].v4(), outerDst(out), "no new flow to a draining backend");
            }
            else
            {
                assertEquals(first.get(sport), outerDst(out), "existing flows stay on their backend while it drains");
                toDraining += outerDst(out) == two[1].v4() ? 1 : 0;
            }
        }
        assertTrue(toDraining > 50, "some existing flows were on the draining backend: " + toDraining);

        // Backend 2 removed: its flows re-choose by the table, nobody is sent to it any more.
        publish(3, vip(Vip.TRACK_ALWAYS, Vip.MODE_STATELESS, new Backend[] {two[0]}, null));
        final List<byte[]> last = new ArrayList<>();
        for (int f = 0; f < 200; f++)
        {
            last.add(tcpFrame(Frames.CLIENT + f, 4000 + f, ACK));
        }
        send(last);
        step();
        for (final byte[] out : received())
        {
            assertEquals(two[0].v4(), outerDst(out));
        }
    }

    /**
     * Issue 10 finding 7: a flood of oversized DF packets got one ICMP reply each, without limit (RFC 4443
     * §2.4(f)). Now each worker answers at most its bucket's burst at once and the rate after, and counts the
     * rest as too_big_rate_limited (dropped and freed).
     */
    @Test
    void tooBigRepliesAreRateLimitedPerWorkerAndTheRefusalsCounted()
    {
        publish(1, vip(Vip.TRACK_ON_CHANGE, Vip.MODE_STATELESS, backends(0, 0, 1), null));
        final long before = pool.inUse();
        final List<byte[]> big = new ArrayList<>();
        for (int i = 0; i < 64; i++)
        {
            // 1500 bytes of IP with DF: 1520 once in IP-in-IP, over the 1500-byte MTU.
            big.add(Frames.toMux(0x0800, Frames.ipv4(TCP, Frames.CLIENT, Frames.VIP, Frames.tcp(2000 + i, 80, 0x10, new byte[1460]))));
        }
        send(big);
        step();
        final List<byte[]> replies = received();
        assertEquals(IcmpTooBigWriter.DEFAULT_BURST, replies.size(), "a burst's worth of replies, not one per packet");
        for (final byte[] r : replies)
        {
            assertEquals(1, r[14 + 9], "ICMP");
            assertEquals(3, r[14 + 20], "destination unreachable");
            assertEquals(4, r[14 + 21], "fragmentation needed");
        }
        assertEquals(IcmpTooBigWriter.DEFAULT_BURST, counters.get(WorkerCounters.ICMP_TOO_BIG_SENT));
        assertEquals(64 - IcmpTooBigWriter.DEFAULT_BURST, counters.drops(DropReason.TOO_BIG_RATE_LIMITED.ordinal()));
        assertEquals(before, pool.inUse(), "refused packets freed");

        // 10 ms later the bucket holds 10 more (1000 a second).
        clock.advance(10_000_000);
        send(big.subList(0, 32));
        step();
        assertEquals(10, received().size());
        assertEquals(64 - IcmpTooBigWriter.DEFAULT_BURST + 22, counters.drops(DropReason.TOO_BIG_RATE_LIMITED.ordinal()));
    }

    @Test
    void packetsNotForAVipAndMalformedPacketsAreCountedByReasonAndFreed()
    {
        publish(1, vip(Vip.TRACK_ON_CHANGE, Vip.MODE_STATELESS, backends(0, 0, 1), null));
        final long before = pool.inUse();
        final List<byte[]> bad = new ArrayList<>();
        bad.add(Frames.toMux(0x0800, Frames.ipv4(TCP, Frames.CLIENT, Frames.ipv4("192.0.2.99"), Frames.tcp(1, 80, SYN, new byte[0]))));
        bad.add(Frames.toMux(0x0800, Frames.ipv4(TCP, Frames.CLIENT, Frames.VIP, Frames.tcp(1, 81, SYN, new byte[0]))));
        bad.add(Frames.slice(tcpFrame(Frames.CLIENT, 1, SYN), 0, 20));
        bad.add(Frames.toMux(0x88CC, new byte[46]));
        send(bad);
        step();
        assertEquals(0, received().size(), "nothing out");
        assertEquals(2, counters.drops(DropReason.NOT_VIP.ordinal()));
        assertEquals(1, counters.drops(DropReason.NON_IP.ordinal()));
        assertEquals(4, counters.totalDrops());
        assertEquals(before, pool.inUse(), "every dropped mbuf freed");
    }

    @Test
    void answersToHealthProbesThroughTheTunnelGoToTheControlThreadAndNothingElseForTheMuxDoes()
    {
        publish(1, vip(Vip.TRACK_ON_CHANGE, Vip.MODE_STATELESS, backends(0, 0, 1), null));
        final int synAck = SYN | ACK;
        final byte[] answer = Frames.toMux(0x0800, Frames.ipv4(TCP, Frames.VIP, Frames.MUX, Frames.tcp(80, 61440, synAck, new byte[0])));
        // Before the worker is told (a worker of a MUX without checks through the tunnel): not_vip.
        send(List.of(answer));
        step();
        assertEquals(1, counters.drops(DropReason.NOT_VIP.ordinal()));

        worker.probeAnswers(Frames.MUX, true, Frames.high(Frames.MUX6), Frames.low(Frames.MUX6), 61440, 65535);
        final long before = pool.inUse();
        send(List.of(
            answer,
            Frames.toMux(0x86DD, Frames.ipv6(0, 0, TCP, 64, Frames.VIP6, Frames.MUX6, Frames.tcp(80, 65535, 0x04 | ACK, new byte[0]))),
            Frames.toMux(0x0800, Frames.ipv4(TCP, Frames.VIP, Frames.MUX, Frames.tcp(80, 61439, synAck, new byte[0]))),
            Frames.toMux(0x0800, Frames.ipv4(17, Frames.VIP, Frames.MUX, Frames.udp(80, 61440, new byte[0]))),
            Frames.toMux(0x0800, Frames.ipv4(TCP, Frames.VIP, Frames.ipv4("10.0.0.11"), Frames.tcp(80, 61440, synAck, new byte[0]))),
            Frames.toMux(0x86DD, Frames.ipv6(0, 0, TCP, 64, Frames.VIP6, Frames.ipv6("2001:db8::b"), Frames.tcp(80, 61440, synAck, new byte[0])))));
        step();
        assertEquals(0, received().size(), "nothing forwarded");
        final List<FlowRecord> records = new ArrayList<>();
        worker.toControl().ring().read((type, buffer, index, length) -> records.add(FlowRecord.decode(type, buffer, index)), 100);
        assertEquals(2, records.size(), "the IPv4 and the IPv6 answer, and only they, go to the control thread");
        for (final FlowRecord r : records)
        {
            assertTrue(r.mbuf() != 0);
            Burst.free(r.mbuf());
        }
        assertEquals(2, counters.get(WorkerCounters.TO_CONTROL));
        assertEquals(1 + 4, counters.drops(DropReason.NOT_VIP.ordinal()), "another port, UDP, other addresses: not_vip");
        assertEquals(before, pool.inUse());
    }

    @Test
    void aPartialBurstLeavesAtOnceAndAFullBurstsRemainderWaitsForTheNextCycle()
    {
        publish(1, vip(Vip.TRACK_ON_CHANGE, Vip.MODE_STATELESS, backends(0, 0, 1), null));
        send(List.of(tcpFrame(Frames.CLIENT, 9, SYN)));
        worker.doWork();
        assertEquals(1, received().size(), "the RX queue is drained: a lone packet is sent at once");

        // A full RX burst whose forwarded packets do not fill the TX buffer: held while bursts are full...
        final List<byte[]> frames = new ArrayList<>();
        for (int f = 0; f < 31; f++)
        {
            frames.add(tcpFrame(Frames.CLIENT + f, 100 + f, SYN));
        }
        frames.add(Frames.toMux(0x0800, Frames.ipv4(TCP, Frames.CLIENT, Frames.ipv4("192.0.2.99"), Frames.tcp(1, 80, SYN, new byte[0]))));
        send(frames);
        worker.doWork();
        assertEquals(0, received().size(), "31 forwarded packets wait in the TX buffer after a full burst");
        // ...and sent by the next cycle, which finds the queue empty.
        worker.doWork();
        assertEquals(31, received().size());
        assertEquals(1, counters.drops(DropReason.NOT_VIP.ordinal()));
    }

    @Test
    void theSteadyLoopAllocatesNothing()
    {
        publish(1, vip(Vip.TRACK_ALWAYS, Vip.MODE_STATELESS, backends(0, 0, 1, 1, 2), null));
        final int flowsCount = 1024;
        final int frameLength = tcpFrame(Frames.CLIENT, 1, ACK).length;
        final MemorySegment templates = Arena.ofAuto().allocate((long)flowsCount * frameLength);
        for (int f = 0; f < flowsCount; f++)
        {
            final byte[] frame = tcpFrame(Frames.CLIENT + f, 6000 + f, f % 8 == 0 ? SYN : ACK);
            MemorySegment.copy(frame, 0, templates, java.lang.foreign.ValueLayout.JAVA_BYTE, (long)f * frameLength, frameLength);
        }
        final long templatesAddress = templates.address();
        final com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final long tid = Thread.currentThread().threadId();
        final int bursts = 20_000;
        // Warm-up until C2 has compiled the loop (escape analysis removes the FFM temporaries only then).
        long allocated = Long.MAX_VALUE;
        long packets = 0;
        for (int round = 0; round < 5 && allocated != 0; round++)
        {
            final long before = threads.getThreadAllocatedBytes(tid);
            packets = loop(2 * bursts, templatesAddress, flowsCount, frameLength);
            allocated = threads.getThreadAllocatedBytes(tid) - before;
            System.out.printf("round %d: %d packets, %d bytes allocated%n", round, packets, allocated);
        }
        System.out.printf("steady loop: %d packets forwarded, %d bytes allocated (%.6f bytes/packet)%n", packets, allocated,
            (double)allocated / packets);
        assertTrue(packets >= 2L * bursts * 32 - 64, "packets forwarded: " + packets);
        assertEquals(0, allocated, "bytes allocated by the worker's steady loop (with the injector and the drain)");
    }

    /** Injects, forwards and drains {@code bursts} bursts of 32; everything here is allocation-free. */
    private long loop(final int bursts, final long templates, final int flowsCount, final int frameLength)
    {
        long forwarded = 0;
        int next = 0;
        for (int b = 0; b < bursts; b++)
        {
            if (Burst.allocBulk(pool.address(), burst, 32))
            {
                for (int k = 0; k < 32; k++)
                {
                    final long m = Memory.getI64(burst.address() + 8L * k);
                    Mbuf.length(m, frameLength);
                    Memory.copy(templates + (long)next * frameLength, Mbuf.dataAddress(m), frameLength);
                    next = next + 1 == flowsCount ? 0 : next + 1;
                }
                final int sent = Burst.tx(client.id(), 0, burst, 32);
                Burst.freeTail(burst, sent, 32);
            }
            worker.doWork();
            clock.advance(WorkerConfig.DEFAULT_TX_DRAIN_NANOS);
            worker.doWork();
            final int n = Burst.rx(client.id(), 0, burst, 64);
            forwarded += n;
            Burst.freeTail(burst, 0, n);
        }
        return forwarded;
    }
}
