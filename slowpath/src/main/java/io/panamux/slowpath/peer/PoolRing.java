package io.panamux.slowpath.peer;

import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.panamux.flow.OwnerRing;
import io.panamux.slowpath.config.HostPort;
import io.panamux.slowpath.config.IpAddress;
import io.panamux.slowpath.config.Peers;
import io.panamux.slowpath.config.PoolMembership;
import io.panamux.slowpath.control.ControlAgent;
import io.panamux.slowpath.control.SnapshotPublisher;

/**
 * The owner ring of the flow-ownership protocol, kept equal to the pool's membership (ARCHITECTURE.md §7: "the
 * owner ring is the set of live members in canonical order"). A control-thread duty: when
 * {@link PoolMembership#members()} returns another list, it tells {@link FlowOwnership} the new peers and their
 * endpoints, builds the {@link OwnerRing} of the new members and has it published with the next snapshot;
 * {@link FlowOwnership} then reports its flows again to their new owners.
 *
 * <p>This MUX is always a member of its own ring: while it forwards it owns flows, whether or not the store
 * still lists it (its lease may have expired during a partition from the store; it registers again as soon as
 * it can). Alone, it has no ring (no owner queries at all).
 */
public final class PoolRing implements ControlAgent.Duty
{
    private final PoolMembership membership;
    private final IpAddress self;
    private final long seed;
    private final Optional<Peers> peers;
    private final SnapshotPublisher publisher;
    private final Runnable snapshotChanged;
    private final PrintStream log;
    private FlowOwnership ownership;
    private List<IpAddress> applied;
    private volatile List<IpAddress> members = List.of();

    /**
     * @param membership      where the members come from.
     * @param self            this MUX's pool address ({@code mux.address}).
     * @param seed            the pool's hash seed.
     * @param peers           the {@code peers} section (endpoints of members the membership does not announce).
     * @param publisher       the snapshot publisher the ring is given to.
     * @param snapshotChanged asks for the snapshot to be published (the control agent's, once it runs).
     * @param log             where membership changes are logged.
     */
    public PoolRing(final PoolMembership membership, final IpAddress self, final long seed, final Optional<Peers> peers,
        final SnapshotPublisher publisher, final Runnable snapshotChanged, final PrintStream log)
    {
        this.membership = membership;
        this.self = self;
        this.seed = seed;
        this.peers = peers;
        this.publisher = publisher;
        this.snapshotChanged = snapshotChanged;
        this.log = log;
    }

    /** Attaches the flow-ownership protocol (its peers follow the members from now on). */
    public void ownership(final FlowOwnership ownership)
    {
        this.ownership = ownership;
        if (applied != null)
        {
            ownership.members(endpoints(members));
        }
    }

    @Override
    public int doWork(final long nowNs)
    {
        final List<IpAddress> now = membership.members();
        if (now == applied)
        {
            return 0;
        }
        apply(now);
        return 1;
    }

    /** Takes the membership's current members now (control thread, or before the control thread starts). */
    public void update()
    {
        apply(membership.members());
    }

    /** @return the ring's members now, this MUX included, in canonical order. */
    public List<IpAddress> members()
    {
        return members;
    }

    private void apply(final List<IpAddress> now)
    {
        final List<IpAddress> next = new ArrayList<>(now);
        if (!next.contains(self))
        {
            next.add(self);
        }
        next.sort(null);
        final boolean first = applied == null;
        applied = now;
        if (next.equals(members))
        {
            return;
        }
        final List<IpAddress> before = members;
        members = List.copyOf(next);
        if (ownership != null)
        {
            ownership.members(endpoints(members));
        }
        final List<String> names = members.stream().map(IpAddress::toString).toList();
        publisher.pool(names.size() > 1 ? new OwnerRing(names, seed) : null, names.indexOf(self.toString()));
        snapshotChanged.run();
        if (!first)
        {
            final List<IpAddress> joined = new ArrayList<>(members);
            joined.removeAll(before);
            final List<IpAddress> left = new ArrayList<>(before);
            left.removeAll(members);
            log.println("panamux: pool: " + members.size() + " member(s) " + members + (joined.isEmpty() ? "" : ", joined " + joined) +
                (left.isEmpty() ? "" : ", left " + left) + ": owner ring changed");
        }
    }

    private Map<IpAddress, InetSocketAddress> endpoints(final List<IpAddress> of)
    {
        final Map<IpAddress, HostPort> announced = membership.peerEndpoints();
        final Map<IpAddress, InetSocketAddress> out = new LinkedHashMap<>();
        for (final IpAddress m : of)
        {
            if (m.equals(self))
            {
                continue;
            }
            final HostPort hp = announced.get(m);
            if (hp != null)
            {
                out.put(m, hp.toSocketAddress());
            }
            else if (peers.isPresent())
            {
                out.put(m, peers.get().endpointOf(m).toSocketAddress());
            }
        }
        return out;
    }
}
