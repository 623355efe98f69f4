package io.panamux.slowpath.peer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

import io.panamux.fastpath.encap.TunnelEncapsulator;
import io.panamux.fastpath.ring.ControlToWorker;
import io.panamux.fastpath.ring.FlowRecord;
import io.panamux.fastpath.ring.WorkerToControl;
import io.panamux.fastpath.snapshot.Backend;
import io.panamux.fastpath.snapshot.ForwardingSnapshot;
import io.panamux.fastpath.snapshot.SnapshotSlot;
import io.panamux.fastpath.snapshot.Vip;
import io.panamux.flow.FlowTable;
import io.panamux.flow.OwnerRing;
import io.panamux.slowpath.config.ConfigLoader;
import io.panamux.slowpath.config.HostPort;
import io.panamux.slowpath.config.IpAddress;
import io.panamux.slowpath.config.MuxConfig;
import io.panamux.slowpath.config.Peers;
import io.panamux.slowpath.control.BackendIds;
import io.panamux.slowpath.control.FakeControlPort;
import io.panamux.slowpath.control.SnapshotPublisher;

/**
 * A MUX pool inside one JVM for flow-ownership tests: each member has its own snapshot (same VIP, same
 * backends, same pool and seed, as the configuration of a real pool), one worker's flow table and command
 * queue, fake mbufs, and a {@link FlowOwnership} bound to its own loopback UDP port. Time is a fake clock
 * the test moves; {@link #step} runs every member's duty once.
 */
final class PoolRig implements AutoCloseable
{
    static final long SEED = 0x5EEDL;
    static final String VIP_KEY = "192.0.2.10:80/tcp";
    static final int VIP = 0xC000_020A;
    static final int CLIENT = 0xC633_6401;
    static final long GATEWAY_MAC = 0x0200_0000_00FEL;
    static final byte[] KEY = HexFormat.of().parseHex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");

    /** One MUX of the pool. */
    final class Member
    {
        final IpAddress address;
        final int index;
        final SnapshotSlot slot;
        final SnapshotPublisher publisher;
        final FlowTable table = new FlowTable(1024);
        final ControlToWorker commands = new ControlToWorker(1 << 16);
        final FakeControlPort packets = new FakeControlPort();
        final FlowOwnership ownership;

        Member(final int index, final List<IpAddress> pool, final Peers peers, final List<String> backends)
        {
            this.index = index;
            this.address = pool.get(index);
            final StringBuilder yaml = new StringBuilder("""
                mux: { name: m%d, address: %s, pool: %s, hash-seed: 0x5eed }
                dataplane:
                  eal: []
                  port: 0
                  workers: 1
                  gateway-mac: "02:00:00:00:00:fe"
                  flow-table: { capacity: 1024, idle-timeout-seconds: 300 }
                vips:
                  - address: 192.0.2.10
                    port: 80
                    protocol: tcp
                    backends:
                """.formatted(index, address, pool));
            for (final String b : backends)
            {
                yaml.append("      - { address: ").append(b).append(" }\n");
            }
            yaml.append("peers: { listen: \"127.0.0.1:9\", key: \"hex:").append(HexFormat.of().formatHex(KEY)).append("\" }\n");
            final MuxConfig config = ConfigLoader.parse(yaml.toString(), "m" + index + ".yaml");
            slot = new SnapshotSlot(ForwardingSnapshot.empty(SEED));
            publisher = new SnapshotPublisher(slot, new BackendIds(600_000_000_000L));
            publisher.pool(new OwnerRing(pool.stream().map(IpAddress::toString).toList(), SEED), index);
            publisher.apply(config, nowNs);
            ownership = new FlowOwnership(peers, address, pool, slot, List.of(table), List.of(commands), packets,
                new TunnelEncapsulator(0x0200_0000_0001L + index, GATEWAY_MAC, address.ipv4(), 0, 0, 1500), () -> wallMs,
                STORE_TTL_NS);
        }

        ForwardingSnapshot snapshot()
        {
            return slot.current();
        }

        Vip vip()
        {
            return snapshot().vips()[0];
        }

        /** @return the local backend with this address. */
        Backend backend(final String address)
        {
            for (final Backend b : vip().backends())
            {
                if (b.text().equals(address))
                {
                    return b;
                }
            }
            throw new AssertionError(address + " is not a backend of " + this.address);
        }

        /** Replaces the VIP's backends (the VIP enters its stateful phase) and publishes. */
        void changeBackends(final List<SnapshotPublisher.BackendState> backends)
        {
            publisher.changeBackends(publisher.vips().get(VIP_KEY), backends, nowNs);
            publisher.publish(nowNs);
        }

        /** A worker hands over a mid-connection packet of an unknown flow. */
        void ownerQuery(final int srcPort, final Backend provisional)
        {
            final long mbuf = packets.handOver(tcpFrame(CLIENT, VIP, srcPort, 80, 0x10));
            ownership.onOwnerQuery(0, record(WorkerToControl.OWNER_QUERY, mbuf, srcPort, provisional.id()), nowNs);
        }

        /** A worker reports a flow it recorded. */
        void flowLearned(final int srcPort, final Backend backend)
        {
            ownership.onFlowLearned(0, record(WorkerToControl.FLOW_LEARNED, 0, srcPort, backend.id()), nowNs);
        }

        /** @return the commands the worker got since the last call. */
        List<FlowRecord> drainCommands()
        {
            final List<FlowRecord> out = new ArrayList<>();
            commands.drain((type, buffer, index, length) -> out.add(FlowRecord.decode(type, buffer, index)), 1000);
            return out;
        }

        /** @return the owner of a flow from this member's snapshot. */
        int ownerOf(final int srcPort)
        {
            return snapshot().owners().owner(hash(srcPort));
        }

        PeerStats stats()
        {
            return ownership.stats();
        }
    }

    static final long STORE_TTL_NS = 300_000_000_000L;

    long nowNs = 1_000_000_000L;
    long wallMs = 1_700_000_000_000L;
    final List<Member> members = new ArrayList<>();

    /**
     * @param size    members (10.0.0.1 ...).
     * @param tune    changes to every member's peers section (timeouts, bounds).
     * @param backends the VIP's backends.
     */
    PoolRig(final int size, final PeersTuning tune, final List<String> backends)
    {
        final List<IpAddress> pool = new ArrayList<>();
        final List<Integer> ports = new ArrayList<>();
        for (int i = 0; i < size; i++)
        {
            pool.add(IpAddress.parse("10.0.0." + (i + 1)));
            ports.add(freeUdpPort());
        }
        for (int i = 0; i < size; i++)
        {
            final Map<IpAddress, HostPort> endpoints = new java.util.HashMap<>();
            for (int j = 0; j < size; j++)
            {
                if (j != i)
                {
                    endpoints.put(pool.get(j), new HostPort(IpAddress.parse("127.0.0.1"), ports.get(j)));
                }
            }
            final Peers peers = tune.apply(new Peers(new HostPort(IpAddress.parse("127.0.0.1"), ports.get(i)), KEY, endpoints,
                Peers.DEFAULT_QUERY_TIMEOUT_MS, Peers.DEFAULT_MAX_QUERIES_IN_FLIGHT, Peers.DEFAULT_LEARNED_BATCH_INTERVAL_MS,
                Peers.DEFAULT_MAX_LEARNED_FLOWS, Peers.DEFAULT_MAX_MESSAGE_AGE_MS));
            members.add(new Member(i, pool, peers, backends));
        }
    }

    /** Changes to a default peers section. */
    @FunctionalInterface
    interface PeersTuning
    {
        Peers apply(Peers defaults);
    }

    static PeersTuning defaults()
    {
        return p -> p;
    }

    Member member(final int i)
    {
        return members.get(i);
    }

    /** Runs one duty cycle of the given members (all when none is given). */
    void step(final Member... only)
    {
        for (final Member m : only.length == 0 ? members : List.of(only))
        {
            m.ownership.doWork(nowNs);
        }
    }

    /** Steps every member until {@code done} (loopback UDP may take a moment), at most a few thousand cycles. */
    void stepUntil(final BooleanSupplier done, final Member... only)
    {
        for (int i = 0; i < 5000; i++)
        {
            step(only);
            if (done.getAsBoolean())
            {
                return;
            }
            Thread.onSpinWait();
        }
        throw new AssertionError("the pool did not get there");
    }

    /** @return a source port whose flow to the VIP is owned by member {@code owner} and that passes {@code also}. */
    int portOwnedBy(final int owner, final java.util.function.IntPredicate also)
    {
        for (int port = 20000; port < 60000; port++)
        {
            if (member(0).ownerOf(port) == owner && also.test(port))
            {
                return port;
            }
        }
        throw new AssertionError("no port");
    }

    static long hash(final int srcPort)
    {
        return PeerFlow.v4(CLIENT, VIP, srcPort, 80, 6).hash(SEED);
    }

    static FlowRecord record(final int type, final long mbuf, final int srcPort, final int backendId)
    {
        return new FlowRecord(type, mbuf, hash(srcPort), 0, backendId, srcPort, 80, 6, 4, 0, 0, CLIENT & 0xFFFF_FFFFL, 0,
            VIP & 0xFFFF_FFFFL);
    }

    /** @return an Ethernet + IPv4 + TCP frame (20-byte headers, 8 bytes of payload). */
    static byte[] tcpFrame(final int src, final int dst, final int srcPort, final int dstPort, final int flags)
    {
        final ByteBuffer b = ByteBuffer.allocate(14 + 20 + 20 + 8).order(ByteOrder.BIG_ENDIAN);
        b.put(new byte[] {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2}).putShort((short)0x0800);
        b.put((byte)0x45).put((byte)0).putShort((short)(20 + 20 + 8)).putShort((short)7).putShort((short)0x4000)
            .put((byte)64).put((byte)6).putShort((short)0).putInt(src).putInt(dst);
        b.putShort((short)srcPort).putShort((short)dstPort).putInt(1000).putInt(2000).put((byte)0x50).put((byte)flags)
            .putShort((short)65535).putShort((short)0).putShort((short)0);
        b.put("payload!".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        return b.array();
    }

    /** @return the outer IPv4 destination of an IP-in-IP frame as a dotted quad. */
    static String outerDestination(final byte[] frame)
    {
        final ByteBuffer b = ByteBuffer.wrap(frame);
        if (b.getShort(12) != 0x0800 || frame[14 + 9] != 4)
        {
            throw new AssertionError("not IP-in-IP over IPv4");
        }
        return IpAddress.ofIpv4(b.getInt(14 + 16)).toString();
    }

    /** @return the inner TCP source port of an IP-in-IP frame. */
    static int innerSourcePort(final byte[] frame)
    {
        return ByteBuffer.wrap(frame).getShort(14 + 20 + 20) & 0xFFFF;
    }

    static int freeUdpPort()
    {
        try (DatagramChannel c = DatagramChannel.open())
        {
            c.bind(new InetSocketAddress("127.0.0.1", 0));
            return ((InetSocketAddress)c.getLocalAddress()).getPort();
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close()
    {
        for (final Member m : members)
        {
            m.ownership.onClose();
            m.table.close();
        }
    }
}
