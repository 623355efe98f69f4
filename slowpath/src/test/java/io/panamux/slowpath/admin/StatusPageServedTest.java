package io.panamux.slowpath.admin;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.panamux.fastpath.WorkerCounters;
import io.panamux.fastpath.snapshot.ForwardingSnapshot;
import io.panamux.fastpath.snapshot.SnapshotSlot;
import io.panamux.slowpath.config.ConfigLoader;
import io.panamux.slowpath.config.MuxConfig;
import io.panamux.slowpath.control.BackendChanges;
import io.panamux.slowpath.control.BackendIds;
import io.panamux.slowpath.control.ControlAgent;
import io.panamux.slowpath.control.SnapshotPublisher;
import io.panamux.slowpath.router.InProcessRouterControl;
import org.agrona.concurrent.SystemNanoClock;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The status page's side of the admin API: {@code GET /} serves the page (HTML, no data) even where a
 * token is required, while the JSON it reads still needs the token; {@code GET /v1/workers} lists each
 * worker's own counters, from which the page computes Mpps and busy share. The page itself in a browser:
 * OperatorViewTest (perf).
 */
class StatusPageServedTest
{
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void pageIsServedWithoutTheTokenButItsDataIsNotAndWorkersAreListed() throws Exception
    {
        final MuxConfig config = ConfigLoader.parse("""
            mux: { name: page, address: 10.0.0.10 }
            dataplane:
              eal: []
              port: 0
              workers: 2
              gateway-mac: "02:00:00:00:00:fe"
              flow-table: { capacity: 4096, idle-timeout-seconds: 300 }
            vips:
              - { address: 192.0.2.10, port: 80, protocol: tcp, backends: [{ address: 10.1.0.1 }, { address: 10.1.0.2 }] }
            """, "page.yaml");
        final SnapshotSlot slot = new SnapshotSlot(ForwardingSnapshot.empty(config.mux().hashSeed()));
        final SnapshotPublisher publisher = new SnapshotPublisher(slot, new BackendIds(600_000_000_000L));
        final ControlAgent control = new ControlAgent(publisher, new SystemNanoClock());
        final BackendChanges changes = new BackendChanges(config, publisher, new InProcessRouterControl(), null);
        final WorkerCounters w0 = new WorkerCounters();
        final WorkerCounters w1 = new WorkerCounters();
        w0.add(WorkerCounters.RX_PACKETS, 1000);
        w0.add(WorkerCounters.TX_PACKETS, 990);
        w0.add(WorkerCounters.BUSY_CYCLES, 30);
        w0.add(WorkerCounters.DUTY_CYCLES, 120);
        w0.drops(3, 10);
        w1.add(WorkerCounters.RX_PACKETS, 7);
        final AdminTarget target = new AdminTarget(control, changes, () ->
        {
            throw new AssertionError("the page and /v1/workers do not read the summed stats");
        }, slot::current, List.of(), null, List.of(w0, w1));
        try (AdminServer server = AdminServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), Optional.of("s3cret"), target))
        {
            final String base = "http://127.0.0.1:" + server.port();
            final HttpResponse<String> page = get(base + "/", null);
            assertEquals(200, page.statusCode());
            assertEquals("text/html; charset=utf-8", page.headers().firstValue("Content-Type").orElse(""));
            assertTrue(page.body().startsWith("<!DOCTYPE html>") && page.body().contains("v1/workers"), "the page");
            assertEquals(401, get(base + "/v1/workers", null).statusCode(), "the data needs the token");
            assertEquals(401, get(base + "/v1/stats", null).statusCode());
            assertEquals(401, get(base + "/index.html", null).statusCode(), "only / itself is open");

            final HttpResponse<String> workers = get(base + "/v1/workers", "s3cret");
            assertEquals(200, workers.statusCode(), workers.body());
            final JsonNode list = JSON.readTree(workers.body()).get("workers");
            assertEquals(2, list.size());
            assertEquals(0, list.get(0).get("worker").asInt());
            assertEquals(1000, list.get(0).get("rx_packets").asLong());
            assertEquals(990, list.get(0).get("tx_packets").asLong());
            assertEquals(30, list.get(0).get("busy_cycles").asLong());
            assertEquals(120, list.get(0).get("duty_cycles").asLong());
            assertEquals(10, list.get(0).get("drops_total").asLong());
            assertEquals(7, list.get(1).get("rx_packets").asLong());
        }
    }

    private static HttpResponse<String> get(final String url, final String token) throws Exception
    {
        final HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url));
        if (token != null)
        {
            b.header("Authorization", "Bearer " + token);
        }
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
