package io.panamux.perf;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

import io.panamux.dpdk.Eal;
import io.panamux.dpdk.EthPort;
import io.panamux.dpdk.Lcore;
import io.panamux.dpdk.PacketPool;
import io.panamux.dpdk.RingPorts;
import io.panamux.fastpath.WorkerCounters;
import io.panamux.perf.traffic.TrafficGenerator;
import io.panamux.perf.traffic.TrafficProfile;
import io.panamux.slowpath.Mux;
import io.panamux.slowpath.MuxStats;
import io.panamux.slowpath.admin.AdminServer;
import io.panamux.slowpath.config.BackendConfig;
import io.panamux.slowpath.config.ConfigLoader;
import io.panamux.slowpath.config.MuxConfig;
import io.panamux.slowpath.config.VipConfig;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.SystemNanoClock;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ./panamux demo [--seconds N]}: the embedded default. Starts the MUX on one side of a pair of DPDK
 * ring ports and the built-in traffic generator on the other: thousands of client flows (TCP SYN and data,
 * an IMIX of sizes) to several VIPs (IPv4 and IPv6, TCP and UDP, IPIP, GRE and GUE); the MUX's gateway is
 * the generator's port, so every encapsulated packet comes back to the generator, which measures its
 * latency. The first part of the run goes as fast as the generator can; the rest at half the rate reached,
 * for latency. Shows a line per second and a summary (packets, Mpps, per-backend spread, latency). Needs
 * no NIC and no hugepages.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, description = "Runs the MUX on DPDK virtual devices with built-in client traffic")
public final class DemoCommand implements Callable<Integer>
{
    /** The demo's configuration: a documented example of the file format, too. */
    static final String CONFIG = """
        mux:
          name: demo
          address: 10.0.0.10
          address6: "2001:db8::a"
        dataplane:
          eal: []
          port: 0
          workers: 1
          gateway-mac: "02:00:00:00:00:fe"
          mtu: 9000          # the MUX-to-backend network carries jumbo frames, so 1500-byte packets fit encapsulated
          flow-table: { capacity: 1048576, idle-timeout-seconds: 300 }
        vips:
          - address: 192.0.2.10
            port: 80
            protocol: tcp
            encapsulation: ipip
            backends:
              - { address: 10.1.0.1, weight: 1 }
              - { address: 10.1.0.2, weight: 1 }
              - { address: 10.1.0.3, weight: 2 }
          - address: 192.0.2.11
            port: 443
            protocol: tcp
            encapsulation: gre
            flow-tracking: always
            backends:
              - { address: 10.1.1.1 }
              - { address: 10.1.1.2 }
              - { address: 10.1.1.3 }
              - { address: 10.1.1.4 }
          - address: 192.0.2.12
            port: 53
            protocol: udp
            encapsulation: gue
            backends:
              - { address: 10.1.2.1 }
              - { address: 10.1.2.2 }
          - address: "2001:db8::10"
            port: 80
            protocol: tcp
            backends:
              - { address: "2001:db8:1::1" }
              - { address: "2001:db8:1::2" }
        """;

    @Option(names = "--seconds", defaultValue = "10", description = "how long to run (default ${DEFAULT-VALUE})")
    int seconds;

    @Option(names = "--flows", defaultValue = "10000", description = "concurrent client flows (default ${DEFAULT-VALUE})")
    int flows;

    @Option(names = "--new-flow-ratio", defaultValue = "0.01", description = "share of packets that open a new connection")
    double newFlowRatio;

    @Option(names = "--sizes", split = ",", defaultValue = "64,594,64,594,64,1514,64,594,64,594,64,64",
        description = "frame sizes cycled through (default: IMIX 7:4:1 of 64, 594 and 1514 bytes)")
    List<Integer> sizes;

    @Spec
    CommandSpec spec;

    @Option(names = "--admin", paramLabel = "HOST:PORT",
        description = "serve the admin API and the status page here while the demo runs (e.g. 127.0.0.1:9480)")
    String admin;

    @Override
    public Integer call() throws Exception
    {
        if (seconds < 1)
        {
            System.err.println("--seconds must be at least 1");
            return 2;
        }
        final MuxConfig config = ConfigLoader.parse(CONFIG, "demo.yaml");
        Eal.init(Eal.virtualDeviceArgs(1024));
        final RingPorts rings = RingPorts.create("demo", 1, 4096);
        final EthPort genPort = rings.a();
        final PacketPool genPool = PacketPool.create("demo_gen", 16383, 256, PacketPool.DEFAULT_DATA_ROOM, 0);
        genPort.configure(1, 1, 0);
        genPort.setupRxQueue(0, 1024, genPool);
        genPort.setupTxQueue(0, 1024);
        genPort.start();
        final Mux mux = Mux.start(config, rings.b(), System.out);
        final AdminServer adminServer = admin == null ? null : startAdmin(mux);

        final List<TrafficProfile.Target> targets = new ArrayList<>();
        for (final VipConfig v : config.vips())
        {
            final var a = v.address();
            targets.add(new TrafficProfile.Target(a.ipv6(), a.ipv6() ? 0 : a.ipv4(), a.high(), a.low(), v.port(), v.protocol().ipProtocol()));
        }
        final int[] imix = sizes.stream().mapToInt(Integer::intValue).toArray();
        final TrafficProfile profile = new TrafficProfile(targets, flows, newFlowRatio, imix, 0, 32, mux.portMac(),
            config.dataplane().gatewayMac().orElse(0x02_00_00_00_00_FEL), 42);
        final Recorder recorder = new Recorder(3);
        final int cpus = Lcore.onlineCpus();
        final TrafficGenerator gen = new TrafficGenerator(profile, genPort.id(), genPool.address(), cpus > 1 ? 0 : -1,
            new SystemNanoClock(), recorder);
        final AgentRunner genRunner = new AgentRunner(new BusySpinIdleStrategy(), Throwable::printStackTrace, null, gen);
        AgentRunner.startOnThread(genRunner);

        final int fullSpeedSeconds = Math.max(1, (seconds * 3 + 4) / 5);
        System.out.printf("demo: %d flows to %d VIPs, IMIX, %d s at full speed then %d s at half that rate (latency)%n", flows,
            targets.size(), fullSpeedSeconds, seconds - fullSpeedSeconds);
        System.out.println("   t  phase   gen Mpps  mux rx Mpps  mux tx Mpps   drops    flows   lat p50 us   p99 us  p99.9 us");
        final Histogram fullLatency = new Histogram(3);
        final Histogram halfLatency = new Histogram(3);
        Histogram interval = null;
        long lastSent = 0;
        long lastRx = 0;
        long lastTx = 0;
        long lastNs = System.nanoTime();
        double peakMpps = 0;
        double sumFullMpps = 0;
        long halfRate = 0;
        for (int t = 1; t <= seconds; t++)
        {
            Thread.sleep(1000);
            final long now = System.nanoTime();
            final MuxStats s = mux.stats();
            final long sent = gen.sent();
            final double dt = (now - lastNs) / 1e9;
            final double genMpps = (sent - lastSent) / dt / 1e6;
            final double rxMpps = (s.rxPackets() - lastRx) / dt / 1e6;
            final double txMpps = (s.txPackets() - lastTx) / dt / 1e6;
            interval = recorder.getIntervalHistogram(interval);
            final boolean full = t <= fullSpeedSeconds;
            (full ? fullLatency : halfLatency).add(interval);
            System.out.printf("%4d  %-5s %10.2f %12.2f %12.2f %7d %8d %12.1f %8.1f %9.1f%n", t, full ? "full" : "half", genMpps, rxMpps, txMpps,
                s.totalDrops(), s.flows(), interval.getValueAtPercentile(50) / 1e3, interval.getValueAtPercentile(99) / 1e3,
                interval.getValueAtPercentile(99.9) / 1e3);
            if (full)
            {
                sumFullMpps += txMpps;
                peakMpps = Math.max(peakMpps, txMpps);
                if (t == fullSpeedSeconds)
                {
                    halfRate = (long)(sumFullMpps / fullSpeedSeconds * 1e6 / 2);
                    gen.rate(halfRate);
                }
            }
            lastSent = sent;
            lastRx = s.rxPackets();
            lastTx = s.txPackets();
            lastNs = now;
        }
        gen.stopSending();
        if (adminServer != null)
        {
            adminServer.close();
        }
        Thread.sleep(200); // in-flight packets reach the MUX, its TX buffer drains, the generator receives them
        mux.close();
        genRunner.close();
        genPort.stop();
        genPort.close();
        rings.close();
        final MuxStats s = mux.stats();
        final long genInUse = genPool.inUse();
        genPool.close();
        return summary(config, s, gen, peakMpps, halfRate, fullLatency, halfLatency, genInUse);
    }

    private AdminServer startAdmin(final Mux mux) throws IOException
    {
        final int colon = admin.lastIndexOf(':');
        if (colon < 0)
        {
            throw new CommandLine.ParameterException(spec.commandLine(), "--admin takes HOST:PORT, got " + admin);
        }
        final InetSocketAddress listen = new InetSocketAddress(InetAddress.getByName(admin.substring(0, colon).replace("[", "").replace("]", "")),
            Integer.parseInt(admin.substring(colon + 1)));
        final AdminServer server = AdminServer.start(listen, Optional.empty(),
            mux.adminTarget(null, null));
        System.out.println("demo: admin API and status page on http://" + admin + "/");
        return server;
    }

    private int summary(final MuxConfig config, final MuxStats s, final TrafficGenerator gen, final double peakMpps, final long halfRate,
        final Histogram full, final Histogram half, final long genInUse)
    {
        System.out.println();
        System.out.println("summary");
        System.out.printf("  generator sent %d packets (%d TCP connections opened), received back %d%n", gen.sent(), gen.synSent(),
            gen.received());
        System.out.printf("  mux received %d, forwarded %d, dropped %d %s%n", s.rxPackets(), s.txPackets(), s.totalDrops(), s.drops());
        System.out.printf("  peak %.2f Mpps forwarded on %d worker(s); latency phase at %.2f Mpps%n", peakMpps,
            config.dataplane().workers(), halfRate / 1e6);
        System.out.printf("  flows in the table %d (recorded %d, evicted %d)%n", s.flows(), s.get(WorkerCounters.FLOWS_INSERTED), s.get(WorkerCounters.FLOW_EVICTIONS));
        System.out.println("  per-backend spread (share of the VIP's packets, expected from weights):");
        for (final VipConfig v : config.vips())
        {
            long vipTotal = 0;
            int weights = 0;
            for (final BackendConfig b : v.backends())
            {
                vipTotal += s.backendPackets(v.key(), b.address().toString());
                weights += b.weight();
            }
            System.out.printf("    %-24s %s, %s, %d packets%n", v.key(), v.encapsulation().configName(), v.flowTracking().configName(), vipTotal);
            for (final BackendConfig b : v.backends())
            {
                final long p = s.backendPackets(v.key(), b.address().toString());
                System.out.printf("      %-20s weight %d  %10d  %5.1f %%  (expected %5.1f %%)%n", b.address(), b.weight(), p,
                    vipTotal == 0 ? 0.0 : 100.0 * p / vipTotal, 100.0 * b.weight() / weights);
            }
        }
        printLatency("full speed", full);
        printLatency("half rate ", half);
        System.out.printf("  mbufs in use at exit: mux %d, generator %d%n", s.mbufsInUse(), genInUse);
        final boolean ok = s.txPackets() > 0 && s.mbufsInUse() == 0 && genInUse == 0;
        System.out.println(ok ? "demo: OK" : "demo: FAILED (nothing forwarded, or mbufs leaked)");
        return ok ? 0 : 1;
    }

    private static void printLatency(final String phase, final Histogram h)
    {
        if (h.getTotalCount() == 0)
        {
            return;
        }
        System.out.printf("  latency through the MUX, %s (us): p50 %.1f  p99 %.1f  p99.9 %.1f  p99.99 %.1f  max %.1f  (%d samples)%n", phase,
            h.getValueAtPercentile(50) / 1e3, h.getValueAtPercentile(99) / 1e3, h.getValueAtPercentile(99.9) / 1e3,
            h.getValueAtPercentile(99.99) / 1e3, h.getMaxValue() / 1e3, h.getTotalCount());
    }

}
