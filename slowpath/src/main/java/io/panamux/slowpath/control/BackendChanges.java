package io.panamux.slowpath.control;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import io.panamux.common.net.MacAddress;
import io.panamux.fastpath.snapshot.Vip;
import io.panamux.slowpath.config.BackendConfig;
import io.panamux.slowpath.config.Dataplane;
import io.panamux.slowpath.config.IpAddress;
import io.panamux.slowpath.config.Mux;
import io.panamux.slowpath.config.MuxConfig;
import io.panamux.slowpath.config.Protocol;
import io.panamux.slowpath.config.VipConfig;
import io.panamux.slowpath.control.SnapshotPublisher.BackendState;
import io.panamux.slowpath.control.SnapshotPublisher.VipState;
import io.panamux.slowpath.router.RouterControl;

/**
 * Every change to the backends of the MUX's VIPs, from wherever it comes: {@code ctl backend add / remove /
 * drain / weight}, {@code ctl reload}, health checks (ARCHITECTURE.md §1 items 2 and 4). Control thread
 * only: other threads {@link ControlAgent#submit submit} commands that call it.
 *
 * <p>It keeps, per VIP, the backends the operator wants (address, weight, draining) and which of them
 * failed their health checks. What the workers get is the wanted list less the unhealthy backends: every
 * change of that list goes through {@link SnapshotPublisher#changeBackends} (the VIP enters its stateful
 * phase, keeping its previous table), then the {@link BypassStateMachine} marks or clears the
 * single-backend bypass, the snapshot is published, and only then is the router told. A VIP none of whose
 * backends is healthy is withdrawn after its hold-down by the {@link VipHealthGate} the instructions go
 * through ({@link #healthGate()}: a duty of the control agent).
 *
 * <p>Every change is validated whole before anything is applied; a refused change throws
 * {@link ChangeRejectedException} and changes nothing (not even the snapshot version).
 */
public final class BackendChanges
{
    private final SnapshotPublisher publisher;
    private final BypassStateMachine bypass;
    private final VipHealthGate gate;
    private final StatefulPhaseTracker tracker;
    private BackendWatcher watcher = BackendWatcher.NONE;
    private MuxConfig config;
    private final Map<String, VipConfig> vips = new LinkedHashMap<>();
    private final Map<String, List<BackendState>> wanted = new LinkedHashMap<>();
    private final Set<BackendRef> unhealthy = new HashSet<>();
    private boolean started;

    /**
     * @param config    the configuration the MUX starts with.
     * @param publisher the VIP state and snapshots.
     * @param router    where routing instructions go.
     * @param tracker   the stateful-phase tracker (for the estimates of {@link #views}), or null.
     */
    public BackendChanges(final MuxConfig config, final SnapshotPublisher publisher, final RouterControl router,
        final StatefulPhaseTracker tracker)
    {
        this.config = Objects.requireNonNull(config, "config");
        this.publisher = publisher;
        this.gate = new VipHealthGate(router);
        this.bypass = new BypassStateMachine(publisher, gate);
        this.tracker = tracker;
        setWanted(config);
    }

    /**
     * @return the gate that withdraws a VIP none of whose backends is healthy: the control agent runs it as a
     * duty (its hold-down timers).
     */
    public VipHealthGate healthGate()
    {
        return gate;
    }

    /** Sets who checks the backends' health; told the set now if already started. */
    public void watcher(final BackendWatcher watcher, final long nowNs)
    {
        this.watcher = watcher;
        if (started)
        {
            watcher.watch(watched(), nowNs);
        }
    }

    /**
     * Publishes the starting configuration, announces every VIP, bypasses the single-backend ones and
     * starts the health checks. Called once, on the control thread or before it starts.
     */
    public void start(final long nowNs)
    {
        publisher.apply(effective(config), nowNs);
        for (final VipConfig v : vips.values())
        {
            bypass.announce(v);
            bypass.settle(publisher.vips().get(v.key()), nowNs);
        }
        publisher.publish(nowNs);
        bypass.flush();
        tellGate(nowNs);
        started = true;
        watcher.watch(watched(), nowNs);
    }

    /**
     * Adds a backend to a VIP.
     *
     * @param vipKey  {@code 192.0.2.10:80/tcp} or {@code [2001:db8::10]:80/tcp}.
     * @param address the backend's address.
     * @param weight  its weight, at least 0.
     * @return the VIP afterwards.
     * @throws ChangeRejectedException when the VIP does not exist, the backend is already there, or the
     *                                 backend is not acceptable; nothing changed then.
     */
    public VipView add(final String vipKey, final String address, final int weight, final long nowNs) throws ChangeRejectedException
    {
        final String key = vip(vipKey);
        final IpAddress a = backendAddress(address);
        final List<BackendState> backends = new ArrayList<>(wanted.get(key));
        if (find(backends, a) >= 0)
        {
            throw new ChangeRejectedException(ChangeRejectedException.CONFLICT, a + " is already a backend of " + key +
                " (ctl backend weight changes its weight)");
        }
        checkWeight(weight);
        if (a.ipv6() && config.mux().address6().isEmpty())
        {
            throw new ChangeRejectedException(ChangeRejectedException.INVALID, "an IPv6 backend needs mux.address6 in the " +
                "configuration (the outer source address towards it)");
        }
        final int tableSize = config.dataplane().maglevTableSize();
        if (backends.size() + 1 > tableSize)
        {
            throw new ChangeRejectedException(ChangeRejectedException.INVALID, key + " would have " + (backends.size() + 1) +
                " backends but dataplane.maglev-table-size is " + tableSize);
        }
        backends.add(new BackendState(a, weight, false));
        return change(key, backends, nowNs);
    }

    /**
     * Removes a backend from a VIP; flows recorded to it are re-chosen.
     *
     * @return the VIP afterwards.
     * @throws ChangeRejectedException when the VIP or the backend does not exist; nothing changed then.
     */
    public VipView remove(final String vipKey, final String address, final long nowNs) throws ChangeRejectedException
    {
        final String key = vip(vipKey);
        final List<BackendState> backends = new ArrayList<>(wanted.get(key));
        backends.remove(existing(key, backends, backendAddress(address)));
        return change(key, backends, nowNs);
    }

    /**
     * Drains a backend: no new flows go to it, recorded ones stay until they end. Draining a draining
     * backend changes nothing.
     *
     * @return the VIP afterwards.
     * @throws ChangeRejectedException when the VIP or the backend does not exist; nothing changed then.
     */
    public VipView drain(final String vipKey, final String address, final long nowNs) throws ChangeRejectedException
    {
        final String key = vip(vipKey);
        final List<BackendState> backends = new ArrayList<>(wanted.get(key));
        final int i = existing(key, backends, backendAddress(address));
        final BackendState b = backends.get(i);
        backends.set(i, new BackendState(b.address(), b.weight(), true));
        return change(key, backends, nowNs);
    }

    /**
     * Changes a backend's weight (and ends its draining when it was draining).
     *
     * @return the VIP afterwards.
     * @throws ChangeRejectedException when the VIP or the backend does not exist or the weight is
     *                                 negative; nothing changed then.
     */
    public VipView weight(final String vipKey, final String address, final int weight, final long nowNs) throws ChangeRejectedException
    {
        final String key = vip(vipKey);
        checkWeight(weight);
        final List<BackendState> backends = new ArrayList<>(wanted.get(key));
        final int i = existing(key, backends, backendAddress(address));
        backends.set(i, new BackendState(backends.get(i).address(), weight, false));
        return change(key, backends, nowNs);
    }

    /**
     * Makes the VIPs and backends those of {@code next}, whole or not at all. The file is the truth: backend
     * changes made with {@code ctl} and not written into it are undone. Health states of backends that stay
     * are kept.
     *
     * @param next  a loaded, valid configuration.
     * @param nowNs the control thread's clock.
     * @return one line per VIP added, removed or changed (empty when nothing changed).
     * @throws ChangeRejectedException when {@code next} changes settings that need a restart; nothing
     *                                 changed then.
     */
    public List<String> reload(final MuxConfig next, final long nowNs) throws ChangeRejectedException
    {
        final List<String> restart = restartOnlyChanges(config, next);
        if (!restart.isEmpty())
        {
            throw new ChangeRejectedException(ChangeRejectedException.UNPROCESSABLE, "not reloaded: " + String.join("; ", restart) +
                ". The sections mux, dataplane, peers, router and admin take effect only on a restart; a reload may change vips only");
        }
        final Map<String, VipConfig> before = new LinkedHashMap<>(vips);
        final Map<String, List<BackendState>> wantedBefore = new LinkedHashMap<>(wanted);
        final List<String> summary = new ArrayList<>();
        config = next;
        setWanted(next);
        unhealthy.removeIf(k -> !stillWanted(k));

        publisher.apply(effective(next), nowNs);
        for (final VipConfig old : before.values())
        {
            if (!vips.containsKey(old.key()))
            {
                bypass.withdraw(old);
                summary.add(old.key() + ": removed");
            }
        }
        for (final VipConfig v : vips.values())
        {
            final VipConfig old = before.get(v.key());
            if (old == null)
            {
                bypass.announce(v);
                summary.add(v.key() + ": added");
            }
            else if (!old.equals(v) || !wanted.get(v.key()).equals(wantedBefore.get(v.key())))
            {
                summary.add(v.key() + ": changed");
            }
            bypass.settle(publisher.vips().get(v.key()), nowNs);
        }
        publisher.publish(nowNs);
        bypass.flush();
        tellGate(nowNs);
        watcher.watch(watched(), nowNs);
        return summary;
    }

    /**
     * A health check changed its verdict on a backend: an unhealthy backend leaves the VIP's table (a
     * backend change), a healthy one returns. Ignored for backends no longer configured.
     */
    public void healthChanged(final String vipKey, final IpAddress address, final boolean healthy, final long nowNs)
    {
        final List<BackendState> backends = wanted.get(vipKey);
        if (backends == null || find(backends, address) < 0)
        {
            return;
        }
        final BackendRef id = new BackendRef(vipKey, address);
        if (healthy ? unhealthy.remove(id) : unhealthy.add(id))
        {
            apply(vipKey, nowNs);
        }
    }

    /** @return every VIP as {@code ctl vips} shows it. */
    public List<VipView> views(final long nowNs)
    {
        final List<VipView> out = new ArrayList<>();
        for (final VipConfig v : vips.values())
        {
            out.add(view(v.key(), nowNs));
        }
        return out;
    }

    /** @return the configuration running now (as loaded: without changes made with {@code ctl}). */
    public MuxConfig config()
    {
        return config;
    }

    /** @return whether a backend is marked unhealthy by its health check. */
    public boolean isUnhealthy(final String vipKey, final IpAddress address)
    {
        return unhealthy.contains(new BackendRef(vipKey, address));
    }

    /** @return what the router was told for the VIP: {@code pool} or {@code direct ADDRESS}. */
    public String route(final String vipKey)
    {
        return bypass.route(vipKey);
    }

    /**
     * @param text {@code ADDRESS:PORT/PROTO}, IPv6 in brackets, protocol {@code tcp} or {@code udp}.
     * @return the VIP key in its canonical form ({@link VipConfig#key()}).
     * @throws ChangeRejectedException when {@code text} is not of that form.
     */
    public static String canonicalVipKey(final String text) throws ChangeRejectedException
    {
        final String usage = "a VIP is ADDRESS:PORT/PROTO, e.g. 192.0.2.10:80/tcp or [2001:db8::10]:443/tcp, got \"" + text + "\"";
        final int slash = text == null ? -1 : text.lastIndexOf('/');
        final int colon = slash < 0 ? -1 : text.lastIndexOf(':', slash);
        if (colon <= 0)
        {
            throw new ChangeRejectedException(ChangeRejectedException.INVALID, usage);
        }
        final Protocol protocol = Protocol.fromConfigName(text.substring(slash + 1).toLowerCase(Locale.ROOT));
        String host = text.substring(0, colon);
        final boolean bracketed = host.startsWith("[") && host.endsWith("]");
        if (bracketed)
        {
            host = host.substring(1, host.length() - 1);
        }
        try
        {
            final IpAddress address = IpAddress.parse(host);
            final int port = Integer.parseInt(text.substring(colon + 1, slash));
            if (protocol == null || address.ipv6() != bracketed || port < 1 || port > 65535)
            {
                throw new ChangeRejectedException(ChangeRejectedException.INVALID, usage);
            }
            return (bracketed ? "[" + address + "]" : address.toString()) + ":" + port + "/" + protocol.configName();
        }
        catch (final IllegalArgumentException e)
        {
            throw new ChangeRejectedException(ChangeRejectedException.INVALID, usage);
        }
    }

    /**
     * @return the settings that differ between two configurations and need a restart, each
     *         {@code section.key (old -> new)}; empty when a reload may apply {@code next}.
     */
    public static List<String> restartOnlyChanges(final MuxConfig running, final MuxConfig next)
    {
        final List<String> out = new ArrayList<>();
        final Mux a = running.mux();
        final Mux b = next.mux();
        differ(out, "mux.name", a.name(), b.name());
        differ(out, "mux.address", a.address(), b.address());
        differ(out, "mux.address6", a.address6().map(Object::toString).orElse("none"), b.address6().map(Object::toString).orElse("none"));
        differ(out, "mux.pool", a.pool(), b.pool());
        differ(out, "mux.hash-seed", Long.toUnsignedString(a.hashSeed(), 16), Long.toUnsignedString(b.hashSeed(), 16));
        final Dataplane c = running.dataplane();
        final Dataplane d = next.dataplane();
        differ(out, "dataplane.eal", c.eal(), d.eal());
        differ(out, "dataplane.port", c.port(), d.port());
        differ(out, "dataplane.workers", c.workers(), d.workers());
        differ(out, "dataplane.gateway-mac", c.gatewayMac().stream().mapToObj(MacAddress::format).findFirst().orElse("none"),
            d.gatewayMac().stream().mapToObj(MacAddress::format).findFirst().orElse("none"));
        differ(out, "dataplane.gateway", c.gateway().map(Object::toString).orElse("none"), d.gateway().map(Object::toString).orElse("none"));
        differ(out, "dataplane.flow-table.capacity", c.flowTable().capacity(), d.flowTable().capacity());
        differ(out, "dataplane.flow-table.idle-timeout-seconds", c.flowTable().idleTimeoutSeconds(), d.flowTable().idleTimeoutSeconds());
        differ(out, "dataplane.maglev-table-size", c.maglevTableSize(), d.maglevTableSize());
        differ(out, "dataplane.mtu", c.mtu().isPresent() ? c.mtu().getAsInt() : "port's", d.mtu().isPresent() ? d.mtu().getAsInt() : "port's");
        differ(out, "dataplane.burst-size", c.burstSize(), d.burstSize());
        differ(out, "dataplane.gue-port", c.guePort(), d.guePort());
        if (!running.peers().equals(next.peers()))
        {
            out.add("peers changed");
        }
        if (!running.bgp().equals(next.bgp()))
        {
            out.add("router.bgp changed");
        }
        if (!running.store().equals(next.store()))
        {
            out.add("store changed");
        }
        differ(out, "admin.listen", running.admin().listen(), next.admin().listen());
        if (!running.admin().token().equals(next.admin().token()))
        {
            out.add("admin.token changed");
        }
        return out;
    }

    private static void differ(final List<String> out, final String what, final Object before, final Object after)
    {
        if (!before.equals(after))
        {
            out.add(what + " changed (" + before + " -> " + after + ")");
        }
    }

    private VipView change(final String key, final List<BackendState> backends, final long nowNs)
    {
        if (!backends.equals(wanted.get(key)))
        {
            wanted.put(key, List.copyOf(backends));
            final Set<IpAddress> kept = new HashSet<>();
            for (final BackendState b : backends)
            {
                kept.add(b.address());
            }
            unhealthy.removeIf(id -> id.vip().equals(key) && !kept.contains(id.address()));
            apply(key, nowNs);
            watcher.watch(watched(), nowNs);
        }
        return view(key, nowNs);
    }

    private void apply(final String key, final long nowNs)
    {
        final VipState state = publisher.vips().get(key);
        publisher.changeBackends(state, effectiveBackends(key), nowNs);
        bypass.settle(state, nowNs);
        publisher.publish(nowNs);
        bypass.flush();
        tellGate(key, nowNs);
    }

    private void tellGate(final long nowNs)
    {
        for (final String key : vips.keySet())
        {
            tellGate(key, nowNs);
        }
    }

    /** Tells the gate whether the VIP has a health check, backends, and not one of them healthy. */
    private void tellGate(final String key, final long nowNs)
    {
        final VipConfig v = vips.get(key);
        final List<BackendState> backends = wanted.get(key);
        boolean down = v.healthCheck().isPresent() && !backends.isEmpty();
        for (int i = 0; down && i < backends.size(); i++)
        {
            down = unhealthy.contains(new BackendRef(key, backends.get(i).address()));
        }
        final long holdDownNs = v.healthCheck().map(h -> h.holdDownMs() * 1_000_000L).orElse(0L);
        gate.health(key, down, holdDownNs, nowNs);
    }

    private VipView view(final String key, final long nowNs)
    {
        final VipState s = publisher.vips().get(key);
        final VipConfig v = vips.get(key);
        final List<VipView.BackendView> backends = new ArrayList<>();
        for (final BackendState b : wanted.get(key))
        {
            final boolean sick = unhealthy.contains(new BackendRef(key, b.address()));
            backends.add(new VipView.BackendView(b.address().toString(), b.weight(), b.draining(),
                v.healthCheck().isEmpty() ? VipView.Health.UNCHECKED : sick ? VipView.Health.UNHEALTHY : VipView.Health.HEALTHY, !sick));
        }
        final VipView.Mode mode = switch (s.mode())
        {
            case Vip.MODE_STATEFUL -> VipView.Mode.STATEFUL;
            case Vip.MODE_BYPASS -> VipView.Mode.BYPASS;
            default -> VipView.Mode.STATELESS;
        };
        long until = 0;
        long remaining = 0;
        long pending = 0;
        if (s.mode() == Vip.MODE_STATEFUL)
        {
            until = tracker == null ? 0 : tracker.estimatedEndNs(s);
            remaining = tracker == null ? 0 : Math.max(0, (until - nowNs) / 1_000_000);
            pending = tracker == null ? -1 : tracker.pendingFlows(s);
        }
        return new VipView(key, mode, until, remaining, pending, v.encapsulation(), v.flowTracking(),
            bypass.route(key), gate.announced(key), gate.announcement(key, nowNs), backends);
    }

    private void setWanted(final MuxConfig c)
    {
        vips.clear();
        wanted.clear();
        for (final VipConfig v : c.vips())
        {
            vips.put(v.key(), v);
            final List<BackendState> list = new ArrayList<>();
            for (final BackendConfig b : v.backends())
            {
                list.add(new BackendState(b.address(), b.weight(), b.draining()));
            }
            wanted.put(v.key(), List.copyOf(list));
        }
    }

    private boolean stillWanted(final BackendRef id)
    {
        final List<BackendState> backends = wanted.get(id.vip());
        return backends != null && vips.get(id.vip()).healthCheck().isPresent() && find(backends, id.address()) >= 0;
    }

    private List<BackendState> effectiveBackends(final String key)
    {
        final List<BackendState> out = new ArrayList<>();
        for (final BackendState b : wanted.get(key))
        {
            if (!unhealthy.contains(new BackendRef(key, b.address())))
            {
                out.add(b);
            }
        }
        return out;
    }

    /**
     * @return {@code c} with each VIP's backends as the workers are to get them: without the unhealthy
     *         ones (the drained ones are drained by {@link #apply}).
     */
    private MuxConfig effective(final MuxConfig c)
    {
        final List<VipConfig> out = new ArrayList<>();
        for (final VipConfig v : c.vips())
        {
            final List<BackendConfig> backends = new ArrayList<>();
            for (final BackendConfig b : v.backends())
            {
                if (!unhealthy.contains(new BackendRef(v.key(), b.address())))
                {
                    backends.add(b);
                }
            }
            out.add(v.withBackends(backends));
        }
        return new MuxConfig(c.mux(), c.dataplane(), out, c.admin(), c.peers(), c.warnings());
    }

    private List<WatchedBackend> watched()
    {
        final List<WatchedBackend> out = new ArrayList<>();
        for (final VipConfig v : vips.values())
        {
            if (v.healthCheck().isPresent())
            {
                for (final BackendState b : wanted.get(v.key()))
                {
                    out.add(new WatchedBackend(v.key(), b.address(), v.healthCheck().get(), v.address(), v.encapsulation(), v.guePort()));
                }
            }
        }
        return out;
    }

    private String vip(final String text) throws ChangeRejectedException
    {
        final String key = canonicalVipKey(text);
        if (!vips.containsKey(key))
        {
            throw new ChangeRejectedException(ChangeRejectedException.NOT_FOUND, "no VIP " + key + " (VIPs: " +
                (vips.isEmpty() ? "none" : String.join(", ", vips.keySet())) + ")");
        }
        return key;
    }

    private static IpAddress backendAddress(final String text) throws ChangeRejectedException
    {
        final IpAddress a;
        try
        {
            a = IpAddress.parse(text == null ? "" : text);
        }
        catch (final IllegalArgumentException e)
        {
            throw new ChangeRejectedException(ChangeRejectedException.INVALID, "a backend is an IPv4 or IPv6 address, got \"" + text + "\"");
        }
        if (a.isUnspecified() || a.isMulticastOrBroadcast())
        {
            throw new ChangeRejectedException(ChangeRejectedException.INVALID, "a backend must be a unicast address, got " + a);
        }
        return a;
    }

    private static void checkWeight(final int weight) throws ChangeRejectedException
    {
        if (weight < 0)
        {
            throw new ChangeRejectedException(ChangeRejectedException.INVALID, "a weight is at least 0, got " + weight);
        }
    }

    private static int existing(final String key, final List<BackendState> backends, final IpAddress a) throws ChangeRejectedException
    {
        final int i = find(backends, a);
        if (i < 0)
        {
            throw new ChangeRejectedException(ChangeRejectedException.NOT_FOUND, a + " is not a backend of " + key);
        }
        return i;
    }

    private static int find(final List<BackendState> backends, final IpAddress a)
    {
        for (int i = 0; i < backends.size(); i++)
        {
            if (backends.get(i).address().equals(a))
            {
                return i;
            }
        }
        return -1;
    }
}
