package io.panamux.slowpath.admin;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.panamux.fastpath.snapshot.ForwardingSnapshot;
import io.panamux.slowpath.StatsJson;
import io.panamux.slowpath.admin.AdminHttp.HostCheck;
import io.panamux.slowpath.admin.AdminHttp.Refused;
import io.panamux.slowpath.config.Admin;
import io.panamux.slowpath.config.ConfigException;
import io.panamux.slowpath.config.MuxConfig;
import io.panamux.slowpath.control.BackendChanges;
import io.panamux.slowpath.control.ChangeRejectedException;
import io.panamux.slowpath.control.ControlAgent;
import io.panamux.slowpath.control.VipView;
import io.panamux.slowpath.pool.PoolStatus;

import static io.panamux.slowpath.admin.AdminHttp.JSON;
import static io.panamux.slowpath.admin.AdminHttp.MAX_BODY;
import static io.panamux.slowpath.admin.AdminHttp.error;
import static io.panamux.slowpath.admin.AdminHttp.json;
import static io.panamux.slowpath.admin.AdminHttp.query;
import static io.panamux.slowpath.admin.AdminHttp.readJson;
import static io.panamux.slowpath.admin.AdminHttp.refusal;
import static io.panamux.slowpath.admin.AdminHttp.requireMethod;
import static io.panamux.slowpath.admin.AdminHttp.send;
import static io.panamux.slowpath.admin.AdminHttp.status;

/**
 * The admin API (ARCHITECTURE.md §5, {@code ctl}): HTTP/JSON on {@code admin.listen}, served by the JDK's
 * {@link HttpServer}, one virtual thread per exchange. Everything it changes, and every read of VIP
 * state, runs on the control thread through {@link ControlAgent#submit}; counters and flow tables are read
 * directly (both are safe from any thread).
 *
 * <h2>Endpoints</h2>
 * <pre>
 *   GET  /v1/vips                      {"hash_seed": "0x...", "vips": [VIP, ...]}
 *   POST /v1/backends/add              {"vip": "192.0.2.10:80/tcp", "address": "10.1.0.3", "weight": 1} -> {"vip": VIP}
 *   POST /v1/backends/remove           {"vip": ..., "address": ...}                                    -> {"vip": VIP}
 *   POST /v1/backends/drain            {"vip": ..., "address": ...}                                    -> {"vip": VIP}
 *   POST /v1/backends/weight           {"vip": ..., "address": ..., "weight": N}                      -> {"vip": VIP}
 *   GET  /v1/stats                     the --stats-json document
 *   GET  /v1/flows?vip=V&amp;limit=N       {"flows": [...], "limit": N, "truncated": bool}
 *   POST /v1/reload                    {"source": ..., "changes": [...], "snapshot_version": N}
 *   GET  /v1/workers                   {"workers": [{"worker": 0, "rx_packets": N, "tx_packets": N, "busy_cycles": N, "duty_cycles": N, ...}]}
 *   GET  /v1/pool                      {"store": ..., "store_reachable": bool, "members": [{"address", "name", "lease_alive", ...}], ...}
 *   GET  /metrics                      Prometheus text format
 *   GET  /                             the status page (one self-contained HTML file reading the endpoints above)
 * </pre>
 * A refused request answers 4xx with {@code {"error": "why"}} (a reload whose file has errors adds
 * {@code "errors": ["FILE:LINE: ...", ...]}) and has changed nothing. With {@code admin.token} set, every
 * request needs {@code Authorization: Bearer TOKEN} (compared in constant time) or gets 401; but for the
 * status page itself, which holds no data (a browser cannot send the header when it opens a page: the page
 * takes the token from its URL fragment, {@code /#token=TOKEN}, and sends it with every request it makes).
 *
 * <h2>Who may ask (the threat model in the README)</h2>
 * Every route, present and future, passes {@link #admit} before it is routed, and nothing of a request's body
 * is read before that:
 * <ul>
 *   <li>{@code Host} must name the listen address (or, on a loopback or wildcard listener, a loopback name or an
 *       address literal): a DNS-rebinding name is refused with 421, so a web page cannot reach a loopback API
 *       through a name it controls;</li>
 *   <li>the token, when one is configured (401);</li>
 *   <li>a change ({@code POST}) must say {@code Content-Type: application/json} (415): a browser sends that
 *       cross-site only after a CORS preflight, which this server never grants, so a page on the MUX host
 *       cannot post a change; and its {@code Content-Length} must be at most 64 KiB (413).</li>
 * </ul>
 * Slow clients cannot starve operators: each exchange runs on its own virtual thread (a client that sends a
 * byte a minute holds one parked virtual thread, not one of two platform threads), a request must be read
 * whole within {@link #MAX_REQUEST_SECONDS} and a response written within {@link #MAX_RESPONSE_SECONDS}
 * (then the JDK server closes the connection), the body of a refused request is not drained, and at most
 * {@link #MAX_CONNECTIONS} connections are open at once.
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
    /** Seconds a client has to send a whole request (headers and body), then its connection is closed. */
    public static final int MAX_REQUEST_SECONDS = 10;
    /** Seconds a client has to take a whole response. */
    public static final int MAX_RESPONSE_SECONDS = 30;
    /** Connections open at once; more wait in the listen backlog. */
    public static final int MAX_CONNECTIONS = 256;

    static
    {
        // The JDK server reads these once, when the process makes its first server (sun.net.httpserver.ServerConfig),
        // so they are set as this class loads, before that; values given on the command line (JAVA_OPTS) win.
        // drainAmount 0: a refused request's body is never read (its connection is closed after the answer).
        defaultProperty("sun.net.httpserver.maxReqTime", Integer.toString(MAX_REQUEST_SECONDS));
        defaultProperty("sun.net.httpserver.maxRspTime", Integer.toString(MAX_RESPONSE_SECONDS));
        defaultProperty("sun.net.httpserver.idleInterval", "30");
        defaultProperty("sun.net.httpserver.drainAmount", "0");
        defaultProperty("jdk.httpserver.maxConnections", Integer.toString(MAX_CONNECTIONS));
    }

    private final HttpServer server;
    private final ExecutorService executor;
    private final AdminTarget target;
    private final byte[] token;
    private final MuxMetrics metrics;
    private final HostCheck hosts;
    /** The pool's store, when this MUX's pool is kept in one (ARCHITECTURE.md §7); null for a pool of files. */
    private volatile PoolAdmin pool;

    private AdminServer(final HttpServer server, final ExecutorService executor, final AdminTarget target, final Optional<String> token,
        final InetSocketAddress listen)
    {
        this.server = server;
        this.hosts = new HostCheck(listen.getAddress());
        this.executor = executor;
        this.target = target;
        this.token = token.map(t -> ("Bearer " + t).getBytes(StandardCharsets.UTF_8)).orElse(null);
        this.metrics = new MuxMetrics(target.stats(), this::viewsOrNone, target.pool());
    }

    /**
     * Makes this MUX's backend changes go to its pool's store, and shows the store's state ({@code /v1/pool},
     * {@code /v1/vips}, {@code /metrics}). Called once, after the start, for a MUX whose pool is in etcd.
     *
     * @param store the pool's configuration in the store.
     */
    public void pool(final PoolAdmin store)
    {
        this.pool = store;
        metrics.pool(store::configStatus);
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
        // A virtual thread per exchange: a client that trickles its request parks one, and operators still get
        // theirs (two platform threads were held for 84 s by two such clients, issue 10).
        final ExecutorService executor = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("panamux-admin-", 1).factory());
        server.setExecutor(executor);
        final AdminServer admin = new AdminServer(server, executor, target, token, listen);
        server.createContext("/", admin::handle);
        server.start();
        return admin;
    }

    private static void defaultProperty(final String name, final String value)
    {
        if (System.getProperty(name) == null)
        {
            System.setProperty(name, value);
        }
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
            final String method = exchange.getRequestMethod();
            final String path = exchange.getRequestURI().getPath();
            try
            {
                admit(exchange, method);
                route(exchange, method, path);
            }
            catch (final ChangeRejectedException e)
            {
                error(exchange, status(e.reason()), e.getMessage());
            }
            catch (final Refused e)
            {
                error(exchange, e.status, e.getMessage());
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

    /**
     * The checks every request passes before it is routed, in this order, without reading its body: the
     * {@code Host} it names, the token, and for a change its content type and length. A refused request is
     * answered at once and its connection closed (its body is never drained).
     */
    private void admit(final HttpExchange exchange, final String method) throws Refused
    {
        final String host = exchange.getRequestHeaders().getFirst("Host");
        if (!hosts.allowed(host))
        {
            throw refusal(exchange, 421, "Host '" + host + "' is not this admin API's address (" + hosts
                + "): use the address, not a name (DNS rebinding protection)");
        }
        if (token != null && !authorized(exchange) && !isStatusPage(exchange))
        {
            exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer");
            throw refusal(exchange, 401, "this MUX requires Authorization: Bearer TOKEN (ctl --token, or PANAMUX_ADMIN_TOKEN)");
        }
        if (method.equals("POST"))
        {
            final String type = exchange.getRequestHeaders().getFirst("Content-Type");
            if (type == null || !type.split(";", 2)[0].trim().equalsIgnoreCase("application/json"))
            {
                throw refusal(exchange, 415, "a change must be sent as Content-Type: application/json");
            }
            final String length = exchange.getRequestHeaders().getFirst("Content-Length");
            if (length != null && Long.parseLong(length.trim()) > MAX_BODY)
            {
                throw refusal(exchange, 413, "request body larger than " + MAX_BODY + " bytes");
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
        throws IOException, ChangeRejectedException, Refused, TimeoutException, InterruptedException
    {
        switch (path)
        {
            case "/v1/vips" ->
            {
                requireMethod(method, "GET");
                final ForwardingSnapshot snapshot = target.snapshot().get();
                json(exchange, 200, JSON.valueToTree(AdminViews.vips(snapshot, pool, views())));
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
                json(exchange, 200, AdminViews.workers(target.workers()));
            }
            case "/v1/pool" ->
            {
                requireMethod(method, "GET");
                final PoolStatus members = target.pool() == null ? null : target.pool().get();
                final PoolAdmin store = pool;
                if (members == null && store == null)
                {
                    throw new ChangeRejectedException(ChangeRejectedException.NOT_FOUND, "this MUX has no pool view");
                }
                json(exchange, 200, AdminViews.pool(members, store));
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
            default -> throw new Refused(404, "no such endpoint: " + method + " " + path);
        }
    }

    private void backendChange(final HttpExchange exchange, final String what)
        throws IOException, ChangeRejectedException, Refused, TimeoutException, InterruptedException
    {
        final BackendChangeRequest request = BackendChangeRequest.read(readJson(exchange), what.equals("weight"));
        final String vip = request.vip();
        final String address = request.address();
        final int weight = request.weightOrDefault();
        final PoolAdmin store = pool;
        if (store != null)
        {
            // A pool in etcd: the change goes into the pool's document, and from there to every MUX (this one too).
            final long revision = store.changeBackend(what, vip, address, weight);
            final String key = BackendChanges.canonicalVipKey(vip);
            AdminMessages.Vip changed = null;
            for (final VipView v : views())
            {
                if (v.vip().equals(key))
                {
                    changed = AdminViews.vip(v);
                }
            }
            json(exchange, 200, JSON.valueToTree(new AdminMessages.BackendChanged(changed, revision)));
            return;
        }
        final BackendChanges changes = target.changes();
        final VipView view = call((control, now) -> switch (what)
        {
            case "add" -> changes.add(vip, address, weight, now);
            case "remove" -> changes.remove(vip, address, now);
            case "drain" -> changes.drain(vip, address, now);
            default -> changes.weight(vip, address, weight, now);
        });
        json(exchange, 200, JSON.valueToTree(new AdminMessages.BackendChanged(AdminViews.vip(view), null)));
    }

    private void reload(final HttpExchange exchange) throws IOException, ChangeRejectedException, Refused, TimeoutException, InterruptedException
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
            json(exchange, status(ChangeRejectedException.Reason.NEEDS_RESTART), JSON.valueToTree(new AdminMessages.Refusal("not reloaded: " +
                target.configSource().description() + " has errors; nothing was changed:\n" + e.getMessage(), List.copyOf(e.errors()))));
            return;
        }
        final BackendChanges changes = target.changes();
        final List<String> summary = call((control, now) -> changes.reload(next, now));
        final JsonNode out = JSON.valueToTree(new AdminMessages.Reloaded(target.configSource().description(), summary,
            target.snapshot().get().version()));
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
        json(exchange, 200, AdminViews.flows(target.snapshot().get(), target.flowTables(), query.get("vip"), limit));
    }

    private <T> T call(final ControlAgent.Command<T> command) throws ChangeRejectedException, TimeoutException, InterruptedException
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

    private List<VipView> views() throws ChangeRejectedException, TimeoutException, InterruptedException
    {
        final BackendChanges changes = target.changes();
        return call((control, now) -> changes.views(now));
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
}
