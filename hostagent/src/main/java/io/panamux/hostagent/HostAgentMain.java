package io.panamux.hostagent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.SystemEpochClock;
import org.agrona.concurrent.SystemNanoClock;
import io.panamux.common.daemon.StopHook;
import io.panamux.common.net.MacAddress;
import io.panamux.fastpath.PanamuxVersion;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import io.panamux.dpdk.DpdkException;
import io.panamux.dpdk.Eal;
import io.panamux.dpdk.EthPort;
import io.panamux.dpdk.PacketPool;
import io.panamux.dpdk.Vdev;
import io.panamux.sys.LogLines;
import io.panamux.sys.SystemdNotify;

/**
 * {@code hostagent --config FILE [--duration SECONDS] [--stats-json FILE]}: runs the host agent beside a
 * backend or a client (see {@link HostAgent}). The counters are written to {@code --stats-json} every second
 * while it runs (replaced atomically) and once more at exit. Stops cleanly on SIGINT/SIGTERM or after
 * {@code --duration}: the agent revokes the Fastpath redirects it gave, the ports are stopped and closed
 * (the tap device disappears), and the exit code is 1 if an mbuf was not back in the pool.
 */
@Command(name = "hostagent", mixinStandardHelpOptions = true, description = "Runs the panamux host agent")
public final class HostAgentMain implements Callable<Integer>
{
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int POOL_SIZE = 8191;
    private static final int DESCRIPTORS = 512;

    @Option(names = "--config", required = true, description = "YAML configuration file")
    Path configFile;

    @Option(names = "--duration", description = "stop cleanly after this many seconds")
    Double duration;

    @Option(names = "--stats-json", description = "write the counters to this file as JSON (every second and at exit)")
    Path statsJson;

    /** The pool in etcd, when the file has a store section. */
    private AgentPool etcdPool;
    /** The running agent, once started (the stats file's table digests). */
    private volatile HostAgent agent;

    @Override
    public Integer call() throws Exception
    {
        // A daemon's lines carry a timestamp and a level (journald and log files alike).
        LogLines.install();
        final HostAgentConfig config;
        try
        {
            // With a store section: the pool document from etcd (or the cache file) merged with the file.
            etcdPool = AgentPool.open(configFile).orElse(null);
            config = etcdPool == null ? HostAgentConfigLoader.load(configFile) : etcdPool.initial();
        }
        catch (final IllegalArgumentException e)
        {
            System.err.println(e.getMessage());
            return 2;
        }
        catch (final RuntimeException e)
        {
            // The etcd client refusing its settings (an endpoint it cannot use): one line, no stack trace.
            System.err.println("hostagent: " + configFile + ": store: " + e.getMessage());
            return 2;
        }
        if (etcdPool != null)
        {
            System.out.println("hostagent: " + etcdPool.origin());
        }
        final EthPort network;
        final EthPort host;
        final PacketPool pool;
        try
        {
            Eal.init(config.eal());
            network = device(config.networkDevice());
            host = device(config.hostDevice());
            pool = PacketPool.create("pmx_ha_pool", POOL_SIZE, 256, PacketPool.DEFAULT_DATA_ROOM, 0);
            for (final EthPort p : new EthPort[] {network, host})
            {
                p.configure(1, 1, 0);
                p.setupRxQueue(0, DESCRIPTORS, pool);
                p.setupTxQueue(0, DESCRIPTORS);
                p.start();
            }
            // The network side sees frames for the host's MAC, not its own: the kernel's address is the tap's.
            network.promiscuous(true);
        }
        catch (final DpdkException e)
        {
            System.err.println("hostagent: " + e.getMessage());
            if (etcdPool != null)
            {
                etcdPool.close();
            }
            return 1;
        }
        final HostAgentCounters counters = new HostAgentCounters();
        final HostAgent agent = new HostAgent(config, network.id(), host.id(), host.macAddress(), pool.address(), counters,
            new SystemNanoClock(), SystemEpochClock.INSTANCE);
        // Idle, back off to a 200 us park: the agent shares the host's cores with the host's own work.
        final AgentRunner runner = new AgentRunner(new BackoffIdleStrategy(100, 10, 1_000, 200_000), Throwable::printStackTrace, null,
            agent);
        AgentRunner.startOnThread(runner);
        this.agent = agent;
        if (etcdPool != null)
        {
            // Later revisions of the document, and PREFIX/agents/NAME on a lease.
            etcdPool.start(agent, counters);
        }
        System.out.printf("hostagent: %s at %s%s: network %s (%s), host %s (%s, mac %s), mtu %d, %d VIP(s) selected here, fastpath %s%n",
            config.name(), Prefix.format(config.address()), config.address6() == null ? "" : " and " + config.address6(), config.networkDevice(), network.info().driverName(), config.hostDevice(),
            host.info().driverName(), MacAddress.format(host.macAddress()), config.mtu(), config.vips().size(),
            config.fastpath().map(f -> "on (port " + f.port() + ", offered to " + f.offerTo() + ", accepted: " + f.accept() + ")").orElse("off"));

        // SIGHUP (systemctl reload): the file is read again, whole; an invalid one, or one that changes what needs a
        // restart, is refused with the reason and the running configuration stays.
        final String noHangup = HangupSignal.install(() -> reload(agent, counters));
        if (noHangup != null)
        {
            System.err.println("hostagent: warning: " + noHangup);
        }

        // The agent cycles from here on (Type=notify units: ready now; nothing outside systemd).
        SystemdNotify.notify("READY=1").ifPresent(why -> System.err.println("hostagent: warning: " + why));
        final StopHook hook = StopHook.install("hostagent-shutdown");
        final CountDownLatch stop = hook.stopRequested();
        final long deadline = duration == null ? Long.MAX_VALUE : System.nanoTime() + (long)(duration * 1e9);
        while (!stop.await(Math.max(1, Math.min(1000, (deadline - System.nanoTime()) / 1_000_000)), TimeUnit.MILLISECONDS))
        {
            writeStats(counters, config, -1);
            if (System.nanoTime() >= deadline)
            {
                break;
            }
        }
        int rc = 0;
        SystemdNotify.notify("STOPPING=1");
        try
        {
            if (etcdPool != null)
            {
                // Out of the pool first: the lease revoked, no revision applied while the ports close.
                etcdPool.close();
            }
            runner.close();
            network.stop();
            host.stop();
            network.close();
            host.close();
            final int inUse = pool.inUse();
            agent.closeTables();
            writeStats(counters, config, inUse);
            System.out.println("hostagent: stopped: " + counters.snapshot() + ", mbufs in use " + inUse);
            if (inUse != 0)
            {
                System.err.println("hostagent: " + inUse + " mbufs were not back in the pool at exit");
                rc = 1;
            }
            else
            {
                pool.close();
            }
            Eal.cleanup();
            hook.exitStatus(rc);
        }
        finally
        {
            hook.stopped();
        }
        return rc;
    }

    private void reload(final HostAgent agent, final HostAgentCounters counters)
    {
        synchronized (this)
        {
            try
            {
                agent.reload(etcdPool == null ? HostAgentConfigLoader.load(configFile) : etcdPool.reloadFile());
                counters.add(HostAgentCounters.RELOADS, 1);
                System.out.println("hostagent: reloaded " + configFile);
            }
            catch (final IllegalArgumentException e)
            {
                counters.add(HostAgentCounters.RELOADS_REFUSED, 1);
                System.err.println("hostagent: reload refused, the running configuration stays: " + e.getMessage());
            }
            System.out.flush();
            System.err.flush();
        }
    }

    private static EthPort device(final String spec)
    {
        final int comma = spec.indexOf(',');
        return Vdev.create(comma < 0 ? spec : spec.substring(0, comma), comma < 0 ? "" : spec.substring(comma + 1));
    }

    private void writeStats(final HostAgentCounters counters, final HostAgentConfig config, final long mbufsInUse)
    {
        if (statsJson == null)
        {
            return;
        }
        final Map<String, Object> out = new LinkedHashMap<>();
        out.put("name", config.name());
        out.putAll(counters.snapshot());
        if (mbufsInUse >= 0)
        {
            out.put("mbufs_in_use", mbufsInUse);
        }
        final HostAgent running = agent;
        if (running != null)
        {
            // Each selected VIP's table digest, as ctl vips --json shows a MUX's; with a store, the document's state.
            out.put("vips", AgentPool.digests(running.selection()));
            if (etcdPool != null && mbufsInUse < 0)
            {
                out.put("pool_config", etcdPool.status(running));
            }
        }
        try
        {
            final Path tmp = statsJson.resolveSibling(statsJson.getFileName() + ".tmp");
            JSON.writeValue(tmp.toFile(), out);
            Files.move(tmp, statsJson, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
        catch (final IOException e)
        {
            System.err.println("hostagent: cannot write " + statsJson + ": " + e.getMessage());
        }
    }

    /**
     * Runs the agent and exits with its code.
     *
     * @param args the command line.
     */
    public static void main(final String[] args)
    {
        final CommandLine command = new CommandLine(new HostAgentMain());
        command.getCommandSpec().versionProvider(() -> new String[] {PanamuxVersion.line()});
        final int rc = command.execute(args);
        System.out.flush();
        System.err.flush();
        // DPDK's threads are not daemons: exit explicitly with the command's code.
        Runtime.getRuntime().halt(rc);
    }
}
