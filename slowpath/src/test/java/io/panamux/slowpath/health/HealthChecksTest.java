package io.panamux.slowpath.health;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import com.sun.net.httpserver.HttpServer;
import io.panamux.slowpath.config.HealthCheckConfig;
import io.panamux.slowpath.config.HealthCheckType;
import io.panamux.slowpath.config.IpAddress;
import io.panamux.slowpath.control.WatchedBackend;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Health checks against real sockets on loopback (servers this test opens and closes), stepped with a
 * fake clock: timeouts are judged on that clock, socket events are real.
 */
class HealthChecksTest
{
    private static final long MS = 1_000_000L;
    private static final String VIP = "192.0.2.10:80/tcp";

    private final List<String> events = new ArrayList<>();
    private final HealthChecks checks = new HealthChecks((vip, backend, healthy, now) -> events.add(backend + (healthy ? " up" : " down")));
    private long now = 1_000_000 * MS;
    private ServerSocket server;
    private HttpServer http;

    @AfterEach
    void close() throws IOException
    {
        checks.onClose();
        if (server != null)
        {
            server.close();
        }
        if (http != null)
        {
            http.stop(0);
        }
    }

    @Test
    void tcpCheckFallsAfterFallFailuresAndRisesAfterRiseSuccesses() throws Exception
    {
        server = listen(0);
        final int port = server.getLocalPort();
        checks.watch(List.of(new WatchedBackend(VIP, IpAddress.parse("127.0.0.1"), check(HealthCheckType.TCP, port))), now);

        nextCheck();
        assertEquals(List.of(), events, "accepted: healthy, as it started");
        assertTrue(status().healthy());

        server.close();
        nextCheck();
        assertEquals(List.of(), events, "one failure of fall 2");
        nextCheck();
        assertEquals(List.of("127.0.0.1 down"), events);
        assertFalse(status().healthy());
        assertTrue(status().lastProblem().startsWith("connect"), status().lastProblem());

        server = listen(port);
        nextCheck();
        assertEquals(List.of("127.0.0.1 down"), events, "one success of rise 2");
        nextCheck();
        assertEquals(List.of("127.0.0.1 down", "127.0.0.1 up"), events);
        assertTrue(status().healthy());
    }

    @Test
    void httpCheckWantsTheExpectedStatusInTime() throws Exception
    {
        final AtomicInteger status = new AtomicInteger(200);
        final AtomicInteger requests = new AtomicInteger();
        http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
        http.createContext("/healthz", exchange ->
        {
            requests.incrementAndGet();
            exchange.sendResponseHeaders(status.get(), -1);
            exchange.close();
        });
        http.start();
        final HealthCheckConfig cfg = new HealthCheckConfig(HealthCheckType.HTTP, http.getAddress().getPort(), "/healthz", 200, 1000, 500, 1, 1);
        checks.watch(List.of(new WatchedBackend(VIP, IpAddress.parse("127.0.0.1"), cfg)), now);

        nextCheck();
        assertEquals(List.of(), events);
        assertEquals(1, requests.get(), "a GET reached the server");

        status.set(503);
        nextCheck();
        assertEquals(List.of("127.0.0.1 down"), events);
        assertEquals("HTTP status 503, expected 200", status().lastProblem());

        status.set(200);
        nextCheck();
        assertEquals(List.of("127.0.0.1 down", "127.0.0.1 up"), events);
    }

    @Test
    void aServerThatNeverAnswersFailsAtTheTimeout() throws Exception
    {
        // The kernel completes the handshake from the listen backlog; nobody ever reads or answers.
        server = listen(0);
        final HealthCheckConfig cfg = new HealthCheckConfig(HealthCheckType.HTTP, server.getLocalPort(), "/", 200, 1000, 300, 1, 1);
        checks.watch(List.of(new WatchedBackend(VIP, IpAddress.parse("127.0.0.1"), cfg)), now);

        checks.doWork(now);
        final long started = status().checks();
        for (int i = 0; i < 50; i++)
        {
            // Real time passes, the fake clock does not: no verdict without an answer.
            checks.doWork(now + 299 * MS);
            Thread.sleep(1);
        }
        assertEquals(started, status().checks());
        checks.doWork(now + 300 * MS);

        assertEquals(List.of("127.0.0.1 down"), events);
        assertEquals("no answer within 300 ms", status().lastProblem());
    }

    @Test
    void watchingKeepsTheStateOfBackendsThatStayAndForgetsTheOthers() throws Exception
    {
        final HealthCheckConfig cfg = check(HealthCheckType.TCP, 9);
        final WatchedBackend a = new WatchedBackend(VIP, IpAddress.parse("127.0.0.1"), cfg);
        final WatchedBackend b = new WatchedBackend(VIP, IpAddress.parse("127.0.0.2"), cfg);
        checks.watch(List.of(a, b), now);
        nextCheck();
        nextCheck();
        assertEquals(2, events.size(), "port 9 (discard) is closed on loopback: both down: " + events);

        checks.watch(List.of(a), now);

        assertEquals(1, checks.statuses().size());
        assertFalse(checks.statuses().get(0).healthy(), "a's verdict survives the new set");
    }

    /**
     * A reload that changes a VIP's health-check settings (here the interval) replaces the backends' checks.
     * The new check must start from the verdict the listener was last told: it started from "healthy", so a
     * backend that was down when the settings changed and came back was never reported up again and stayed
     * out of the table for good (found by the soak test, which reloads while health flaps).
     */
    @Test
    void aBackendDownWhenItsCheckSettingsChangeIsReportedUpWhenItComesBack() throws Exception
    {
        server = listen(0);
        final int port = server.getLocalPort();
        final IpAddress backend = IpAddress.parse("127.0.0.1");
        checks.watch(List.of(new WatchedBackend(VIP, backend, check(HealthCheckType.TCP, port))), now);
        server.close();
        nextCheck();
        nextCheck();
        assertEquals(List.of("127.0.0.1 down"), events);

        final HealthCheckConfig slower = new HealthCheckConfig(HealthCheckType.TCP, port, "/", 200, 900, 500, 2, 2);
        checks.watch(List.of(new WatchedBackend(VIP, backend, slower)), now);
        assertFalse(status().healthy(), "the verdict survives new settings");

        server = listen(port);
        nextCheck();
        nextCheck();
        assertEquals(List.of("127.0.0.1 down", "127.0.0.1 up"), events, "back after rise successes with the new settings");
        assertTrue(status().healthy());
    }

    private static HealthCheckConfig check(final HealthCheckType type, final int port)
    {
        return new HealthCheckConfig(type, port, "/", 200, 1000, 500, 2, 2);
    }

    private HealthChecks.Status status()
    {
        return checks.statuses().get(0);
    }

    /** Moves the fake clock to the next interval and steps until every check of this round is done. */
    private void nextCheck() throws InterruptedException
    {
        final long before = checks.statuses().stream().mapToLong(HealthChecks.Status::checks).sum();
        now += 1000 * MS;
        checks.doWork(now);
        final int expected = checks.statuses().size();
        await(() -> checks.statuses().stream().mapToLong(HealthChecks.Status::checks).sum() >= before + expected);
    }

    private void await(final BooleanSupplier done)
    {
        // In this thread: the checks' agent is single-threaded.
        Awaitility.await("a loopback check finishing within 5 s of real time").atMost(Duration.ofSeconds(5)).pollInSameThread()
            .pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1)).until(() ->
            {
                if (done.getAsBoolean())
                {
                    return true;
                }
                checks.doWork(now);
                return false;
            });
    }

    private static ServerSocket listen(final int port) throws IOException
    {
        final ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
        return s;
    }
}
