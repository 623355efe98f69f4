package io.panamux.perf.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ./panamux run} starts on the DPDK 22.11 virtual devices that carry traffic here, with one and with
 * two workers, and forwards a probe (a TCP SYN to a VIP) that comes out IPIP-encapsulated to the VIP's
 * backend, decoded by scapy ({@code src/test/python/device_probe.py}), never by panamux:
 * <ul>
 *   <li>{@code net_pcap}: probes read from a file, output written to one file per TX queue;</li>
 *   <li>{@code net_tap}: the kernel side of the tap sends the probes and sees what comes back (net_tap wants
 *       as many TX as RX queues: the MUX once asked for 1 RX and 2 TX and did not start);</li>
 *   <li>{@code net_af_packet}: a veth pair, the MUX on one end, the probes on the other;</li>
 *   <li>{@code net_null}: no frame can be checked (it receives zeroed frames and discards what is sent); the
 *       MUX starts, receives, drops them as non-IP and stops cleanly.</li>
 * </ul>
 * The kernel-side devices run in a network namespace of their own, made and deleted here (root needed; the
 * cases are skipped with the reason otherwise). {@code net_ring} is covered in process by
 * {@link MuxOnRingTest}: its rings do not leave the process. A device with fewer
 * queues than workers is refused with one line naming it and what it allows.
 */
class DeviceMatrixTest
{
    private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
    private static final Path PROBE = ROOT.resolve("perf/src/test/python/device_probe.py");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long PID = ProcessHandle.current().pid();

    @TempDir
    Path dir;

    private String config(final String name, final int workers, final String vdev, final boolean sharedConfig)
    {
        return """
            mux:
              name: %s
              address: 10.0.0.10
            dataplane:
              eal: ["--no-huge", "-m", "256", "--no-pci", %s"--file-prefix=pmxdev%d%s%d", "-l", "0",
                    "--log-level=lib.eal:error", "--vdev=%s"]
              port: 0
              workers: %d
              gateway-mac: "02:00:00:00:00:fe"
              flow-table: { capacity: 65536, idle-timeout-seconds: 300 }
            vips:
              - address: 192.0.2.10
                port: 80
                protocol: tcp
                backends:
                  - { address: 10.1.0.1 }
            admin: { listen: "127.0.0.1:0" }
            """.formatted(name, sharedConfig ? "" : "\"--no-shconf\", ", PID, name, workers, vdev, workers);
    }

    private record Result(int code, String output)
    {
    }

    private static Result exec(final List<String> command, final int timeoutSeconds) throws IOException, InterruptedException
    {
        final ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("PANAMUX_CLASSPATH", System.getProperty("java.class.path"));
        final Path out = Files.createTempFile("devmx", ".out");
        pb.redirectOutput(out.toFile());
        final Process p = pb.start();
        try
        {
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS))
            {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                throw new AssertionError("timed out after " + timeoutSeconds + " s: " + command + "\n" + Files.readString(out));
            }
            return new Result(p.exitValue(), Files.readString(out));
        }
        finally
        {
            Files.deleteIfExists(out);
        }
    }

    /** The {@code ./panamux run} command line, inside {@code netns} when it is not null. */
    private List<String> run(final String netns, final Path config, final int seconds, final Path stats)
    {
        final List<String> c = new ArrayList<>();
        if (netns != null)
        {
            c.addAll(List.of("ip", "netns", "exec", netns));
        }
        c.addAll(List.of(ROOT.resolve("panamux").toString(), "run", "--config", config.toString(), "--duration", Integer.toString(seconds),
            "--stats-json", stats.toString()));
        return c;
    }

    private JsonNode stoppedCleanly(final Result run, final Path stats) throws IOException
    {
        assertEquals(0, run.code(), "panamux run:\n" + run.output());
        final JsonNode s = JSON.readTree(stats.toFile());
        assertEquals(0, s.get("mbufs_in_use").asLong(), run.output());
        return s;
    }

    @ParameterizedTest(name = "net_pcap, {0} worker(s)")
    @ValueSource(ints = {1, 2})
    void pcap(final int workers) throws Exception
    {
        final Path in = dir.resolve("in.pcap");
        assertEquals(0, exec(List.of("/usr/bin/python3", PROBE.toString(), "write", in.toString()), 60).code());
        final StringBuilder vdev = new StringBuilder("net_pcap0");
        final List<String> outs = new ArrayList<>(List.of(PROBE.toString(), "check"));
        // One queue per rx_pcap and per tx_pcap: as many as the workers, and one TX more for the control thread.
        for (int q = 0; q < workers; q++)
        {
            vdev.append(",rx_pcap=").append(in);
        }
        for (int q = 0; q <= workers; q++)
        {
            final Path out = dir.resolve("out" + q + ".pcap");
            vdev.append(",tx_pcap=").append(out);
            outs.add(out.toString());
        }
        final Path config = dir.resolve("mux.yaml");
        Files.writeString(config, config("pcap", workers, vdev.toString(), false));
        final Path stats = dir.resolve("stats.json");
        final Result run = exec(run(null, config, 2, stats), 120);
        final JsonNode s = stoppedCleanly(run, stats);
        assertEquals(16L * workers, s.get("rx_packets").asLong(), run.output());
        outs.addFirst("/usr/bin/python3");
        final Result check = exec(outs, 60);
        assertEquals(0, check.code(), check.output());
        assertTrue(check.output().startsWith(16 * workers + " of " + 16 * workers), check.output());
    }

    @ParameterizedTest(name = "net_pcap refuses 2 workers with one queue, in one line")
    @ValueSource(ints = {2})
    void tooFewQueuesIsOneLine(final int workers) throws Exception
    {
        final Path in = dir.resolve("in.pcap");
        assertEquals(0, exec(List.of("/usr/bin/python3", PROBE.toString(), "write", in.toString()), 60).code());
        final Path config = dir.resolve("mux.yaml");
        Files.writeString(config, config("pcapone", workers, "net_pcap0,rx_pcap=" + in + ",tx_pcap=" + dir.resolve("o.pcap"), false));
        final Result run = exec(run(null, config, 1, dir.resolve("stats.json")), 120);
        assertEquals(1, run.code(), run.output());
        assertTrue(run.output().contains("panamux: port 0 (net_pcap) allows at most 1 RX and 1 TX queue(s); dataplane.workers 2 " +
            "needs one of each per worker (net_pcap has one queue per rx_pcap/rx_iface and tx_pcap/tx_iface argument: give 2 of each)"),
            run.output());
        assertFalse(run.output().contains("\tat "), "no stack trace:\n" + run.output());
    }

    @ParameterizedTest(name = "net_null, {0} worker(s)")
    @ValueSource(ints = {1, 2})
    void nullDevice(final int workers) throws Exception
    {
        final Path config = dir.resolve("mux.yaml");
        Files.writeString(config, config("nulldev", workers, "net_null0", false));
        final Path stats = dir.resolve("stats.json");
        final Result run = exec(run(null, config, 2, stats), 120);
        final JsonNode s = stoppedCleanly(run, stats);
        // net_null hands out zeroed frames (EtherType 0): received, and dropped as not IP.
        assertTrue(s.get("rx_packets").asLong() > 0, run.output());
        assertEquals(s.get("rx_packets").asLong(), s.get("drops").get("non_ip_ethertype").asLong(), run.output());
    }

    /** A namespace of this test's own, so that its interfaces collide with nobody's. */
    private static String namespace(final String kind) throws IOException, InterruptedException
    {
        final String ns = "pmxdv" + kind + PID % 100000;
        exec(List.of("ip", "netns", "del", ns), 30);
        final Result add = exec(List.of("ip", "netns", "add", ns), 30);
        Assumptions.assumeTrue(add.code() == 0, "network namespaces cannot be made here: " + add.output());
        exec(List.of("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"), 30);
        return ns;
    }

    /** Runs the MUX in {@code ns} while the probe script sends and listens on {@code iface}. */
    private void kernelSide(final String ns, final String name, final int workers, final String vdev, final String iface) throws Exception
    {
        final Path config = dir.resolve("mux.yaml");
        Files.writeString(config, config(name, workers, vdev, false));
        final Path stats = dir.resolve("stats.json");
        final Path log = dir.resolve("mux.log");
        final ProcessBuilder pb = new ProcessBuilder(run(ns, config, 25, stats)).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("PANAMUX_CLASSPATH", System.getProperty("java.class.path"));
        final Process mux = pb.start();
        final Result probe;
        try
        {
            probe = exec(List.of("ip", "netns", "exec", ns, "/usr/bin/python3", PROBE.toString(), "iface", iface, "20"), 60);
        }
        finally
        {
            mux.destroy();
            assertTrue(mux.waitFor(60, TimeUnit.SECONDS), "the MUX stops on SIGTERM");
        }
        final String output = Files.readString(log);
        System.out.println(output + probe.output());
        assertEquals(0, probe.code(), probe.output() + "\n" + output);
        stoppedCleanly(new Result(mux.exitValue(), output), stats);
    }

    @ParameterizedTest(name = "net_tap, {0} worker(s)")
    @ValueSource(ints = {1, 2})
    void tap(final int workers) throws Exception
    {
        Assumptions.assumeTrue(Files.exists(Path.of("/dev/net/tun")), "no /dev/net/tun");
        final String ns = namespace("t");
        try
        {
            kernelSide(ns, "tap", workers, "net_tap0,iface=pmxtap0", "pmxtap0");
        }
        finally
        {
            exec(List.of("ip", "netns", "del", ns), 30);
        }
    }

    @ParameterizedTest(name = "net_af_packet, {0} worker(s)")
    @ValueSource(ints = {1, 2})
    void afPacket(final int workers) throws Exception
    {
        final String ns = namespace("a");
        try
        {
            for (final List<String> c : List.of(
                List.of("ip", "link", "add", "pmxva", "type", "veth", "peer", "name", "pmxvb"),
                List.of("ip", "link", "set", "pmxva", "up"),
                List.of("ip", "link", "set", "pmxvb", "up")))
            {
                final List<String> inNs = new ArrayList<>(List.of("ip", "netns", "exec", ns));
                inNs.addAll(c);
                final Result r = exec(inNs, 30);
                assertEquals(0, r.code(), c + ": " + r.output());
            }
            kernelSide(ns, "afp", workers, "net_af_packet0,iface=pmxva,qpairs=" + (workers + 1), "pmxvb");
        }
        finally
        {
            exec(List.of("ip", "netns", "del", ns), 30);
        }
    }
}
