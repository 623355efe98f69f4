package io.panamux.perf.e2e;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.panamux.fastpath.PanamuxVersion;
import io.panamux.perf.PerfMain;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The launcher and the command line as an operator meets them: {@code --version} and {@code -h} on every
 * command, the completion script, and {@code JAVA_OPTS} choosing the collector and the heap (issue 9
 * item 6: the launcher's own {@code -XX:+UseParallelGC} made the JVM refuse any other collector).
 */
class LauncherTest
{
    private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
    private static final Pattern EPSILON_USED = Pattern.compile("Heap: \\d+M reserved, .* committed, (\\d+)K \\([0-9.]+%\\) used");

    @Test
    void everyCommandAnswersVersionAndHelp()
    {
        final List<CommandLine> all = new ArrayList<>();
        collect(PerfMain.commandLine(), all);
        assertTrue(all.size() >= 15, "commands: " + all.size());
        for (final CommandLine c : all)
        {
            final List<String> path = new ArrayList<>();
            for (CommandLine p = c; p.getParent() != null; p = p.getParent())
            {
                path.addFirst(p.getCommandName());
            }
            final Result version = execute(path, "--version");
            assertEquals(0, version.code(), path + " --version");
            assertEquals(PanamuxVersion.line(), version.out().strip(), path + " --version");
            assertTrue(version.out().matches("panamux \\d+\\.\\d+\\.\\d+.*\\s*"), version.out());
            final Result help = execute(path, "-h");
            assertEquals(0, help.code(), path + " -h");
            assertTrue(help.out().startsWith("Usage: " + c.getCommandSpec().qualifiedName()), path + " -h:\n" + help.out());
        }
    }

    @Test
    void launcherRunsVersionAndCompletionForEveryEntryPoint() throws Exception
    {
        for (final List<String> args : List.of(List.of("--version"), List.of("run", "--version"), List.of("ctl", "--version"),
            List.of("hostagent", "--version"), List.of("demo", "--version")))
        {
            final Result r = launcher(args, Map.of(), 60);
            assertEquals(0, r.code(), args + ": " + r.out());
            assertTrue(r.out().contains("panamux " + PanamuxVersion.version()), args + ": " + r.out());
        }
        final Result completion = launcher(List.of("generate-completion"), Map.of(), 60);
        assertEquals(0, completion.code(), completion.out());
        for (final String command : List.of("run", "ctl", "demo", "bench", "hostagent", "reload"))
        {
            assertTrue(completion.out().contains(command), command + " completes");
        }
        final Process bash = new ProcessBuilder("bash", "-n").redirectErrorStream(true).start();
        bash.getOutputStream().write(completion.out().getBytes(StandardCharsets.UTF_8));
        bash.getOutputStream().close();
        final String syntax = new String(bash.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(bash.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, bash.exitValue(), "bash -n on the completion script: " + syntax);
    }

    /**
     * Epsilon (a collector that never collects) with a 256 MB heap: the demo runs and exits 0, and the
     * heap used at exit after 8 s of traffic is within a few MB of that after 2 s: the data path allocates
     * nothing. Before the fix the JVM refused to start ("Multiple garbage collectors selected").
     */
    @Test
    void javaOptsChoosesEpsilonAndTheDemoAllocatesNothing() throws Exception
    {
        final String opts = "-XX:+UnlockExperimentalVMOptions -XX:+UseEpsilonGC -Xmx256m -Xlog:gc";
        final Result shortRun = launcher(List.of("demo", "--seconds", "2"), Map.of("JAVA_OPTS", opts), 120);
        assertEquals(0, shortRun.code(), shortRun.out());
        final Result longRun = launcher(List.of("demo", "--seconds", "8"), Map.of("JAVA_OPTS", opts), 120);
        assertEquals(0, longRun.code(), longRun.out());
        assertTrue(longRun.out().contains("Using Epsilon"), longRun.out());
        assertTrue(longRun.out().contains("Heap: 256M reserved"), "JAVA_OPTS' -Xmx replaces the default 2g: " + longRun.out());
        final long after2 = lastUsedKb(shortRun.out());
        final long after8 = lastUsedKb(longRun.out());
        assertTrue(after8 - after2 < 16 * 1024, "6 s more traffic used " + (after8 - after2) + " KB more heap (" + after2 + " KB after 2 s, "
            + after8 + " KB after 8 s)");
    }

    @Test
    void javaOptsChoosesZgc() throws Exception
    {
        final Result r = launcher(List.of("demo", "--seconds", "2"), Map.of("JAVA_OPTS", "-XX:+UseZGC -Xlog:gc:stdout"), 120);
        assertEquals(0, r.code(), r.out());
        assertTrue(r.out().contains("Using The Z Garbage Collector"), r.out());
    }

    /**
     * The first-run install prints one line per step, apt's own output goes to the log file it names, and a
     * failing step shows the end of that log. apt-get is replaced by a script that talks as much as apt.
     */
    @Test
    void packageInstallPrintsOneLinePerStepAndKeepsAptsOutputInItsLog(@TempDir final Path dir) throws Exception
    {
        assumeTrue("0".equals(new String(new ProcessBuilder("id", "-u").start().getInputStream().readAllBytes()).strip()),
            "installing needs root (as ./ci/test runs)");
        final Path bin = Files.createDirectories(dir.resolve("bin"));
        final Path apt = bin.resolve("apt-get");
        Files.writeString(apt, """
            #!/bin/sh
            for i in $(seq 1 200); do echo "Get:$i http://deb.debian.org/debian bookworm/main some-package [$i kB]"; done
            [ "$1" = install ] && [ -n "$APT_FAIL" ] && { echo "E: Unable to locate package $4"; exit 100; }
            exit 0
            """);
        apt.toFile().setExecutable(true);
        final Path log = dir.resolve("install.log");
        final String script = "source " + ROOT.resolve("ci/env.sh") + " && pmx_ensure_packages panamux-no-such-package";
        final Map<String, String> env = Map.of("PATH", bin + ":" + System.getenv("PATH"), "PANAMUX_INSTALL_LOG", log.toString());

        final Result ok = bash(script, env);
        assertEquals(0, ok.code(), ok.out());
        assertEquals(List.of(
            "panamux: installing 1 Debian package(s): panamux-no-such-package (full log: " + log + ")",
            "panamux:   updating the package lists ... done (N s)",
            "panamux:   installing panamux-no-such-package ... done (N s)"),
            ok.out().lines().map(l -> l.replaceAll("done \\(\\d+ s\\)", "done (N s)")).toList());
        assertTrue(Files.readString(log).contains("Get:200 http://deb.debian.org"), "apt's output is in the log");

        final Map<String, String> failing = new java.util.HashMap<>(env);
        failing.put("APT_FAIL", "1");
        final Result bad = bash(script, failing);
        assertEquals(1, bad.code(), bad.out());
        assertTrue(bad.out().contains("installing panamux-no-such-package ... FAILED"), bad.out());
        assertTrue(bad.out().contains("E: Unable to locate package panamux-no-such-package"), "the end of the log is shown: " + bad.out());
        assertTrue(bad.out().contains("failed; the full output is in " + log), bad.out());
        assertTrue(bad.out().lines().count() < 25, "not apt's 200 lines: " + bad.out());
    }

    private static Result bash(final String script, final Map<String, String> env) throws IOException, InterruptedException
    {
        final ProcessBuilder pb = new ProcessBuilder("bash", "-c", script).redirectErrorStream(true);
        pb.environment().putAll(env);
        final Process p = pb.start();
        final byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    private static long lastUsedKb(final String log)
    {
        final Matcher m = EPSILON_USED.matcher(log);
        long used = -1;
        while (m.find())
        {
            used = Long.parseLong(m.group(1));
        }
        assertTrue(used > 0, "no Epsilon heap report in:\n" + log);
        return used;
    }

    private static void collect(final CommandLine c, final List<CommandLine> into)
    {
        into.add(c);
        c.getSubcommands().values().forEach(s -> collect(s, into));
    }

    private record Result(int code, String out)
    {
    }

    private static Result execute(final List<String> path, final String option)
    {
        final StringWriter out = new StringWriter();
        final CommandLine root = PerfMain.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(out));
        final List<String> args = new ArrayList<>(path);
        args.add(option);
        final int code = root.execute(args.toArray(String[]::new));
        return new Result(code, out.toString());
    }

    private static Result launcher(final List<String> args, final Map<String, String> env, final int timeoutSeconds)
        throws IOException, InterruptedException
    {
        final List<String> command = new ArrayList<>();
        command.add(ROOT.resolve("panamux").toString());
        command.addAll(args);
        final ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("PANAMUX_CLASSPATH", System.getProperty("java.class.path"));
        pb.environment().putAll(env);
        final Process p = pb.start();
        final byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS))
        {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + command);
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }
}
