package io.panamux.perf.dist;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.panamux.fastpath.PanamuxVersion;
import io.panamux.slowpath.config.ConfigLoader;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The release package as an operator installs it: {@code ./panamux dist} makes the {@code .deb} and the
 * tarball; lintian reports no error; the {@code .deb} unpacked into a throw-away root ({@code dpkg -x})
 * runs {@code panamux --version} and {@code panamux demo --seconds 2} from its own paths (no source tree,
 * no {@code PANAMUX_CLASSPATH}); the daemon's class path has no perf, no JMH; the systemd units pass
 * {@code systemd-analyze verify}; the example configuration loads. Runs in Maven's package phase (after
 * the jars exist). lintian and systemd come from Debian ({@code PANAMUX_TEST_PACKAGES} in ci/env.sh).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PackageTest
{
    private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();

    private Path dir;
    private Path deb;
    private Path tarball;
    private Path installed;

    @BeforeAll
    void makeAndUnpackThePackage() throws Exception
    {
        assumeTrue(Boolean.getBoolean("panamux.packaged"), "runs in the package phase (surefire execution 'packaged'), after the jars exist");
        dir = Files.createTempDirectory(Path.of(System.getProperty("user.dir"), "target"), "dist-test");
        final Result dist = run(List.of(ROOT.resolve("panamux").toString(), "dist", "--no-build", "--out", dir.toString()), 300);
        assertEquals(0, dist.code(), dist.out());
        final String debVersion = PanamuxVersion.version().replace('-', '~');
        deb = dir.resolve("panamux_" + debVersion + "_amd64.deb");
        tarball = dir.resolve("panamux-" + PanamuxVersion.version() + ".tar.gz");
        assertTrue(Files.isRegularFile(deb) && Files.isRegularFile(tarball), dist.out());
        installed = dir.resolve("root");
        Files.createDirectories(installed);
        final Result x = run(List.of("dpkg", "-x", deb.toString(), installed.toString()), 120);
        assertEquals(0, x.code(), x.out());
    }

    @Test
    void lintianReportsNoError() throws Exception
    {
        assertTrue(Files.isExecutable(Path.of("/usr/bin/lintian")), "Debian's lintian is needed (ci/env.sh PANAMUX_TEST_PACKAGES)");
        final Result l = run(List.of("lintian", "--tag-display-limit", "0", deb.toString()), 300);
        assertFalse(l.out().lines().anyMatch(line -> line.startsWith("E:")), l.out());
        assertEquals(0, l.code(), l.out());
    }

    @Test
    void installedLauncherRunsVersionAndTheDemoFromItsOwnPaths() throws Exception
    {
        final Path bin = installed.resolve("usr/bin/panamux");
        assertTrue(Files.isSymbolicLink(bin) && Files.isExecutable(bin), "/usr/bin/panamux");
        for (final String part : List.of("", "run", "ctl", "hostagent"))
        {
            final List<String> args = new ArrayList<>(List.of(bin.toString()));
            if (!part.isEmpty())
            {
                args.add(part);
            }
            args.add("--version");
            final Result v = run(args, 60);
            assertEquals(0, v.code(), args + ": " + v.out());
            assertEquals(PanamuxVersion.line(), v.out().strip(), args.toString());
        }
        // ctl loads from the daemon's class path: a MUX that is not there is "unreachable" (exit 3).
        final Result ctl = run(List.of(bin.toString(), "ctl", "vips", "--admin", "127.0.0.1:1"), 60);
        assertEquals(3, ctl.code(), ctl.out());
        final Result demo = run(List.of(bin.toString(), "demo", "--seconds", "2"), 180);
        assertEquals(0, demo.code(), demo.out());
        assertTrue(demo.out().contains("summary"), demo.out());
    }

    @Test
    void daemonClassPathHoldsOnlyWhatItNeeds() throws IOException
    {
        final Path lib = installed.resolve("usr/share/panamux/lib");
        for (final String part : List.of("slowpath", "hostagent"))
        {
            final List<String> jars = Files.readAllLines(lib.resolve(part + ".classpath"));
            assertTrue(jars.getFirst().equals("panamux-" + part + "-" + PanamuxVersion.version() + ".jar"), jars.toString());
            assertTrue(jars.stream().noneMatch(j -> j.startsWith("jmh") || j.startsWith("panamux-perf") || j.startsWith("jopt")
                || j.startsWith("commons-math")), part + ": " + jars);
            jars.forEach(j -> assertTrue(Files.isRegularFile(lib.resolve(j)), j));
        }
        // The host agent reads its pool's document with the MUX's own parser and etcd follower (slowpath's config,
        // store and pool packages: one validation for both, issue 12), but it serves no MUX metrics.
        assertTrue(Files.readAllLines(lib.resolve("hostagent.classpath")).stream().noneMatch(j -> j.startsWith("prometheus")),
            "the host agent needs no MUX metrics");
        assertTrue(Files.readAllLines(lib.resolve("perf.classpath")).stream().anyMatch(j -> j.startsWith("jmh-core")), "bench keeps JMH");
    }

    @Test
    void packageHoldsUnitsConfigDashboardAndCompletion() throws Exception
    {
        for (final String f : List.of("lib/systemd/system/panamux@.service", "lib/systemd/system/panamux-hostagent@.service",
            "etc/panamux/mux.yaml.example", "usr/share/panamux/grafana/panamux-dashboard.json",
            "usr/share/panamux/prometheus/panamux-alerts.yml", "usr/share/bash-completion/completions/panamux",
            "usr/share/doc/panamux/copyright", "usr/share/doc/panamux/README.md"))
        {
            assertTrue(Files.isRegularFile(installed.resolve(f)), f);
        }
        // The example loads as a configuration (only its PCI device is the operator's to change).
        final Path example = installed.resolve("etc/panamux/mux.yaml.example");
        ConfigLoader.parse(Files.readString(example), example.toString());
        final Result conffiles = run(List.of("dpkg-deb", "-I", deb.toString(), "conffiles"), 60);
        assertEquals("/etc/panamux/mux.yaml.example", conffiles.out().strip());
        final Result control = run(List.of("dpkg-deb", "-f", deb.toString(), "Depends"), 60);
        assertTrue(control.out().contains("dpdk (>= 22.11)") && control.out().contains("temurin-25-jre"), control.out());
    }

    /** Both units as installed (their ExecStart pointed at the unpacked root) pass systemd-analyze verify, silently. */
    @Test
    void unitsPassSystemdAnalyzeVerify() throws Exception
    {
        assertTrue(Files.isExecutable(Path.of("/usr/bin/systemd-analyze")), "Debian's systemd is needed");
        final Path units = Files.createDirectories(dir.resolve("units"));
        final List<String> command = new ArrayList<>(List.of("systemd-analyze", "verify"));
        for (final String unit : List.of("panamux@", "panamux-hostagent@"))
        {
            final String text = Files.readString(installed.resolve("lib/systemd/system/" + unit + ".service"));
            assertTrue(text.contains("Type=notify") && text.contains("LimitMEMLOCK=infinity") && text.contains("Restart=on-failure"), unit);
            final Path instance = units.resolve(unit + "mux1.service");
            Files.writeString(instance, text.replace("/usr/bin/panamux", installed.resolve("usr/bin/panamux").toString()));
            command.add(instance.toString());
        }
        assertTrue(Files.readString(installed.resolve("lib/systemd/system/panamux@.service")).contains("ExecReload=/usr/bin/panamux ctl reload"));
        final Result verify = run(command, 120);
        assertEquals(0, verify.code(), verify.out());
        assertEquals("", verify.out().strip(), "no warning either");
    }

    @Test
    void tarballHoldsTheSameTreeAndRuns() throws Exception
    {
        final Path untar = Files.createDirectories(dir.resolve("untar"));
        final Result t = run(List.of("tar", "-xzf", tarball.toString(), "-C", untar.toString()), 120);
        assertEquals(0, t.code(), t.out());
        final Path top = untar.resolve("panamux-" + PanamuxVersion.version());
        try (Stream<Path> debFiles = Files.walk(installed); Stream<Path> tarFiles = Files.walk(top))
        {
            assertEquals(debFiles.map(installed::relativize).map(Path::toString).sorted().toList(),
                tarFiles.map(top::relativize).map(Path::toString).sorted().toList());
        }
        final Result v = run(List.of(top.resolve("usr/bin/panamux").toString(), "--version"), 60);
        assertEquals(0, v.code(), v.out());
        assertEquals(PanamuxVersion.line(), v.out().strip());
    }

    private record Result(int code, String out)
    {
    }

    private static Result run(final List<String> command, final int timeoutSeconds) throws IOException, InterruptedException
    {
        final ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        // As an operator's shell would be: no class path of a build, no source tree.
        pb.environment().remove("PANAMUX_CLASSPATH");
        pb.environment().putAll(Map.of("LC_ALL", "C.UTF-8"));
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
