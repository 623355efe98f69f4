package io.panamux.perf.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Drives {@code ci/topology/netlab.sh} (the namespaced network: router, MUXes, backends with host agents,
 * clients) for the network end-to-end tests, and reads what its parts count: the MUXes through
 * {@code ./panamux ctl} in their namespaces, the host agents through the JSON files they rewrite every second.
 */
final class NetworkLab
{
    static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
    static final Path SCRIPT = ROOT.resolve("ci/topology/netlab.sh");
    static final Path PYTHON_DIR = ROOT.resolve("perf/src/test/python");
    private static final ObjectMapper JSON = new ObjectMapper();

    final Path run;
    final String prefix;
    private final String classpath;
    private final Map<String, String> env;

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

    /** @return the packets the MUX in {@code node} has sent to {@code vipKey}'s backends, summed. */
    long muxPackets(final String node, final String vipKey) throws IOException, InterruptedException
    {
        final String out = ctl(node, "stats", "--json");
        final JsonNode stats = JSON.readTree(out.substring(out.indexOf('{')));
        long sum = 0;
        final var fields = stats.get("backend_packets").properties();
        for (final Map.Entry<String, JsonNode> e : fields)
        {
            if (e.getKey().startsWith(vipKey + " "))
            {
                sum += e.getValue().asLong();
            }
        }
        return sum;
    }

    /** @return the host agent's counters in {@code node} (rewritten every second; waits for a fresh one). */
    JsonNode agent(final String node) throws IOException, InterruptedException
    {
        final Path file = run.resolve(node + "-agent.json");
        final long before = Files.exists(file) ? Files.getLastModifiedTime(file).toMillis() : 0;
        final long deadline = System.currentTimeMillis() + 5000;
        while (System.currentTimeMillis() < deadline && (!Files.exists(file) || Files.getLastModifiedTime(file).toMillis() == before))
        {
            Thread.sleep(100);
        }
        return JSON.readTree(file.toFile());
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
