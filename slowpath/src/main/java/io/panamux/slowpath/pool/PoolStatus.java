package io.panamux.slowpath.pool;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.panamux.slowpath.config.IpAddress;

/**
 * The pool as one MUX sees it, for {@code ctl pool} ({@code GET /v1/pool}) and {@code /metrics}: where its
 * members come from, whether the store answers, the members with their leases and applied revisions, the owner
 * ring in force, and the members seen leaving.
 *
 * @param store           the store ({@code etcd [URL, ...] PREFIX}), empty when the members come from the file.
 * @param reachable       whether the store answered the last call (true without a store).
 * @param problem         the store's last trouble (unreachable, lease lost), empty when none.
 * @param lastContactMs   wall-clock time of the store's last answer, 0 without a store or before any.
 * @param registered      whether this MUX's key is in the store under its lease (true without a store).
 * @param lease           this MUX's lease id, 0 without a store.
 * @param leaseSeconds    the lease's time to live, 0 without a store.
 * @param appliedRevision the configuration revision this MUX applied, -1 when its configuration is a file.
 * @param ring            the owner ring's members in force now, in canonical order, this MUX included.
 * @param members         the live members (a store's keys, or the file's {@code mux.pool}).
 * @param departed        members seen leaving, most recent first.
 * @param invalid         keys under the members' prefix whose value was refused, with the reason.
 */
public record PoolStatus(Optional<String> store, boolean reachable, Optional<String> problem, long lastContactMs, boolean registered,
    long lease, int leaseSeconds, long appliedRevision, List<String> ring, List<MemberStatus> members, List<MemberStatus> departed,
    Map<String, String> invalid)
{
    /**
     * One member.
     *
     * @param address         its pool address.
     * @param name            its name (empty when unknown: a file's pool names addresses only).
     * @param peers           its peers endpoint, empty when unknown.
     * @param leaseAlive      true while its key is in the store, false once it left, empty when unknown (no store,
     *                        or the store unreachable: the last known members are kept).
     * @param appliedRevision the configuration revision it reports, -1 when unknown.
     * @param self            whether it is this MUX.
     * @param leftMs          wall-clock time it was seen leaving, 0 for a live member.
     */
    public record MemberStatus(String address, String name, Optional<String> peers, Optional<Boolean> leaseAlive, long appliedRevision,
        boolean self, long leftMs)
    {
    }

    /** @return the status of a pool whose members are the file's {@code mux.pool}. */
    public static PoolStatus ofFile(final List<IpAddress> ring, final IpAddress self, final String selfName)
    {
        final List<MemberStatus> members = new ArrayList<>();
        for (final IpAddress m : ring)
        {
            members.add(new MemberStatus(m.toString(), m.equals(self) ? selfName : "", Optional.empty(), Optional.empty(), -1, m.equals(self),
                0));
        }
        return new PoolStatus(Optional.empty(), true, Optional.empty(), 0, true, 0, 0, -1, names(ring), List.copyOf(members), List.of(),
            Map.of());
    }

    /**
     * @param membership      the store's membership.
     * @param store           the store's description.
     * @param appliedRevision the configuration revision this MUX applied.
     * @param ring            the owner ring's members in force now.
     * @param self            this MUX's pool address.
     * @return the status of a pool whose members come from the store.
     */
    public static PoolStatus ofStore(final EtcdPoolMembership membership, final String store, final long appliedRevision,
        final List<IpAddress> ring, final IpAddress self)
    {
        final EtcdPoolMembership.View v = membership.status();
        final List<MemberStatus> members = new ArrayList<>();
        final Optional<Boolean> alive = v.reachable() ? Optional.of(true) : Optional.empty();
        boolean selfListed = false;
        for (final EtcdPoolMembership.Member m : v.members())
        {
            final boolean isSelf = m.address().equals(self);
            selfListed |= isSelf;
            members.add(new MemberStatus(m.address().toString(), m.name(), m.peers().map(Object::toString),
                isSelf ? Optional.of(v.registered()) : alive, m.revision(), isSelf, 0));
        }
        if (!selfListed)
        {
            // Not (or no longer) in the store, but forwarding and in its own ring: shown, with its lease not alive.
            members.add(new MemberStatus(self.toString(), "", Optional.empty(), Optional.of(false), appliedRevision, true, 0));
            members.sort((a, b) -> IpAddress.parse(a.address()).compareTo(IpAddress.parse(b.address())));
        }
        final List<MemberStatus> departed = new ArrayList<>();
        for (final EtcdPoolMembership.Departed d : v.departed())
        {
            final EtcdPoolMembership.Member m = d.member();
            departed.add(new MemberStatus(m.address().toString(), m.name(), m.peers().map(Object::toString), Optional.of(false),
                m.revision(), m.address().equals(self), d.leftMs()));
        }
        return new PoolStatus(Optional.of(store), v.reachable(), v.problem(), v.lastContactMs(), v.registered(), v.lease(), v.leaseSeconds(),
            appliedRevision, names(ring), List.copyOf(members), List.copyOf(departed), v.invalid());
    }

    private static List<String> names(final List<IpAddress> ring)
    {
        return ring.stream().map(IpAddress::toString).toList();
    }
}
