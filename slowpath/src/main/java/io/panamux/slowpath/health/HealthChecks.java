package io.panamux.slowpath.health;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.panamux.slowpath.config.HealthCheckConfig;
import io.panamux.slowpath.config.HealthCheckType;
import io.panamux.slowpath.config.IpAddress;
import io.panamux.slowpath.control.BackendWatcher;
import io.panamux.slowpath.control.ControlAgent;
import io.panamux.slowpath.control.WatchedBackend;

/**
 * Health checks of every watched backend (ARCHITECTURE.md §1, item 2's "from health checks"), run on the
 * control thread without ever blocking it: non-blocking NIO sockets and one {@link Selector} polled with
 * {@link Selector#selectNow()} once per duty cycle.
 *
 * <p>A check is a TCP connect to {@code backend:port} ({@code tcp}), or a connect, then
 * {@code GET path HTTP/1.0} and the status line of the answer ({@code http}: good when the status is the
 * expected one). It fails when the connection is refused or reset, the status differs, or it is not done
 * {@code timeout-ms} after it started. A check starts every {@code interval-ms}. A backend starts healthy
 * (so a MUX that starts does not hold traffic back until its first checks pass); {@code fall} failures in
 * a row make it unhealthy and {@code rise} successes in a row healthy again, and each change of verdict is
 * told to the {@link HealthListener}. A check with {@code through-tunnel} is a TCP handshake with the VIP
 * through the tunnel instead ({@link TunnelProbes}), judged by the same thresholds. Control thread only.
 */
public final class HealthChecks implements ControlAgent.Duty, BackendWatcher
{
    /** The most response bytes read looking for the status line. */
    static final int MAX_RESPONSE = 1024;

    /** The state of one watched backend. */
    private static final class Check
    {
        final WatchedBackend target;
        final InetSocketAddress socketAddress;
        boolean healthy = true;
        int successes;
        int failures;
        long nextStartNs;
        long deadlineNs;
        SocketChannel channel;
        TunnelProbes.Probe probe;
        boolean connected;
        ByteBuffer request;
        ByteBuffer response;
        String lastProblem = "";
        long checks;

        Check(final WatchedBackend target, final long nowNs)
        {
            this.target = target;
            this.socketAddress = new InetSocketAddress(inetAddress(target.address()), target.check().port());
            this.nextStartNs = nowNs;
        }

        boolean inFlight()
        {
            return channel != null || probe != null;
        }
    }

    /**
     * One backend's health as last judged.
     *
     * @param vipKey      the VIP.
     * @param backend     the backend.
     * @param healthy     the verdict.
     * @param checks      checks completed so far.
     * @param lastProblem why the last failed check failed, or empty.
     */
    public record Status(String vipKey, IpAddress backend, boolean healthy, long checks, String lastProblem)
    {
    }

    private final HealthListener listener;
    private final Selector selector;
    private final Map<String, Check> checks = new LinkedHashMap<>();
    private TunnelProbes tunnel;
    private PrintStream log;

    /**
     * @param listener told of every change of verdict.
     * @throws UncheckedIOException when no selector can be opened.
     */
    public HealthChecks(final HealthListener listener)
    {
        this.listener = listener;
        try
        {
            this.selector = Selector.open();
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException("cannot open a selector for health checks", e);
        }
    }

    /**
     * Logs every change of verdict ({@code panamux: health: VIP BACKEND unhealthy (...)}), one line each.
     *
     * @param log where the lines go.
     * @return this.
     */
    public HealthChecks log(final PrintStream log)
    {
        this.log = log;
        return this;
    }

    /**
     * Attaches the probes of checks through the tunnel ({@code through-tunnel: true}); without them such
     * checks fail ("no tunnel probes on this MUX").
     *
     * @param probes the probes, built with {@link #probeListener()} as their listener.
     * @return this.
     */
    public HealthChecks tunnelProbes(final TunnelProbes probes)
    {
        this.tunnel = probes;
        return this;
    }

    /** @return the listener to build the {@link TunnelProbes} with: their verdicts go to the same rise/fall. */
    public TunnelProbes.Listener probeListener()
    {
        return (probe, good, problem, nowNs) ->
        {
            final Check c = (Check)probe.attachment();
            if (c.probe == probe)
            {
                c.probe = null;
                finish(c, good, problem, nowNs);
            }
        };
    }

    @Override
    public void watch(final List<WatchedBackend> backends, final long nowNs)
    {
        final Map<String, Check> next = new LinkedHashMap<>();
        for (final WatchedBackend b : backends)
        {
            final String id = id(b);
            final Check existing = checks.remove(id);
            if (existing != null && existing.target.equals(b))
            {
                next.put(id, existing);
                continue;
            }
            final Check fresh = new Check(b, nowNs);
            if (existing != null)
            {
                // New settings for the same backend (a reload): the new check goes on from the verdict the
                // listener was last told, else a backend that is down now would never be reported up again.
                fresh.healthy = existing.healthy;
                close(existing);
            }
            next.put(id, fresh);
        }
        for (final Check gone : checks.values())
        {
            close(gone);
        }
        checks.clear();
        checks.putAll(next);
    }

    @Override
    public int doWork(final long nowNs)
    {
        int work = tunnel == null ? 0 : tunnel.poll(nowNs);
        if (checks.isEmpty())
        {
            return work;
        }
        try
        {
            if (selector.selectNow() > 0)
            {
                final Iterator<SelectionKey> ready = selector.selectedKeys().iterator();
                while (ready.hasNext())
                {
                    final SelectionKey key = ready.next();
                    ready.remove();
                    work++;
                    onReady(key, (Check)key.attachment(), nowNs);
                }
            }
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException("health-check selector failed", e);
        }
        // Verdicts may change the watched set (a listener may call watch): iterate over a copy.
        for (final Check c : new ArrayList<>(checks.values()))
        {
            if (c.inFlight() && nowNs - c.deadlineNs >= 0)
            {
                if (c.probe != null)
                {
                    tunnel.cancel(c.probe, true);
                    c.probe = null;
                }
                finish(c, false, "no answer within " + c.target.check().timeoutMs() + " ms" + (c.target.check().throughTunnel()
                    ? " through the tunnel" : ""), nowNs);
                work++;
            }
            else if (!c.inFlight() && nowNs - c.nextStartNs >= 0)
            {
                start(c, nowNs);
                work++;
            }
        }
        return work;
    }

    private void start(final Check c, final long nowNs)
    {
        final HealthCheckConfig cfg = c.target.check();
        c.nextStartNs = nowNs + cfg.intervalMs() * 1_000_000L;
        c.deadlineNs = nowNs + cfg.timeoutMs() * 1_000_000L;
        c.connected = false;
        if (cfg.throughTunnel())
        {
            if (tunnel == null)
            {
                finish(c, false, "no tunnel probes on this MUX", nowNs);
                return;
            }
            c.probe = tunnel.start(c.target, c, nowNs);
            if (c.probe == null)
            {
                // The MUX could not send it (no mbuf, gateway not resolved yet, TX full): that says nothing
                // about the backend, so no verdict; the next check starts on schedule.
                c.lastProblem = "probe not sent: " + tunnel.lastFailure();
            }
            return;
        }
        try
        {
            final SocketChannel channel = SocketChannel.open();
            c.channel = channel;
            channel.configureBlocking(false);
            if (cfg.type() == HealthCheckType.HTTP)
            {
                c.request = ByteBuffer.wrap(httpRequest(c.target.address(), cfg));
                c.response = ByteBuffer.allocate(MAX_RESPONSE);
            }
            if (channel.connect(c.socketAddress))
            {
                connected(c, nowNs);
            }
            else
            {
                channel.register(selector, SelectionKey.OP_CONNECT, c);
            }
        }
        catch (final IOException e)
        {
            finish(c, false, "connect: " + describe(e), nowNs);
        }
    }

    private void onReady(final SelectionKey key, final Check c, final long nowNs)
    {
        if (c.channel != key.channel())
        {
            key.cancel();
            return;
        }
        try
        {
            if (key.isConnectable())
            {
                c.channel.finishConnect();
                connected(c, nowNs);
            }
            else if (key.isWritable())
            {
                write(c);
            }
            else if (key.isReadable())
            {
                read(c, nowNs);
            }
        }
        catch (final IOException e)
        {
            finish(c, false, (c.connected ? "" : "connect: ") + describe(e), nowNs);
        }
    }

    private void connected(final Check c, final long nowNs) throws IOException
    {
        c.connected = true;
        if (c.target.check().type() == HealthCheckType.TCP)
        {
            finish(c, true, "", nowNs);
            return;
        }
        write(c);
    }

    private void write(final Check c) throws IOException
    {
        c.channel.write(c.request);
        c.channel.register(selector, c.request.hasRemaining() ? SelectionKey.OP_WRITE : SelectionKey.OP_READ, c);
    }

    private void read(final Check c, final long nowNs) throws IOException
    {
        final int n = c.channel.read(c.response);
        final String verdict = judge(c.response.array(), c.response.position(), n < 0, c.target.check().expectStatus());
        if (verdict != null)
        {
            finish(c, verdict.isEmpty(), verdict, nowNs);
        }
    }

    /**
     * @param host the address the request goes to (the backend's, or the VIP's through the tunnel).
     * @param cfg  the check.
     * @return the check's request: {@code GET path HTTP/1.0}, {@code Host}, {@code Connection: close}.
     */
    static byte[] httpRequest(final IpAddress host, final HealthCheckConfig cfg)
    {
        final String name = host.ipv6() ? "[" + host + "]" : host.toString();
        return ("GET " + cfg.path() + " HTTP/1.0\r\nHost: " + name + ":" + cfg.port() +
            "\r\nUser-Agent: panamux-health-check\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * Judges the start of an HTTP answer by its status line.
     *
     * @param response the bytes received so far.
     * @param length   how many.
     * @param closed   whether the server closed the connection (nothing more will come).
     * @param expected the status a healthy backend answers.
     * @return null while the status line is incomplete and more may come ({@link #MAX_RESPONSE} bytes at
     *         most), "" when good, else the problem.
     */
    static String judge(final byte[] response, final int length, final boolean closed, final int expected)
    {
        final String text = new String(response, 0, length, StandardCharsets.ISO_8859_1);
        final int eol = text.indexOf("\r\n");
        if (eol < 0 && !closed && length < MAX_RESPONSE)
        {
            return null;
        }
        final String statusLine = eol < 0 ? text : text.substring(0, eol);
        final String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/"))
        {
            return closed && text.isEmpty() ? "connection closed without an answer" : "not an HTTP answer";
        }
        return parts[1].equals(Integer.toString(expected)) ? "" : "HTTP status " + parts[1] + ", expected " + expected;
    }

    private void finish(final Check c, final boolean good, final String problem, final long nowNs)
    {
        close(c);
        c.checks++;
        if (good)
        {
            c.failures = 0;
            c.successes++;
        }
        else
        {
            c.successes = 0;
            c.failures++;
            c.lastProblem = problem;
        }
        final HealthCheckConfig cfg = c.target.check();
        if (c.healthy && c.failures >= cfg.fall())
        {
            c.healthy = false;
            logChange(c, "unhealthy (" + c.failures + " failed check(s), the last: " + problem + ")");
            listener.healthChanged(c.target.vipKey(), c.target.address(), false, nowNs);
        }
        else if (!c.healthy && c.successes >= cfg.rise())
        {
            c.healthy = true;
            logChange(c, "healthy (" + c.successes + " good check(s))");
            listener.healthChanged(c.target.vipKey(), c.target.address(), true, nowNs);
        }
    }

    private void logChange(final Check c, final String what)
    {
        if (log != null)
        {
            log.println("panamux: health: " + c.target.vipKey() + " " + c.target.address() +
                (c.target.check().throughTunnel() ? " (through the tunnel) " : " ") + what);
        }
    }

    private void close(final Check c)
    {
        if (c.probe != null)
        {
            tunnel.cancel(c.probe, false);
            c.probe = null;
        }
        if (c.channel != null)
        {
            try
            {
                // Closing deregisters the channel from the selector at its next selection.
                c.channel.close();
            }
            catch (final IOException ignore)
            {
                // Nothing to do about a socket that cannot be closed cleanly: it is gone either way.
            }
            c.channel = null;
        }
    }

    /** @return every watched backend's health. */
    public List<Status> statuses()
    {
        final List<Status> out = new ArrayList<>();
        for (final Check c : checks.values())
        {
            out.add(new Status(c.target.vipKey(), c.target.address(), c.healthy, c.checks, c.lastProblem));
        }
        return out;
    }

    @Override
    public void onClose()
    {
        for (final Check c : checks.values())
        {
            close(c);
        }
        checks.clear();
        try
        {
            selector.close();
        }
        catch (final IOException ignore)
        {
            // The process is stopping.
        }
    }

    private static String id(final WatchedBackend b)
    {
        return b.vipKey() + " " + b.address();
    }

    private static String describe(final IOException e)
    {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    private static InetAddress inetAddress(final IpAddress a)
    {
        final ByteBuffer bytes = ByteBuffer.allocate(a.ipv6() ? 16 : 4);
        if (a.ipv6())
        {
            bytes.putLong(a.high()).putLong(a.low());
        }
        else
        {
            bytes.putInt(a.ipv4());
        }
        try
        {
            return InetAddress.getByAddress(bytes.array());
        }
        catch (final UnknownHostException e)
        {
            throw new IllegalStateException(e);
        }
    }
}
