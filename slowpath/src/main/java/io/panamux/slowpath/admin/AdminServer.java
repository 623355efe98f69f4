package io.panamux.slowpath.admin;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.panamux.fastpath.WorkerCounters;
import io.panamux.fastpath.snapshot.Backend;
import io.panamux.fastpath.snapshot.ForwardingSnapshot;
import io.panamux.flow.FlowVisitor;
import io.panamux.slowpath.StatsJson;
import io.panamux.slowpath.config.Admin;
import io.panamux.slowpath.config.ConfigException;
import io.panamux.slowpath.config.IpAddress;
import io.panamux.slowpath.config.MuxConfig;
import io.panamux.slowpath.control.BackendChanges;
import io.panamux.slowpath.control.ChangeRejectedException;
import io.panamux.slowpath.control.ControlAgent;
import io.panamux.slowpath.control.VipView;

/**
 * The admin API (ARCHITECTURE.md §5, {@code ctl}): HTTP/JSON on {@code admin.listen}, served by the JDK's
 * {@link HttpServer} on two small daemon threads of its own. Everything it changes, and every read of VIP
 * state, runs on the control thread through {@link ControlAgent#submit}; counters and flow tables are read
 * directly (both are safe from any thread).
 *
 * <h2>Endpoints</h2>
 * <pre>
 *   GET  /v1/vips                      {"vips": [VIP, ...]}
 *   POST /v1/backends/add              {"vip": "192.0.2.10:80/tcp", "address": "10.1.0.3", "weight": 1} -> {"vip": VIP}
 *   POST /v1/backends/remove           {"vip": ..., "address": ...}                                    -> {"vip": VIP}
 *   POST /v1/backends/drain            {"vip": ..., "address": ...}                                    -> {"vip": VIP}
 *   POST /v1/backends/weight           {"vip": ..., "address": ..., "weight": N}                      -> {"vip": VIP}
 *   GET  /v1/stats                     the --stats-json document
 *   GET  /v1/flows?vip=V&amp;limit=N       {"flows": [...], "limit": N, "truncated": bool}
 *   POST /v1/reload                    {"source": ..., "changes": [...], "snapshot_version": N}
 *   GET  /v1/workers                   {"workers": [{"worker": 0, "rx_packets": N, "tx_packets": N, "busy_cycles": N, "duty_cycles": N, ...}]}
 *   GET  /metrics                      Prometheus text format
 *   GET  /                             the status page (one self-contained HTML file reading the endpoints above)
 * </pre>
 * A refused request answers 4xx with {@code {"error": "why"}} (a reload whose file has errors adds
 * {@code "errors": ["FILE:LINE: ...", ...]}) and has changed nothing. With {@code admin.token} set, every
 * request needs {@code Authorization: Bearer TOKEN} (compared in constant time) or gets 401; but for the
 * status page itself, which holds no data (a browser cannot send the header when it opens a page: the page
 * takes the token from its URL fragment, {@code /#token=TOKEN}, and sends it with every request it makes).
 */
public final class AdminServer implements AutoCloseable
{
    /** Flows listed when the request names no limit. */
    public static final int DEFAULT_FLOW_LIMIT = 100;
    /** The most flows one request lists. */
    public static final int MAX_FLOW_LIMIT = 10_000;
    /** How long a request waits for the control thread. */
    public static final long CONTROL_TIMEOUT_MS = 5_000;
    /** The status page ({@code GET /}), read once from the class path. */
    private static final byte[] STATUS_PAGE = statusPage();
    /** The largest request body read. */
    private static final int MAX_BODY = 64 * 1024;

    private static final ObjectMapper JSON = new ObjectMapper()
        .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
        .enable(SerializationFeature.INDENT_OUTPUT);

    private final HttpServer server;
    private final ExecutorService executor;
    private final AdminTarget target;
    private final byte[] token;
    private final MuxMetrics metrics;

    private AdminServer(final HttpServer server, final ExecutorService executor, final AdminTarget target, final Optional<String> token)
    {
        this.server = server;
        this.executor = executor;
        this.target = target;
        this.token = token.map(t -> ("Bearer " + t).getBytes(StandardCharsets.UTF_8)).orElse(null);
        this.metrics = new MuxMetrics(target.stats(), this::viewsOrNone);
    }

    /**
     * Binds {@code admin.listen} and starts serving.
     *
     * @param admin  where to listen and the token to require.
     * @param target what to serve.
     * @return the running server.
     * @throws IOException when the address cannot be bound.
     */
    public static AdminServer start(final Admin admin, final AdminTarget target) throws IOException
    {
        final InetAddress host = InetAddress.getByName(admin.listenAddress().toString());
        return start(new InetSocketAddress(host, admin.listenPort()), admin.token(), target);
    }

    /**
     * Binds {@code listen} and starts serving.
     *
     * @param listen where to listen (port 0: any free port, see {@link #port()}).
     * @param token  the bearer token to require, or empty.
     * @param target what to serve.
     * @return the running server.
     * @throws IOException when the address cannot be bound.
     */
    public static AdminServer start(final InetSocketAddress listen, final Optional<String> token, final AdminTarget target)
        throws IOException
    {
        final HttpServer server = HttpServer.create(listen, 16);
        final AtomicInteger n = new AtomicInteger();
        final ExecutorService executor = Executors.newFixedThreadPool(2, r ->
        {
            final Thread t = new Thread(r, "panamux-admin-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        final AdminServer admin = new AdminServer(server, executor, target, token);
        server.createContext("/", admin::handle);
        server.start();
        return admin;
    }

    /** @return the port it listens on. */
    public int port()
    {
        return server.getAddress().getPort();
    }

    /** Stops serving at once (the process is stopping or the test is over; a request in progress is cut). */
    @Override
    public void close()
    {
        server.stop(0);
        executor.shutdownNow();
    }

    private void handle(final HttpExchange exchange) throws IOException
    {
        try (exchange)
        {
            if (token != null && !authorized(exchange) && !isStatusPage(exchange))
            {
                exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer");
                error(exchange, 401, "this MUX requires Authorization: Bearer TOKEN (ctl --token, or PANAMUX_ADMIN_TOKEN)");
                return;
            }
            final String method = exchange.getRequestMethod();
            final String path = exchange.getRequestURI().getPath();
            try
            {
                route(exchange, method, path);
            }
            catch (final ChangeRejectedException e)
            {
                error(exchange, e.status(), e.getMessage());
            }
            catch (final TimeoutException e)
            {
                error(exchange, 503, "the control thread did not answer within " + CONTROL_TIMEOUT_MS + " ms");
            }
            catch (final InterruptedException e)
            {
                Thread.currentThread().interrupt();
                error(exchange, 503, "the admin API is stopping");
            }
            catch (final RuntimeException e)
            {
                error(exchange, 500, "internal error: " + e);
            }
        }
    }

    private static boolean isStatusPage(final HttpExchange exchange)
    {
        return exchange.getRequestURI().getPath().equals("/") && exchange.getRequestMethod().equals("GET");
    }

    private boolean authorized(final HttpExchange exchange)
    {
        final String header = exchange.getRequestHeaders().getFirst("Authorization");
        // MessageDigest.isEqual takes time independent of where the arrays differ.
        return header != null && MessageDigest.isEqual(token, header.getBytes(StandardCharsets.UTF_8));
    }

    private void route(final HttpExchange exchange, final String method, final String path)
        throws IOException, ChangeRejectedException, TimeoutException, InterruptedException
    {
        switch (path)
        {
            case "/v1/vips" ->
            {
                requireMethod(method, "GET");
                final ObjectNode body = JSON.createObjectNode();
                final var array = body.putArray("vips");
                for (final VipView v : views())
                {
                    array.add(vipJson(v));
                }
                json(exchange, 200, body);
            }
            case "/v1/backends/add", "/v1/backends/remove", "/v1/backends/drain", "/v1/backends/weight" ->
            {
                requireMethod(method, "POST");
                backendChange(exchange, path.substring("/v1/backends/".length()));
            }
            case "/v1/stats" ->
            {
                requireMethod(method, "GET");
                json(exchange, 200, JSON.valueToTree(StatsJson.toMap(target.stats().get())));
            }
            case "/v1/flows" ->
            {
                requireMethod(method, "GET");
                flows(exchange);
            }
            case "/v1/reload" ->
            {
                requireMethod(method, "POST");
                reload(exchange);
            }
            case "/v1/workers" ->
            {
                requireMethod(method, "GET");
                json(exchange, 200, workersJson());
            }
            case "/" ->
            {
                requireMethod(method, "GET");
                exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
                exchange.getResponseHeaders().set("Cache-Control", "no-cache");
                send(exchange, 200, STATUS_PAGE);
            }
            case "/metrics" ->
            {
                requireMethod(method, "GET");
                final ByteArrayOutputStream out = new ByteArrayOutputStream();
                metrics.write(out);
                exchange.getResponseHeaders().set("Content-Type", MuxMetrics.CONTENT_TYPE);
                send(exchange, 200, out.toByteArray());
            }
            default -> throw new ChangeRejectedException(404, "no such endpoint: " + method + " " + path);
        }
    }

    /** Each worker's own counters: the status page's Mpps and busy share per worker (their rates). */
    private ObjectNode workersJson()
    {
        final ObjectNode out = JSON.createObjectNode();
        final var array = out.putArray("workers");
        for (int w = 0; w < target.workers().size(); w++)
        {
            final WorkerCounters c = target.workers().get(w);
            final ObjectNode node = array.addObject();
            node.put("worker", w);
            node.put("rx_packets", c.get(WorkerCounters.RX_PACKETS));
            node.put("rx_bytes", c.get(WorkerCounters.RX_BYTES));
            node.put("tx_packets", c.get(WorkerCounters.TX_PACKETS));
            node.put("tx_bytes", c.get(WorkerCounters.TX_BYTES));
            node.put("drops_total", c.totalDrops());
            node.put("flows", c.get(WorkerCounters.FLOWS));
            // Busy share = busy cycles / duty cycles between two reads: the share of polls that found packets.
            node.put("busy_cycles", c.get(WorkerCounters.BUSY_CYCLES));
            node.put("duty_cycles", c.get(WorkerCounters.DUTY_CYCLES));
        }
        return out;
    }

    private static void requireMethod(final String method, final String expected) throws ChangeRejectedException
    {
        if (!method.equals(expected))
        {
            throw new ChangeRejectedException(405, "use " + expected);
        }
    }

    private void backendChange(final HttpExchange exchange, final String what)
        throws IOException, ChangeRejectedException, TimeoutException, InterruptedException
    {
        final JsonNode body = readJson(exchange);
        final String vip = text(body, "vip");
        final String address = text(body, "address");
        final JsonNode weightNode = body.get("weight");
        if (weightNode != null && !weightNode.canConvertToInt())
        {
            throw new ChangeRejectedException(ChangeRejectedException.INVALID, "weight must be an integer, got " + weightNode);
        }
        if (what.equals("weight") && weightNode == null)
        {
            throw new ChangeRejectedException(ChangeRejectedException.INVALID, "weight is required");
        }
        final int weight = weightNode == null ? 1 : weightNode.asInt();
        final BackendChanges changes = target.changes();
        final VipView view = (VipView)call((control, now) -> switch (what)
        {
            case "add" -> changes.add(vip, address, weight, now);
            case "remove" -> changes.remove(vip, address, now);
            case "drain" -> changes.drain(vip, address, now);
            default -> changes.weight(vip, address, weight, now);
        });
        final ObjectNode out = JSON.createObjectNode();
        out.set("vip", vipJson(view));
        json(exchange, 200, out);
    }

    private void reload(final HttpExchange exchange) throws IOException, ChangeRejectedException, TimeoutException, InterruptedException
    {
        if (target.configSource() == null)
        {
            throw new ChangeRejectedException(ChangeRejectedException.UNPROCESSABLE, "this MUX was not started from a configuration source");
        }
        final MuxConfig next;
        try
        {
            // Loading is pure (it reads and validates), so it runs here, off the control thread.
            next = target.configSource().load();
        }
        catch (final ConfigException e)
        {
            final ObjectNode out = JSON.createObjectNode();
            out.put("error", "not reloaded: " + target.configSource().description() + " has errors; nothing was changed:\n" + e.getMessage());
            final var errors = out.putArray("errors");
            e.errors().forEach(errors::add);
            json(exchange, ChangeRejectedException.UNPROCESSABLE, out);
            return;
        }
        final BackendChanges changes = target.changes();
        @SuppressWarnings("unchecked")
        final List<String> summary = (List<String>)call((control, now) -> changes.reload(next, now));
        final ObjectNode out = JSON.createObjectNode();
        out.put("source", target.configSource().description());
        final var list = out.putArray("changes");
        summary.forEach(list::add);
        out.put("snapshot_version", target.snapshot().get().version());
        json(exchange, 200, out);
    }

    private void flows(final HttpExchange exchange) throws IOException, ChangeRejectedException
    {
        final Map<String, String> query = query(exchange.getRequestURI());
        int limit = DEFAULT_FLOW_LIMIT;
        if (query.containsKey("limit"))
        {
            try
            {
                limit = Integer.parseInt(query.get("limit"));
            }
            catch (final NumberFormatException e)
            {
                limit = -1;
            }
            if (limit < 1 || limit > MAX_FLOW_LIMIT)
            {
                throw new ChangeRejectedException(ChangeRejectedException.INVALID, "limit must be between 1 and " + MAX_FLOW_LIMIT);
            }
        }
        final ForwardingSnapshot snapshot = target.snapshot().get();
        final FlowDump dump = new FlowDump(snapshot, query.get("vip"), limit);
        for (int w = 0; w < target.flowTables().size(); w++)
        {
            dump.worker = w;
            target.flowTables().get(w).forEach(dump, Integer.MAX_VALUE);
        }
        final ObjectNode out = JSON.createObjectNode();
        out.set("flows", JSON.valueToTree(dump.flows));
        out.put("limit", limit);
        out.put("matched", dump.matched);
        out.put("truncated", dump.matched > dump.flows.size());
        json(exchange, 200, out);
    }

    private Object call(final ControlAgent.Command command) throws ChangeRejectedException, TimeoutException, InterruptedException
    {
        try
        {
            return target.control().submit(command).get(CONTROL_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        }
        catch (final ExecutionException e)
        {
            if (e.getCause() instanceof ChangeRejectedException rejected)
            {
                throw rejected;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    @SuppressWarnings("unchecked")
    private List<VipView> views() throws ChangeRejectedException, TimeoutException, InterruptedException
    {
        final BackendChanges changes = target.changes();
        return (List<VipView>)call((control, now) -> changes.views(now));
    }

    private List<VipView> viewsOrNone()
    {
        try
        {
            return views();
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
            return List.of();
        }
        catch (final ChangeRejectedException | TimeoutException | RuntimeException e)
        {
            // The counters are still worth scraping when the control thread is busy.
            return List.of();
        }
    }

    private ObjectNode vipJson(final VipView v)
    {
        final ObjectNode node = JSON.valueToTree(v);
        node.remove("stateful_until_ns");
        if (v.mode().equals("stateful"))
        {
            node.put("stateful_until", Instant.ofEpochMilli(System.currentTimeMillis() + v.statefulRemainingMillis()).toString());
        }
        else
        {
            node.remove("stateful_remaining_millis");
            node.remove("stateful_flows");
        }
        return node;
    }

    private static byte[] statusPage()
    {
        try (InputStream in = AdminServer.class.getResourceAsStream("status.html"))
        {
            if (in == null)
            {
                throw new IllegalStateException("status.html is not on the class path");
            }
            return in.readAllBytes();
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode readJson(final HttpExchange exchange) throws IOException, ChangeRejectedException
    {
        final byte[] bytes;
        try (InputStream in = exchange.getRequestBody())
        {
            bytes = in.readNBytes(MAX_BODY + 1);
        }
        if (bytes.length > MAX_BODY)
        {
            throw new ChangeRejectedException(413, "request body larger than " + MAX_BODY + " bytes");
        }
        try
        {
            final JsonNode node = JSON.readTree(bytes);
            if (node == null || !node.isObject())
            {
                throw new ChangeRejectedException(ChangeRejectedException.INVALID, "the body must be a JSON object");
            }
            return node;
        }
        catch (final JsonProcessingException e)
        {
            throw new ChangeRejectedException(ChangeRejectedException.INVALID, "the body is not JSON: " + e.getOriginalMessage());
        }
    }

    private static String text(final JsonNode body, final String field) throws ChangeRejectedException
    {
        final JsonNode node = body.get(field);
        if (node == null || !node.isTextual())
        {
            throw new ChangeRejectedException(ChangeRejectedException.INVALID, field + " is required (a string)");
        }
        return node.asText();
    }

    private static Map<String, String> query(final URI uri)
    {
        final Map<String, String> out = new LinkedHashMap<>();
        final String raw = uri.getRawQuery();
        if (raw == null || raw.isEmpty())
        {
            return out;
        }
        for (final String pair : raw.split("&"))
        {
            final int eq = pair.indexOf('=');
            final String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            final String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            out.put(key, value);
        }
        return out;
    }

    private static void error(final HttpExchange exchange, final int status, final String message) throws IOException
    {
        final ObjectNode out = JSON.createObjectNode();
        out.put("error", message);
        json(exchange, status, out);
    }

    private static void json(final HttpExchange exchange, final int status, final JsonNode body) throws IOException
    {
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        send(exchange, status, JSON.writeValueAsBytes(body));
    }

    private static void send(final HttpExchange exchange, final int status, final byte[] body) throws IOException
    {
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = exchange.getResponseBody())
        {
            out.write(body);
        }
    }

    /** Lists flows from the tables, with their VIP and backend named by the snapshot. */
    private static final class FlowDump implements FlowVisitor
    {
        final ForwardingSnapshot snapshot;
        final String vipFilter;
        final int limit;
        final List<Map<String, Object>> flows = new ArrayList<>();
        int worker;
        long matched;

        FlowDump(final ForwardingSnapshot snapshot, final String vipFilter, final int limit)
        {
            this.snapshot = snapshot;
            this.vipFilter = vipFilter == null || vipFilter.isEmpty() ? null : vipFilter;
            this.limit = limit;
        }

        @Override
        public void onV4(final int srcAddr, final int dstAddr, final int srcPort, final int dstPort, final int protocol, final int backendId,
            final int lastSeen, final int flags)
        {
            final int vip = snapshot.vipTable().findV4(dstAddr, dstPort, protocol);
            add(vip, ipv4(srcAddr) + ":" + srcPort, ipv4(dstAddr), dstPort, protocol, backendId, lastSeen);
        }

        @Override
        public void onV6(final long srcHi, final long srcLo, final long dstHi, final long dstLo, final int srcPort, final int dstPort,
            final int protocol, final int backendId, final int lastSeen, final int flags)
        {
            final int vip = snapshot.vipTable().findV6(dstHi, dstLo, dstPort, protocol);
            add(vip, "[" + IpAddress.ofIpv6(srcHi, srcLo) + "]:" + srcPort,
                "[" + IpAddress.ofIpv6(dstHi, dstLo) + "]", dstPort, protocol, backendId, lastSeen);
        }

        private void add(final int vipIndex, final String source, final String dstHost, final int dstPort, final int protocol,
            final int backendId, final int lastSeen)
        {
            final String vip = vipIndex >= 0 ? snapshot.vips()[vipIndex].text() : null;
            if (vipFilter != null && (vip == null || !(vip.equals(vipFilter) || vip.startsWith(vipFilter + ":") ||
                vip.startsWith("[" + vipFilter + "]:"))))
            {
                return;
            }
            matched++;
            if (flows.size() >= limit)
            {
                return;
            }
            final Backend backend = snapshot.backend(backendId);
            final Map<String, Object> f = new LinkedHashMap<>();
            f.put("worker", worker);
            f.put("vip", vip);
            f.put("source", source);
            f.put("destination", dstHost + ":" + dstPort);
            f.put("protocol", protocol == 6 ? "tcp" : protocol == 17 ? "udp" : Integer.toString(protocol));
            f.put("backend", backend == null ? "gone (id " + backendId + ")" : backend.text());
            f.put("last_seen", lastSeen);
            flows.add(f);
        }

        private static String ipv4(final int address)
        {
            return IpAddress.ofIpv4(address).toString();
        }
    }
}
