package io.panamux.perf.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import io.panamux.dpdk.Mbuf;
import io.panamux.dpdk.MbufDescriptor;
import io.panamux.dpdk.Memory;
import io.panamux.fastpath.encap.TunnelEncapsulator;
import io.panamux.fastpath.ring.ControlToWorker;
import io.panamux.fastpath.ring.FlowRecord;
import io.panamux.fastpath.ring.WorkerToControl;
import io.panamux.fastpath.snapshot.ForwardingSnapshot;
import io.panamux.fastpath.snapshot.SnapshotSlot;
import io.panamux.flow.FlowHash;
import io.panamux.flow.FlowTable;
import io.panamux.flow.OwnerRing;
import io.panamux.slowpath.config.ConfigLoader;
import io.panamux.slowpath.config.HostPort;
import io.panamux.slowpath.config.IpAddress;
import io.panamux.slowpath.config.Peers;
import io.panamux.slowpath.control.BackendIds;
import io.panamux.slowpath.control.ControlPort;
import io.panamux.slowpath.control.SnapshotPublisher;
import io.panamux.slowpath.peer.FlowOwnership;
import org.HdrHistogram.Histogram;
import org.agrona.concurrent.SystemEpochClock;

/**
 * Round trip of an owner query between two MUX control threads, in two processes over loopback UDP:
 * from the moment a worker's record reaches the asker's {@link FlowOwnership} (the packet is copied into
 * the query, signed, sent) to the moment the answer is a {@code PUT_FLOW} command in the worker's queue.
 * On the way the owner verifies the query, decides by rule 2 (and stores the decision), copies the packet
 * into an mbuf, encapsulates it and hands it to its packet path, then signs and sends the answer. Each
 * query is for a new flow. Both sides busy-poll (no back-off), as a control thread under load would.
 *
 * <pre>
 *   java --enable-native-access=ALL-UNNAMED -cp CLASSPATH io.panamux.perf.bench.OwnerQueryBench \
 *       [--queries N] [--warmup N] [--threads]
 * </pre>
 * {@code --threads} runs the owner on a thread of the same JVM instead of a child process. Mbufs are
 * off-heap blocks shaped as {@code struct rte_mbuf} (no DPDK needed); the owner's packet path takes the
 * encapsulated frame and returns the mbuf to the pool. Prints p50 / p90 / p99 / p99.9 / max in µs.
 */
public final class OwnerQueryBench
{
    private static final long SEED = 0x5EEDL;
    private static final List<IpAddress> POOL = List.of(IpAddress.parse("10.0.0.1"), IpAddress.parse("10.0.0.2"));
    private static final byte[] KEY = HexFormat.of().parseHex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    private static final int VIP = 0xC000_020A;

    private OwnerQueryBench()
    {
    }

    /**
     * @param args {@code [--queries N] [--warmup N] [--threads]}, or {@code --owner ASKER_PORT OWNER_PORT} (the
     *             child process).
     */
    public static void main(final String[] args) throws Exception
    {
        int queries = 20_000;
        int warmup = 5_000;
        boolean threads = false;
        for (int i = 0; i < args.length; i++)
        {
            switch (args[i])
            {
                case "--queries" -> queries = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--threads" -> threads = true;
                case "--owner" ->
                {
                    runOwner(Integer.parseInt(args[i + 1]), Integer.parseInt(args[i + 2]));
                    return;
                }
                default -> throw new IllegalArgumentException("usage: OwnerQueryBench [--queries N] [--warmup N] [--threads]");
            }
        }
        final int askerPort = freeUdpPort();
        final int ownerPort = freeUdpPort();
        final Side asker = new Side(0, askerPort, ownerPort);
        Process child = null;
        Thread ownerThread = null;
        final AtomicBoolean stop = new AtomicBoolean();
        if (threads)
        {
            final Side owner = new Side(1, askerPort, ownerPort);
            ownerThread = new Thread(() ->
            {
                while (!stop.get())
                {
                    owner.ownership.doWork(System.nanoTime());
                }
            }, "owner");
            ownerThread.setDaemon(true);
            ownerThread.start();
        }
        else
        {
            final List<String> command = new ArrayList<>();
            command.add(ProcessHandle.current().info().command().orElse("java"));
            command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
            command.addAll(List.of("-cp", System.getProperty("java.class.path"), OwnerQueryBench.class.getName(), "--owner",
                String.valueOf(askerPort), String.valueOf(ownerPort)));
            child = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            final String ready = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8)).readLine();
            if (!"ready".equals(ready))
            {
                throw new IllegalStateException("the owner process did not start: " + ready);
            }
        }
        try
        {
            final Histogram warm = new Histogram(TimeUnit.SECONDS.toNanos(1), 3);
            asker.measure(warmup, warm);
            final Histogram h = new Histogram(TimeUnit.SECONDS.toNanos(1), 3);
            final long start = System.nanoTime();
            asker.measure(queries, h);
            final double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("owner query round trip, %s, %d queries (after %d warm-up), %.0f queries/s one at a time%n",
                threads ? "two threads of one JVM" : "two processes", queries, warmup, queries / seconds);
            System.out.printf("  p50 %.1f us  p90 %.1f us  p99 %.1f us  p99.9 %.1f us  max %.1f us%n", h.getValueAtPercentile(50) / 1e3,
                h.getValueAtPercentile(90) / 1e3, h.getValueAtPercentile(99) / 1e3, h.getValueAtPercentile(99.9) / 1e3, h.getMaxValue() / 1e3);
            System.out.println("  asker " + asker.ownership.stats().toMap().entrySet().stream()
                .filter(e -> e.getValue() instanceof Long l && l != 0).map(Map.Entry::toString).toList());
        }
        finally
        {
            stop.set(true);
            if (child != null)
            {
                child.getOutputStream().close();
                child.waitFor(10, TimeUnit.SECONDS);
            }
            if (ownerThread != null)
            {
                ownerThread.join(1000);
            }
            asker.ownership.onClose();
        }
    }

    private static void runOwner(final int askerPort, final int ownerPort) throws IOException
    {
        final Side owner = new Side(1, askerPort, ownerPort);
        System.out.println("ready");
        System.out.flush();
        final Thread poll = new Thread(() ->
        {
            while (!Thread.currentThread().isInterrupted())
            {
                owner.ownership.doWork(System.nanoTime());
            }
        }, "owner");
        poll.setDaemon(true);
        poll.start();
        // Until the asker closes our stdin.
        while (System.in.read() >= 0)
        {
            Thread.onSpinWait();
        }
        poll.interrupt();
    }

    /** One MUX's control side: snapshot, one worker's flow table and command queue, the protocol. */
    private static final class Side
    {
        final int self;
        final ControlToWorker commands = new ControlToWorker(1 << 16);
        final BenchPort packets = new BenchPort(256);
        final FlowOwnership ownership;
        final SnapshotSlot slot = new SnapshotSlot(ForwardingSnapshot.empty(SEED));
        private int nextPort = 1024;
        private int nextClient = 0x0A00_0001;

        Side(final int self, final int askerPort, final int ownerPort)
        {
            this.self = self;
            final SnapshotPublisher publisher = new SnapshotPublisher(slot, new BackendIds(600_000_000_000L));
            publisher.pool(new OwnerRing(POOL.stream().map(IpAddress::toString).toList(), SEED), self);
            publisher.apply(ConfigLoader.parse("""
                mux: { name: bench, address: %s, pool: [10.0.0.1, 10.0.0.2], hash-seed: 0x5eed }
                dataplane: { eal: [], port: 0, workers: 1, gateway-mac: "02:00:00:00:00:fe",
                             flow-table: { capacity: 1024, idle-timeout-seconds: 300 } }
                vips:
                  - { address: 192.0.2.10, port: 80, protocol: tcp, backends: [ { address: 10.1.0.1 }, { address: 10.1.0.2 } ] }
                peers: { listen: "127.0.0.1:9", key: "hex:%s" }
                """.formatted(POOL.get(self), HexFormat.of().formatHex(KEY)), "bench.yaml"), System.nanoTime());
            final SnapshotPublisher.VipState vip = publisher.vips().get("192.0.2.10:80/tcp");
            publisher.changeBackends(vip, List.of(new SnapshotPublisher.BackendState(IpAddress.parse("10.1.0.1"), 1, false),
                new SnapshotPublisher.BackendState(IpAddress.parse("10.1.0.2"), 1, false),
                new SnapshotPublisher.BackendState(IpAddress.parse("10.1.0.3"), 1, false)), System.nanoTime());
            publisher.publish(System.nanoTime());
            final IpAddress loopback = IpAddress.parse("127.0.0.1");
            final int other = 1 - self;
            final Peers peers = new Peers(new HostPort(loopback, self == 0 ? askerPort : ownerPort), KEY,
                Map.of(POOL.get(other), new HostPort(loopback, other == 0 ? askerPort : ownerPort)), 1000,
                Peers.DEFAULT_MAX_QUERIES_IN_FLIGHT, Peers.DEFAULT_LEARNED_BATCH_INTERVAL_MS, Peers.DEFAULT_MAX_LEARNED_FLOWS,
                Peers.DEFAULT_MAX_MESSAGE_AGE_MS);
            ownership = new FlowOwnership(peers, POOL.get(self), POOL, slot, List.of(new FlowTable(1024)), List.of(commands), packets,
                new TunnelEncapsulator(0x0200_0000_0001L, 0x0200_0000_00FEL, POOL.get(self).ipv4(), 0, 0, 1500),
                new SystemEpochClock(), 300_000_000_000L);
        }

        /** Asks {@code n} queries one after the other, each for a new flow the other side owns. */
        void measure(final int n, final Histogram into)
        {
            final long[] answeredAt = new long[1];
            for (int i = 0; i < n; i++)
            {
                final int client = nextClient;
                final int port = nextOwnedPort(client);
                final long hash = FlowHash.hashV4(SEED, client, VIP, port, 80, 6);
                final long mbuf = packets.frame(client, port);
                final FlowRecord r = new FlowRecord(WorkerToControl.OWNER_QUERY, mbuf, hash, 0, 0, port, 80, 6, 4, 0, 0,
                    client & 0xFFFF_FFFFL, 0, VIP & 0xFFFF_FFFFL);
                answeredAt[0] = 0;
                final long start = System.nanoTime();
                ownership.onOwnerQuery(0, r, start);
                while (answeredAt[0] == 0)
                {
                    final long now = System.nanoTime();
                    ownership.doWork(now);
                    commands.drain((type, buffer, index, length) -> answeredAt[0] = System.nanoTime(), 16);
                }
                into.recordValue(Math.min(answeredAt[0] - start, into.getHighestTrackableValue()));
            }
            if (ownership.stats().queriesTimedOut() != 0)
            {
                throw new IllegalStateException("queries timed out: " + ownership.stats());
            }
        }

        private int nextOwnedPort(final int client)
        {
            final OwnerRing ring = slot.current().owners();
            while (true)
            {
                final int port = nextPort++;
                if (nextPort > 65535)
                {
                    nextPort = 1024;
                    nextClient++;
                }
                if (ring.owner(FlowHash.hashV4(SEED, client, VIP, port, 80, 6)) != self)
                {
                    return port;
                }
            }
        }
    }

    /**
     * Mbufs as off-heap blocks shaped as {@code struct rte_mbuf}, reused through a free list; sending takes
     * the frame and returns the mbuf.
     */
    private static final class BenchPort implements ControlPort
    {
        private static final int HEADROOM = 128;
        private static final int ROOM = 2176;
        private final long[] free;
        private int count;
        long sent;

        BenchPort(final int size)
        {
            free = new long[size];
            final Arena arena = Arena.global();
            for (int i = 0; i < size; i++)
            {
                final long m = arena.allocate(MbufDescriptor.SIZEOF + ROOM, 64).address();
                Memory.putI64(m + MbufDescriptor.BUF_ADDR_OFFSET, m + MbufDescriptor.SIZEOF);
                Memory.putU16(m + MbufDescriptor.NB_SEGS_OFFSET, 1);
                Memory.putU16(m + MbufDescriptor.BUF_LEN_OFFSET, ROOM);
                free[count++] = m;
            }
        }

        /** @return an mbuf holding a client's mid-connection TCP packet to the VIP. */
        long frame(final int client, final int port)
        {
            final long m = allocate();
            final ByteBuffer b = ByteBuffer.allocate(14 + 20 + 20 + 64).order(ByteOrder.BIG_ENDIAN);
            b.put(new byte[] {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2}).putShort((short)0x0800);
            b.put((byte)0x45).put((byte)0).putShort((short)(20 + 20 + 64)).putShort((short)1).putShort((short)0x4000)
                .put((byte)64).put((byte)6).putShort((short)0).putInt(client).putInt(VIP);
            b.putShort((short)port).putShort((short)80).putInt(1).putInt(1).put((byte)0x50).put((byte)0x10).putShort((short)65535)
                .putInt(0);
            final byte[] bytes = b.array();
            Memory.copyFromArray(bytes, 0, Mbuf.dataAddress(m), bytes.length);
            Mbuf.length(m, bytes.length);
            return m;
        }

        @Override
        public long allocate()
        {
            if (count == 0)
            {
                return 0;
            }
            final long m = free[--count];
            Memory.putU16(m + MbufDescriptor.DATA_OFF_OFFSET, HEADROOM);
            Mbuf.length(m, 0);
            return m;
        }

        @Override
        public void free(final long mbuf)
        {
            free[count++] = mbuf;
        }

        @Override
        public int poll(final PacketHandler handler, final int limit)
        {
            // The owner gets its queries by its socket, never through the port.
            return 0;
        }

        @Override
        public boolean send(final long mbuf)
        {
            sent++;
            free(mbuf);
            return true;
        }
    }

    private static int freeUdpPort() throws IOException
    {
        try (java.nio.channels.DatagramChannel c = java.nio.channels.DatagramChannel.open())
        {
            c.bind(new java.net.InetSocketAddress("127.0.0.1", 0));
            return ((java.net.InetSocketAddress)c.getLocalAddress()).getPort();
        }
    }
}
