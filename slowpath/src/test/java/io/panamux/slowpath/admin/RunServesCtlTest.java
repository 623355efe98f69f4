package io.panamux.slowpath.admin;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.awaitility.core.ConditionTimeoutException;
import org.awaitility.core.TerminalFailureException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End to end: {@code ./panamux run} on a DPDK {@code net_null} device (no packets in) serves the admin API
 * while it runs: {@code ./panamux ctl vips --json} and {@code ctl stats --json} through the launcher, a
 * backend added with {@code ctl}; then it stops cleanly on SIGTERM.
 */
class RunServesCtlTest
{
    private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void runServesCtlWhileRunning() throws Exception
    {
        final int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            port = probe.getLocalPort();
        }
        final String admin = "127.0.0.1:" + port;
        final Path config = dir.resolve("mux.yaml");
        final Path stats = dir.resolve("stats.json");
        Files.writeString(config, """
            mux:
              name: ctl-e2e
              address: 10.0.0.10
            dataplane:
              eal: ["--no-huge", "-m", "256", "--no-pci", "--no-shconf", "--file-prefix=pmxctl%d", "-l", "0",
                    "--log-level=lib.eal:error", "--vdev=net_null0,no-rx=1"]
              port: 0
              workers: 1
              gateway-mac: "02:00:00:00:00:fe"
              flow-table: { capacity: 65536, idle-timeout-seconds: 300 }
            vips:
              - address: 192.0.2.10
                port: 80
                protocol: tcp
                backends:
                  - { address: 10.1.0.1, weight: 1 }
                  - { address: 10.1.0.2, weight: 2 }
              - address: 192.0.2.11
                port: 53
                protocol: udp
                backends:
                  - { address: 10.1.1.1 }
            admin: { listen: "%s" }
            """.formatted(ProcessHandle.current().pid(), admin));

        final ProcessBuilder pb = new ProcessBuilder(ROOT.resolve("panamux").toString(), "run", "--config", config.toString(),
            "--duration", "120", "--stats-json", stats.toString()).redirectErrorStream(true).redirectOutput(dir.resolve("mux.log").toFile());
        pb.environment().put("PANAMUX_CLASSPATH", System.getProperty("java.class.path"));
        final Process mux = pb.start();
        try
        {
            awaitAdmin(admin, mux, dir.resolve("mux.log"));

            final Result vips = launcher("ctl", "vips", "--json", "--admin", admin);
            assertEquals(0, vips.code(), vips.output());
            final JsonNode v = JSON.readTree(vips.output());
            assertEquals(2, v.get("vips").size(), vips.output());
            assertEquals("192.0.2.10:80/tcp", v.get("vips").get(0).get("vip").asText());
            assertEquals("stateless", v.get("vips").get(0).get("mode").asText());
            assertEquals("bypass", v.get("vips").get(1).get("mode").asText());
            assertEquals("direct 10.1.1.1", v.get("vips").get(1).get("route").asText());

            final Result s = launcher("ctl", "stats", "--json", "--admin", admin);
            assertEquals(0, s.code(), s.output());
            final JsonNode st = JSON.readTree(s.output());
            assertEquals(0, st.get("rx_packets").asLong(), "net_null with no-rx receives nothing");
            assertTrue(st.has("drops") && st.has("flows") && st.has("mbufs_in_use") && st.has("owner_queries") && st.has("ring_full"),
                s.output());

            final Result add = ctl("backend", "add", "192.0.2.11:53/udp", "10.1.1.2", "--admin", admin);
            assertEquals(0, add.code(), add.output());
            final JsonNode after = JSON.readTree(ctl("vips", "--json", "--admin", admin).output());
            assertEquals("stateful", after.get("vips").get(1).get("mode").asText(), "scaled up: out of the bypass");
            assertTrue(metrics(admin).contains("panamux_vip_mode{mode=\"stateful\",vip=\"192.0.2.11:53/udp\"} 1"), metrics(admin));

            // Back to one backend: the mark returns, and the router is told to go direct again.
            final Result remove = ctl("backend", "remove", "192.0.2.11:53/udp", "10.1.1.2", "--admin", admin);
            assertEquals(0, remove.code(), remove.output());
            final JsonNode again = JSON.readTree(ctl("vips", "--json", "--admin", admin).output());
            assertEquals("bypass", again.get("vips").get(1).get("mode").asText(), "scaled down: bypassed again");
            assertEquals("direct 10.1.1.1", again.get("vips").get(1).get("route").asText());
            assertTrue(metrics(admin).contains("panamux_vip_mode{mode=\"bypass\",vip=\"192.0.2.11:53/udp\"} 1"), metrics(admin));
        }
        finally
        {
            mux.destroy();
            assertTrue(mux.waitFor(60, TimeUnit.SECONDS), "the MUX stops on SIGTERM");
        }
        final String log = Files.readString(dir.resolve("mux.log"));
        System.out.println(log);
        // SIGTERM: a clean stop exits 0 (not the JVM's 143, which a service manager would count as a failure).
        assertEquals(0, mux.exitValue(), "exit " + mux.exitValue() + "\n" + log);
        assertTrue(log.contains("panamux: stopped: rx 0, tx 0"), log);
        assertTrue(log.contains("panamux: admin API on http://" + admin), log);
        // The router instructions for the VIP scaled 1 -> 2 -> 1, in order.
        final int direct = log.indexOf("panamux: router: route-direct 192.0.2.11:53/udp");
        final int toPool = log.indexOf("panamux: router: route-to-pool 192.0.2.11:53/udp");
        final int directAgain = log.indexOf("panamux: router: route-direct 192.0.2.11:53/udp", toPool);
        assertTrue(direct >= 0 && toPool > direct && directAgain > toPool, log);
        assertEquals(0, JSON.readTree(stats.toFile()).get("mbufs_in_use").asLong());
    }

    private record Result(int code, String output)
    {
    }

    /** Waits until the admin API answers (the MUX initialises DPDK first). */
    private static void awaitAdmin(final String admin, final Process mux, final Path log) throws IOException
    {
        try
        {
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).failFast(() -> !mux.isAlive())
                .until(() -> ctl("stats", "--admin", admin).code() == 0);
        }
        catch (final ConditionTimeoutException | TerminalFailureException e)
        {
            throw new AssertionError("the admin API did not come up:\n" + Files.readString(log), e);
        }
    }

    private static String metrics(final String admin) throws IOException, InterruptedException
    {
        final java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(
            java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://" + admin + "/metrics")).build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        return r.body();
    }

    private static Result ctl(final String... args)
    {
        final StringWriter out = new StringWriter();
        final int code = new CommandLine(new CtlCommand()).setOut(new PrintWriter(out)).setErr(new PrintWriter(out)).execute(args);
        return new Result(code, out.toString());
    }

    private static Result launcher(final String... args) throws IOException, InterruptedException
    {
        final List<String> command = new ArrayList<>();
        command.add(ROOT.resolve("panamux").toString());
        command.addAll(List.of(args));
        final ProcessBuilder pb = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("PANAMUX_CLASSPATH", System.getProperty("java.class.path"));
        final Process p = pb.start();
        final byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS))
        {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + command);
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }
}
