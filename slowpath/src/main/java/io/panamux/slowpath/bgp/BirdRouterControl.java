package io.panamux.slowpath.bgp;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.panamux.slowpath.config.BgpSettings;
import io.panamux.slowpath.config.IpAddress;
import io.panamux.slowpath.router.RouterControl;
import io.panamux.slowpath.router.RouterSession;

/**
 * {@link RouterControl} through a real BGP speaker: a BIRD 2 daemon that this MUX starts, owns and drives
 * (the {@code router.bgp} section of the configuration, {@link BgpSettings}).
 *
 * <h2>What the router is told</h2>
 * The instructions are kept per VIP key; BGP routes addresses, so they are folded per VIP address: an
 * address is announced when one of its keys is, with the MUX as next hop if any of its keys goes to the
 * pool, or with the backend as next hop when every key on it is routed {@link #routeDirect directly} to the
 * same backend (the single-backend bypass). The folded state is rendered whole into the speaker's
 * configuration ({@link BirdConfig}) and applied with {@code birdc configure}: BIRD then sends the router
 * only the difference, and sessions are not reset.
 *
 * <h2>Never blocking the control thread</h2>
 * The RouterControl methods only record the instruction and wake the speaker's own thread, which writes the
 * file and runs {@code birdc}; several instructions in a row are applied at once. A failed apply is retried
 * every second until it succeeds.
 *
 * <h2>Withdrawal when the MUX stops, however it stops</h2>
 * {@link #close()} stops BIRD, which closes its sessions with a Cease notification: every router withdraws
 * the MUX's routes at once. If the MUX process dies without closing (a crash, SIGKILL), BIRD dies with it:
 * it is started through {@code setpriv --pdeathsig KILL} from the speaker's thread, which lives as long as
 * the MUX, so the kernel kills BIRD when that thread goes, its TCP sessions close, and the routers withdraw
 * just as fast. A MUX whose data path stops while the process lives withdraws its VIPs (the control thread's
 * data-path watchdog, or {@link #withdrawAll()}).
 *
 * <h2>A speaker that dies on its own</h2>
 * If BIRD exits while the MUX runs, the routers withdraw the MUX (its sessions closed); BIRD is started
 * again a second later and told the whole current state, so it comes back announcing exactly what the MUX
 * wants.
 *
 * <p>Thread-safe: instructions come from the control thread, reads ({@link #routes()}) from anywhere.
 */
public final class BirdRouterControl implements RouterSession
{
    /** How long a failed apply, or a restart of a BIRD that exited, waits before the next try. */
    static final long RETRY_MILLIS = 1000;
    /** How long BIRD may take to open its control socket at start. */
    static final long START_TIMEOUT_MILLIS = 10_000;
    /** How long BIRD may take to close its sessions and exit after SIGTERM. */
    static final long STOP_TIMEOUT_MILLIS = 5_000;

    /** Runs {@code birdc -s SOCKET configure}; replaced in tests. */
    interface Reconfigurer
    {
        /**
         * @param socket the speaker's control socket.
         * @return null when BIRD took the configuration, else what went wrong.
         */
        String configure(Path socket) throws IOException, InterruptedException;
    }

    private final BgpSettings settings;
    private final PrintStream log;
    private final Path configFile;
    private final Path socket;
    private final Path birdLog;
    private final Reconfigurer reconfigurer;
    private final boolean startDaemon;
    private final ExecutorService speakerThread;
    private final Map<String, Route> byKey = new LinkedHashMap<>();
    private SortedMap<IpAddress, Optional<IpAddress>> applied;
    private boolean applyPending;
    private boolean closed;
    private Process daemon;
    private long applies;
    private long starts;

    private record Route(IpAddress vip, IpAddress direct)
    {
    }

    private BirdRouterControl(final BgpSettings settings, final PrintStream log, final Reconfigurer reconfigurer, final boolean startDaemon)
    {
        this.settings = settings;
        this.log = log;
        this.configFile = settings.runDirectory().resolve("bird.conf");
        this.socket = settings.socket();
        this.birdLog = settings.runDirectory().resolve("bird.log");
        this.reconfigurer = reconfigurer;
        this.startDaemon = startDaemon;
        this.speakerThread = Executors.newSingleThreadExecutor(r ->
        {
            final Thread t = new Thread(r, "panamux-bgp");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Writes the speaker's configuration (announcing nothing yet), starts BIRD in the foreground of its own
     * process, tied to this process's life, and waits until it takes commands.
     *
     * @param settings the speaker's settings.
     * @param log      where the speaker's changes are reported, one line each.
     * @return the running router control.
     * @throws IOException when the run directory cannot be written, or BIRD or birdc is missing, or BIRD
     *                     exits or does not open its control socket in time (its log's last lines are in
     *                     the message).
     */
    public static BirdRouterControl start(final BgpSettings settings, final PrintStream log) throws IOException
    {
        final String birdc = settings.birdc();
        final BirdRouterControl control = new BirdRouterControl(settings, log, socket -> birdc(birdc, socket), true);
        try
        {
            control.launch();
        }
        catch (final IOException | RuntimeException e)
        {
            control.close();
            throw e;
        }
        return control;
    }

    /** A control whose applies go to {@code reconfigurer} and which starts no daemon (tests). */
    static BirdRouterControl forTest(final BgpSettings settings, final PrintStream log, final Reconfigurer reconfigurer) throws IOException
    {
        final BirdRouterControl control = new BirdRouterControl(settings, log, reconfigurer, false);
        control.launch();
        return control;
    }

    private void launch() throws IOException
    {
        Files.createDirectories(settings.runDirectory());
        final SortedMap<IpAddress, Optional<IpAddress>> none = new TreeMap<>();
        writeConfig(none);
        applied = none;
        if (!startDaemon)
        {
            return;
        }
        for (final String program : List.of(settings.bird(), settings.birdc()))
        {
            if (!Files.isExecutable(Path.of(program)))
            {
                throw new IOException(program + " is not an executable program (BIRD 2: Debian package bird2; router.bgp.bird and " +
                    "router.bgp.birdc name others)");
            }
        }
        final Process started;
        try
        {
            // Started from the speaker's thread: --pdeathsig follows the thread that forked, and that thread
            // lives exactly as long as this control.
            started = speakerThread.submit(this::spawn).get();
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while starting BIRD", e);
        }
        catch (final ExecutionException e)
        {
            throw new IOException("cannot start BIRD (" + settings.bird() + "): " + e.getCause().getMessage(), e.getCause());
        }
        awaitSocket(started);
        log.println("panamux: bgp: speaker started (BIRD, pid " + started.pid() + ", AS " + settings.localAs() + ", neighbors "
            + settings.neighbors().stream().map(n -> n.address() + " AS " + n.as()).toList() + ")");
    }

    /** Starts BIRD on the speaker's thread, with the configuration file as it is now. */
    private Process spawn() throws IOException
    {
        Files.deleteIfExists(socket);
        final Process p = new ProcessBuilder("setpriv", "--pdeathsig", "KILL", "--", settings.bird(), "-f",
            "-c", configFile.toString(), "-s", socket.toString(), "-P", settings.runDirectory().resolve("bird.pid").toString())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(birdLog.toFile()))
            .start();
        synchronized (this)
        {
            daemon = p;
            starts++;
        }
        p.onExit().thenAccept(this::exited);
        return p;
    }

    private void awaitSocket(final Process p) throws IOException
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_TIMEOUT_MILLIS);
        try
        {
            while (!Files.exists(socket))
            {
                if (!p.isAlive())
                {
                    throw new IOException("BIRD exited at start (status " + p.exitValue() + "): " + logTail());
                }
                if (System.nanoTime() - deadline > 0)
                {
                    throw new IOException("BIRD did not open its control socket " + socket + " within " + START_TIMEOUT_MILLIS + " ms: " +
                        logTail());
                }
                Thread.sleep(10);
            }
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while starting BIRD", e);
        }
    }

    private String logTail()
    {
        try
        {
            final List<String> lines = Files.readAllLines(birdLog, StandardCharsets.UTF_8);
            return lines.isEmpty() ? "(" + birdLog + " is empty)" : String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
        }
        catch (final IOException e)
        {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** BIRD ended: on purpose ({@link #close}), or on its own, when it is started again. */
    private void exited(final Process p)
    {
        synchronized (this)
        {
            if (closed || p != daemon)
            {
                return;
            }
        }
        log.println("panamux: bgp: BIRD (pid " + p.pid() + ") exited with status " + p.exitValue() +
            ": the routers withdraw this MUX; starting it again in " + RETRY_MILLIS + " ms (log " + birdLog + ")");
        later(() ->
        {
            synchronized (this)
            {
                if (closed)
                {
                    return;
                }
            }
            try
            {
                final Process again = spawn();
                log.println("panamux: bgp: speaker started again (BIRD, pid " + again.pid() + ")");
                synchronized (this)
                {
                    // BIRD read the file as last written; telling it the whole state again makes sure.
                    applied = null;
                    schedule();
                }
            }
            catch (final IOException e)
            {
                log.println("panamux: bgp: cannot start BIRD again (" + e.getMessage() + "); retrying in " + RETRY_MILLIS + " ms");
                final Process failed = daemon;
                if (failed != null && !failed.isAlive())
                {
                    exited(failed);
                }
            }
        });
    }

    /** Runs {@code task} on the speaker's thread after {@link #RETRY_MILLIS}, unless closed by then. */
    private void later(final Runnable task)
    {
        Thread.ofVirtual().start(() ->
        {
            try
            {
                Thread.sleep(RETRY_MILLIS);
                if (!speakerThread.isShutdown())
                {
                    speakerThread.execute(task);
                }
            }
            catch (final InterruptedException | RejectedExecutionException e)
            {
                // Closing: nothing more to do.
            }
        });
    }

    @Override
    public synchronized void announce(final String vipKey, final IpAddress vip)
    {
        byKey.put(vipKey, new Route(vip, null));
        schedule();
    }

    @Override
    public synchronized void withdraw(final String vipKey, final IpAddress vip)
    {
        byKey.remove(vipKey);
        schedule();
    }

    @Override
    public synchronized void routeDirect(final String vipKey, final IpAddress vip, final IpAddress backend)
    {
        byKey.put(vipKey, new Route(vip, backend));
        schedule();
    }

    @Override
    public synchronized void routeToPool(final String vipKey, final IpAddress vip)
    {
        byKey.put(vipKey, new Route(vip, null));
        schedule();
    }

    /** Withdraws every VIP; the speaker keeps its sessions. */
    public synchronized void withdrawAll()
    {
        byKey.clear();
        schedule();
    }

    /**
     * @return what the router is to be told now, per VIP address: {@code pool} (this MUX as next hop) or
     * {@code direct BACKEND}.
     */
    public synchronized Map<String, String> routes()
    {
        final Map<String, String> out = new LinkedHashMap<>();
        fold().forEach((vip, direct) -> out.put(vip.toString(), direct.map(b -> "direct " + b).orElse("pool")));
        return out;
    }

    /** @return how many configurations BIRD has taken. */
    public synchronized long applies()
    {
        return applies;
    }

    /** @return whether everything recorded so far has been applied to BIRD. */
    public synchronized boolean settled()
    {
        return !applyPending && fold().equals(applied);
    }

    /** @return BIRD's process id now, or -1 when none runs. */
    public synchronized long daemonPid()
    {
        return daemon != null && daemon.isAlive() ? daemon.pid() : -1;
    }

    /** @return how many times BIRD was started (more than once when it died and was started again). */
    public synchronized long starts()
    {
        return starts;
    }

    private SortedMap<IpAddress, Optional<IpAddress>> fold()
    {
        final Map<IpAddress, List<Route>> byAddress = new LinkedHashMap<>();
        for (final Route r : byKey.values())
        {
            byAddress.computeIfAbsent(r.vip(), a -> new ArrayList<>()).add(r);
        }
        final SortedMap<IpAddress, Optional<IpAddress>> out = new TreeMap<>();
        byAddress.forEach((vip, list) ->
        {
            final IpAddress first = list.get(0).direct();
            // A backend of the other family cannot be the router's next hop for this address: the pool keeps it.
            final boolean allDirectToOne = first != null && BirdConfig.directable(vip, first) &&
                list.stream().allMatch(r -> first.equals(r.direct()));
            out.put(vip, allDirectToOne ? Optional.of(first) : Optional.empty());
        });
        return out;
    }

    private void schedule()
    {
        if (closed || applyPending)
        {
            return;
        }
        applyPending = true;
        speakerThread.execute(this::apply);
    }

    private void apply()
    {
        final SortedMap<IpAddress, Optional<IpAddress>> wanted;
        final SortedMap<IpAddress, Optional<IpAddress>> before;
        synchronized (this)
        {
            applyPending = false;
            if (closed)
            {
                return;
            }
            wanted = fold();
            before = applied;
            if (wanted.equals(before))
            {
                return;
            }
        }
        String problem;
        try
        {
            writeConfig(wanted);
            problem = reconfigurer.configure(socket);
        }
        catch (final IOException | RuntimeException e)
        {
            // Never out of this method: the speaker's thread must live, or --pdeathsig kills BIRD.
            problem = e.toString();
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
            return;
        }
        synchronized (this)
        {
            if (problem == null)
            {
                applied = wanted;
                applies++;
                log.println("panamux: bgp: " + describe(before == null ? new TreeMap<>() : before, wanted));
            }
            else if (!closed)
            {
                log.println("panamux: bgp: cannot apply (" + problem.strip() + "); retrying in " + RETRY_MILLIS + " ms");
                applyPending = true;
                later(this::apply);
            }
        }
    }

    private static String describe(final SortedMap<IpAddress, Optional<IpAddress>> before, final SortedMap<IpAddress, Optional<IpAddress>> after)
    {
        final List<String> parts = new ArrayList<>();
        after.forEach((vip, direct) ->
        {
            if (!direct.equals(before.get(vip)))
            {
                parts.add("announce " + vip + direct.map(b -> " via backend " + b).orElse(" via this MUX"));
            }
        });
        before.keySet().stream().filter(vip -> !after.containsKey(vip)).forEach(vip -> parts.add("withdraw " + vip));
        return parts.isEmpty() ? "announcing " + after.keySet() + " (unchanged, applied again)" : String.join(", ", parts);
    }

    private void writeConfig(final SortedMap<IpAddress, Optional<IpAddress>> routes) throws IOException
    {
        final Path tmp = configFile.resolveSibling("bird.conf.tmp");
        Files.writeString(tmp, BirdConfig.render(settings, routes), StandardCharsets.UTF_8);
        Files.move(tmp, configFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static String birdc(final String birdc, final Path socket) throws IOException, InterruptedException
    {
        final Process p = new ProcessBuilder(birdc, "-s", socket.toString(), "configure")
            .redirectErrorStream(true).start();
        final String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(10, TimeUnit.SECONDS))
        {
            p.destroyForcibly();
            return "birdc timed out";
        }
        // "Reconfigured", or "Reconfiguration in progress" while BIRD finishes the previous one.
        return p.exitValue() == 0 && output.contains("Reconfigur") ? null : output;
    }

    /**
     * Stops the speaker: BIRD closes its sessions with a Cease notification, and the routers withdraw every
     * route of this MUX at once. Returns once BIRD has exited (or after {@link #STOP_TIMEOUT_MILLIS}, when it
     * is killed).
     */
    @Override
    public void close()
    {
        synchronized (this)
        {
            if (closed)
            {
                return;
            }
            closed = true;
        }
        try
        {
            // BIRD is stopped from the speaker's thread, before that thread ends (its end would SIGKILL BIRD
            // through --pdeathsig): SIGTERM makes BIRD send Cease on every session first.
            speakerThread.submit(() ->
            {
                final Process p;
                synchronized (this)
                {
                    p = daemon;
                }
                if (p != null && p.isAlive())
                {
                    p.destroy();
                    if (!p.waitFor(STOP_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS))
                    {
                        p.destroyForcibly();
                    }
                    log.println("panamux: bgp: speaker stopped: every route of this MUX withdrawn");
                }
                return null;
            }).get(STOP_TIMEOUT_MILLIS + 15_000, TimeUnit.MILLISECONDS);
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
        }
        catch (final ExecutionException | TimeoutException e)
        {
            log.println("panamux: bgp: stopping the speaker failed: " + e);
        }
        finally
        {
            speakerThread.shutdown();
        }
    }
}
