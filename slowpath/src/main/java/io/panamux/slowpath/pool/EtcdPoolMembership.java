package io.panamux.slowpath.pool;

import java.io.PrintStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.panamux.slowpath.config.HostPort;
import io.panamux.slowpath.config.IpAddress;
import io.panamux.slowpath.config.MuxConfig;
import io.panamux.slowpath.config.Peers;
import io.panamux.slowpath.config.PoolMembership;
import io.panamux.slowpath.config.StoreSettings;
import io.panamux.slowpath.store.EtcdStore;

/**
 * The pool's members from etcd leases (ARCHITECTURE.md §7): this MUX holds {@code PREFIX/members/ADDRESS}
 * under a lease ({@link LeasedRegistration}), with a JSON value
 * <pre>
 *   {"name": "mux-a", "address": "10.0.0.10", "peers": "10.0.0.10:9470", "revision": 42}
 * </pre>
 * (its peers endpoint, where the others send flow-ownership messages, and the configuration revision it has
 * applied), and every MUX reads {@code PREFIX/members/}: the live members are the keys there, in canonical
 * order ({@link IpAddress#compareTo}). A MUX that dies leaves when its lease ends; one that starts joins when
 * it writes its key; one that stops cleanly revokes its lease and leaves at once.
 *
 * <p>The view is a linearizable read of the whole prefix at every contact of the registration thread (every
 * third of the lease, at most a second): a member that dies leaves every view within its lease, etcd's expiry
 * granularity (half a second) and one read. No watch: with a pool's handful of MUXes one small read a second
 * costs etcd nothing, and a read is whole by construction (nothing to miss across a partition or a compaction,
 * nothing to resume). While etcd is unreachable the last view stays: the owner ring does not change because
 * of this MUX's own trouble with etcd ({@link #status}).
 * A value that is not a member's JSON, or whose address is not its key's, is left out and shown.
 *
 * <p>{@link #members()} returns the same list object until the members change (the control thread's
 * {@code PoolRing} compares by identity); thread-safe.
 */
public final class EtcdPoolMembership implements PoolMembership, AutoCloseable
{
    /** Members that left, kept for {@code ctl pool}. */
    static final int DEPARTED_KEPT = 16;
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One member as its key's value says.
     *
     * @param address  its pool address (the key's last part).
     * @param name     its {@code mux.name}.
     * @param peers    where its peer messages go, or empty when it runs no flow ownership.
     * @param revision the configuration revision it has applied, -1 when unknown.
     * @param lease    the lease its key is attached to.
     */
    public record Member(IpAddress address, String name, Optional<HostPort> peers, long revision, long lease)
    {
    }

    /**
     * A member that left (its key was deleted: lease expired or revoked).
     *
     * @param member the last value it had.
     * @param leftMs the wall-clock time this MUX saw it go.
     */
    public record Departed(Member member, long leftMs)
    {
    }

    private final EtcdStore store;
    private final StoreSettings settings;
    private final IpAddress self;
    private final String name;
    private final Optional<HostPort> peers;
    private final PrintStream log;
    private final LeasedRegistration registration;
    private final Object viewLock = new Object();
    // Guarded by viewLock.
    private final TreeMap<IpAddress, Member> view = new TreeMap<>();
    private final Map<String, String> invalid = new LinkedHashMap<>();
    private final Deque<Departed> departed = new ArrayDeque<>();
    private long viewRevision;
    // Published copies (any thread).
    private volatile List<IpAddress> members;
    private volatile Map<IpAddress, HostPort> endpoints = Map.of();
    private volatile long appliedRevision = -1;

    /**
     * Registers this MUX and starts reading the members (on its own thread). The view starts with
     * this MUX alone; it fills as soon as etcd answers.
     *
     * @param store    the pool's store.
     * @param settings the {@code store.etcd} section (prefix, lease).
     * @param self     this MUX's pool address ({@code mux.address}).
     * @param name     this MUX's name.
     * @param peers    this MUX's peers endpoint, empty without flow ownership.
     * @param log      where joins, departures and etcd trouble are logged.
     */
    public EtcdPoolMembership(final EtcdStore store, final StoreSettings settings, final IpAddress self, final String name,
        final Optional<HostPort> peers, final PrintStream log)
    {
        this.store = store;
        this.settings = settings;
        this.self = self;
        this.name = name;
        this.peers = peers;
        this.log = log;
        this.members = List.of(self);
        this.registration = new LeasedRegistration(store, settings.membersPrefix() + self, value(), settings.leaseSeconds(), this::resync, log);
    }

    /**
     * The peers endpoint a MUX announces: its own entry in {@code peers.endpoints} if it has one, else its
     * {@code peers.listen} address when that is a specific address, else {@code mux.address} with the listen port.
     *
     * @return the endpoint, or empty without a {@code peers} section.
     */
    public static Optional<HostPort> announcedEndpoint(final MuxConfig config)
    {
        if (config.peers().isEmpty())
        {
            return Optional.empty();
        }
        final Peers p = config.peers().get();
        final IpAddress self = config.mux().address();
        if (p.endpoints().containsKey(self))
        {
            return Optional.of(p.endpoints().get(self));
        }
        return Optional.of(p.listen().address().isUnspecified() ? new HostPort(self, p.listen().port()) : p.listen());
    }

    /** Records the configuration revision this MUX has applied (written to its key at once). Any thread. */
    public void appliedRevision(final long revision)
    {
        if (revision != appliedRevision)
        {
            appliedRevision = revision;
            registration.value(value());
        }
    }

    /** @return the configuration revision this MUX reports as applied, -1 before any. */
    public long appliedRevision()
    {
        return appliedRevision;
    }

    private String value()
    {
        final ObjectNode v = JSON.createObjectNode();
        v.put("name", name);
        v.put("address", self.toString());
        peers.ifPresent(p -> v.put("peers", p.toString()));
        v.put("revision", appliedRevision);
        return v.toString();
    }

    @Override
    public List<IpAddress> members()
    {
        return members;
    }

    @Override
    public Map<IpAddress, HostPort> peerEndpoints()
    {
        return endpoints;
    }

    @Override
    public boolean dynamic()
    {
        return true;
    }

    /** @return the registration of this MUX's key. */
    public LeasedRegistration registration()
    {
        return registration;
    }

    /**
     * What {@code ctl pool} shows.
     *
     * @param members   the live members (keys present), in canonical order.
     * @param departed  the members seen leaving, most recent first.
     * @param invalid   keys under the members' prefix whose value was refused, with the reason.
     * @param reachable whether etcd answered the last call.
     * @param problem   the last trouble, empty when none.
     * @param lastContactMs wall-clock time of the last answer from etcd.
     * @param registered whether this MUX's key is there under its lease.
     * @param lease     this MUX's lease id.
     * @param leaseSeconds the lease's time to live.
     * @param revision  the store's revision of the view.
     */
    public record View(List<Member> members, List<Departed> departed, Map<String, String> invalid, boolean reachable,
        Optional<String> problem, long lastContactMs, boolean registered, long lease, int leaseSeconds, long revision)
    {
    }

    /** @return the members, the departed and the store's state now. Any thread. */
    public View status()
    {
        synchronized (viewLock)
        {
            return new View(List.copyOf(view.values()), List.copyOf(departed), Map.copyOf(invalid), registration.reachable(),
                registration.problem(), registration.lastContactMs(), registration.registered(), registration.lease(),
                settings.leaseSeconds(), viewRevision);
        }
    }

    /** The registration thread's read of every member: replaces the view. */
    private void resync()
    {
        final EtcdStore.PrefixRead read = store.getPrefix(settings.membersPrefix());
        synchronized (viewLock)
        {
            if (read.revision() < viewRevision)
            {
                return;
            }
            final TreeMap<IpAddress, Member> next = new TreeMap<>();
            invalid.clear();
            for (final EtcdStore.Entry e : read.entries())
            {
                final Member m = parse(e);
                if (m != null)
                {
                    next.put(m.address(), m);
                }
            }
            for (final Member old : view.values())
            {
                if (!next.containsKey(old.address()))
                {
                    left(old);
                }
            }
            for (final Member m : next.values())
            {
                if (!view.containsKey(m.address()))
                {
                    joined(m);
                }
            }
            view.clear();
            view.putAll(next);
            viewRevision = read.revision();
            publish();
        }
    }

    private void joined(final Member m)
    {
        log.println("panamux: pool: member " + m.address() + " (" + m.name() + ") joined");
    }

    private void left(final Member m)
    {
        departed.addFirst(new Departed(m, System.currentTimeMillis()));
        while (departed.size() > DEPARTED_KEPT)
        {
            departed.removeLast();
        }
        log.println("panamux: pool: member " + m.address() + " (" + m.name() + ") left (its lease ended)");
    }

    /** Publishes the member list and endpoints (viewLock held); a new list object only when the members changed. */
    private void publish()
    {
        final List<IpAddress> next = new ArrayList<>(view.keySet());
        if (!next.contains(self))
        {
            // While its own key is missing (not yet written, or lost with its lease) this MUX still forwards and
            // owns flows; PoolRing adds it too, this keeps ctl pool and the ring in agreement.
            next.add(self);
            next.sort(null);
        }
        final Map<IpAddress, HostPort> e = new LinkedHashMap<>();
        for (final Member m : view.values())
        {
            m.peers().ifPresent(p -> e.put(m.address(), p));
        }
        endpoints = Map.copyOf(e);
        if (!next.equals(members))
        {
            members = List.copyOf(next);
        }
    }

    private IpAddress addressOf(final String key)
    {
        if (!key.startsWith(settings.membersPrefix()))
        {
            return null;
        }
        try
        {
            return IpAddress.parse(key.substring(settings.membersPrefix().length()));
        }
        catch (final RuntimeException e)
        {
            return null;
        }
    }

    /** @return the member of a key, or null (recorded in {@link #invalid}) when its key or value is not one. */
    private Member parse(final EtcdStore.Entry e)
    {
        final IpAddress address = addressOf(e.key());
        if (address == null)
        {
            invalid.put(e.key(), "the key does not end in an address");
            return null;
        }
        try
        {
            final JsonNode v = JSON.readTree(e.value());
            if (v == null || !v.isObject() || !v.path("address").isTextual() || !IpAddress.parse(v.get("address").asText()).equals(address))
            {
                invalid.put(e.key(), "the value does not name the key's address: " + abbreviate(e.value()));
                return null;
            }
            Optional<HostPort> peersEndpoint = Optional.empty();
            if (v.path("peers").isTextual())
            {
                peersEndpoint = Optional.of(parseHostPort(v.get("peers").asText()));
            }
            invalid.remove(e.key());
            return new Member(address, v.path("name").asText(""), peersEndpoint, v.path("revision").asLong(-1), e.lease());
        }
        catch (final JsonProcessingException | RuntimeException ex)
        {
            invalid.put(e.key(), "not a member's value (" + ex.getMessage() + "): " + abbreviate(e.value()));
            return null;
        }
    }

    private static HostPort parseHostPort(final String text)
    {
        final int colon = text.lastIndexOf(':');
        if (colon <= 0)
        {
            throw new IllegalArgumentException("peers must be ADDRESS:PORT: " + text);
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]"))
        {
            host = host.substring(1, host.length() - 1);
        }
        return new HostPort(IpAddress.parse(host), Integer.parseInt(text.substring(colon + 1)));
    }

    private static String abbreviate(final String value)
    {
        return value.length() <= 80 ? value : value.substring(0, 77) + "...";
    }

    /** Revokes this MUX's lease (a clean stop leaves the pool at once). */
    @Override
    public void close()
    {
        registration.close();
    }

    @Override
    public String toString()
    {
        return "EtcdPoolMembership[" + settings.membersPrefix() + ", self " + self + "]";
    }
}
