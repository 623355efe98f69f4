package io.panamux.perf.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.panamux.perf.TestpmdBaseline;
import io.panamux.perf.bench.TestpmdSession;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
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
 *   <li>{@code net_memif}: the peer is {@code dpdk-testpmd} in another process, as memif client when the MUX is
 *       the server and the other way round, with as many queue pairs as the MUX has workers; it forwards (io)
 *       between the memif port and a net_pcap port, reading the probes from a file and writing what comes back
 *       to one file per queue, so each worker's share is checked on its own (the MUX once asked a memif
 *       server for one ring more than the server had and never brought the link up as a client);</li>
 *   <li>{@code net_virtio_user}: the peer is {@code dpdk-testpmd}'s vhost-user port ({@code net_vhost}) in another
 *       process, checked the same way;</li>
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

    /** {@link NetworkLab#exec} with this test's class path for {@code ./panamux}. */
    private static NetworkLab.Result exec(final List<String> command, final int timeoutSeconds) throws IOException, InterruptedException
    {
        return NetworkLab.exec(command, Map.of("PANAMUX_CLASSPATH", System.getProperty("java.class.path")), timeoutSeconds);
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

    private JsonNode stoppedCleanly(final NetworkLab.Result run, final Path stats) throws IOException
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
        final NetworkLab.Result run = exec(run(null, config, 2, stats), 120);
        final JsonNode s = stoppedCleanly(run, stats);
        assertEquals(16L * workers, s.get("rx_packets").asLong(), run.output());
        outs.addFirst("/usr/bin/python3");
        final NetworkLab.Result check = exec(outs, 60);
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
        final NetworkLab.Result run = exec(run(null, config, 1, dir.resolve("stats.json")), 120);
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
        final NetworkLab.Result run = exec(run(null, config, 2, stats), 120);
        final JsonNode s = stoppedCleanly(run, stats);
        // net_null hands out zeroed frames (EtherType 0): received, and dropped as not IP.
        assertTrue(s.get("rx_packets").asLong() > 0, run.output());
        assertEquals(s.get("rx_packets").asLong(), s.get("drops").get("non_ip_ethertype").asLong(), run.output());
    }

    @ParameterizedTest(name = "net_memif, the MUX as {0}, {1} worker(s)")
    @CsvSource({"server, 1", "server, 2", "client, 1", "client, 2"})
    void memif(final String role, final int workers) throws Exception
    {
        // DPDK 22.11's memif listens on an abstract socket by default: the name shows in /proc/net/unix with a leading @.
        final String socket = dir.resolve("memif.sock").toString();
        final String peerRole = role.equals("server") ? "client" : "server";
        throughTestpmd("memif" + role, workers, "net_memif0,role=" + role + ",socket=" + socket,
            "net_memif0,role=" + peerRole + ",socket=" + socket, role.equals("server"), socket);
    }

    @ParameterizedTest(name = "net_virtio_user on testpmd's vhost-user port, {0} worker(s)")
    @ValueSource(ints = {1, 2})
    void virtioUser(final int workers) throws Exception
    {
        // testpmd's net_vhost is the vhost-user server (it makes the socket file); the MUX's virtio_user connects,
        // and with --no-huge shares its memory through the memfd DPDK 22.11 backs it with.
        final String socket = dir.resolve("vhost.sock").toString();
        throughTestpmd("virtio", workers, "net_virtio_user0,path=" + socket + ",queues=" + workers,
            "net_vhost0,iface=" + socket + ",queues=" + workers, false, socket);
    }

    /**
     * The MUX on {@code muxVdev}, {@code dpdk-testpmd} in another process on {@code peerVdev} (its port 1) with as
     * many queue pairs as the MUX has workers, forwarding (io) between that port and a net_pcap port (0) whose
     * queue q reads the probes and writes what comes back to its own file: each worker's share is checked on its
     * own, by scapy.
     *
     * @param muxFirst whether the MUX is the side that listens on {@code socket} (it starts first).
     */
    private void throughTestpmd(final String name, final int workers, final String muxVdev, final String peerVdev, final boolean muxFirst,
        final String socket) throws Exception
    {
        Assumptions.assumeTrue(TestpmdBaseline.binary() != null, "dpdk-testpmd (package dpdk) is the MUX's peer");
        final Path in = dir.resolve("in.pcap");
        assertEquals(0, exec(List.of("/usr/bin/python3", PROBE.toString(), "write", in.toString()), 60).code());
        final StringBuilder pcap = new StringBuilder("net_pcap0");
        final List<Path> outs = new ArrayList<>();
        for (int q = 0; q < workers; q++)
        {
            final Path out = dir.resolve("out" + q + ".pcap");
            pcap.append(",rx_pcap=").append(in).append(",tx_pcap=").append(out);
            outs.add(out);
        }
        final List<String> peerVdevs = List.of(pcap.toString(), peerVdev);
        // --no-flush-rx: start must not throw away the probes net_pcap has read by then (testpmd's RX flush at start
        // is why a testpmd peer once forwarded nothing).
        final List<String> peerArgs = List.of("--forward-mode=io", "--rxq=" + workers, "--txq=" + workers, "--nb-cores=1",
            "--total-num-mbufs=8192", "--no-flush-rx", "--disable-link-check");
        final Path config = dir.resolve("mux.yaml");
        Files.writeString(config, config(name, workers, muxVdev, false));
        final Path stats = dir.resolve("stats.json");
        final Path log = dir.resolve("mux.log");
        final ProcessBuilder pb = new ProcessBuilder(run(null, config, 60, stats)).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("PANAMUX_CLASSPATH", System.getProperty("java.class.path"));
        final int forwardCpu = Runtime.getRuntime().availableProcessors() > 1 ? 1 : 0;
        Process mux = null;
        TestpmdSession peer = null;
        final TestpmdSession.Window window;
        try
        {
            // The listening side first, so that the other finds its socket when it starts.
            if (muxFirst)
            {
                mux = pb.start();
                awaitListening(socket, mux, log);
                peer = TestpmdSession.start(peerVdevs, peerArgs, 0, new int[] {forwardCpu}, List.of());
            }
            else
            {
                peer = TestpmdSession.start(peerVdevs, peerArgs, 0, new int[] {forwardCpu}, List.of());
                awaitListening(socket, null, log);
                mux = pb.start();
            }
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
            while (!peer.linkUp(1))
            {
                assertTrue(mux.isAlive(), "the MUX exited:\n" + Files.readString(log));
                assertTrue(System.nanoTime() < deadline, "the link between the MUX (" + muxVdev + ") and testpmd never came up:\n" +
                    Files.readString(log));
                Thread.sleep(200);
            }
            // testpmd's side may come up a moment before the MUX's (a memif client is up once the server answered).
            Thread.sleep(500);
            window = peer.forward(2.0);
        }
        finally
        {
            // The MUX first, while testpmd no longer forwards: DPDK 22.11's memif unmaps the peer's regions from
            // its interrupt thread when the peer goes, while an lcore may be copying from them in rx_burst. With
            // testpmd closed first, a MUX worker once died there (SIGSEGV in librte_net_memif, one run in about
            // fifteen). This test is about forwarding on each device, not about a peer that leaves.
            if (mux != null)
            {
                mux.destroy();
                assertTrue(mux.waitFor(60, TimeUnit.SECONDS), "the MUX stops on SIGTERM");
            }
            if (peer != null)
            {
                peer.close();
            }
        }
        final String output = Files.readString(log);
        System.out.println(output + "testpmd: " + window);
        final JsonNode s = stoppedCleanly(new NetworkLab.Result(mux.exitValue(), output), stats);
        assertEquals(16L * workers, s.get("rx_packets").asLong(), output);
        // Each of testpmd's queues feeds one worker and gets that worker's output back: 16 probes each way.
        for (final Path out : outs)
        {
            final NetworkLab.Result check = exec(List.of("/usr/bin/python3", PROBE.toString(), "check", out.toString()), 60);
            assertEquals(0, check.code(), out + ": " + check.output());
            assertTrue(check.output().startsWith("16 of 16"), out + ": " + check.output());
        }
    }

    @Test
    void aMemifPeerThatComesAndGoesIsSaidInTheLog() throws Exception
    {
        Assumptions.assumeTrue(TestpmdBaseline.binary() != null, "dpdk-testpmd (package dpdk) is the MUX's peer");
        final String socket = dir.resolve("memif.sock").toString();
        final Path config = dir.resolve("mux.yaml");
        Files.writeString(config, config("memiflink", 1, "net_memif0,role=server,socket=" + socket, false));
        final Path stats = dir.resolve("stats.json");
        final Path log = dir.resolve("mux.log");
        final ProcessBuilder pb = new ProcessBuilder(run(null, config, 120, stats)).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("PANAMUX_CLASSPATH", System.getProperty("java.class.path"));
        final List<String> peerArgs = List.of("--forward-mode=io", "--nb-cores=1", "--total-num-mbufs=8192", "--port-topology=loop",
            "--disable-link-check");
        final List<String> peerVdevs = List.of("net_memif0,role=client,socket=" + socket);
        final int forwardCpu = Runtime.getRuntime().availableProcessors() > 1 ? 1 : 0;
        final Process mux = pb.start();
        try
        {
            awaitListening(socket, mux, log);
            awaitLog(log, mux, "link down: nothing is received", 1);
            // Two peers one after the other: the MUX sees each one come and go.
            for (int peer = 1; peer <= 2; peer++)
            {
                try (TestpmdSession testpmd = TestpmdSession.start(peerVdevs, peerArgs, 0, new int[] {forwardCpu}, List.of()))
                {
                    awaitLog(log, mux, "link up", peer);
                    assertTrue(testpmd.linkUp(0), "testpmd's side is up too");
                }
                awaitLog(log, mux, "link down (the peer went away", peer);
            }
        }
        finally
        {
            mux.destroy();
            assertTrue(mux.waitFor(60, TimeUnit.SECONDS), "the MUX stops on SIGTERM");
        }
        stoppedCleanly(new NetworkLab.Result(mux.exitValue(), Files.readString(log)), stats);
    }

    /** Waits until {@code text} is in the MUX's log {@code times} times (20 s at most). */
    private static void awaitLog(final Path log, final Process mux, final String text, final int times) throws Exception
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (Files.readString(log).split(java.util.regex.Pattern.quote(text), -1).length - 1 < times)
        {
            assertTrue(mux.isAlive(), "the MUX exited:\n" + Files.readString(log));
            assertTrue(System.nanoTime() < deadline, "\"" + text + "\" " + times + " time(s) in the MUX's log:\n" + Files.readString(log));
            Thread.sleep(100);
        }
    }

    /** Waits until a socket {@code socket} listens (abstract or a file), failing when {@code mux} exits first. */
    private static void awaitListening(final String socket, final Process mux, final Path log) throws Exception
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(Path.of(socket)) && !Files.readString(Path.of("/proc/net/unix")).contains(" @" + socket))
        {
            assertTrue(mux == null || mux.isAlive(), "the MUX exited:\n" + Files.readString(log));
            assertTrue(System.nanoTime() < deadline, "no memif socket " + socket + " in 60 s");
            Thread.sleep(100);
        }
    }

    @Test
    void aPoolBeyondDpdksMemoryIsOneLineNamingItsCause() throws Exception
    {
        // 40 workers need 131,071 mbufs, more than --no-huge -m 256 holds; DPDK says only "Cannot allocate memory".
        final Path config = dir.resolve("mux.yaml");
        Files.writeString(config, config("pool", 40, "net_null0", false));
        final NetworkLab.Result run = exec(run(null, config, 1, dir.resolve("stats.json")), 120);
        assertEquals(1, run.code(), run.output());
        assertTrue(run.output().contains("panamux: the packet pool does not fit in the memory DPDK has: 131071 mbufs (about 297 MiB) " +
            "for dataplane.workers 40 x (2 x 1024 descriptors + 4 x dataplane.burst-size 32 + 256 cached) + 2048; give the EAL more " +
            "memory (-m, hugepages) or lower dataplane.workers (rte_pktmbuf_pool_create(pmx_pool_0, 131071 mbufs) failed: "), run.output());
        assertFalse(run.output().contains("\tat "), "no stack trace:\n" + run.output());
    }

    @Test
    void workersRunOnTheCpusTheProcessWasGiven() throws Exception
    {
        Assumptions.assumeTrue(Runtime.getRuntime().availableProcessors() > 1, "one CPU: nothing to choose from");
        final Path config = dir.resolve("mux.yaml");
        Files.writeString(config, config("cpus", 1, "net_null0", false));
        final Path stats = dir.resolve("stats.json");
        final Path log = dir.resolve("mux.log");
        // taskset execs the launcher, which execs java: the process started is the MUX's JVM.
        final List<String> command = new ArrayList<>(List.of("taskset", "-c", "0"));
        command.addAll(run(null, config, 5, stats));
        final ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("PANAMUX_CLASSPATH", System.getProperty("java.class.path"));
        final Process mux = pb.start();
        String allowed = null;
        try
        {
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (allowed == null && mux.isAlive() && System.nanoTime() < deadline)
            {
                allowed = workerCpus(mux.pid());
                Thread.sleep(100);
            }
            assertTrue(mux.waitFor(60, TimeUnit.SECONDS), "the MUX stops after --duration");
        }
        finally
        {
            mux.destroyForcibly();
        }
        final String output = Files.readString(log);
        stoppedCleanly(new NetworkLab.Result(mux.exitValue(), output), stats);
        // Before, the worker was pinned to CPU 1 whatever the process was given (in a cpuset without CPU 1 it failed).
        assertEquals("0", allowed, "the worker's CPUs under taskset -c 0:\n" + output);
    }

    @Test
    void moreWorkersThanCpusIsSaidAtStartWithBothNumbers() throws Exception
    {
        final Path config = dir.resolve("mux.yaml");
        Files.writeString(config, config("overcpu", 3, "net_null0", false));
        final Path stats = dir.resolve("stats.json");
        // One CPU for three busy-polling workers: they start (and forward) but share it, which the operator must hear.
        final List<String> command = new ArrayList<>(List.of("taskset", "-c", "0"));
        command.addAll(run(null, config, 2, stats));
        final NetworkLab.Result result = exec(command, 120);
        stoppedCleanly(result, stats);
        assertTrue(result.output().contains("warning: 3 workers but 1 CPU(s) this process may use ([0])"),
            "a warning naming both numbers:\n" + result.output());
    }

    /** @return the Cpus_allowed_list of the first worker thread of process {@code pid}, or null before it runs. */
    private static String workerCpus(final long pid) throws IOException
    {
        try (var tasks = Files.list(Path.of("/proc", Long.toString(pid), "task")))
        {
            for (final Path task : tasks.toList())
            {
                try
                {
                    if (Files.readString(task.resolve("comm")).startsWith("panamux-worker"))
                    {
                        for (final String line : Files.readAllLines(task.resolve("status")))
                        {
                            if (line.startsWith("Cpus_allowed_list:"))
                            {
                                return line.substring("Cpus_allowed_list:".length()).strip();
                            }
                        }
                    }
                }
                catch (final IOException gone)
                {
                    // The thread ended meanwhile.
                }
            }
        }
        catch (final IOException gone)
        {
            // The process ended.
        }
        return null;
    }

    /** A namespace of this test's own, so that its interfaces collide with nobody's. */
    private static String namespace(final String kind) throws IOException, InterruptedException
    {
        final String ns = "pmxdv" + kind + PID % 100000;
        exec(List.of("ip", "netns", "del", ns), 30);
        final NetworkLab.Result add = exec(List.of("ip", "netns", "add", ns), 30);
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
        final NetworkLab.Result probe;
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
        stoppedCleanly(new NetworkLab.Result(mux.exitValue(), output), stats);
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
                final NetworkLab.Result r = exec(inNs, 30);
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
