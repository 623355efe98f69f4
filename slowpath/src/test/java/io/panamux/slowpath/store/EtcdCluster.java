package io.panamux.slowpath.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import io.panamux.slowpath.config.StoreSettings;

/**
 * A real etcd cluster for tests (Debian's {@code etcd-server}, installed by {@code ci/env.sh}): 1 or 3 members
 * on free loopback ports with their data in a temporary directory. Members can be killed (SIGKILL), stopped
 * and started again with their data, the whole cluster stopped and started; {@link #close()} kills every
 * member and deletes the directory, and a shutdown hook does the same if the test JVM ends without it. Each
 * member also runs under {@code timeout}, so not even a JVM killed with SIGKILL leaves one behind for long.
 * <p>
 * Used by slowpath's tests and, through slowpath's test jar, by perf's multi-process tests.
 */
public final class EtcdCluster implements AutoCloseable
{
    /** Where Debian's etcd-server puts the server. */
    public static final Path ETCD = Path.of("/usr/bin/etcd");
    /** Where Debian's etcd-client puts the command-line client. */
    public static final Path ETCDCTL = Path.of("/usr/bin/etcdctl");
    /** The longest a member may live, whatever happens to the JVM that started it. */
    private static final int MAX_MEMBER_SECONDS = 1800;
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(20);

    private final Path directory;
    private final List<Member> members = new ArrayList<>();
    private final Thread cleanup;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();

    private static final class Member
    {
        final String name;
        final int clientPort;
        final int peerPort;
        final Path dataDir;
        final Path log;
        Process process;

        Member(final String name, final int clientPort, final int peerPort, final Path dataDir, final Path log)
        {
            this.name = name;
            this.clientPort = clientPort;
            this.peerPort = peerPort;
            this.dataDir = dataDir;
            this.log = log;
        }

        URI clientUrl()
        {
            return URI.create("http://127.0.0.1:" + clientPort);
        }

        String peerUrl()
        {
            return "http://127.0.0.1:" + peerPort;
        }
    }

    private EtcdCluster(final Path directory)
    {
        this.directory = directory;
        this.cleanup = new Thread(() ->
        {
            killAllQuietly();
            deleteTree(directory);
        }, "etcd-cluster-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
    }

    /** @return whether the etcd server is installed (tests skip with this reason when not). */
    public static boolean available()
    {
        return Files.isExecutable(ETCD);
    }

    /**
     * Starts a cluster and waits until every member reports healthy (a leader is elected).
     *
     * @param size 1 or 3 (or any odd count).
     * @return the running cluster.
     * @throws IllegalStateException when a member does not become healthy; the members' logs are in the message.
     */
    public static EtcdCluster start(final int size)
    {
        if (size < 1)
        {
            throw new IllegalArgumentException("size " + size);
        }
        final Path directory;
        try
        {
            // /dev/shm: etcd fsyncs every write, and a tmpfs makes that free.
            final Path base = Files.isDirectory(Path.of("/dev/shm")) && Files.isWritable(Path.of("/dev/shm")) ?
                Path.of("/dev/shm") : Path.of(System.getProperty("java.io.tmpdir"));
            directory = Files.createTempDirectory(base, "panamux-etcd-");
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        final EtcdCluster cluster = new EtcdCluster(directory);
        try
        {
            final int[] ports = freePorts(2 * size);
            for (int i = 0; i < size; i++)
            {
                cluster.members.add(new Member("m" + i, ports[2 * i], ports[2 * i + 1], directory.resolve("m" + i + ".data"),
                    directory.resolve("m" + i + ".log")));
            }
            for (int i = 0; i < size; i++)
            {
                cluster.launch(i);
            }
            cluster.awaitHealthy();
            return cluster;
        }
        catch (final RuntimeException | Error ex)
        {
            final String logs = cluster.logs();
            cluster.close();
            throw new IllegalStateException("etcd cluster of " + size + " did not start: " + ex.getMessage() + "\n" + logs, ex);
        }
    }

    /** @return the members' client URLs, in member order. */
    public List<URI> endpoints()
    {
        return members.stream().map(Member::clientUrl).toList();
    }

    /** @return the client URLs joined by commas (for {@code etcdctl --endpoints} and {@code --etcd}). */
    public String endpointsCsv()
    {
        return endpoints().stream().map(URI::toString).collect(Collectors.joining(","));
    }

    /**
     * @param member the member's index.
     * @return its client URL.
     */
    public URI endpoint(final int member)
    {
        return members.get(member).clientUrl();
    }

    /** @return the number of members. */
    public int size()
    {
        return members.size();
    }

    /**
     * Store settings for this cluster.
     *
     * @param prefix       the pool's key prefix.
     * @param leaseSeconds the membership lease.
     * @return plain-text settings with every member's endpoint.
     */
    public StoreSettings settings(final String prefix, final int leaseSeconds)
    {
        return StoreSettings.plain(endpoints(), prefix, leaseSeconds);
    }

    /**
     * The lines of a MUX file's {@code store} section for this cluster (indented for the top level).
     *
     * @param prefix       the pool's key prefix.
     * @param leaseSeconds the membership lease.
     * @param cacheFile    the cache file, or null for none.
     * @return YAML text ending in a newline.
     */
    public String storeYaml(final String prefix, final int leaseSeconds, final Path cacheFile)
    {
        final StringBuilder yaml = new StringBuilder("store:\n  etcd:\n    endpoints: [");
        yaml.append(endpoints().stream().map(uri -> "\"" + uri + "\"").collect(Collectors.joining(", "))).append("]\n");
        yaml.append("    prefix: ").append(prefix).append('\n');
        yaml.append("    lease-seconds: ").append(leaseSeconds).append('\n');
        if (cacheFile != null)
        {
            yaml.append("    cache-file: ").append(cacheFile.toAbsolutePath()).append('\n');
        }
        return yaml.toString();
    }

    /**
     * Kills one member with SIGKILL (no chance to leave the cluster cleanly) and waits for it to be gone.
     *
     * @param member the member's index.
     */
    public void kill(final int member)
    {
        final Member m = members.get(member);
        if (m.process != null)
        {
            destroy(m.process, true);
            m.process = null;
        }
    }

    /**
     * Stops one member with SIGTERM and waits for it to exit.
     *
     * @param member the member's index.
     */
    public void stop(final int member)
    {
        final Member m = members.get(member);
        if (m.process != null)
        {
            destroy(m.process, false);
            m.process = null;
        }
    }

    /**
     * Starts a stopped or killed member again, with its data and ports, and waits until it answers.
     *
     * @param member the member's index.
     */
    public void restart(final int member)
    {
        if (members.get(member).process != null)
        {
            throw new IllegalStateException(members.get(member).name + " is running");
        }
        launch(member);
        awaitHealthy();
    }

    /** Kills every member (etcd fully down). */
    public void killAll()
    {
        for (int i = 0; i < members.size(); i++)
        {
            kill(i);
        }
    }

    /** Starts every member that is not running and waits until the cluster is healthy. */
    public void startAll()
    {
        for (int i = 0; i < members.size(); i++)
        {
            if (members.get(i).process == null)
            {
                launch(i);
            }
        }
        awaitHealthy();
    }

    /**
     * @param member the member's index.
     * @return whether its process runs.
     */
    public boolean isRunning(final int member)
    {
        final Process p = members.get(member).process;
        return p != null && p.isAlive();
    }

    /**
     * Runs {@code etcdctl} against this cluster (e.g. to write a document by hand, as an operator would).
     *
     * @param args the command, e.g. {@code put /p/config TEXT}.
     * @return its standard output.
     * @throws IllegalStateException when it fails; its output is in the message.
     */
    public String etcdctl(final String... args)
    {
        final List<String> command = new ArrayList<>(List.of(ETCDCTL.toString(), "--endpoints=" + endpointsCsv(),
            "--command-timeout=5s"));
        command.addAll(List.of(args));
        final ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("ETCDCTL_API", "3");
        try
        {
            final Process process = builder.start();
            process.getOutputStream().close();
            final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0)
            {
                process.destroyForcibly();
                throw new IllegalStateException("etcdctl " + String.join(" ", args) + " failed: " + output);
            }
            return output;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    /** @return the last lines of every member's log, for a failing test's message. */
    public String logs()
    {
        final StringBuilder out = new StringBuilder();
        for (final Member m : members)
        {
            out.append("--- etcd ").append(m.name).append(" (").append(m.log).append(")\n");
            try
            {
                final List<String> lines = Files.exists(m.log) ? Files.readAllLines(m.log) : List.of();
                lines.subList(Math.max(0, lines.size() - 15), lines.size()).forEach(line -> out.append(line).append('\n'));
            }
            catch (final IOException | UncheckedIOException ex)
            {
                out.append("(unreadable: ").append(ex.getMessage()).append(")\n");
            }
        }
        return out.toString();
    }

    /** @return the directory with the members' data and logs. */
    public Path directory()
    {
        return directory;
    }

    /** Kills every member and deletes the directory. */
    @Override
    public void close()
    {
        killAllQuietly();
        try
        {
            Runtime.getRuntime().removeShutdownHook(cleanup);
        }
        catch (final IllegalStateException ex)
        {
            // The JVM is shutting down: the hook runs anyway.
        }
        deleteTree(directory);
    }

    private void launch(final int index)
    {
        final Member m = members.get(index);
        final String initialCluster = members.stream().map(x -> x.name + "=" + x.peerUrl()).collect(Collectors.joining(","));
        final boolean fresh = !Files.isDirectory(m.dataDir);
        final List<String> command = List.of(
            "timeout", "-s", "KILL", Integer.toString(MAX_MEMBER_SECONDS),
            ETCD.toString(),
            "--name", m.name,
            "--data-dir", m.dataDir.toString(),
            "--listen-client-urls", m.clientUrl().toString(),
            "--advertise-client-urls", m.clientUrl().toString(),
            "--listen-peer-urls", m.peerUrl(),
            "--initial-advertise-peer-urls", m.peerUrl(),
            "--initial-cluster", initialCluster,
            "--initial-cluster-token", directory.getFileName().toString(),
            "--initial-cluster-state", fresh ? "new" : "existing",
            // Loopback: a leader is elected in about a second, and a killed one replaced as fast.
            "--heartbeat-interval", "50",
            "--election-timeout", "500",
            "--logger", "zap",
            "--log-outputs", "stderr",
            "--log-level", "warn");
        try
        {
            m.process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(m.log.toFile()))
                .start();
            m.process.getOutputStream().close();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot start " + ETCD, ex);
        }
    }

    /** Waits until every running member answers /health with true (which needs a leader). */
    private void awaitHealthy()
    {
        final long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        final Set<String> pending = new HashSet<>();
        for (final Member m : members)
        {
            if (m.process != null)
            {
                pending.add(m.name);
            }
        }
        while (!pending.isEmpty())
        {
            for (final Member m : members)
            {
                if (!pending.contains(m.name))
                {
                    continue;
                }
                if (!m.process.isAlive())
                {
                    throw new IllegalStateException("etcd " + m.name + " exited with " + m.process.exitValue());
                }
                if (healthy(m))
                {
                    pending.remove(m.name);
                }
            }
            if (System.nanoTime() > deadline)
            {
                throw new IllegalStateException("etcd members " + pending + " not healthy within " + READY_TIMEOUT.toSeconds() + " s");
            }
            try
            {
                Thread.sleep(50);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(ex);
            }
        }
    }

    private boolean healthy(final Member m)
    {
        try
        {
            final HttpResponse<String> response = http.send(HttpRequest.newBuilder(m.clientUrl().resolve("/health"))
                .timeout(Duration.ofSeconds(1)).GET().build(), HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 && response.body().contains("\"health\":\"true\"");
        }
        catch (final IOException ex)
        {
            return false;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private void killAllQuietly()
    {
        for (final Member m : members)
        {
            if (m.process != null)
            {
                destroy(m.process, true);
                m.process = null;
            }
        }
    }

    /** Signals etcd itself (the child of {@code timeout}) and then {@code timeout}, and waits for both. */
    private static void destroy(final Process process, final boolean kill)
    {
        final List<ProcessHandle> children = process.descendants().toList();
        for (final ProcessHandle child : children)
        {
            if (kill)
            {
                child.destroyForcibly();
            }
            else
            {
                child.destroy();
            }
        }
        for (final ProcessHandle child : children)
        {
            try
            {
                child.onExit().get(10, TimeUnit.SECONDS);
            }
            catch (final Exception ex)
            {
                child.destroyForcibly();
            }
        }
        process.destroyForcibly();
        try
        {
            process.waitFor(10, TimeUnit.SECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    private static int[] freePorts(final int count)
    {
        final int[] ports = new int[count];
        final List<ServerSocket> held = new ArrayList<>();
        try
        {
            // Held open together so that the ports differ from each other.
            for (int i = 0; i < count; i++)
            {
                final ServerSocket socket = new ServerSocket();
                socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                held.add(socket);
                ports[i] = socket.getLocalPort();
            }
            return ports;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        finally
        {
            for (final ServerSocket socket : held)
            {
                try
                {
                    socket.close();
                }
                catch (final IOException ex)
                {
                    // Closing a listening socket that was never used.
                }
            }
        }
    }

    private static void deleteTree(final Path root)
    {
        if (!Files.exists(root))
        {
            return;
        }
        try (Stream<Path> paths = Files.walk(root))
        {
            for (final Path p : paths.sorted(Comparator.reverseOrder()).toList())
            {
                Files.deleteIfExists(p);
            }
        }
        catch (final IOException ex)
        {
            // Best effort: a temporary directory.
        }
    }
}
