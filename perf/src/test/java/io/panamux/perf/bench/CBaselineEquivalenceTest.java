package io.panamux.perf.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import io.panamux.dpdk.Burst;
import io.panamux.dpdk.Eal;
import io.panamux.dpdk.EthPort;
import io.panamux.dpdk.Lcore;
import io.panamux.dpdk.Mbuf;
import io.panamux.dpdk.Memory;
import io.panamux.dpdk.PacketPool;
import io.panamux.dpdk.RingPorts;
import io.panamux.fastpath.WorkerAgent;
import io.panamux.fastpath.WorkerConfig;
import io.panamux.fastpath.WorkerCounters;
import io.panamux.fastpath.encap.TunnelEncapsulator;
import io.panamux.fastpath.ring.ControlToWorker;
import io.panamux.fastpath.ring.WorkerToControl;
import io.panamux.fastpath.snapshot.ForwardingSnapshot;
import io.panamux.fastpath.snapshot.SnapshotSlot;
import io.panamux.flow.FlowTable;
import io.panamux.slowpath.config.ConfigLoader;
import io.panamux.slowpath.config.MuxConfig;
import io.panamux.slowpath.control.BackendIds;
import io.panamux.slowpath.control.SnapshotPublisher;
import org.agrona.concurrent.SystemNanoClock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The bench's C baseline does the Java worker's work: the same input bursts through the Java
 * {@link WorkerAgent} and through {@link CBaseline}, each on its own pair of ring ports, give the same
 * output frames, byte for byte (outer Ethernet, IPv4 header with identification and checksum, GRE and GUE
 * headers, the backend Maglev or the flow table chose), and drop the same packets. Three VIPs (IPIP TCP
 * stateless, GRE UDP stateless, GUE TCP with {@code flow-tracking: always}), VLAN-tagged and untagged
 * frames, SYNs and established packets, a packet for no VIP and an IPv6 packet; two bursts, so the second
 * finds the flows the first recorded.
 */
class CBaselineEquivalenceTest
{
    private static final int BURST = 32;
    private static final long PORT_MAC = 0x02_00_00_00_00_0AL;
    private static final long GATEWAY_MAC = 0x02_00_00_00_00_FEL;
    private static final long ROUTER_MAC = 0x02_00_00_00_00_77L;
    private static final int VIP_A = 0xC000_020A;
    private static final int VIP_B = 0xC000_020B;
    private static final int VIP_C = 0xC000_020C;

    private static PacketPool pool;
    private static RingPorts javaRings;
    private static RingPorts cRings;

    @BeforeAll
    static void start()
    {
        Eal.ensureInitialised(Eal.virtualDeviceArgs(512));
        Lcore.register();
        pool = PacketPool.create("cbe_pool", 4095, 64, PacketPool.DEFAULT_DATA_ROOM, 0);
        javaRings = RingPorts.create("cbej", 1, 1024);
        cRings = RingPorts.create("cbec", 1, 1024);
        for (final EthPort p : new EthPort[] {javaRings.a(), javaRings.b(), cRings.a(), cRings.b()})
        {
            p.configure(1, 1, 0);
            p.setupRxQueue(0, 512, pool);
            p.setupTxQueue(0, 512);
            p.start();
        }
    }

    @AfterAll
    static void stop()
    {
        for (final EthPort p : new EthPort[] {javaRings.a(), javaRings.b(), cRings.a(), cRings.b()})
        {
            p.stop();
            p.close();
        }
        javaRings.close();
        cRings.close();
        assertEquals(0, pool.inUse(), "mbufs leaked");
        pool.close();
        Lcore.unregister();
    }

    @Test
    void theCBaselineForwardsEveryBurstAsTheJavaWorkerDoes() throws Exception
    {
        final MuxConfig config = ConfigLoader.parse("""
            mux: { name: cbe, address: 10.0.0.10, hash-seed: 0x5eed }
            dataplane:
              eal: []
              port: 0
              workers: 1
              gateway-mac: "02:00:00:00:00:fe"
              flow-table: { capacity: 65536, idle-timeout-seconds: 300 }
            vips:
              - address: 192.0.2.10
                port: 80
                protocol: tcp
                encapsulation: ipip
                backends: [ { address: 10.1.0.1 }, { address: 10.1.0.2 }, { address: 10.1.0.3, weight: 2 } ]
              - address: 192.0.2.11
                port: 53
                protocol: udp
                encapsulation: gre
                backends: [ { address: 10.1.1.1 }, { address: 10.1.1.2 } ]
              - address: 192.0.2.12
                port: 443
                protocol: tcp
                encapsulation: gue
                flow-tracking: always
                backends: [ { address: 10.1.2.1 }, { address: 10.1.2.2 }, { address: 10.1.2.3 }, { address: 10.1.2.4 } ]
            """, "cbe.yaml");
        final SnapshotSlot slot = new SnapshotSlot(ForwardingSnapshot.empty(config.mux().hashSeed()));
        new SnapshotPublisher(slot, new BackendIds(600_000_000_000L)).apply(config, System.nanoTime());
        final ForwardingSnapshot snapshot = slot.current();
        final int mux = config.mux().address().ipv4();

        final FlowTable flows = new FlowTable(65536, 99);
        final WorkerAgent java = new WorkerAgent(new WorkerConfig(javaRings.b().id(), 0, 0, BURST, -1, WorkerConfig.DEFAULT_TX_DRAIN_NANOS, 300),
            slot, flows, new TunnelEncapsulator(PORT_MAC, GATEWAY_MAC, mux, 0, 0, 1500),
            new WorkerCounters(), new WorkerToControl(1 << 16), new ControlToWorker(1 << 16), new SystemNanoClock());
        final CBaseline c = new CBaseline(cRings.b().id(), 0, BURST, -1, snapshot, PORT_MAC, GATEWAY_MAC, mux, 1500,
            TunnelEncapsulator.DEFAULT_GUE_PORT, WorkerConfig.DEFAULT_TX_DRAIN_NANOS, 65536, 99);
        try
        {
            for (int round = 0; round < 2; round++)
            {
                final List<byte[]> in = frames(round);
                final List<byte[]> fromJava = forward(javaRings, in, java::doWork);
                final List<byte[]> fromC = forward(cRings, in, c::doWork);
                assertEquals(in.size() - 2, fromJava.size(), "the Java worker forwards all but the packet for no VIP and the IPv6 one");
                assertEquals(fromJava.size(), fromC.size(), "round " + round + ": as many frames out of C as out of Java");
                for (int i = 0; i < fromJava.size(); i++)
                {
                    assertArrayEquals(fromJava.get(i), fromC.get(i), "round " + round + ", frame " + i + ":\n java " + hex(fromJava.get(i))
                        + "\n c    " + hex(fromC.get(i)));
                }
            }
            assertEquals(flows.size(), c.counter(CBaseline.FLOWS), "both recorded the flows of the always VIP");
            assertTrue(c.counter(CBaseline.FLOW_HITS) > 0, "the second round found flows in C's table");
            assertEquals(java.counters().get(WorkerCounters.FLOW_HITS), c.counter(CBaseline.FLOW_HITS), "flow hits");
            assertEquals(java.counters().get(WorkerCounters.FLOW_MISSES), c.counter(CBaseline.FLOW_MISSES), "flow misses");
        }
        finally
        {
            c.destroy();
            flows.close();
        }
    }

    /** A burst of 24 frames (fewer than a burst, so both flush at once): 22 for VIPs, one for no VIP, one IPv6. */
    private static List<byte[]> frames(final int round)
    {
        final List<byte[]> f = new ArrayList<>();
        for (int i = 0; i < 8; i++)
        {
            f.add(v4(i % 3 == 0, 0x0A00_0001 + i, VIP_A, 1024 + i, 80, 6, round == 0 ? 0x02 : 0x10, 0, 0x4000));
            f.add(v4(false, 0x0A00_0101 + i, VIP_B, 5000 + i, 53, 17, 0, 0x10 + i, 0));
            f.add(v4(i % 2 == 1, 0x0A00_0201 + i * 7, VIP_C, 40000 + i, 443, 6, round == 0 && i < 5 ? 0x02 : 0x18, 0x28, 0x4000));
        }
        f.set(5, v4(false, 0x0A00_0999, 0xC000_0263, 1111, 80, 6, 0x10, 0, 0));
        f.set(11, v6());
        return f.subList(0, 24);
    }

    private static byte[] v4(final boolean vlan, final int src, final int dst, final int sport, final int dport, final int proto,
        final int tcpFlags, final int tos, final int fragmentField)
    {
        final int l4 = proto == 6 ? 20 : 8;
        final int payload = 12;
        final int ipLength = 20 + l4 + payload;
        final ByteBuffer b = ByteBuffer.allocate((vlan ? 18 : 14) + ipLength);
        putMac(b, PORT_MAC);
        putMac(b, ROUTER_MAC);
        if (vlan)
        {
            b.putShort((short)0x8100).putShort((short)42);
        }
        b.putShort((short)0x0800);
        final int ip = b.position();
        b.put((byte)0x45).put((byte)tos).putShort((short)ipLength).putShort((short)0x1234).putShort((short)fragmentField).put((byte)64)
            .put((byte)proto).putShort((short)0).putInt(src).putInt(dst);
        b.putShort(ip + 10, (short)checksum(b.array(), ip, 20));
        b.putShort((short)sport).putShort((short)dport);
        if (proto == 6)
        {
            b.putInt(1000).putInt(0).put((byte)0x50).put((byte)tcpFlags).putShort((short)8192).putInt(0);
        }
        else
        {
            b.putShort((short)(8 + payload)).putShort((short)0);
        }
        for (int i = 0; i < payload; i++)
        {
            b.put((byte)i);
        }
        return b.array();
    }

    private static byte[] v6()
    {
        final ByteBuffer b = ByteBuffer.allocate(14 + 40 + 8 + 4);
        putMac(b, PORT_MAC);
        putMac(b, ROUTER_MAC);
        b.putShort((short)0x86DD).putInt(0x6000_0000).putShort((short)12).put((byte)17).put((byte)64);
        b.putLong(0x2001_0db8_0000_0000L).putLong(1).putLong(0x2001_0db8_0000_0000L).putLong(0x10);
        b.putShort((short)5353).putShort((short)53).putShort((short)12).putShort((short)0).putInt(0);
        return b.array();
    }

    private static void putMac(final ByteBuffer b, final long mac)
    {
        b.putShort((short)(mac >>> 32)).putInt((int)mac);
    }

    private static int checksum(final byte[] a, final int offset, final int length)
    {
        long sum = 0;
        for (int i = 0; i < length; i += 2)
        {
            sum += ((a[offset + i] & 0xFF) << 8) | (a[offset + i + 1] & 0xFF);
        }
        while ((sum >>> 16) != 0)
        {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int)(~sum & 0xFFFF);
    }

    /** Sends {@code in} into the forwarder's port, runs one poll, returns what came out (in order). */
    private static List<byte[]> forward(final RingPorts rings, final List<byte[]> in, final java.util.function.IntSupplier poll)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment burst = arena.allocate(JAVA_LONG, BURST);
            assertTrue(Burst.allocBulk(pool.address(), burst, in.size()));
            for (int i = 0; i < in.size(); i++)
            {
                final long m = burst.getAtIndex(JAVA_LONG, i);
                final byte[] frame = in.get(i);
                assertTrue(Mbuf.length(m, frame.length));
                final long data = Mbuf.dataAddress(m);
                for (int j = 0; j < frame.length; j++)
                {
                    Memory.putU8(data + j, frame[j] & 0xFF);
                }
            }
            assertEquals(in.size(), Burst.tx(rings.a().id(), 0, burst, in.size()));
            assertEquals(in.size(), poll.getAsInt(), "the forwarder received the burst");
            final List<byte[]> out = new ArrayList<>();
            final int got = Burst.rx(rings.a().id(), 0, burst, BURST);
            for (int i = 0; i < got; i++)
            {
                final long m = burst.getAtIndex(JAVA_LONG, i);
                final byte[] frame = new byte[Mbuf.dataLength(m)];
                final long data = Mbuf.dataAddress(m);
                for (int j = 0; j < frame.length; j++)
                {
                    frame[j] = (byte)Memory.getU8(data + j);
                }
                out.add(frame);
            }
            Burst.freeTail(burst, 0, got);
            return out;
        }
    }

    private static String hex(final byte[] b)
    {
        return HexFormat.of().formatHex(b);
    }
}
