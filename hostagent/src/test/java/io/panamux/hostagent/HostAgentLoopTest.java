package io.panamux.hostagent;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.panamux.dpdk.Burst;
import io.panamux.dpdk.Eal;
import io.panamux.dpdk.EthPort;
import io.panamux.dpdk.Mbuf;
import io.panamux.dpdk.Memory;
import io.panamux.dpdk.PacketPool;
import io.panamux.dpdk.RingPorts;
import io.panamux.fastpath.encap.TunnelEncapsulator;
import io.panamux.fastpath.snapshot.MaglevBackends;
import io.panamux.fastpath.snapshot.Vip;
import io.panamux.flow.FlowHash;
import io.panamux.flow.MaglevTable;

import static io.panamux.hostagent.TestFrames.concat;
import static io.panamux.hostagent.TestFrames.ethernet;
import static io.panamux.hostagent.TestFrames.ip;
import static io.panamux.hostagent.TestFrames.ipv4;
import static io.panamux.hostagent.TestFrames.tcp;
import static io.panamux.hostagent.TestFrames.udp;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two host agents stepped on DPDK ring ports, each with a "network" pair and a "kernel" pair whose far ends
 * the test holds: a backend's agent (b1) and a client's agent (c2). Frames go in and come out as DPDK
 * moves them; what comes out is compared byte for byte with frames built independently.
 */
class HostAgentLoopTest
{
    private static final byte[] KEY = HexFormat.of().parseHex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    private static final int B1 = ip("198.18.21.2");
    private static final int B2 = ip("198.18.22.2");
    private static final int C2 = ip("198.18.2.2");
    private static final int MUX = ip("198.18.11.2");
    private static final int FASTPATH_VIP = ip("192.0.2.12");
    private static final int SELECTED_VIP = ip("192.0.2.13");
    private static final long GATEWAY = 0x0298_0000_0001L;

    private static PacketPool pool;
    private static RingPorts b1Network;
    private static RingPorts b1Host;
    private static RingPorts c2Network;
    private static RingPorts c2Host;
    private static final MemorySegment BURST = Arena.global().allocate(JAVA_LONG, 64);
    private static long nowNs = 1_000_000_000L;

    @BeforeAll
    static void start()
    {
        Eal.ensureInitialised(Eal.virtualDeviceArgs(256));
        pool = PacketPool.create("ha_loop_pool", 4095, 0, PacketPool.DEFAULT_DATA_ROOM, 0);
        b1Network = RingPorts.create("hab1n", 1, 1024);
        b1Host = RingPorts.create("hab1h", 1, 1024);
        c2Network = RingPorts.create("hac2n", 1, 1024);
        c2Host = RingPorts.create("hac2h", 1, 1024);
        for (final RingPorts pair : List.of(b1Network, b1Host, c2Network, c2Host))
        {
            for (final EthPort p : List.of(pair.a(), pair.b()))
            {
                p.configure(1, 1, 0);
                p.setupRxQueue(0, 512, pool);
                p.setupTxQueue(0, 512);
                p.start();
            }
        }
    }

    @AfterAll
    static void stop()
    {
        for (final RingPorts pair : List.of(b1Network, b1Host, c2Network, c2Host))
        {
            for (final EthPort p : List.of(pair.a(), pair.b()))
            {
                p.stop();
                p.close();
            }
            pair.close();
        }
        assertEquals(0, pool.inUse(), "every mbuf back in the pool");
        pool.close();
    }

    private static HostAgentConfig config(final String name, final int address, final boolean offer, final List<HostAgentConfig.SourceVip> vips)
    {
        return config(name, address, offer, vips, TunnelEncapsulator.DEFAULT_GUE_PORT);
    }

    private static HostAgentConfig config(final String name, final int address, final boolean offer, final List<HostAgentConfig.SourceVip> vips,
        final int guePort)
    {
        final List<HostAgentConfig.ServedVip> served = List.of(new HostAgentConfig.ServedVip(FASTPATH_VIP, 80, 6),
            new HostAgentConfig.ServedVip(SELECTED_VIP, 80, 6));
        return new HostAgentConfig(name, address, List.of(), "-", "-", GATEWAY, 1500, 32, guePort, 0x5eed,
            MaglevTable.DEFAULT_SIZE, 4096, 300, new HostAgentConfig.Pool(List.of(MUX), List.of(), served), served, Optional.of(new HostAgentConfig.Fastpath(KEY, 6081,
            offer ? List.of(Prefix.parse("198.18.2.0/24")) : List.of(), true, 30, 2000, 500)), vips);
    }

    private static HostAgent agent(final HostAgentConfig config, final RingPorts network, final RingPorts host, final HostAgentCounters counters)
    {
        final HostAgent agent = new HostAgent(config, network.a().id(), host.a().id(), host.a().macAddress(), pool.address(), counters,
            () -> nowNs, () -> 1_800_000_000_000L + nowNs / 1_000_000);
        agent.onStart();
        return agent;
    }

    private static void send(final EthPort port, final byte[] frame)
    {
        final long m = Burst.alloc(pool.address());
        Mbuf.length(m, frame.length);
        Memory.copyFromArray(frame, 0, Mbuf.dataAddress(m), frame.length);
        BURST.setAtIndex(JAVA_LONG, 0, m);
        assertEquals(1, Burst.tx(port.id(), 0, BURST, 1));
    }

    /** A two-agent test's end: both stopped, what they sent last drained from their networks, their tables freed. */
    private static void stopBoth(final HostAgent b1, final HostAgent c2)
    {
        b1.onClose();
        c2.onClose();
        receive(b1Network.b());
        receive(c2Network.b());
        b1.closeTables();
        c2.closeTables();
    }

    private static List<byte[]> receive(final EthPort port)
    {
        final List<byte[]> out = new ArrayList<>();
        final int n = Burst.rx(port.id(), 0, BURST, 64);
        for (int i = 0; i < n; i++)
        {
            final long m = BURST.getAtIndex(JAVA_LONG, i);
            out.add(TestFrames.data(m));
            Burst.free(m);
        }
        return out;
    }

    @Test
    void decapsulatesRedirectsAndTheClientSendsTheRestStraightToTheBackend()
    {
        final HostAgentCounters b1Counters = new HostAgentCounters();
        final HostAgentCounters c2Counters = new HostAgentCounters();
        final HostAgent b1 = agent(config("b1", B1, true, List.of()), b1Network, b1Host, b1Counters);
        final HostAgent c2 = agent(config("c2", C2, false, List.of()), c2Network, c2Host, c2Counters);
        final long b1Mac = b1Host.a().macAddress();
        final long c2Mac = c2Host.a().macAddress();
        try
        {
            // The MUX's tunnel packet (the client's SYN) reaches b1's link.
            final byte[] syn = ipv4(0, 6, C2, FASTPATH_VIP, 0x4000, tcp(40000, 80, 0x02, 0));
            send(b1Network.b(), ethernet(b1Mac, GATEWAY, 0x0800, ipv4(0, 4, MUX, B1, 0x4000, syn)));
            b1.doWork();
            final List<byte[]> toKernel = receive(b1Host.b());
            assertEquals(1, toKernel.size());
            assertArrayEquals(ethernet(b1Mac, GATEWAY, 0x0800, syn), toKernel.get(0), "the kernel gets the client's packet as sent");

            // ... and b1's agent tells c2's agent to send the rest of the flow to b1.
            final List<byte[]> toNetwork = receive(b1Network.b());
            assertEquals(1, toNetwork.size());
            final byte[] redirect = toNetwork.get(0);
            final ByteBuffer r = ByteBuffer.wrap(redirect);
            assertEquals(GATEWAY, r.getLong(0) >>> 16, "to the gateway");
            assertEquals(0x0800, r.getShort(12) & 0xFFFF);
            assertEquals(17, redirect[14 + 9]);
            assertEquals(B1, r.getInt(14 + 12));
            assertEquals(C2, r.getInt(14 + 16));
            assertEquals(0, TestFrames.checksum(redirect, 14, 20), "IPv4 header checksum");
            assertEquals(6081, r.getShort(34 + 2) & 0xFFFF);
            final byte[] pseudo = concat(ByteBuffer.allocate(12).putInt(B1).putInt(C2).putShort((short)17)
                .putShort((short)(8 + RedirectMessage.LENGTH)).array(), Arrays.copyOfRange(redirect, 34, redirect.length));
            assertEquals(0, TestFrames.checksum(pseudo, 0, pseudo.length), "UDP checksum");
            assertEquals(1, b1Counters.get(HostAgentCounters.REDIRECTS_SENT));
            assertEquals(1, b1Counters.get(HostAgentCounters.DECAPSULATED_FROM_MUX));

            // The redirect crosses the network to c2's link; c2's agent takes it (the kernel never sees it).
            final byte[] arrived = redirect.clone();
            System.arraycopy(ByteBuffer.allocate(8).putLong(c2Mac << 16).array(), 0, arrived, 0, 6);
            send(c2Network.b(), arrived);
            c2.doWork();
            assertEquals(List.of(), receive(c2Host.b()));
            assertEquals(1, c2Counters.get(HostAgentCounters.REDIRECTS_ACCEPTED));

            // The kernel's next packet of the flow leaves encapsulated to b1; another flow leaves as it is.
            final byte[] ack = ipv4(0, 6, C2, FASTPATH_VIP, 0x4000, tcp(40000, 80, 0x10, 100));
            send(c2Host.b(), ethernet(GATEWAY, c2Mac, 0x0800, ack));
            final byte[] other = ipv4(0, 6, C2, FASTPATH_VIP, 0x4000, tcp(40001, 80, 0x10, 100));
            send(c2Host.b(), ethernet(GATEWAY, c2Mac, 0x0800, other));
            c2.doWork();
            final List<byte[]> out = receive(c2Network.b());
            assertEquals(2, out.size());
            final byte[] tunnel = out.get(0);
            final ByteBuffer t = ByteBuffer.wrap(tunnel);
            assertEquals(GATEWAY, t.getLong(0) >>> 16);
            assertEquals(c2Mac, (t.getLong(6) >>> 16) & 0xFFFF_FFFF_FFFFL);
            assertEquals(4, tunnel[14 + 9], "IP in IP");
            assertEquals(C2, t.getInt(14 + 12), "from the client's host");
            assertEquals(B1, t.getInt(14 + 16), "straight to the backend");
            assertEquals(0, TestFrames.checksum(tunnel, 14, 20));
            assertArrayEquals(ack, Arrays.copyOfRange(tunnel, 34, tunnel.length), "the inner packet, still to the VIP, unchanged");
            assertArrayEquals(ethernet(GATEWAY, c2Mac, 0x0800, other), out.get(1));
            assertEquals(1, c2Counters.get(HostAgentCounters.FASTPATH_PACKETS));

            // b1's agent opens it like any tunnel, and offers no second redirect: the flow came directly.
            send(b1Network.b(), ethernet(b1Mac, GATEWAY, 0x0800, Arrays.copyOfRange(tunnel, 14, tunnel.length)));
            b1.doWork();
            assertArrayEquals(ethernet(b1Mac, GATEWAY, 0x0800, ack), receive(b1Host.b()).get(0));
            assertEquals(List.of(), receive(b1Network.b()));
            assertEquals(1, b1Counters.get(HostAgentCounters.DECAPSULATED_DIRECT));

            // Replies and ARP pass unchanged both ways.
            final byte[] reply = ethernet(GATEWAY, b1Mac, 0x0800, ipv4(0, 6, FASTPATH_VIP, C2, 0x4000, tcp(80, 40000, 0x12, 0)));
            send(b1Host.b(), reply);
            final byte[] arp = ethernet(0xFFFF_FFFF_FFFFL, GATEWAY, 0x0806, new byte[28]);
            send(b1Network.b(), arp);
            b1.doWork();
            assertArrayEquals(reply, receive(b1Network.b()).get(0));
            assertArrayEquals(arp, receive(b1Host.b()).get(0));

            // Stopping, b1's agent revokes what it offered.
            b1.onClose();
            final List<byte[]> revokes = receive(b1Network.b());
            assertEquals(1, revokes.size());
            assertEquals(RedirectMessage.REVOKE, revokes.get(0)[42 + RedirectMessage.TYPE_OFFSET]);
        }
        finally
        {
            c2.onClose();
            receive(c2Network.b());
            b1.closeTables();
            c2.closeTables();
        }
    }

    @Test
    void selectsTheBackendForAConfiguredVipAndAnswersTooBigPacketsToTheLocalSender()
    {
        final HostAgentCounters counters = new HostAgentCounters();
        final HostAgentConfig.SourceVip vip = new HostAgentConfig.SourceVip(SELECTED_VIP, 80, 6, TunnelEncapsulator.GRE,
            List.of(new HostAgentConfig.SourceBackend(B1, 1), new HostAgentConfig.SourceBackend(B2, 1)));
        final HostAgent c2 = agent(config("c2", C2, false, List.of(vip)), c2Network, c2Host, counters);
        final long c2Mac = c2Host.a().macAddress();
        try
        {
            final long[] keys = {MaglevBackends.keyV4(0x5eed, B1), MaglevBackends.keyV4(0x5eed, B2)};
            final int[] table = MaglevTable.build(keys, MaglevTable.DEFAULT_SIZE);
            final int[] chosen = new int[2];
            for (int port = 50000; port < 50040; port++)
            {
                final byte[] packet = ipv4(0, 6, C2, SELECTED_VIP, 0x4000, tcp(port, 80, 0x02, 0));
                send(c2Host.b(), ethernet(GATEWAY, c2Mac, 0x0800, packet));
                c2.doWork();
                final byte[] out = receive(c2Network.b()).get(0);
                assertEquals(47, out[14 + 9], "GRE, as the VIP says");
                final int expected = MaglevTable.lookup(table, FlowHash.hashV4(0x5eed, C2, SELECTED_VIP, port, 80, 6));
                assertEquals(expected == 0 ? B1 : B2, ByteBuffer.wrap(out).getInt(14 + 16), "the MUX's choice for port " + port);
                assertArrayEquals(packet, Arrays.copyOfRange(out, 14 + 20 + 4, out.length));
                chosen[expected]++;
            }
            assertTrue(chosen[0] > 0 && chosen[1] > 0, "both backends chosen");
            assertEquals(40, counters.get(HostAgentCounters.SELECTED_FLOWS));

            // 1480 bytes of inner IP + 24 of GRE tunnel exceed the 1500-byte MTU: the sender hears "fragmentation needed".
            final byte[] big = ipv4(0, 6, C2, SELECTED_VIP, 0x4000, tcp(50000, 80, 0x10, 1440));
            send(c2Host.b(), ethernet(GATEWAY, c2Mac, 0x0800, big));
            c2.doWork();
            assertEquals(List.of(), receive(c2Network.b()));
            final byte[] icmp = receive(c2Host.b()).get(0);
            assertEquals(1, icmp[14 + 9], "ICMP");
            assertEquals(3, icmp[34], "destination unreachable");
            assertEquals(4, icmp[35], "fragmentation needed");
            assertEquals(1500 - 24, ByteBuffer.wrap(icmp).getShort(34 + 6) & 0xFFFF, "the MTU that fits the tunnel");
            assertEquals(1, counters.get(HostAgentCounters.TOO_BIG_REPLIES));

            // A UDP datagram to the VIP's port is not the TCP VIP: it leaves unchanged.
            final byte[] dns = ethernet(GATEWAY, c2Mac, 0x0800, ipv4(0, 17, C2, SELECTED_VIP, 0, udp(5353, 80, new byte[12])));
            send(c2Host.b(), dns);
            c2.doWork();
            assertArrayEquals(dns, receive(c2Network.b()).get(0));
        }
        finally
        {
            c2.onClose();
            receive(c2Network.b());
            c2.closeTables();
        }
    }

    /**
     * A selected GUE VIP's packets leave for the agent's {@code dataplane.gue-port} (here not the default 6080), and the
     * backend's agent, which opens GUE on that port, opens them. The agent sends a selected VIP to its {@code Vip}'s
     * {@code guePort()}, as a MUX's worker does, so the VIPs it builds (at start and at a reload) must carry the port it
     * decapsulates and the loader checks with. Before the fix they carried 6080 (the snapshot {@code Vip}'s short
     * constructor) while the agent sent to its configuration's port: right on the wire, a wrong value in the field.
     */
    @Test
    void aSelectedGueVipLeavesForTheAgentsGuePortAndItsBackendsAgentOpensIt()
    {
        final int guePort = 6090;
        final HostAgentCounters b1Counters = new HostAgentCounters();
        final HostAgentCounters c2Counters = new HostAgentCounters();
        final HostAgent b1 = agent(config("b1", B1, true, List.of(), guePort), b1Network, b1Host, b1Counters);
        final HostAgent c2 = agent(config("c2", C2, false, List.of(selectedGue(B1)), guePort), c2Network, c2Host, c2Counters);
        final long b1Mac = b1Host.a().macAddress();
        final long c2Mac = c2Host.a().macAddress();
        try
        {
            assertEquals(List.of(guePort), c2.selection().vips().stream().map(Vip::guePort).toList(), "the agent's VIPs carry its port");
            final byte[] syn = ipv4(0, 6, C2, SELECTED_VIP, 0x4000, tcp(50000, 80, 0x02, 0));
            final byte[] tunnel = selectedGueFrame(c2, c2Mac, syn, B1, guePort);

            // b1's agent opens GUE on the same port: the kernel gets the client's packet as sent.
            send(b1Network.b(), ethernet(b1Mac, GATEWAY, 0x0800, Arrays.copyOfRange(tunnel, 14, tunnel.length)));
            b1.doWork();
            assertArrayEquals(ethernet(b1Mac, GATEWAY, 0x0800, syn), receive(b1Host.b()).get(0));
            assertEquals(1, b1Counters.get(HostAgentCounters.DECAPSULATED_DIRECT));
            assertEquals(List.of(), receive(b1Network.b()), "a direct flow is offered no redirect");

            // A reload builds the VIPs again (another backend): the port stays the agent's.
            c2.reload(config("c2", C2, false, List.of(selectedGue(B2)), guePort));
            selectedGueFrame(c2, c2Mac, ipv4(0, 6, C2, SELECTED_VIP, 0x4000, tcp(50001, 80, 0x02, 0)), B2, guePort);
            assertEquals(List.of(guePort), c2.selection().vips().stream().map(Vip::guePort).toList(), "after a reload");
            assertEquals(2, c2Counters.get(HostAgentCounters.SELECTED_PACKETS));
        }
        finally
        {
            stopBoth(b1, c2);
        }
    }

    /** The selected VIP, GUE, with one backend. */
    private static HostAgentConfig.SourceVip selectedGue(final int backend)
    {
        return new HostAgentConfig.SourceVip(SELECTED_VIP, 80, 6, TunnelEncapsulator.GUE, List.of(new HostAgentConfig.SourceBackend(backend, 1)));
    }

    /**
     * Sends {@code packet} from C2's kernel through {@code agent}; checks that it left GUE to {@code backend} and
     * {@code guePort} (variant 1: the inner packet right after UDP) and returns the frame.
     */
    private static byte[] selectedGueFrame(final HostAgent agent, final long c2Mac, final byte[] packet, final int backend, final int guePort)
    {
        send(c2Host.b(), ethernet(GATEWAY, c2Mac, 0x0800, packet));
        agent.doWork();
        final List<byte[]> out = receive(c2Network.b());
        assertEquals(1, out.size(), "one frame to the network");
        final byte[] tunnel = out.get(0);
        final ByteBuffer t = ByteBuffer.wrap(tunnel);
        assertEquals(17, tunnel[14 + 9], "GUE: UDP");
        assertEquals(C2, t.getInt(14 + 12), "from the client's host");
        assertEquals(backend, t.getInt(14 + 16), "to the backend");
        assertEquals(guePort, t.getShort(34 + 2) & 0xFFFF, "to dataplane.gue-port");
        assertEquals(8 + packet.length, t.getShort(34 + 4) & 0xFFFF, "UDP length");
        assertArrayEquals(packet, Arrays.copyOfRange(tunnel, 42, tunnel.length), "the inner packet, unchanged");
        return tunnel;
    }

    /**
     * Issue 12: a reload of the pool document must not re-choose the live connections this agent selected for, as a MUX
     * keeps its recorded flows across a snapshot: a re-weighting (here, and on an unrelated VIP's change) leaves every
     * flow on its backend, a drained backend (weight 0 in the agent's table) keeps its flows, and only the flows of a
     * removed backend move, to what the new table gives. Before the fix every reload made a new flow table.
     */
    @Test
    void aReloadKeepsEverySelectedFlowOnItsBackendUnlessTheBackendWasRemoved()
    {
        final int b3 = ip("198.18.23.2");
        final HostAgentCounters counters = new HostAgentCounters();
        final HostAgentConfig first = config("c2", C2, false, List.of(selected(1, 1, 1)));
        final HostAgent c2 = agent(first, c2Network, c2Host, counters);
        final long c2Mac = c2Host.a().macAddress();
        final int flows = 300;
        final int[] backendOf = new int[flows];
        try
        {
            for (int i = 0; i < flows; i++)
            {
                backendOf[i] = selectOne(c2, c2Mac, 40000 + i, 0x02);
                assertEquals(choice(new int[] {B1, B2, b3}, new int[] {1, 1, 1}, 40000 + i), backendOf[i], "the MUX's choice");
            }

            // Re-weighted, with another VIP added: by the new table about half the flows would move; none may.
            final HostAgentConfig.SourceVip other = new HostAgentConfig.SourceVip(ip("192.0.2.14"), 80, 6, TunnelEncapsulator.IPIP,
                List.of(new HostAgentConfig.SourceBackend(B1, 1)));
            c2.reload(config("c2", C2, false, List.of(other, selected(1, 5, 1))));
            int wouldMove = 0;
            for (int i = 0; i < flows; i++)
            {
                assertEquals(backendOf[i], selectOne(c2, c2Mac, 40000 + i, 0x10), "flow " + i + " after a re-weighting");
                wouldMove += choice(new int[] {B1, B2, b3}, new int[] {1, 5, 1}, 40000 + i) != backendOf[i] ? 1 : 0;
            }
            assertTrue(wouldMove > flows / 4, "the new table alone would move " + wouldMove + " flows");
            assertEquals(flows, counters.get(HostAgentCounters.SELECTED_FLOWS), "no flow chosen again");
            // A new connection takes the new table.
            assertEquals(choice(new int[] {B1, B2, b3}, new int[] {1, 5, 1}, 41000), selectOne(c2, c2Mac, 41000, 0x02));

            // B2 drained (weight 0), b3 removed: B1's and B2's flows stay, b3's go where the new table sends them.
            c2.reload(config("c2", C2, false, List.of(selected(1, 0, -1))));
            int moved = 0;
            for (int i = 0; i < flows; i++)
            {
                final int now = selectOne(c2, c2Mac, 40000 + i, 0x10);
                if (backendOf[i] == b3)
                {
                    assertEquals(B1, now, "flow " + i + " of the removed backend: the only one that takes flows");
                    moved++;
                }
                else
                {
                    assertEquals(backendOf[i], now, "flow " + i + " after a drain and a removal");
                }
            }
            assertTrue(moved > 0 && moved < flows, "flows of the removed backend: " + moved);
            assertEquals(B1, selectOne(c2, c2Mac, 41001, 0x02), "a drained backend takes no new flow");
        }
        finally
        {
            c2.onClose();
            receive(c2Network.b());
            c2.closeTables();
        }
    }

    /**
     * Two reloads before the agent thread takes either: the second follows the first. Found while fixing issue 12:
     * an agent that selected for nothing, reloaded with VIPs and then with anything that kept them (here the same
     * configuration), dropped the first reload's new selector and never selected.
     */
    @Test
    void aReloadThatReplacesAnUntakenOneKeepsItsSelection()
    {
        final HostAgentCounters counters = new HostAgentCounters();
        final HostAgent c2 = agent(config("c2", C2, false, List.of()), c2Network, c2Host, counters);
        final long c2Mac = c2Host.a().macAddress();
        try
        {
            c2.reload(config("c2", C2, false, List.of(selected(1, 1, 1))));
            c2.reload(config("c2", C2, false, List.of(selected(1, 1, 1))));
            assertEquals(choice(new int[] {B1, B2, ip("198.18.23.2")}, new int[] {1, 1, 1}, 42000), selectOne(c2, c2Mac, 42000, 0x02));
            // And the other way: the VIPs change twice, the second time before the agent took the first.
            c2.reload(config("c2", C2, false, List.of(selected(1, 0, 1))));
            c2.reload(config("c2", C2, false, List.of(selected(0, 1, -1))));
            assertEquals(B2, selectOne(c2, c2Mac, 42001, 0x02), "the second reload's table");
            assertEquals(1, c2.selection().vips().size());
        }
        finally
        {
            c2.onClose();
            receive(c2Network.b());
            c2.closeTables();
        }
    }

    /** The selected VIP with B1, B2 and 198.18.23.2 at these weights; a negative weight leaves the backend out. */
    private static HostAgentConfig.SourceVip selected(final int... weights)
    {
        final int[] addresses = {B1, B2, ip("198.18.23.2")};
        final List<HostAgentConfig.SourceBackend> backends = new ArrayList<>();
        for (int i = 0; i < addresses.length; i++)
        {
            if (weights[i] >= 0)
            {
                backends.add(new HostAgentConfig.SourceBackend(addresses[i], weights[i]));
            }
        }
        return new HostAgentConfig.SourceVip(SELECTED_VIP, 80, 6, TunnelEncapsulator.IPIP, backends);
    }

    /** @return the backend the MUX's Maglev table of these backends gives C2's flow from {@code port} to the selected VIP. */
    private static int choice(final int[] backends, final int[] weights, final int port)
    {
        final long[] keys = new long[backends.length];
        for (int i = 0; i < keys.length; i++)
        {
            keys[i] = MaglevBackends.keyV4(0x5eed, backends[i]);
        }
        final int[] table = MaglevTable.build(keys, weights, MaglevTable.DEFAULT_SIZE);
        return backends[MaglevTable.lookup(table, FlowHash.hashV4(0x5eed, C2, SELECTED_VIP, port, 80, 6))];
    }

    /** Sends one TCP segment of C2's flow from {@code port} to the selected VIP; @return the outer destination it left with. */
    private static int selectOne(final HostAgent agent, final long c2Mac, final int port, final int flags)
    {
        send(c2Host.b(), ethernet(GATEWAY, c2Mac, 0x0800, ipv4(0, 6, C2, SELECTED_VIP, 0x4000, tcp(port, 80, flags, 0))));
        agent.doWork();
        final List<byte[]> out = receive(c2Network.b());
        assertEquals(1, out.size(), "one frame to the network");
        assertEquals(4, out.get(0)[14 + 9], "IP-in-IP");
        return ByteBuffer.wrap(out.get(0)).getInt(14 + 16);
    }

    /** A Fastpath message frame from {@code backend} to C2, signed with the agents' key, as b1's agent builds it. */
    private static byte[] signedMessage(final long c2Mac, final int type, final int protocol, final int vip, final int clientPort,
        final int vipPort, final int backend, final long sequence)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment message = arena.allocate(RedirectMessage.LENGTH);
            new RedirectMessage(KEY).write(message.address(), type, protocol, C2, vip, clientPort, vipPort, backend, 1_800_000_000_000L
                + nowNs / 1_000_000, sequence);
            final byte[] udp = udp(6081, 6081, message.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
            return ethernet(c2Mac, GATEWAY, 0x0800, ipv4(0, 17, backend, C2, 0x4000, udp));
        }
    }

    /**
     * Issue 10 finding 1, as found: an outsider sends b1 IP-in-IP whose inner packets claim to come from c2
     * (a host with an agent) and go to 9.9.9.9:123/udp and 203.0.113.80:443/tcp. Before the fix b1 signed a
     * redirect for each, naming itself, and c2 accepted them and tunnelled its own next NTP packet to b1.
     */
    @Test
    void anOutsiderCannotMakeABackendRedirectAClientsTrafficForOtherDestinations()
    {
        final HostAgentCounters b1Counters = new HostAgentCounters();
        final HostAgentCounters c2Counters = new HostAgentCounters();
        final HostAgent b1 = agent(config("b1", B1, true, List.of()), b1Network, b1Host, b1Counters);
        final HostAgent c2 = agent(config("c2", C2, false, List.of()), c2Network, c2Host, c2Counters);
        final long b1Mac = b1Host.a().macAddress();
        final long c2Mac = c2Host.a().macAddress();
        final int ntpServer = ip("9.9.9.9");
        final int webServer = ip("203.0.113.80");
        try
        {
            final byte[] ntp = ipv4(0, 17, C2, ntpServer, 0, udp(40123, 123, new byte[48]));
            final byte[] https = ipv4(0, 6, C2, webServer, 0x4000, tcp(40443, 443, 0x02, 0));
            // From the outsider's own address, and with the outer source spoofed as the MUX's.
            for (final int outer : new int[] {ip("203.0.113.66"), MUX})
            {
                send(b1Network.b(), ethernet(b1Mac, GATEWAY, 0x0800, ipv4(0, 4, outer, B1, 0x4000, ntp)));
                send(b1Network.b(), ethernet(b1Mac, GATEWAY, 0x0800, ipv4(0, 4, outer, B1, 0x4000, https)));
            }
            b1.doWork();
            assertEquals(List.of(), receive(b1Network.b()), "b1 signs no redirect");
            assertEquals(0, b1Counters.get(HostAgentCounters.REDIRECTS_SENT));
            assertEquals(2, b1Counters.get(HostAgentCounters.TUNNEL_REFUSED_SOURCE), "the outsider's own tunnels are not opened");
            assertEquals(2, b1Counters.get(HostAgentCounters.REDIRECTS_NOT_OFFERED), "the spoofed ones are opened, but not offered");
            assertEquals(2, receive(b1Host.b()).size());

            // A redirect signed with the key for those destinations (what b1 used to send) is refused by c2 ...
            send(c2Network.b(), signedMessage(c2Mac, RedirectMessage.REDIRECT, 17, ntpServer, 40123, 123, B1, (nowNs >>> 10) + 1));
            send(c2Network.b(), signedMessage(c2Mac, RedirectMessage.REDIRECT, 6, webServer, 40443, 443, B1, (nowNs >>> 10) + 2));
            c2.doWork();
            assertEquals(2, c2Counters.get(HostAgentCounters.REFUSED_NOT_A_VIP));
            assertEquals(0, c2Counters.get(HostAgentCounters.REDIRECTS_ACCEPTED));

            // ... and c2's next NTP packet leaves as the kernel sent it, not into a tunnel to b1.
            final byte[] next = ethernet(GATEWAY, c2Mac, 0x0800, ntp);
            send(c2Host.b(), next);
            c2.doWork();
            assertArrayEquals(next, receive(c2Network.b()).get(0));
            assertEquals(0, c2Counters.get(HostAgentCounters.FASTPATH_PACKETS));
        }
        finally
        {
            stopBoth(b1, c2);
        }
    }

    /**
     * Issue 10 finding 4, as found: a forged "fragmentation needed" quoting c2's tunnel packet moved the flow
     * off its tunnel. Now only an unreachable code quoting a flow c2 tunnels to that backend does.
     */
    @Test
    void onlyAnUnreachableQuotingARedirectedFlowMovesItOffItsTunnel()
    {
        final HostAgentCounters counters = new HostAgentCounters();
        final HostAgent c2 = agent(config("c2", C2, false, List.of()), c2Network, c2Host, counters);
        final long c2Mac = c2Host.a().macAddress();
        try
        {
            send(c2Network.b(), signedMessage(c2Mac, RedirectMessage.REDIRECT, 6, FASTPATH_VIP, 40000, 80, B1, (nowNs >>> 10) + 10));
            c2.doWork();
            assertEquals(1, counters.get(HostAgentCounters.REDIRECTS_ACCEPTED));
            final byte[] data = ethernet(GATEWAY, c2Mac, 0x0800, ipv4(0, 6, C2, FASTPATH_VIP, 0x4000, tcp(40000, 80, 0x10, 20)));

            final int[][] ignored = {
                {4, 40000},   // fragmentation needed: the backend is there
                {11, 40000},  // network unreachable for TOS
                {1, 40009},   // host unreachable, but about no flow c2 tunnels
            };
            for (final int[] c : ignored)
            {
                final byte[] quoted = ipv4(0, 4, C2, B1, 0x4000, ipv4(0, 6, C2, FASTPATH_VIP, 0x4000, tcp(c[1], 80, 0x10, 20)));
                send(c2Network.b(), icmpUnreachable(c2Mac, c[0], quoted));
                send(c2Host.b(), data);
                c2.doWork();
                assertEquals(1, receive(c2Host.b()).size(), "the ICMP error still reaches the kernel");
                final byte[] out = receive(c2Network.b()).get(0);
                assertEquals(4, out[14 + 9], "code " + c[0] + ", port " + c[1] + ": still tunnelled");
                assertEquals(B1, ByteBuffer.wrap(out).getInt(14 + 16));
            }
            // A quote of only 8 bytes past the outer header cannot show the flow: ignored too.
            final byte[] shortQuote = Arrays.copyOf(ipv4(0, 4, C2, B1, 0x4000, ipv4(0, 6, C2, FASTPATH_VIP, 0x4000, tcp(40000, 80, 0x10, 0))), 28);
            send(c2Network.b(), icmpUnreachable(c2Mac, 1, shortQuote));
            c2.doWork();
            receive(c2Host.b());
            assertEquals(4, counters.get(HostAgentCounters.UNREACHABLE_IGNORED));
            assertEquals(0, counters.get(HostAgentCounters.BACKENDS_UNREACHABLE));

            // Host unreachable quoting the redirected flow's own tunnel packet: back to the VIP.
            final byte[] quoted = ipv4(0, 4, C2, B1, 0x4000, ipv4(0, 6, C2, FASTPATH_VIP, 0x4000, tcp(40000, 80, 0x10, 20)));
            send(c2Network.b(), icmpUnreachable(c2Mac, 1, quoted));
            send(c2Host.b(), data);
            c2.doWork();
            receive(c2Host.b());
            assertArrayEquals(data, receive(c2Network.b()).get(0), "sent to the VIP as the kernel wrote it");
            assertEquals(1, counters.get(HostAgentCounters.BACKENDS_UNREACHABLE));
            assertEquals(1, counters.get(HostAgentCounters.FALLBACKS));
        }
        finally
        {
            c2.onClose();
            receive(c2Network.b());
            c2.closeTables();
        }
    }

    /** An ICMP "destination unreachable" with {@code code}, from the router to C2, quoting {@code quoted}. */
    private static byte[] icmpUnreachable(final long c2Mac, final int code, final byte[] quoted)
    {
        final byte[] icmp = concat(new byte[] {3, (byte)code, 0, 0, 0, 0, 0, 0}, quoted);
        final int sum = TestFrames.checksum(icmp, 0, icmp.length);
        icmp[2] = (byte)(sum >>> 8);
        icmp[3] = (byte)sum;
        return ethernet(c2Mac, GATEWAY, 0x0800, ipv4(0, 1, ip("198.18.2.1"), C2, 0, icmp));
    }
}
