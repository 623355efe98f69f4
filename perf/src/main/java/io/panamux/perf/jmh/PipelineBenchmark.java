package io.panamux.perf.jmh;

import java.util.concurrent.TimeUnit;

import io.panamux.dpdk.Eal;
import io.panamux.dpdk.EthPort;
import io.panamux.dpdk.Lcore;
import io.panamux.dpdk.PacketPool;
import io.panamux.dpdk.Vdev;
import io.panamux.fastpath.WorkerAgent;
import io.panamux.fastpath.snapshot.ForwardingSnapshot;
import io.panamux.fastpath.snapshot.SnapshotSlot;
import io.panamux.perf.L2ForwardAgent;
import io.panamux.perf.bench.FlowPlan;
import io.panamux.perf.bench.FrameReplay;
import io.panamux.slowpath.DataPlane;
import io.panamux.slowpath.config.ConfigLoader;
import io.panamux.slowpath.config.MuxConfig;
import io.panamux.slowpath.control.BackendIds;
import io.panamux.slowpath.control.SnapshotPublisher;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The whole fast path per packet, in JMH: one burst of 32 client frames written into the mbufs a
 * {@code net_null} port's next RX burst returns (the harness's {@link FrameReplay}), then one worker duty
 * cycle over real DPDK (RX burst, parse, VIP, Maglev or flow table, IPIP, TX burst). {@code forward}
 * measures replay plus worker; {@code replayAndL2Forward} the same replay with the foundation's loop
 * (RX, read Ethernet/IPv4, TX), so their difference is what the MUX pipeline costs over a plain forwarder.
 * Whole-system figures next to {@code dpdk-testpmd} come from {@code ./panamux bench}; this is the
 * component view.
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED --add-exports java.base/jdk.internal.misc=ALL-UNNAMED \
 *   -cp "perf/target/classes:perf/target/lib/*" org.openjdk.jmh.Main PipelineBenchmark -f 1 -wi 3 -i 5
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED"})
public class PipelineBenchmark
{
    private static final int BURST = 32;
    private static final int FRAME = 64;

    /** {@code on-change} (stateless Maglev) or {@code always} (every flow in the flow table). */
    @Param({"on-change", "always"})
    public String tracking;

    /** Live client flows. */
    @Param({"1000", "1000000"})
    public int flows;

    private PacketPool pool;
    private EthPort port;
    private WorkerAgent worker;
    private DataPlane dataPlane;
    private L2ForwardAgent l2;
    private FrameReplay replay;

    /** Starts DPDK, a {@code net_null} port, a worker with its snapshot, and the replay. */
    @Setup(Level.Trial)
    public void setUp()
    {
        Eal.ensureInitialised(Eal.virtualDeviceArgs(1024));
        Lcore.register();
        pool = PacketPool.create("jmh_pipe", 16383, 256, PacketPool.DEFAULT_DATA_ROOM, 0);
        port = Vdev.create("net_null_jmh", "size=" + FRAME);
        port.configure(1, 1, 0);
        port.setupRxQueue(0, 1024, pool);
        port.setupTxQueue(0, 1024);
        port.start();
        final MuxConfig config = ConfigLoader.parse("""
            mux: { name: jmh, address: 10.0.0.10, hash-seed: 0x5eed }
            dataplane:
              eal: []
              port: 0
              workers: 1
              burst-size: %d
              gateway-mac: "02:00:00:00:00:fe"
              flow-table: { capacity: %d, idle-timeout-seconds: 300 }
            vips:
              - address: 192.0.2.10
                port: 80
                protocol: tcp
                flow-tracking: %s
                backends: [ { address: 10.1.0.1 }, { address: 10.1.0.2 }, { address: 10.1.0.3, weight: 2 } ]
            """.formatted(BURST, flows + flows / 4 + 1024, tracking), "jmh.yaml");
        final SnapshotSlot slot = new SnapshotSlot(ForwardingSnapshot.empty(config.mux().hashSeed()));
        new SnapshotPublisher(slot, new BackendIds(1_000_000_000L)).apply(config, System.nanoTime());
        final long mac = port.macAddress();
        // The MUX's own wiring (DataPlane), one worker, not pinned (JMH's thread runs it), every new flow recorded.
        dataPlane = DataPlane.builder(config, slot).port(port.id(), mac, 9000).cpus(-1).unlimitedNewFlows().build();
        worker = dataPlane.agents().getFirst();
        l2 = new L2ForwardAgent(port.id(), port.id(), BURST, -1);
        replay = new FrameReplay(new FlowPlan(flows, 0.0, 7, flows), new int[] {config.vips().get(0).address().ipv4()}, new int[] {80},
            6, FRAME, mac, 0x02_00_00_00_00_FEL, pool.address(), BURST);
        // Every flow opened once before measuring, so "always" measures lookups of live flows.
        for (int i = 0; i < 2 * flows / BURST + 100; i++)
        {
            replay.refill();
            worker.doWork();
        }
    }

    /** Stops the port and checks no mbuf leaked. */
    @TearDown(Level.Trial)
    public void tearDown()
    {
        port.stop();
        port.close();
        Vdev.remove("net_null_jmh");
        dataPlane.close();
        if (pool.inUse() != 0)
        {
            throw new IllegalStateException(pool.inUse() + " mbufs leaked");
        }
        pool.close();
    }

    /** @return packets handled: replay a burst, one worker duty cycle. */
    @Benchmark
    @OperationsPerInvocation(BURST)
    public int forward()
    {
        replay.refill();
        return worker.doWork();
    }

    /** @return packets handled: the same replay, the foundation's RX-read-TX loop. */
    @Benchmark
    @OperationsPerInvocation(BURST)
    public int replayAndL2Forward()
    {
        replay.refill();
        return l2.doWork();
    }

}
