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
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End to end: mixed client traffic ({@link MixedTraffic}) replayed through {@code ./panamux run} on
 * DPDK's {@code net_pcap}, once per encapsulation; the output pcap is decoded by scapy
 * ({@code src/test/python/check_replay.py}) and by tshark, never by panamux's own parser.
 */
class PcapReplayTest
{
    private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
    private static final ObjectMapper JSON = new ObjectMapper();
    /** dataplane.gue-port, and the gue-port of the one VIP that names its own. */
    private static final int GUE_PORT = 6081;
    private static final int VIP_GUE_PORT = 7000;

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"ipip", "gre", "gue"})
    void everyVipPacketComesOutOnceEncapsulatedToABackendOfItsVip(final String encapsulation) throws Exception
    {
        final MixedTraffic traffic = new MixedTraffic();
        final Path in = dir.resolve("in.pcap");
        final Path out = dir.resolve("out.pcap");
        final Path expect = dir.resolve("expect.tsv");
        traffic.write(in, expect);
        // With gue, one VIP sends to a port of its own, the others to dataplane.gue-port (not the default 6080 either).
        final boolean gue = encapsulation.equals("gue");
        final String ownGuePort = gue ? "gue-port: " + VIP_GUE_PORT : "";
        final Path config = dir.resolve("mux.yaml");
        Files.writeString(config, """
            mux:
              name: replay
              address: 10.0.0.10
              address6: "2001:db8::a"
              hash-seed: 0x5eed
            dataplane:
              eal: ["--no-huge", "-m", "256", "--no-pci", "--no-shconf", "--file-prefix=pmxreplay%d", "-l", "0",
                    "--log-level=lib.eal:error", "--vdev=net_pcap0,rx_pcap=%s,tx_pcap=%s"]
              port: 0
              workers: 1
              gateway-mac: "02:00:00:00:00:fe"
              gue-port: %d
              flow-table: { capacity: 65536, idle-timeout-seconds: 300 }
            vips:
              - address: 192.0.2.10
                port: 80
                protocol: tcp
                encapsulation: %s
                flow-tracking: always
                backends:
                  - { address: 10.1.0.1, weight: 1 }
                  - { address: 10.1.0.2, weight: 1 }
                  - { address: 10.1.0.3, weight: 2 }
              - address: 192.0.2.11
                port: 53
                protocol: udp
                encapsulation: %s
                %s
                backends:
                  - { address: 10.1.1.1, weight: 1 }
                  - { address: 10.1.1.2, weight: 3 }
              - address: "2001:db8::10"
                port: 80
                protocol: tcp
                encapsulation: %s
                backends:
                  - { address: "2001:db8:1::1" }
                  - { address: "2001:db8:1::2" }
              - address: 192.0.2.12
                port: 443
                protocol: tcp
                encapsulation: %s
                backends:
                  - { address: "2001:db8:2::1" }
                  - { address: 10.1.2.1 }
            """.formatted(ProcessHandle.current().pid(), in, out, GUE_PORT, encapsulation, encapsulation, ownGuePort, encapsulation,
            encapsulation));
        final Map<String, Object> checkerConfig = Map.of(
            "gue_port", GUE_PORT,
            "vips", Map.of(
                "192.0.2.10:80/tcp", Map.of("encapsulation", encapsulation, "backends", Map.of("10.1.0.1", 1, "10.1.0.2", 1, "10.1.0.3", 2)),
                "192.0.2.11:53/udp", Map.of("encapsulation", encapsulation, "backends", Map.of("10.1.1.1", 1, "10.1.1.2", 3),
                    "gue_port", gue ? VIP_GUE_PORT : GUE_PORT),
                "[2001:db8::10]:80/tcp", Map.of("encapsulation", encapsulation,
                    "backends", Map.of("2001:db8:1::1", 1, "2001:db8:1::2", 1)),
                "192.0.2.12:443/tcp", Map.of("encapsulation", encapsulation, "backends", Map.of("2001:db8:2::1", 1, "10.1.2.1", 1))));
        final Path checkerJson = dir.resolve("config.json");
        JSON.writeValue(checkerJson.toFile(), checkerConfig);

        final Path stats = dir.resolve("stats.json");
        final Result run = run(List.of(ROOT.resolve("panamux").toString(), "run", "--config", config.toString(), "--duration", "3",
            "--stats-json", stats.toString()), Map.of("PANAMUX_CLASSPATH", System.getProperty("java.class.path")), 120);
        System.out.println(run.output);
        assertEquals(0, run.code, "panamux run failed:\n" + run.output);

        final JsonNode s = JSON.readTree(stats.toFile());
        assertEquals(0, s.get("mbufs_in_use").asLong(), "no mbuf left in use");
        assertEquals(traffic.frames.size(), s.get("rx_packets").asLong(), "every frame received");
        final long drops = traffic.expects.stream().filter(e -> e.kind().equals("drop")).count();
        final long tooBig = traffic.expects.stream().filter(e -> e.kind().equals("too_big")).count();
        assertEquals(drops + tooBig, s.get("drops_total").asLong(), "drops (too-big packets are counted, and answered): " + s.get("drops"));
        assertEquals(tooBig, s.get("icmp_too_big_sent").asLong());
        assertEquals(2, s.get("drops").get("not_vip").asLong() / 20, "forty packets for no VIP: " + s.get("drops"));

        final Result check = run(List.of("/usr/bin/python3", ROOT.resolve("perf/src/test/python/check_replay.py").toString(), in.toString(),
            out.toString(), expect.toString(), checkerJson.toString()), Map.of(), 300);
        System.out.println(check.output);
        assertEquals(0, check.code, "scapy found problems:\n" + check.output);

        // tshark, a second independent decoder: every IPv4 header checksum it verifies is good.
        final Result tshark = run(List.of("tshark", "-r", out.toString(), "-o", "ip.check_checksum:TRUE", "-T", "fields",
            "-e", "ip.checksum.status"), Map.of(), 120, false);
        assertEquals(0, tshark.code, tshark.output);
        int good = 0;
        for (final String line : tshark.output.split("\n"))
        {
            for (final String status : line.trim().split(","))
            {
                if (status.isEmpty())
                {
                    continue;
                }
                assertTrue(status.equals("1") || status.equals("2"), "tshark reports a bad IPv4 checksum: " + line);
                good += status.equals("1") ? 1 : 0;
            }
        }
        assertTrue(good > 1000, "tshark verified " + good + " IPv4 checksums");
    }

    private record Result(int code, String output)
    {
    }

    private static Result run(final List<String> command, final Map<String, String> env, final int timeoutSeconds)
        throws IOException, InterruptedException
    {
        return run(command, env, timeoutSeconds, true);
    }

    private static Result run(final List<String> command, final Map<String, String> env, final int timeoutSeconds,
        final boolean withStderr) throws IOException, InterruptedException
    {
        final ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(command)).redirectErrorStream(withStderr);
        if (!withStderr)
        {
            pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        }
        pb.environment().putAll(env);
        final Process p = pb.start();
        final byte[] output = p.getInputStream().readAllBytes();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS))
        {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + command);
        }
        return new Result(p.exitValue(), new String(output, StandardCharsets.UTF_8));
    }
}
