package io.panamux.slowpath;

import java.io.IOException;
import java.nio.file.Path;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

import io.panamux.common.daemon.StopHook;
import io.panamux.dpdk.DpdkException;
import io.panamux.dpdk.Eal;
import io.panamux.dpdk.EthPort;
import io.panamux.fastpath.WorkerAgent;
import io.panamux.slowpath.admin.AdminServer;
import io.panamux.slowpath.admin.AdminTarget;
import io.panamux.slowpath.config.Admin;
import io.panamux.slowpath.config.ConfigException;
import io.panamux.slowpath.config.ConfigLoader;
import io.panamux.slowpath.config.ConfigSource;
import io.panamux.slowpath.config.HashSeed;
import io.panamux.slowpath.config.FileConfigSource;
import io.panamux.slowpath.config.MuxConfig;
import io.panamux.slowpath.config.StoreSettings;
import io.panamux.slowpath.control.ChangeRejectedException;
import io.panamux.slowpath.control.DataPathWatchdog;
import io.panamux.slowpath.config.StaticPoolMembership;
import io.panamux.slowpath.pool.EtcdPoolMembership;
import io.panamux.slowpath.pool.PoolStatus;
import io.panamux.slowpath.store.EtcdConfigSource;
import io.panamux.slowpath.store.EtcdStore;
import io.panamux.slowpath.store.PoolConfigFollower;
import io.panamux.slowpath.store.StoreUnavailableException;
import io.panamux.sys.LogLines;
import io.panamux.sys.SystemdNotify;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./panamux run --config FILE [--duration SECONDS] [--stats-json FILE]}: the MUX daemon. Stops
 * cleanly on SIGINT/SIGTERM or after {@code --duration}, then writes the final counters.
 */
@Command(name = "run", mixinStandardHelpOptions = true, description = "Runs the MUX daemon")
public final class RunCommand implements Callable<Integer>
{
    @Option(names = "--config", required = true, description = "YAML configuration file")
    Path configFile;

    @Option(names = "--duration", description = "stop cleanly after this many seconds")
    Double duration;

    @Option(names = "--stats-json", description = "write the final counters to this file as JSON")
    Path statsJson;

    /** The etcd client of the pool's membership, with a {@code store} section. */
    private EtcdStore poolStore;

    /**
     * The start-up line that shows the flow-hash seed and where it came from, with what to do for the rest of
     * the pool (issue 10: every MUX, and every host agent that selects at the source, needs the same one).
     */
    static String hashSeedLine(final io.panamux.slowpath.config.Mux mux, final Path configFile)
    {
        final String seed = "0x" + Long.toHexString(mux.hashSeed());
        return "panamux: hash-seed " + seed + " (" + switch (mux.hashSeedSource())
        {
            case CONFIGURED -> "mux.hash-seed";
            case DERIVED_FROM_PEERS_KEY -> "derived from peers.key: every MUX with that key has it; give it to host agents as hash-seed";
            case GENERATED -> "generated and kept in " + HashSeed.fileFor(configFile) + ": give every MUX of the pool mux.hash-seed: " + seed
                + " and host agents hash-seed: " + seed;
            case DEFAULT -> "the public default: set mux.hash-seed";
        } + ")";
    }

    /**
     * Tells systemd ({@code Type=notify}) the MUX is ready once every worker completes duty cycles (the
     * watchdog's {@code FORWARDING}, when the VIPs are announced), not when the process starts: units
     * ordered after it then find a MUX that forwards. Does nothing outside systemd.
     */
    private static void notifyReadyWhenForwarding(final Mux mux, final CountDownLatch stop)
    {
        if (!SystemdNotify.enabled())
        {
            return;
        }
        final Thread t = new Thread(() ->
        {
            try
            {
                while (mux.watchdog().state() != DataPathWatchdog.State.FORWARDING)
                {
                    if (stop.await(20, TimeUnit.MILLISECONDS))
                    {
                        return;
                    }
                }
                SystemdNotify.notify("READY=1\nSTATUS=forwarding: " + mux.workers().size() + " worker(s) cycling")
                    .ifPresent(why -> System.err.println("panamux: warning: " + why));
            }
            catch (final InterruptedException e)
            {
                Thread.currentThread().interrupt();
            }
        }, "panamux-sd-notify");
        t.setDaemon(true);
        t.start();
    }

    /**
     * With a {@code store} section: this MUX's registration under the pool's prefix and the live members (one etcd
     * client of its own; calls are bounded, so an unreachable etcd delays nothing here).
     *
     * @return the membership, or null for a pool kept in files.
     */
    private EtcdPoolMembership poolMembers(final MuxConfig config)
    {
        if (config.store().isEmpty())
        {
            return null;
        }
        final StoreSettings settings = config.store().get();
        final EtcdStore store = EtcdStore.connect(settings);
        final EtcdPoolMembership members = new EtcdPoolMembership(store, settings, config.mux().address(), config.mux().name(),
            EtcdPoolMembership.announcedEndpoint(config), System.out);
        poolStore = store;
        System.out.println("panamux: pool: members from " + store + " under " + settings.membersPrefix() + " (lease " +
            settings.leaseSeconds() + " s)");
        return members;
    }

    private static Supplier<PoolStatus> poolStatus(final MuxConfig config, final EtcdPoolMembership members, final Mux mux,
        final java.util.function.LongSupplier appliedRevision)
    {
        if (members == null)
        {
            return () -> PoolStatus.ofFile(mux.poolMembers(), config.mux().address(), config.mux().name());
        }
        final String store = "etcd " + config.store().get().endpoints() + " " + config.store().get().prefix();
        return () ->
        {
            // The pool document's follower knows the revision in force; the member key carries it to the others.
            final long revision = appliedRevision.getAsLong();
            members.appliedRevision(revision);
            return PoolStatus.ofStore(members, store, revision, mux.poolMembers(), config.mux().address());
        };
    }

    private void leave(final EtcdPoolMembership members)
    {
        if (members != null)
        {
            members.close();
        }
        if (poolStore != null)
        {
            poolStore.close();
            poolStore = null;
        }
    }

    /** Applies a new pool document's configuration as {@code ctl reload} does: on the control thread, whole or not at all. */
    @SuppressWarnings("unchecked")
    private static List<String> apply(final Mux mux, final MuxConfig next) throws ChangeRejectedException
    {
        try
        {
            return (List<String>)mux.control().submit((control, now) -> mux.backendChanges().reload(next, now)).get(10, TimeUnit.SECONDS);
        }
        catch (final ExecutionException e)
        {
            if (e.getCause() instanceof ChangeRejectedException rejected)
            {
                throw rejected;
            }
            throw new IllegalStateException(e.getCause());
        }
        catch (final TimeoutException e)
        {
            throw new IllegalStateException("the control thread did not apply it within 10 s");
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        }
    }

    @Override
    public Integer call() throws Exception
    {
        // A daemon's lines carry a timestamp and a level (journald and log files alike).
        LogLines.install();
        final MuxConfig config;
        // ctl reload reads the file again through the same source.
        final ConfigSource source;
        // A pool in etcd (ARCHITECTURE.md §7): the file merged with the pool's document, followed while running.
        EtcdStore etcd = null;
        EtcdConfigSource etcdSource = null;
        EtcdConfigSource.Loaded loaded = null;
        try
        {
            final Optional<StoreSettings> store = ConfigLoader.storeOf(configFile);
            if (store.isPresent())
            {
                EtcdStore.quietLogging();
                etcd = EtcdStore.connect(store.get());
                etcdSource = new EtcdConfigSource(configFile, store.get(), etcd);
                loaded = etcdSource.loadVersioned();
                config = loaded.config();
                source = etcdSource;
                System.out.println("panamux: pool document " + store.get().configKey() + " revision " + loaded.revision() +
                    (loaded.fromCache() ? " from the cache file " + store.get().cacheFile().orElseThrow() + " (etcd unreachable: " +
                        loaded.problem() + ")" : " from " + etcd));
            }
            else
            {
                source = new FileConfigSource(configFile);
                config = source.load();
            }
        }
        catch (final ConfigException e)
        {
            System.err.println(e.getMessage());
            if (etcd != null)
            {
                etcd.close();
            }
            return 2;
        }
        catch (final StoreUnavailableException e)
        {
            System.err.println("panamux: " + e.getMessage());
            return 2;
        }
        for (final String w : config.warnings())
        {
            System.err.println("warning: " + w);
        }
        System.out.println(hashSeedLine(config.mux(), configFile));
        final Mux mux;
        EtcdPoolMembership members = null;
        try
        {
            Eal.init(config.dataplane().eal());
            final int ports = EthPort.count();
            if (config.dataplane().port() >= ports)
            {
                System.err.println(configFile + ": dataplane.port " + config.dataplane().port() + " does not exist: DPDK has " + ports
                    + " port(s) with EAL arguments " + config.dataplane().eal());
                return 2;
            }
            // With a store, the pool's members are the live leases under its prefix (ARCHITECTURE.md §7).
            members = poolMembers(config);
            mux = Mux.start(config, members == null ? StaticPoolMembership.fromConfig(config) : members,
                new EthPort(config.dataplane().port()), System.out);
        }
        catch (final DpdkException | UncheckedIOException e)
        {
            // DPDK refusing a device, or the BGP speaker not starting: one clear line, no stack trace.
            System.err.println("panamux: " + e.getMessage());
            leave(members);
            return 1;
        }
        catch (final RuntimeException | OutOfMemoryError e)
        {
            // Whatever else stops the start (memory refused to a table despite validation, a library's
            // argument check): still one line and exit 1; a stack trace tells an operator nothing more.
            System.err.println("panamux: cannot start: " + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()));
            leave(members);
            return 1;
        }
        // The pool document's revision in force: the loaded one, then the follower's.
        final java.util.concurrent.atomic.AtomicReference<PoolConfigFollower> followerRef = new java.util.concurrent.atomic.AtomicReference<>();
        final long startRevision = loaded == null ? -1 : loaded.revision();
        final java.util.function.LongSupplier appliedRevision = () ->
        {
            final PoolConfigFollower f = followerRef.get();
            return f == null ? startRevision : f.appliedRevision();
        };
        AdminServer admin = null;
        try
        {
            admin = AdminServer.start(config.admin(), new AdminTarget(mux.control(), mux.backendChanges(), mux::stats, mux::snapshot,
                mux.flowTables(), source, mux.workers().stream().map(WorkerAgent::counters).toList(),
                poolStatus(config, members, mux, appliedRevision)));
            final String host = config.admin().listenAddress().ipv6() ? "[" + config.admin().listenAddress() + "]"
                : config.admin().listenAddress().toString();
            System.out.println("panamux: admin API on http://" + host + ":" + admin.port() + (config.admin().token().isPresent()
                ? " (bearer token required)" : ""));
        }
        catch (final IOException e)
        {
            if (config.admin().equals(Admin.defaults()))
            {
                // Only the default was asked for: the MUX forwards without its admin API rather than not at all.
                System.err.println("panamux: warning: admin API not started: " + config.admin().listen() + ": " + e.getMessage() +
                    " (set admin.listen to choose another address)");
            }
            else
            {
                System.err.println("panamux: cannot listen on admin.listen " + config.admin().listen() + ": " + e.getMessage());
                leave(members);
                mux.close();
                Eal.cleanup();
                return 1;
            }
        }
        PoolConfigFollower follower = null;
        if (etcdSource != null)
        {
            if (members != null)
            {
                members.appliedRevision(loaded.revision());
            }
            // The member's applied revision in etcd follows each revision as it is applied, not a status read.
            final EtcdPoolMembership registered = members;
            follower = PoolConfigFollower.start(etcdSource, loaded, next -> apply(mux, next), revision ->
            {
                if (registered != null)
                {
                    registered.appliedRevision(revision);
                }
            }, line -> System.out.println("panamux: " + line));
            if (admin != null)
            {
                admin.pool(follower);
            }
            followerRef.set(follower);
        }
        final StopHook hook = StopHook.install("panamux-shutdown");
        final CountDownLatch stop = hook.stopRequested();
        notifyReadyWhenForwarding(mux, stop);
        if (duration != null)
        {
            stop.await((long)(duration * 1000), TimeUnit.MILLISECONDS);
        }
        else
        {
            stop.await();
        }
        int rc = 0;
        SystemdNotify.notify("STOPPING=1");
        try
        {
            if (admin != null)
            {
                admin.close();
            }
            // Out of the pool first (the lease revoked): the others take over this MUX's flows while it withdraws.
            leave(members);
            if (follower != null)
            {
                follower.close();
            }
            if (etcd != null)
            {
                etcd.close();
            }
            mux.close();
            final MuxStats s = mux.stats();
            System.out.printf("panamux: stopped: rx %d, tx %d, dropped %d %s, flows %d, mbufs in use %d%n", s.rxPackets(), s.txPackets(),
                s.totalDrops(), s.drops(), s.flows(), s.mbufsInUse());
            if (statsJson != null)
            {
                StatsJson.write(s, statsJson);
            }
            if (s.mbufsInUse() != 0)
            {
                System.err.println("panamux: " + s.mbufsInUse() + " mbufs were not back in the pool at exit");
                rc = 1;
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
}
