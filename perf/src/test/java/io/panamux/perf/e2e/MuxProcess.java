package io.panamux.perf.e2e;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.awaitility.core.ConditionTimeoutException;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One {@code ./panamux run} of an end-to-end test (on this machine's network, not in the lab's namespaces),
 * its output collected as it comes, and the operator's {@code ./panamux ctl} against it: what the pool tests
 * ({@link PoolOwnershipTest}, {@link PoolMembershipTest}) share. Both run on the test's class path
 * ({@code PANAMUX_CLASSPATH}). The caller stops every process it started ({@link #stop}, in a finally).
 */
final class MuxProcess
{
    private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();

    final String name;
    final Process process;
    /** Where the MUX writes its counters at stop ({@code --stats-json}), or null. */
    final Path statsJson;
    /** The exit status once {@link #stop} returned (-1 before, or when it would not end). */
    int exitCode = -1;
    private final String config;
    private final StringBuffer output = new StringBuffer();
    private final Thread reader;

    private MuxProcess(final String name, final Process process, final Path statsJson, final String config)
    {
        this.name = name;
        this.process = process;
        this.statsJson = statsJson;
        this.config = config;
        this.reader = new Thread(() ->
        {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)))
            {
                String line;
                while ((line = r.readLine()) != null)
                {
                    output.append(line).append('\n');
                }
            }
            catch (final IOException e)
            {
                output.append("(output lost: ").append(e).append(")\n");
            }
        }, name + "-output");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Writes {@code config} to {@code dir/NAME.yaml} and starts {@code ./panamux run} on it.
     *
     * @param dir             the test's directory.
     * @param name            the process's name (file names and messages).
     * @param config          the configuration's text.
     * @param durationSeconds {@code --duration}: the MUX ends by itself after that long.
     * @param withStats       whether the MUX writes its counters at stop ({@code --stats-json}, {@link #statsJson}).
     * @return the running process.
     */
    static MuxProcess start(final Path dir, final String name, final String config, final int durationSeconds, final boolean withStats)
        throws IOException
    {
        final Path file = dir.resolve(name + ".yaml");
        Files.writeString(file, config);
        final Path stats = withStats ? dir.resolve("stats-" + name + ".json") : null;
        final List<String> command = new ArrayList<>(List.of(ROOT.resolve("panamux").toString(), "run", "--config", file.toString(),
            "--duration", String.valueOf(durationSeconds)));
        if (stats != null)
        {
            command.addAll(List.of("--stats-json", stats.toString()));
        }
        final ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("PANAMUX_CLASSPATH", System.getProperty("java.class.path"));
        pb.environment().put("JAVA_OPTS", "-Xms128m -Xmx512m");
        return new MuxProcess(name, pb.start(), stats, config);
    }

    /** @return the admin API's address, as the configuration's {@code admin: { listen: "…" }} gives it. */
    String admin()
    {
        return config.replaceAll("(?s).*admin: \\{ listen: \"([0-9.:]+)\" }.*", "$1");
    }

    /** @return what the process printed so far (stdout and stderr). */
    String output()
    {
        return output.toString();
    }

    /** Waits until the process prints {@code text}; fails when it exits first or takes longer than {@code seconds}. */
    void awaitOutput(final String text, final int seconds) throws InterruptedException
    {
        awaitOutput(text, seconds, null);
    }

    /**
     * Waits until the process prints {@code text}.
     *
     * @param exitedWith when the process exits first with this in its output, the wait returns false (the
     *                   caller may start it again); null: any exit fails.
     * @return true once {@code text} is printed; false as {@code exitedWith} says. An exit otherwise, or no
     *         line within {@code seconds}, fails the test.
     */
    boolean awaitOutput(final String text, final int seconds, final String exitedWith) throws InterruptedException
    {
        try
        {
            await().atMost(Duration.ofSeconds(seconds)).pollInterval(Duration.ofMillis(50))
                .until(() -> output().contains(text) || !process.isAlive());
        }
        catch (final ConditionTimeoutException e)
        {
            throw new AssertionError(name + " did not print \"" + text + "\" within " + seconds + " s:\n" + output(), e);
        }
        if (!process.isAlive())
        {
            process.waitFor();
            // The reader takes the last lines.
            reader.join(2000);
        }
        if (output().contains(text))
        {
            return true;
        }
        if (exitedWith != null && output().contains(exitedWith))
        {
            return false;
        }
        throw new AssertionError(name + " exited (" + process.exitValue() + ") before printing \"" + text + "\":\n" + output());
    }

    /**
     * SIGTERM (a MUX stops cleanly: it prints its counters, writes its stats and revokes its lease), then SIGKILL
     * if it hangs; sets {@link #exitCode} and waits for the last lines of output.
     */
    void stop() throws InterruptedException
    {
        // Through the handle: Process.destroy() would also close the output this test still reads.
        process.toHandle().destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS))
        {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
        exitCode = process.isAlive() ? -1 : process.exitValue();
        reader.join(2000);
    }

    /**
     * Starts {@code ./panamux ctl ARGS --admin ADMIN}; {@link #awaitCtl} waits for it. Several may run at once.
     *
     * @return the running {@code ctl}.
     */
    static Process startCtl(final String admin, final String... args) throws IOException
    {
        final List<String> command = new ArrayList<>(List.of(ROOT.resolve("panamux").toString(), "ctl"));
        command.addAll(List.of(args));
        command.addAll(List.of("--admin", admin));
        final ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("PANAMUX_CLASSPATH", System.getProperty("java.class.path"));
        pb.environment().put("JAVA_OPTS", "-Xms64m -Xmx256m -XX:TieredStopAtLevel=1");
        return pb.start();
    }

    /** @return the output of a {@code ctl} from {@link #startCtl}, which must end within 60 s with status 0. */
    static String awaitCtl(final Process ctl, final String what) throws IOException, InterruptedException
    {
        final String out = new String(ctl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(ctl.waitFor(60, TimeUnit.SECONDS), "ctl " + what + " timed out");
        assertEquals(0, ctl.exitValue(), "ctl " + what + ":\n" + out);
        return out;
    }

    /** @return a TCP port free on the loopback address now (for a MUX's admin API). */
    static int freeTcpPort() throws IOException
    {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            return s.getLocalPort();
        }
    }

    /** @return a UDP port free on 127.0.0.1 now (for a MUX's peer endpoint). */
    static int freeUdpPort() throws IOException
    {
        try (DatagramChannel c = DatagramChannel.open())
        {
            c.bind(new InetSocketAddress("127.0.0.1", 0));
            return ((InetSocketAddress)c.getLocalAddress()).getPort();
        }
    }
}
