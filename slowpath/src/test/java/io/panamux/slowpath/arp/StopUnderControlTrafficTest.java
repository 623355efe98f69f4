package io.panamux.slowpath.arp;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 9 item 3: {@code ./panamux run} stopped while control-bound traffic keeps arriving (ARP requests
 * for the MUX's own address, replayed for ever by {@code net_pcap}'s {@code infinite_rx}) ends with every
 * mbuf back in the pool and exit status 0, every time: the workers stop first, then the control thread,
 * and the rings between them are emptied before the pool is counted.
 */
class StopUnderControlTrafficTest
{
    private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int RUNS = 5;

    @TempDir
    Path dir;

    @Test
    void stopsWithEveryMbufBackWhileArpRequestsPourIn() throws Exception
    {
        final Path in = dir.resolve("arp.pcap");
        ArpFloodPcap.write(in, 64);
        for (int run = 0; run < RUNS; run++)
        {
            final Path config = dir.resolve("mux" + run + ".yaml");
            Files.writeString(config, """
                mux:
                  name: stop-e2e
                  address: 10.0.0.10
                dataplane:
                  eal: ["--no-huge", "-m", "256", "--no-pci", "--no-shconf", "--file-prefix=pmxstop%d", "-l", "0",
                        "--log-level=lib.eal:error", "--vdev=net_pcap0,rx_pcap=%s,infinite_rx=1"]
                  port: 0
                  workers: 1
                  gateway-mac: "02:00:00:00:00:fe"
                  flow-table: { capacity: 4096, idle-timeout-seconds: 300 }
                vips: []
                admin: { listen: "127.0.0.1:0" }
                """.formatted(ProcessHandle.current().pid(), in));
            final Path stats = dir.resolve("stats" + run + ".json");
            final Path logFile = dir.resolve("mux" + run + ".log");
            final ProcessBuilder pb = new ProcessBuilder(ROOT.resolve("panamux").toString(), "run", "--config", config.toString(),
                "--duration", "3", "--stats-json", stats.toString()).redirectErrorStream(true).redirectOutput(logFile.toFile());
            pb.environment().put("PANAMUX_CLASSPATH", System.getProperty("java.class.path"));
            final Process mux = pb.start();
            assertTrue(mux.waitFor(120, TimeUnit.SECONDS), "panamux run --duration 3 ends");
            final String log = Files.readString(logFile);
            assertEquals(0, mux.exitValue(), "run " + run + ":\n" + log);
            final JsonNode s = JSON.readTree(stats.toFile());
            assertEquals(0, s.get("mbufs_in_use").asLong(), "run " + run + ":\n" + log);
            assertTrue(s.get("to_control").asLong() > 10_000, "ARP requests reached the control thread: " + s);
            assertEquals(0, s.get("worker_errors").asLong(), s.toString());
        }
    }
}
