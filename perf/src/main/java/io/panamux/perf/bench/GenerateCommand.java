package io.panamux.perf.bench;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.panamux.common.net.MacAddress;
import io.panamux.dpdk.Eal;
import io.panamux.dpdk.EthPort;
import io.panamux.dpdk.Lcore;
import io.panamux.dpdk.PacketPool;
import io.panamux.dpdk.Vdev;
import io.panamux.perf.traffic.TrafficGenerator;
import io.panamux.perf.traffic.TrafficProfile;
import io.panamux.slowpath.config.IpAddress;
import io.panamux.slowpath.config.Protocol;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.SystemNanoClock;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./panamux bench generate}: the built-in traffic generator ({@link TrafficGenerator}) on its own,
 * driving a MUX from another process ({@code net_memif}), over a real NIC in the lab, or writing its
 * traffic to a pcap file for replay tools.
 *
 * <p>It sends client flows to VIPs (number of flows, new-flow ratio, frame size mix, rate limit) and
 * receives what comes back on the same port, measuring each packet's time through the MUX from the send
 * time in its trailer. When rate-limited the send time is the intended one, so stalls are not hidden
 * (no coordinated omission).
 *
 * <p>Plain mode prints a line per second and a summary. With {@code --schedule} it runs phases and, with
 * {@code --json}, prints one JSON object per line: {@code tick} every second, {@code begin} when a
 * measured phase starts, {@code phase} when it ends (counts, rates, latency percentiles and the
 * compressed HdrHistogram), {@code done} at the end. The harness runs it that way.
 *
 * <p>Schedule phases, comma-separated: {@code warm:S} (full speed, not reported), {@code max:S} (full
 * speed, reported; its forwarded rate becomes the maximum), {@code load:F:S} (fraction F of the last
 * maximum), {@code rate:PPS:S} (a fixed rate). S is in seconds.
 */
@Command(name = "generate", mixinStandardHelpOptions = true,
    description = "Traffic generator: client flows to VIPs over a DPDK port (memif, NIC) or into a pcap file; latency per packet")
public final class GenerateCommand implements Callable<Integer>
{
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Packets a measured phase must get back before it may end (a p99.99 needs ten thousand); at most ten times its length. */
    private static final long PHASE_MIN_RECEIVED = 10_000;

    @Option(names = "--vdev", description = "virtual device NAME,ARGS to create and send on, e.g. net_memif0,role=client,socket=/tmp/pmx.sock")
    List<String> vdevs = new ArrayList<>();

    @Option(names = "--eal", description = "EAL arguments (space-separated) instead of the virtual-device defaults, e.g. \"-l 0 -a 0000:00:08.0\"")
    String eal;

    @Option(names = "--port", defaultValue = "-1", description = "DPDK port id (default: the last --vdev, else 0)")
    int portId;

    @Option(names = "--vip", description = "target ADDRESS:PORT/PROTO, repeatable (default 192.0.2.10:80/tcp)")
    List<String> vips = new ArrayList<>();

    @Option(names = "--flows", defaultValue = "10000", description = "concurrent client flows (default ${DEFAULT-VALUE})")
    int flows;

    @Option(names = "--new-flow-ratio", defaultValue = "0.01", description = "share of packets that open a new connection (default ${DEFAULT-VALUE})")
    double newFlowRatio;

    @Option(names = "--sizes", split = ",", defaultValue = "64", description = "frame sizes cycled through, e.g. 64,594,64,1514")
    List<Integer> sizes;

    @Option(names = "--rate", defaultValue = "0", description = "packets per second, 0 for as fast as possible (default ${DEFAULT-VALUE})")
    long rate;

    @Option(names = "--seconds", defaultValue = "10", description = "how long to send in plain mode (default ${DEFAULT-VALUE})")
    double seconds;

    @Option(names = "--schedule", description = "phases: warm:S,max:S,load:F:S,rate:PPS:S")
    String schedule;

    @Option(names = "--json", description = "JSON lines on standard output (with --schedule)")
    boolean json;

    @Option(names = "--pcap", description = "write the traffic to this pcap file (through net_pcap) instead of a port")
    Path pcap;

    @Option(names = "--packets", defaultValue = "1000", description = "packets to write with --pcap (default ${DEFAULT-VALUE})")
    long packets;

    @Option(names = "--dst-mac", defaultValue = "02:00:00:00:00:01", description = "destination MAC: the MUX port's (default ${DEFAULT-VALUE})")
    String dstMac;

    @Option(names = "--src-mac", defaultValue = "02:00:00:00:00:fe", description = "source MAC (default ${DEFAULT-VALUE})")
    String srcMac;

    @Option(names = "--cpu", defaultValue = "-2", description = "CPU of the generator thread (default: 0 when there are several)")
    int cpu;

    @Option(names = "--burst", defaultValue = "32", description = "packets per TX burst (default ${DEFAULT-VALUE})")
    int burst;

    @Option(names = "--link-timeout", defaultValue = "10", description = "seconds to wait for the link to come up (default ${DEFAULT-VALUE})")
    double linkTimeout;

    @Option(names = "--seed", defaultValue = "42", description = "seed of the generator's choices (default ${DEFAULT-VALUE})")
    long seed;

    @Override
    public Integer call() throws Exception
    {
        final List<TrafficProfile.Target> targets = targets(vips.isEmpty() ? List.of("192.0.2.10:80/tcp") : vips);
        final int[] frameSizes = sizes.stream().mapToInt(Integer::intValue).toArray();
        final boolean toPcap = pcap != null;
        final int genCpu = cpu != -2 ? cpu : Lcore.onlineCpus() > 1 ? 0 : -1;
        final boolean placed = genCpu >= 0 && !toPcap;
        if (placed)
        {
            placeThreads(genCpu);
        }
        try
        {
            return generate(toPcap, targets, frameSizes, genCpu);
        }
        finally
        {
            if (placed)
            {
                // The JVM ends next, also after a failure: its threads must not all be pinned to one CPU then
                // (ThreadPlacement.release says why).
                ThreadPlacement.release();
            }
        }
    }

    private int generate(final boolean toPcap, final List<TrafficProfile.Target> targets, final int[] frameSizes,
        final int genCpu) throws Exception
    {
        Eal.init(eal == null ? virtualDeviceArgs() : List.of(eal.trim().split("\\s+")));
        final TrafficProfile profile = new TrafficProfile(targets, flows, newFlowRatio, frameSizes, rate, toPcap ? 1 : burst,
            MacAddress.parse(dstMac), MacAddress.parse(srcMac), seed);
        final PacketPool pool = PacketPool.create("gen_pool", 16383, 256, PacketPool.DEFAULT_DATA_ROOM, 0);
        EthPort port = null;
        if (toPcap)
        {
            Files.deleteIfExists(pcap);
            port = Vdev.create("net_pcap_gen0", "tx_pcap=" + pcap.toAbsolutePath());
        }
        for (final String v : vdevs)
        {
            final int comma = v.indexOf(',');
            port = Vdev.create(comma < 0 ? v : v.substring(0, comma), comma < 0 ? "" : v.substring(comma + 1));
        }
        if (port == null)
        {
            port = new EthPort(Math.max(0, portId));
        }
        else if (portId >= 0)
        {
            port = new EthPort(portId);
        }
        port.configure(1, 1, 0);
        port.setupRxQueue(0, 1024, pool);
        port.setupTxQueue(0, 1024);
        port.start();
        final Recorder recorder = new Recorder(3);
        final TrafficGenerator gen = new TrafficGenerator(profile, port.id(), pool.address(), toPcap ? -1 : genCpu, new SystemNanoClock(),
            recorder);
        final int rc;
        if (toPcap)
        {
            rc = writePcap(gen, port);
        }
        else
        {
            waitForLink(port);
            final AgentRunner runner = new AgentRunner(new BusySpinIdleStrategy(), Throwable::printStackTrace, null,
                ThreadPlacement.foreground(gen));
            AgentRunner.startOnThread(runner);
            rc = schedule == null ? plain(gen, recorder) : scheduled(gen, recorder, frameSizes);
            gen.stopSending();
            // In-flight packets come back; a driving harness stops its forwarder before the link goes down.
            Thread.sleep(300);
            runner.close();
            port.stop();
            port.close();
        }
        pool.close();
        return rc;
    }

    /**
     * Moves this JVM's threads to the generator's CPU: the housekeeping ones (GC, VM) at low priority, as {@link
     * ThreadPlacement#background(int)} does, but the calling thread back at normal priority.
     *
     * <p>The calling thread drives the schedule (phases, ticks, histograms, JSON lines) and stops the generator at the
     * end. It shares the CPU with the generator's busy-polling thread, which runs at nice 0 and never sleeps; at nice 19
     * it had 15/1039 of that CPU (the kernel's weights), about 1.5 %. In a cold JVM that interprets Jackson and
     * HdrHistogram, a 0.6 s schedule then took 20 s, and one with five phases more than the driving bench's 60 s
     * margin: the bench killed the generator and failed the scenario ("the generator does not end"). At nice 0 it gets
     * what it asks for: it sleeps between ticks, and its work each second takes the busy thread's CPU for well under a
     * millisecond once compiled (the JIT compilers, at nice 0 on this CPU too, cost more).
     */
    static void placeThreads(final int cpu)
    {
        ThreadPlacement.background(cpu);
        ThreadPlacement.foreground();
    }

    private int writePcap(final TrafficGenerator gen, final EthPort port) throws Exception
    {
        // Driven from this thread, one packet per burst, so exactly --packets are written.
        gen.onStart();
        while (gen.sent() < packets)
        {
            gen.doWork();
        }
        gen.onClose();
        port.stop();
        port.close();
        System.out.printf("wrote %d packets (%d flows, new-flow ratio %s, sizes %s) to %s%n", gen.sent(), flows, newFlowRatio, sizes,
            pcap);
        return gen.sent() == packets ? 0 : 1;
    }

    private void waitForLink(final EthPort port) throws InterruptedException
    {
        final long deadline = System.nanoTime() + (long)(linkTimeout * 1e9);
        while (!port.link().up())
        {
            if (System.nanoTime() > deadline)
            {
                throw new IllegalStateException("port " + port.id() + " did not come up in " + linkTimeout + " s (is the peer running?)");
            }
            Thread.sleep(10);
        }
    }

    private int plain(final TrafficGenerator gen, final Recorder recorder) throws InterruptedException
    {
        System.out.println("   t   sent Mpps   back Mpps   refused    p50 us    p99 us  p99.9 us     max us");
        final Histogram total = new Histogram(3);
        Histogram interval = null;
        long lastSent = 0;
        long lastBack = 0;
        long lastNs = System.nanoTime();
        final long end = lastNs + (long)(seconds * 1e9);
        int t = 0;
        while (System.nanoTime() < end)
        {
            Thread.sleep(Math.min(1000, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
            final long now = System.nanoTime();
            final double dt = (now - lastNs) / 1e9;
            interval = recorder.getIntervalHistogram(interval);
            total.add(interval);
            t++;
            System.out.printf("%4d %11.2f %11.2f %9d %9.1f %9.1f %9.1f %10.1f%n", t, (gen.sent() - lastSent) / dt / 1e6,
                (gen.received() - lastBack) / dt / 1e6, gen.txRefused(), interval.getValueAtPercentile(50) / 1e3,
                interval.getValueAtPercentile(99) / 1e3, interval.getValueAtPercentile(99.9) / 1e3, interval.getMaxValue() / 1e3);
            lastSent = gen.sent();
            lastBack = gen.received();
            lastNs = now;
        }
        System.out.printf("sent %d, received back %d, refused by the port %d; latency p50 %.1f us, p99 %.1f us, p99.9 %.1f us, "
            + "p99.99 %.1f us, max %.1f us (%d samples)%n", gen.sent(), gen.received(), gen.txRefused(), total.getValueAtPercentile(50) / 1e3,
            total.getValueAtPercentile(99) / 1e3, total.getValueAtPercentile(99.9) / 1e3, total.getValueAtPercentile(99.99) / 1e3,
            total.getMaxValue() / 1e3, total.getTotalCount());
        return gen.received() > 0 ? 0 : 1;
    }

    private int scheduled(final TrafficGenerator gen, final Recorder recorder, final int[] frameSizes) throws Exception
    {
        double maxPps = 0;
        Histogram interval = null;
        for (final String spec : schedule.split(","))
        {
            final String[] f = spec.trim().split(":");
            final String phase = f[0];
            final double length = Double.parseDouble(f[f.length - 1]);
            final double fraction = phase.equals("load") ? Double.parseDouble(f[1]) : 0;
            final long pps = switch (phase)
            {
                case "warm", "max" -> 0;
                case "load" -> (long)(fraction * maxPps);
                case "rate" -> Long.parseLong(f[1]);
                default -> throw new IllegalArgumentException("unknown phase " + phase + " in " + schedule);
            };
            gen.rate(pps);
            if (pps > 0)
            {
                // The rate restarts from now: let packets sent at the old rate drain before measuring.
                Thread.sleep((long)(Math.min(0.5, length / 4) * 1000));
            }
            final boolean measured = !phase.equals("warm");
            if (measured)
            {
                emit(Map.of("event", "begin", "phase", phase, "fraction", fraction, "rate_pps", pps));
            }
            interval = recorder.getIntervalHistogram(interval);
            final Histogram phaseLatency = new Histogram(3);
            final long gc0 = Stats.gcCollections();
            final long sent0 = gen.sent();
            final long back0 = gen.received();
            final long refused0 = gen.txRefused();
            final long alloc0 = gen.allocFailures();
            final long t0 = System.nanoTime();
            final long lengthNs = (long)(length * 1e9);
            long end = t0 + lengthNs;
            long lastSent = sent0;
            long lastBack = back0;
            long lastNs = t0;
            int t = 0;
            while (true)
            {
                final long now0 = System.nanoTime();
                if (now0 >= end)
                {
                    if (!measured || gen.received() - back0 >= PHASE_MIN_RECEIVED || now0 - t0 >= 10 * lengthNs)
                    {
                        break;
                    }
                    // Too few packets came back for percentiles (a starved machine, a tiny rate): measure longer.
                    end = now0 + lengthNs / 4;
                }
                Thread.sleep(Math.min(1000, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
                final long now = System.nanoTime();
                interval = recorder.getIntervalHistogram(interval);
                phaseLatency.add(interval);
                final double dt = (now - lastNs) / 1e9;
                t++;
                final Map<String, Object> tick = new LinkedHashMap<>();
                tick.put("event", "tick");
                tick.put("phase", phase);
                tick.put("t", t);
                tick.put("sent_mpps", (gen.sent() - lastSent) / dt / 1e6);
                tick.put("received_mpps", (gen.received() - lastBack) / dt / 1e6);
                tick.put("p99_us", interval.getTotalCount() == 0 ? 0 : interval.getValueAtPercentile(99) / 1e3);
                emit(tick);
                lastSent = gen.sent();
                lastBack = gen.received();
                lastNs = now;
            }
            final double secs = (System.nanoTime() - t0) / 1e9;
            final long received = gen.received() - back0;
            if (phase.equals("max"))
            {
                maxPps = received / secs;
            }
            if (measured)
            {
                final Map<String, Object> r = new LinkedHashMap<>();
                r.put("event", "phase");
                r.put("phase", phase);
                r.put("fraction", fraction);
                r.put("rate_pps", pps);
                r.put("seconds", secs);
                r.put("sent", gen.sent() - sent0);
                r.put("received", received);
                r.put("tx_refused", gen.txRefused() - refused0);
                r.put("alloc_failures", gen.allocFailures() - alloc0);
                r.put("sent_mpps", (gen.sent() - sent0) / secs / 1e6);
                r.put("received_mpps", received / secs / 1e6);
                r.put("mean_frame_bytes", meanFrame(frameSizes));
                r.put("gc_collections", Stats.gcCollections() - gc0);
                r.put("histogram", encode(phaseLatency));
                emit(r);
            }
        }
        emit(Map.of("event", "done", "sent", gen.sent(), "received", gen.received()));
        // What is left (stopping the generator's thread and the port) takes well under a second; one that does not
        // end says where it stands, on standard error, which the driving bench shows when it gives up on it.
        Thread.ofPlatform().daemon().name("generator-end-watch").start(() ->
        {
            try
            {
                Thread.sleep(15_000);
            }
            catch (final InterruptedException e)
            {
                return;
            }
            final StringBuilder b = new StringBuilder("generator: not ended 15 s after its last phase; its threads:\n");
            Thread.getAllStackTraces().forEach((t, stack) ->
            {
                b.append('"').append(t.getName()).append("\" ").append(t.getState()).append('\n');
                for (final StackTraceElement e : stack)
                {
                    b.append("    at ").append(e).append('\n');
                }
            });
            System.err.print(b);
            System.err.flush();
        });
        return 0;
    }

    private void emit(final Map<String, Object> event) throws Exception
    {
        if (json)
        {
            System.out.println(JSON.writeValueAsString(event));
        }
        else if (!"tick".equals(event.get("event")))
        {
            final Map<String, Object> shown = new LinkedHashMap<>(event);
            shown.remove("histogram");
            System.out.println(shown);
        }
        System.out.flush();
    }

    /** @return the histogram, compressed and base64-encoded. */
    public static String encode(final Histogram h)
    {
        final ByteBuffer b = ByteBuffer.allocate(h.getNeededByteBufferCapacity());
        final int n = h.encodeIntoCompressedByteBuffer(b);
        final byte[] bytes = new byte[n];
        b.flip();
        b.get(bytes);
        return Base64.getEncoder().encodeToString(bytes);
    }

    /** @return a histogram encoded by {@link #encode}. */
    public static Histogram decode(final String base64) throws java.util.zip.DataFormatException
    {
        return Histogram.decodeFromCompressedByteBuffer(ByteBuffer.wrap(Base64.getDecoder().decode(base64)), 0);
    }

    /** @return the mean of the sizes cycled through. */
    public static double meanFrame(final int[] sizes)
    {
        long sum = 0;
        for (final int s : sizes)
        {
            sum += s;
        }
        return (double)sum / sizes.length;
    }

    private static List<String> virtualDeviceArgs()
    {
        return List.of("--no-huge", "-m", "256", "--no-pci", "--no-shconf", "--file-prefix=pmxg" + ProcessHandle.current().pid(),
            "--no-telemetry", "--log-level=lib.eal:error", "-l", "0");
    }

    /** Parses {@code ADDRESS:PORT/PROTO} ({@code [v6]:PORT/PROTO} for IPv6) into generator targets. */
    static List<TrafficProfile.Target> targets(final List<String> specs)
    {
        final List<TrafficProfile.Target> out = new ArrayList<>();
        for (final String spec : specs)
        {
            final int slash = spec.lastIndexOf('/');
            final int colon = spec.lastIndexOf(':', slash);
            if (slash < 0 || colon < 0)
            {
                throw new IllegalArgumentException("a VIP is ADDRESS:PORT/PROTO: " + spec);
            }
            String host = spec.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]"))
            {
                host = host.substring(1, host.length() - 1);
            }
            final IpAddress a = IpAddress.parse(host);
            final Protocol protocol = Protocol.fromConfigName(spec.substring(slash + 1));
            if (protocol == null)
            {
                throw new IllegalArgumentException("protocol is tcp or udp: " + spec);
            }
            out.add(new TrafficProfile.Target(a.ipv6(), a.ipv6() ? 0 : a.ipv4(), a.high(), a.low(),
                Integer.parseInt(spec.substring(colon + 1, slash)), protocol.ipProtocol()));
        }
        return out;
    }
}
