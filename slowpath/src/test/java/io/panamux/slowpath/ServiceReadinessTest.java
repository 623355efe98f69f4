package io.panamux.slowpath;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.awaitility.core.ConditionTimeoutException;
import org.awaitility.core.TerminalFailureException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code Type=notify} readiness of {@code panamux@.service}: {@code ./panamux run} with {@code NOTIFY_SOCKET}
 * set sends {@code READY=1} over the socket once every worker is cycling (after the watchdog's "every
 * worker is cycling" line, not at start), and {@code STOPPING=1} on SIGTERM. The socket is a Unix datagram
 * socket held by a small python3 listener, as systemd's would be.
 */
class ServiceReadinessTest
{
    private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();

    @TempDir
    Path dir;

    @Test
    void runNotifiesReadyOnceWorkersCycleAndStoppingOnSigterm() throws Exception
    {
        final Path socket = dir.resolve("notify.sock");
        final Path received = dir.resolve("received.txt");
        final Process listener = new ProcessBuilder("python3", "-c", """
            import socket, sys
            s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            s.bind(sys.argv[1])
            s.settimeout(180)
            with open(sys.argv[2], "a") as out:
                while True:
                    d = s.recv(4096).decode()
                    out.write(d.replace("\\n", " ") + "\\n"); out.flush()
                    if "STOPPING=1" in d:
                        break
            """, socket.toString(), received.toString()).redirectErrorStream(true).redirectOutput(dir.resolve("listener.log").toFile()).start();
        await("the listener binding").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).failFast(() -> !listener.isAlive())
            .until(() -> Files.exists(socket));
        final int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            port = probe.getLocalPort();
        }
        final Path config = dir.resolve("mux.yaml");
        Files.writeString(config, """
            mux: { name: notify, address: 10.0.0.10 }
            dataplane:
              eal: ["--no-huge", "-m", "256", "--no-pci", "--no-shconf", "--file-prefix=pmxnotify%d", "-l", "0",
                    "--log-level=lib.eal:error", "--vdev=net_null0,no-rx=1"]
              port: 0
              workers: 1
              gateway-mac: "02:00:00:00:00:fe"
              flow-table: { capacity: 65536, idle-timeout-seconds: 300 }
            vips:
              - { address: 192.0.2.10, port: 80, protocol: tcp, backends: [{ address: 10.1.0.1 }, { address: 10.1.0.2 }] }
            admin: { listen: "127.0.0.1:%d" }
            """.formatted(ProcessHandle.current().pid(), port));
        final Path log = dir.resolve("mux.log");
        final ProcessBuilder pb = new ProcessBuilder(ROOT.resolve("panamux").toString(), "run", "--config", config.toString(),
            "--duration", "120").redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("PANAMUX_CLASSPATH", System.getProperty("java.class.path"));
        pb.environment().put("NOTIFY_SOCKET", socket.toString());
        final Process mux = pb.start();
        try
        {
            try
            {
                await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(20)).failFast(() -> !mux.isAlive())
                    .until(() -> Files.exists(received) && Files.readString(received).contains("READY=1"));
            }
            catch (final ConditionTimeoutException | TerminalFailureException e)
            {
                throw new AssertionError("no READY=1:\n" + Files.readString(log), e);
            }
            // Ready means forwarding: the watchdog saw every worker cycle before the notification.
            assertTrue(Files.readString(log).contains("panamux: data path: every worker is cycling"), Files.readString(log));
            assertTrue(Files.readString(received).contains("STATUS=forwarding: 1 worker(s) cycling"), Files.readString(received));
        }
        finally
        {
            mux.destroy();
            assertTrue(mux.waitFor(60, TimeUnit.SECONDS), "stops on SIGTERM");
        }
        assertEquals(0, mux.exitValue(), Files.readString(log));
        assertTrue(listener.waitFor(30, TimeUnit.SECONDS), "STOPPING=1 ends the listener: " + received);
        final String all = Files.readString(received);
        assertTrue(all.indexOf("READY=1") < all.indexOf("STOPPING=1"), all);
        assertEquals(1, all.split("READY=1", -1).length - 1, "READY once: " + all);
    }

}
