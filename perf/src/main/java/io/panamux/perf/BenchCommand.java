package io.panamux.perf;

import java.util.List;
import java.util.concurrent.Callable;

import io.panamux.dpdk.Eal;
import io.panamux.dpdk.EthPort;
import io.panamux.dpdk.Lcore;
import io.panamux.dpdk.PacketPool;
import io.panamux.dpdk.Vdev;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BusySpinIdleStrategy;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ./panamux bench [SCENARIO] [--seconds N]}: whole-system throughput, each Java figure next to
 * {@code dpdk-testpmd} on the same virtual device in the same run.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Performance harness: Java figures next to dpdk-testpmd, same run, same device")
public final class BenchCommand implements Callable<Integer>
{
    @Parameters(index = "0", defaultValue = "l2fwd", description = "scenario: l2fwd (RX -> read Ethernet/IPv4 -> TX on net_null)")
    String scenario;

    @Option(names = "--seconds", defaultValue = "5", description = "seconds per measurement")
    double seconds;

    @Option(names = "--cpu", defaultValue = "1", description = "CPU of the measured poll loop (testpmd's forwarding lcore and the Java worker)")
    int cpu;

    @Override
    public Integer call() throws Exception
    {
        if (!"l2fwd".equals(scenario))
        {
            System.err.println("unknown scenario " + scenario);
            return 2;
        }
        final int mainCpu = cpu == 0 ? 1 : 0;
        System.out.printf("scenario l2fwd: net_null0, 64-byte packets, burst 32, one core (cpu %d), --no-huge, %.0f s each%n", cpu, seconds);
        final TestpmdBaseline.Result c = TestpmdBaseline.run(List.of("net_null0"), "io", mainCpu, cpu, seconds, List.of());
        System.out.printf("  dpdk-testpmd --forward-mode=io : %8.2f Mpps  (%d packets in %.2f s)%n", c.mpps(), c.packets(), c.seconds());

        Eal.init(List.of("--no-huge", "-m", "1024", "--no-pci", "--no-shconf", "--file-prefix=pmxb" + ProcessHandle.current().pid(),
            "--log-level=lib.eal:error", "-l", Integer.toString(mainCpu)));
        Lcore.register();
        final PacketPool pool = PacketPool.create("bench_pool", 16383, 256, PacketPool.DEFAULT_DATA_ROOM, 0);
        final EthPort port = Vdev.create("net_null0", "");
        port.configure(1, 1, 0);
        port.setupRxQueue(0, 1024, pool);
        port.setupTxQueue(0, 1024);
        port.start();
        final L2ForwardAgent agent = new L2ForwardAgent(port.id(), port.id(), 32, cpu);
        final AgentRunner runner = new AgentRunner(new BusySpinIdleStrategy(), Throwable::printStackTrace, null, agent);
        AgentRunner.startOnThread(runner);
        Thread.sleep(1000); // JIT warm-up before the measured window
        final long p0 = agent.packets();
        final long t0 = System.nanoTime();
        Thread.sleep((long)(seconds * 1000));
        final long p1 = agent.packets();
        final long t1 = System.nanoTime();
        runner.close();
        final double javaMpps = (p1 - p0) / ((t1 - t0) / 1e9) / 1e6;
        System.out.printf("  Java rx -> Eth/IPv4 read -> tx : %8.2f Mpps  (%d packets in %.2f s)%n", javaMpps, p1 - p0, (t1 - t0) / 1e9);
        System.out.printf("  ratio Java / testpmd io       : %8.1f %%%n", 100.0 * javaMpps / c.mpps());
        port.stop();
        port.close();
        System.out.printf("  mbufs in use after stop       : %d%n", pool.inUse());
        pool.close();
        return 0;
    }
}
