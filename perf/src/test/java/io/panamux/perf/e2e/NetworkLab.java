package io.panamux.perf.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Assumptions;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Drives {@code ci/topology/netlab.sh} (the namespaced network: router, MUXes, backends with host agents,
 * clients) for the network end-to-end tests, reads what its parts count (the MUXes through their admin API
 * in their namespaces, the host agents through the JSON files they rewrite every second), and holds what
 * the lab tests share: long paced downloads, many short connections, captures, a change to the pool
 * ({@link #changePool}: once in etcd, or on every MUX's own file).
 */
final class NetworkLab
{
    static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
    static final Path SCRIPT = ROOT.resolve("ci/topology/netlab.sh");
    static final Path PYTHON_DIR = ROOT.resolve("perf/src/test/python");
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Every MUX's {@code admin.listen} in the lab (netlab.sh), inside its own namespace. */
    private static final String ADMIN = "127.0.0.1:9480";

    final Path run;
    final String prefix;
    private final String classpath;
    private final Map<String, String> env;
    /** Takes the lab down if the JVM ends before {@link #close} (set by {@link #open}). */
    private Thread downAtExit;
    /** The tests' own directories ({@link #tempDir}), deleted by {@link #close}. */
    private final List<Path> tempDirs = new ArrayList<>();

    /** The result of a command. */
    record Result(int code, String output)
    {
    }

    NetworkLab(final Path run, final String prefix)
    {
        this.run = run;
        this.prefix = prefix;
        this.classpath = System.getProperty("java.class.path");
        this.env = Map.of("NETLAB_RUN", run.toString(), "NETLAB_PREFIX", prefix, "PANAMUX_CLASSPATH", classpath,
            "HOSTAGENT_CLASSPATH", ROOT.resolve("hostagent/target/classes") + ":" + ROOT.resolve("hostagent/target/lib") + "/*");
    }

    /** @return null when namespaces, BIRD and the host agent's build are there, else why not. */
    static String unavailable()
    {
        try
        {
            final Result check = exec(List.of(SCRIPT.toString(), "check"), Map.of(), 30);
            if (check.code != 0)
            {
                return check.output.strip();
            }
        }
        catch (final IOException | InterruptedException e)
        {
            return "cannot run " + SCRIPT + ": " + e.getMessage();
        }
        if (!Files.isDirectory(ROOT.resolve("hostagent/target/lib")))
        {
            return "the host agent is not packaged (hostagent/target/lib): run the whole build (./ci/test)";
        }
        return null;
    }

    /**
     * The lab tests' set-up: a lab of this run's own (namespaces {@code stem} + this JVM's pid, run directory
     * {@code /run/panamux-PREFIX}: another build's lab on the same machine is left alone), brought {@code up}
     * with {@code upArgs}, and taken down by a shutdown hook should the JVM end before {@link #close}. Skips
     * the calling tests (an assumption) when the lab cannot run here ({@link #unavailable}).
     *
     * @param stem   the prefix's first letters.
     * @param upArgs {@code netlab.sh up}'s options; {@code -Dpanamux.netlab.pool=files} adds {@code --files}.
     * @return the lab, up.
     */
    static NetworkLab open(final String stem, final String... upArgs) throws IOException, InterruptedException
    {
        final String why = unavailable();
        Assumptions.assumeTrue(why == null, "network end-to-end tests skipped: " + why);
        final String prefix = stem + Long.toString(ProcessHandle.current().pid() % 100_000, 36);
        final NetworkLab lab = new NetworkLab(Path.of("/run/panamux-" + prefix), prefix);
        lab.downAtExit = new Thread(() ->
        {
            try
            {
                lab.down();
            }
            catch (final Exception e)
            {
                // The JVM is going away; nothing more to do.
            }
        });
        Runtime.getRuntime().addShutdownHook(lab.downAtExit);
        final List<String> up = new ArrayList<>(List.of("up"));
        up.addAll(List.of(upArgs));
        // -Dpanamux.netlab.pool=files: any lab test on the file-only set-up, by hand (the pool is in etcd by default).
        if ("files".equals(System.getProperty("panamux.netlab.pool")))
        {
            up.add("--files");
        }
        lab.labOk(180, up.toArray(String[]::new));
        System.out.printf("network: lab %s up, the pool %s%n", prefix, lab.poolOnEtcd() ? "in etcd" : "in each node's file (--files)");
        return lab;
    }

    /** Starts each of {@code muxes} ({@code netlab.sh mux-start}), one after the other. */
    void startMuxes(final String... muxes) throws IOException, InterruptedException
    {
        for (final String m : muxes)
        {
            labOk(30, "mux-start", m);
        }
    }

    /** @return a new temporary directory for the test's own files (captures, scripts), deleted by {@link #close}. */
    Path tempDir(final String name) throws IOException
    {
        final Path dir = Files.createTempDirectory(name);
        tempDirs.add(dir);
        return dir;
    }

    /**
     * The lab tests' tear-down: the lab down, its run directory and the {@link #tempDir}s deleted (the logs
     * were shown with any failure; the next run makes its own), the shutdown hook of {@link #open} dropped.
     */
    void close() throws IOException, InterruptedException
    {
        down();
        deleteTree(run);
        for (final Path dir : tempDirs)
        {
            deleteTree(dir);
        }
        tempDirs.clear();
        if (downAtExit != null)
        {
            try
            {
                Runtime.getRuntime().removeShutdownHook(downAtExit);
            }
            catch (final IllegalStateException stopping)
            {
                // The JVM is already stopping: the hook runs anyway and finds the lab down.
            }
            downAtExit = null;
        }
    }

    /** Deletes {@code dir} and everything below it, if it is there. */
    static void deleteTree(final Path dir) throws IOException
    {
        if (!Files.exists(dir))
        {
            return;
        }
        try (var files = Files.walk(dir))
        {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    Result lab(final int timeoutSeconds, final String... args) throws IOException, InterruptedException
    {
        final List<String> command = new ArrayList<>();
        command.add(SCRIPT.toString());
        command.addAll(List.of(args));
        return exec(command, env, timeoutSeconds);
    }

    /** Starts netlab.sh without waiting; its output goes to {@code output}. */
    Process labAsync(final Path output, final String... args) throws IOException
    {
        final List<String> command = new ArrayList<>();
        command.add(SCRIPT.toString());
        command.addAll(List.of(args));
        final ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile());
        pb.environment().putAll(env);
        return pb.start();
    }

    /** Runs netlab.sh and fails the test with its output when it fails. */
    String labOk(final int timeoutSeconds, final String... args) throws IOException, InterruptedException
    {
        final Result r;
        try
        {
            r = lab(timeoutSeconds, args);
        }
        catch (final AssertionError e)
        {
            throw new AssertionError(e.getMessage() + "\n" + logs(), e);
        }
        if (r.code != 0)
        {
            throw new AssertionError("netlab.sh " + String.join(" ", args) + " failed (" + r.code + "):\n" + r.output + "\n" + logs());
        }
        return r.output;
    }

    /** @return the pids of the processes in {@code node}'s namespace whose command line contains {@code text}. */
    List<Long> pidsIn(final String node, final String text) throws IOException, InterruptedException
    {
        final List<Long> pids = new ArrayList<>();
        for (final String line : exec(List.of("ip", "netns", "pids", prefix + "-" + node), env, 30).output().split("\n"))
        {
            if (line.isBlank())
            {
                continue;
            }
            final Path cmdline = Path.of("/proc", line.strip(), "cmdline");
            try
            {
                if (Files.readString(cmdline).replace('\0', ' ').contains(text))
                {
                    pids.add(Long.parseLong(line.strip()));
                }
            }
            catch (final IOException gone)
            {
                // Ended meanwhile.
            }
        }
        return pids;
    }

    /** Runs a command in a namespace of the lab. */
    Result in(final String node, final int timeoutSeconds, final String... command) throws IOException, InterruptedException
    {
        final List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", prefix + "-" + node));
        full.addAll(List.of(command));
        return exec(full, env, timeoutSeconds);
    }

    /** Starts a command in a namespace without waiting; its output goes to {@code output}. */
    Process startIn(final String node, final Path output, final String... command) throws IOException
    {
        final List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", prefix + "-" + node));
        full.addAll(List.of(command));
        final ProcessBuilder pb = new ProcessBuilder(full).redirectErrorStream(true).redirectOutput(output.toFile());
        pb.environment().putAll(env);
        return pb.start();
    }

    /** {@code ./panamux ctl ARGS} against the MUX in {@code node}'s namespace. */
    String ctl(final String node, final String... args) throws IOException, InterruptedException
    {
        final List<String> command = new ArrayList<>(List.of(ROOT.resolve("panamux").toString(), "ctl"));
        command.addAll(List.of(args));
        final Result r = in(node, 60, command.toArray(new String[0]));
        if (r.code != 0)
        {
            throw new AssertionError("ctl " + String.join(" ", args) + " on " + node + " failed:\n" + r.output);
        }
        return r.output;
    }

    /**
     * @return the MUX's counters in {@code node}: its admin API's {@code /v1/stats} (what {@code ctl stats --json}
     * prints), read with curl in the namespace: a {@code ./panamux ctl} JVM per read took 2 to 4 s on a loaded
     * 2-core machine, and the tests read counters dozens of times.
     */
    JsonNode muxStats(final String node) throws IOException, InterruptedException
    {
        final Result r = in(node, 30, "curl", "-s", "-f", "-m", "20", "http://" + ADMIN + "/v1/stats");
        if (r.code != 0)
        {
            throw new AssertionError("GET /v1/stats on " + node + " failed (curl " + r.code + "):\n" + r.output);
        }
        return JSON.readTree(r.output);
    }

    /** @return the packets the MUX in {@code node} has sent to {@code vipKey}'s backends, summed. */
    long muxPackets(final String node, final String vipKey) throws IOException, InterruptedException
    {
        long sum = 0;
        for (final Map.Entry<String, JsonNode> e : muxStats(node).get("backend_packets").properties())
        {
            if (e.getKey().startsWith(vipKey + " "))
            {
                sum += e.getValue().asLong();
            }
        }
        return sum;
    }

    /** @return {@link #muxPackets} summed over every MUX in {@code nodes}. */
    long muxPackets(final List<String> nodes, final String vipKey) throws IOException, InterruptedException
    {
        long sum = 0;
        for (final String node : nodes)
        {
            sum += muxPackets(node, vipKey);
        }
        return sum;
    }

    /** @return the host agent's counters in {@code node} (rewritten every second; waits for a fresh one). */
    JsonNode agent(final String node) throws IOException, InterruptedException
    {
        final Path file = run.resolve(node + "-agent.json");
        final long before = Files.exists(file) ? Files.getLastModifiedTime(file).toMillis() : 0;
        // At most 5 s: a file that stays stale is read as it is, and the caller's assertion says what is missing.
        try
        {
            await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100))
                .until(() -> Files.exists(file) && Files.getLastModifiedTime(file).toMillis() != before);
        }
        catch (final ConditionTimeoutException e)
        {
            // Stale: read what is there.
        }
        return JSON.readTree(file.toFile());
    }

    /**
     * @param client a node.
     * @param vip    the address the connections go to.
     * @return how many of the client's TCP connections to {@code vip} port 80 are established now.
     */
    int established(final String client, final String vip) throws IOException, InterruptedException
    {
        final Result r = in(client, 30, "ss", "-Htn", "state", "established", "dst", vip.contains(":") ? "[" + vip + "]:80" : vip + ":80");
        return (int)r.output.lines().filter(l -> !l.isBlank()).count();
    }

    /**
     * Long downloads running in the background: paced until {@link #await released}, so they are still running
     * whatever the test did meanwhile and however slow the machine is, then finished at full speed.
     */
    final class Transfers
    {
        private final Process process;
        private final Path output;
        private final Path release;
        private final String client;
        private final String vip;
        private final int count;

        Transfers(final Process process, final Path output, final Path release, final String client, final String vip, final int count)
        {
            this.process = process;
            this.output = output;
            this.release = release;
            this.client = client;
            this.vip = vip;
            this.count = count;
        }

        boolean running()
        {
            return process.isAlive();
        }

        /** Waits (at most 30 s: a loaded machine starts curl slowly) until every transfer's connection is established. */
        void awaitEstablished()
        {
            // Qualified: this class's own await(int) hides the static import here.
            Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).untilAsserted(() ->
                assertEquals(count, established(client, vip), "the transfers' connections to " + vip + " established"));
        }

        /** Releases the transfers (full speed from now on) and waits for them to end; @return a line per transfer. */
        List<String> await(final int seconds) throws IOException, InterruptedException
        {
            Files.writeString(release, "go");
            final long releasedAt = System.nanoTime();
            if (!process.waitFor(seconds, TimeUnit.SECONDS))
            {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                throw new AssertionError("transfers still running after " + seconds + " s: " + Files.readString(output));
            }
            System.out.printf("network: %d transfers from %s finished %.1f s after their release%n", count, vip,
                (System.nanoTime() - releasedAt) / 1e9);
            return Files.readAllLines(output).stream().map(String::strip).filter(l -> !l.isEmpty()).toList();
        }
    }

    /**
     * Starts {@code count} downloads of {@code bytes} each from {@code vip} port 80 in {@code client}, each its
     * own curl, paced at {@code rate} bytes per second until released.
     *
     * @param dir  where the output and the release file go.
     * @param host the VIP as it goes in a URL ({@code [v6]} for IPv6).
     */
    Transfers downloads(final Path dir, final String client, final String host, final int count, final int bytes, final int rate)
        throws IOException
    {
        final Path output = Files.createTempFile(dir, "transfers", ".txt");
        final Path release = dir.resolve("release-" + output.getFileName());
        final String url = "http://" + host + "/stream?bytes=" + bytes + "&rate=" + rate + "&release=" + release;
        final Process p = startIn(client, output, "bash", "-c",
            "for i in $(seq 1 " + count + "); do curl -g -s -m 400 -o /dev/null -w '%{http_code} %{size_download} %header{x-backend}\\n' '"
                + url + "' & done; wait");
        return new Transfers(p, output, release, client, host.replace("[", "").replace("]", ""), count);
    }

    /** @return the lab's shape as {@code netlab.sh up} wrote it: MUXes, backends, ipv4/ipv6, bfd, etcd/files. */
    private String[] shape() throws IOException
    {
        return Files.readString(run.resolve("shape")).strip().split(" ");
    }

    /** @return whether the pool is in etcd ({@code netlab.sh up}'s default) rather than in each node's file ({@code up --files}). */
    boolean poolOnEtcd() throws IOException
    {
        return "etcd".equals(shape()[4]);
    }

    /** @return the lab's MUX nodes ({@code m1} ... {@code mN}), started or not. */
    List<String> muxNodes() throws IOException
    {
        final List<String> out = new ArrayList<>();
        for (int k = 1; k <= Integer.parseInt(shape()[0]); k++)
        {
            out.add("m" + k);
        }
        return out;
    }

    /** @return the lab's nodes with a host agent: c2 and every agent backend. */
    List<String> agentNodes() throws IOException
    {
        final List<String> out = new ArrayList<>(List.of("c2"));
        for (int k = 1; k <= Integer.parseInt(shape()[1]); k++)
        {
            out.add("b" + k);
        }
        return out;
    }

    /** @return the MUX's {@code /v1/vips} (what {@code ctl vips --json} prints), read with curl in its namespace. */
    JsonNode muxVips(final String node) throws IOException, InterruptedException
    {
        final Result r = in(node, 30, "curl", "-s", "-f", "-m", "20", "http://" + ADMIN + "/v1/vips");
        if (r.code != 0)
        {
            throw new AssertionError("GET /v1/vips on " + node + " failed (curl " + r.code + "):\n" + r.output);
        }
        return JSON.readTree(r.output);
    }

    /**
     * Changes the pool as its operator does, with {@code ctl ARGS} (backend add, remove, drain, weight), and
     * returns once every MUX of the lab (and every host agent that selects the VIP) forwards by the change.
     * <ul>
     *   <li>Pool in etcd: once, through the first MUX's {@code ctl} (one document for the pool, written with a
     *       compare-and-swap; making it on every MUX would write it twice, or be refused as a conflict). Then
     *       waits until every MUX, and every agent that selects the changed VIP, has applied that revision with
     *       the first MUX's table for the VIP ({@code table_digest}).</li>
     *   <li>Pool in files ({@code up --files}): on every MUX at once, each with its own copy.</li>
     * </ul>
     */
    void changePool(final String... args) throws Exception
    {
        final List<String> muxes = muxNodes();
        if (!poolOnEtcd())
        {
            ctlOnEvery(muxes, args);
            return;
        }
        final List<String> json = new ArrayList<>(List.of(args));
        json.add("--json");
        final String answer = ctl(muxes.get(0), json.toArray(String[]::new));
        final JsonNode revision = JSON.readTree(answer).get("revision");
        assertTrue(revision != null && revision.canConvertToLong(), () -> "ctl " + String.join(" ", args) + " on a pool in etcd gave no revision: " + answer);
        final long written = revision.asLong();
        final String vip = changedVip(muxVips(muxes.get(0)), args);
        final long start = System.nanoTime();
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).untilAsserted(() ->
        {
            String digest = null;
            for (final String m : muxes)
            {
                final JsonNode vips = muxVips(m);
                final long applied = vips.at("/pool_config/applied_revision").asLong();
                assertTrue(applied >= written, m + " applied revision " + applied + ", not yet " + written);
                final String mine = digestOf(vips.get("vips"), vip);
                digest = digest == null ? mine : digest;
                assertEquals(digest, mine, m + "'s table for " + vip + " at revision " + written + " (" + muxes.get(0) + "'s)");
            }
            for (final String a : agentNodes())
            {
                final JsonNode agent;
                try
                {
                    agent = JSON.readTree(run.resolve(a + "-agent.json").toFile());
                }
                catch (final IOException e)
                {
                    // Being rewritten (every second) or not yet written: read again on the next poll.
                    throw new AssertionError(a + "'s agent's counters: " + e.getMessage(), e);
                }
                final JsonNode selected = agent.get("vips");
                if (selected == null || digestOf(selected, vip) == null)
                {
                    continue;
                }
                final long applied = agent.at("/pool_config/applied_revision").asLong();
                assertTrue(applied >= written, a + "'s agent applied revision " + applied + ", not yet " + written);
                assertEquals(digest, digestOf(selected, vip), a + "'s agent's table for " + vip + " at revision " + written);
            }
        });
        System.out.printf("network: ctl %s through %s: revision %d applied by every MUX and selecting agent in %d ms%n",
            String.join(" ", args), muxes.get(0), written, (System.nanoTime() - start) / 1_000_000);
    }

    /** @return the one argument of a {@code ctl} change that names a VIP the MUX shows in {@code vips} ({@code /v1/vips}). */
    private static String changedVip(final JsonNode vips, final String... args)
    {
        for (final String a : args)
        {
            for (final JsonNode v : vips.get("vips"))
            {
                if (a.equals(v.path("vip").asText()))
                {
                    return a;
                }
            }
        }
        throw new AssertionError("ctl " + String.join(" ", args) + " names no VIP of the MUX's: " + vips);
    }

    /** @return {@code vip}'s {@code table_digest} among {@code vips} ({@code {vip, table_digest}} objects), or null. */
    private static String digestOf(final JsonNode vips, final String vip)
    {
        for (final JsonNode v : vips)
        {
            if (vip.equals(v.path("vip").asText()))
            {
                return v.path("table_digest").asText(null);
            }
        }
        return null;
    }

    /** {@code ./panamux ctl ARGS} on each of {@code muxes} at once (a pool in files changes together). */
    private void ctlOnEvery(final List<String> muxes, final String... args) throws Exception
    {
        final List<CompletableFuture<String>> others = new ArrayList<>();
        for (final String m : muxes.subList(1, muxes.size()))
        {
            others.add(CompletableFuture.supplyAsync(() ->
            {
                try
                {
                    return ctl(m, args);
                }
                catch (final IOException | InterruptedException e)
                {
                    throw new CompletionException(e);
                }
            }));
        }
        ctl(muxes.get(0), args);
        for (final CompletableFuture<String> other : others)
        {
            other.get(60, TimeUnit.SECONDS);
        }
    }

    /**
     * {@code connections} requests, each its own TCP connection, {@code parallel} at a time, by one curl in
     * {@code client}.
     *
     * @return a line per connection: status code, the backend that answered ({@code x-backend}), source port.
     */
    List<String> curlMany(final Path dir, final String client, final String url, final int connections, final int parallel)
        throws IOException, InterruptedException
    {
        final Path config = Files.createTempFile(dir, "curl", ".cfg");
        final StringBuilder sb = new StringBuilder();
        for (int i = 0; i < connections; i++)
        {
            sb.append("url = \"").append(url).append("\"\noutput = \"/dev/null\"\n");
        }
        Files.writeString(config, sb);
        final Result r = in(client, 600, "curl", "-g", "-s", "--no-progress-meter", "--parallel", "--parallel-max", Integer.toString(parallel),
            "--connect-timeout", "5", "-m", "20", "-H", "Connection: close", "-w", "%{http_code} %header{x-backend} %{local_port}\\n", "-K",
            config.toString());
        return r.output().lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
    }

    /** @return how many connections got each answer ("code backend") in {@link #curlMany}'s lines. */
    static Map<String, Integer> count(final List<String> lines)
    {
        final Map<String, Integer> out = new TreeMap<>();
        for (final String l : lines)
        {
            final int lastSpace = l.lastIndexOf(' ');
            out.merge(lastSpace < 0 ? l : l.substring(0, lastSpace), 1, Integer::sum);
        }
        return out;
    }

    /**
     * Starts tcpdump on {@code device} in {@code node}, writing {@code dir/file}, and returns once it listens
     * (it says so on its standard error).
     */
    Process capture(final Path dir, final String node, final String device, final String filter, final String file) throws IOException
    {
        final List<String> command = new ArrayList<>(List.of("tcpdump", "-i", device, "-n", "-U", "-w", dir.resolve(file).toString()));
        command.addAll(List.of(filter.split(" ")));
        final Path log = dir.resolve(file + ".log");
        final Process p = startIn(node, log, command.toArray(new String[0]));
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).untilAsserted(() ->
        {
            assertTrue(p.isAlive(), () -> "tcpdump on " + node + " " + device + " ended: " + read(log));
            assertTrue(read(log).contains("listening on"), () -> "tcpdump on " + node + " " + device + " listening: " + read(log));
        });
        return p;
    }

    /** Stops captures (half a second after the last packet of interest, for what is still in flight). */
    static void stopCaptures(final Process... captures) throws InterruptedException
    {
        Thread.sleep(500);
        for (final Process p : captures)
        {
            // tcpdump runs under ip netns exec, which execs it: the process is tcpdump itself.
            p.destroy();
        }
        for (final Process p : captures)
        {
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** @return the packets in a capture whose tcpdump line contains {@code family} ({@code " IP "} or {@code " IP6 "}). */
    static long packets(final Path capture, final String family) throws IOException, InterruptedException
    {
        final Result r = exec(List.of("tcpdump", "-n", "-r", capture.toString()), Map.of(), 60);
        return r.output().lines().filter(l -> l.contains(family)).count();
    }

    private static String read(final Path file)
    {
        try
        {
            return Files.exists(file) ? Files.readString(file) : "";
        }
        catch (final IOException e)
        {
            return "(" + e.getMessage() + ")";
        }
    }

    /** The tail of every log of the lab, for failure messages. */
    String logs()
    {
        final StringBuilder sb = new StringBuilder();
        try (var files = Files.list(run))
        {
            for (final Path p : files.filter(f -> f.toString().endsWith(".log")).sorted().toList())
            {
                final List<String> lines = Files.readAllLines(p, StandardCharsets.UTF_8);
                sb.append("==> ").append(p.getFileName()).append(" <==\n");
                lines.subList(Math.max(0, lines.size() - 15), lines.size()).forEach(l -> sb.append(l).append('\n'));
            }
        }
        catch (final IOException e)
        {
            sb.append("(no logs: ").append(e.getMessage()).append(")\n");
        }
        return sb.toString();
    }

    /** Tears the network down: every process in its namespaces is killed, the namespaces deleted. */
    void down() throws IOException, InterruptedException
    {
        lab(60, "down");
    }

    static Result exec(final List<String> command, final Map<String, String> env, final int timeoutSeconds)
        throws IOException, InterruptedException
    {
        final ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(env);
        final Path out = Files.createTempFile("netlab", ".out");
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
}
