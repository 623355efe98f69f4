package io.panamux.hostagent;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import org.agrona.collections.Int2IntHashMap;

import io.panamux.common.auth.ReplayWindow;
import io.panamux.flow.FlowTable;

/**
 * The source side of Fastpath: the flows of this host that a backend's agent told it to send straight to
 * the backend, and the checks a redirect must pass first.
 *
 * <h2>Checks, in order</h2>
 * <ol>
 *   <li>this agent accepts redirects at all ({@code refused_disabled});</li>
 *   <li>the tag is the key's ({@link RedirectMessage#verify}; {@code refused_forged});</li>
 *   <li>the message was sent by the backend it names: the destination host speaks only for itself
 *       ({@code refused_not_from_backend});</li>
 *   <li>the flow's source is this host ({@code refused_not_ours});</li>
 *   <li>it was issued less than {@code max-age} ago and not further in the future ({@code refused_stale});</li>
 *   <li>its sequence number is new for that sender, within an anti-replay window ({@code refused_replayed});</li>
 *   <li>the flow's destination is a VIP the pool serves ({@code pool.vips} and {@code vips}): a backend
 *       speaks for the VIPs it backs, never for any destination ({@code refused_not_a_vip});</li>
 *   <li>when this agent knows the VIP's backends (it selects for that VIP), the backend is one of them
 *       ({@code refused_unknown_backend}).</li>
 * </ol>
 *
 * <h2>Falling back to the VIP</h2>
 * A redirected flow goes back to the VIP (the MUX pool) when: it is idle for the lease; the backend's agent
 * revokes it (it does so for all its redirects when it stops); or an ICMP "unreachable" quoting a tunnel
 * packet of a redirected flow to that backend arrives ({@link #unreachable}): every flow redirected to that
 * backend falls back at its next packet. That last one costs O(1): each backend has a generation, bumped when it goes away, and a
 * flow records the generation it was redirected under.
 *
 * <p>Agent thread only. Time is in milliseconds since the agent started.
 */
public final class Redirects implements AutoCloseable
{
    /** {@link #lookup} found no redirect. */
    public static final long NONE = -1L;

    private final FlowTable flows;
    private final int hostAddress;
    private final boolean accept;
    private int leaseMillis;
    private int maxAgeMillis;
    private Map<Long, Set<Integer>> knownBackends;
    private TunnelSources sources;
    private final Int2IntHashMap backendIds = new Int2IntHashMap(-1);
    private final Map<Integer, ReplayWindow> windows = new HashMap<>();
    private final HostAgentCounters counters;
    private final Ip6 hostAddress6;
    private Map<HostAgentConfig.ServedVip, Set<Ip6>> knownBackends6 = new HashMap<>();
    private final Map<Ip6, Integer> backendIds6 = new HashMap<>();
    private final Map<Ip6, ReplayWindow> windows6 = new HashMap<>();
    private int[] backendAddresses = new int[16];
    private long[] backendHi = new long[16];
    private long[] backendLo = new long[16];
    private int[] generations = new int[16];
    private int backendCount;

    /**
     * @param capacity     flows the table holds.
     * @param hostAddress  this host's address: the source of every flow it may redirect.
     * @param accept       whether redirects are accepted at all.
     * @param leaseMillis  an idle redirected flow goes back to the VIP after this long.
     * @param maxAgeMillis how old (or how far in the future) a redirect may be.
     * @param vips         the VIPs whose backends this agent knows: a redirect for one of them must name one.
     * @param sources      the VIPs the pool serves: a redirect for any other destination is refused.
     * @param counters     where outcomes are counted.
     */
    public Redirects(final int capacity, final int hostAddress, final boolean accept, final int leaseMillis, final int maxAgeMillis,
        final List<HostAgentConfig.SourceVip> vips, final TunnelSources sources, final HostAgentCounters counters)
    {
        this(capacity, hostAddress, null, accept, leaseMillis, maxAgeMillis, vips, sources, counters);
    }

    /**
     * @param capacity     flows the table holds.
     * @param hostAddress  this host's IPv4 address: the source of every IPv4 flow it may redirect.
     * @param hostAddress6 this host's IPv6 address (null: no IPv6 flow is this host's).
     * @param accept       whether redirects are accepted at all.
     * @param leaseMillis  an idle redirected flow goes back to the VIP after this long.
     * @param maxAgeMillis how old (or how far in the future) a redirect may be.
     * @param vips         the VIPs whose backends this agent knows: a redirect for one of them must name one.
     * @param sources      the VIPs the pool serves: a redirect for any other destination is refused.
     * @param counters     where outcomes are counted.
     */
    public Redirects(final int capacity, final int hostAddress, final Ip6 hostAddress6, final boolean accept, final int leaseMillis,
        final int maxAgeMillis, final List<HostAgentConfig.SourceVip> vips, final TunnelSources sources, final HostAgentCounters counters)
    {
        this.hostAddress6 = hostAddress6;
        this.sources = sources;
        this.flows = new FlowTable(capacity);
        this.hostAddress = hostAddress;
        this.accept = accept;
        this.leaseMillis = leaseMillis;
        this.maxAgeMillis = maxAgeMillis;
        this.counters = counters;
        known(vips);
    }

    /**
     * A reloaded configuration (agent thread): the redirected flows stay; what later redirects must pass changes.
     *
     * @param leaseMillis  an idle redirected flow goes back to the VIP after this long.
     * @param maxAgeMillis how old (or how far in the future) a redirect may be.
     * @param vips         the VIPs whose backends this agent knows.
     * @param sources      the VIPs the pool serves.
     */
    public void reconfigure(final int leaseMillis, final int maxAgeMillis, final List<HostAgentConfig.SourceVip> vips,
        final TunnelSources sources)
    {
        this.leaseMillis = leaseMillis;
        this.maxAgeMillis = maxAgeMillis;
        this.sources = sources;
        known(vips);
    }

    private void known(final List<HostAgentConfig.SourceVip> vips)
    {
        this.knownBackends = new HashMap<>();
        this.knownBackends6 = new HashMap<>();
        for (final HostAgentConfig.SourceVip v : vips)
        {
            if (v.address6() != null)
            {
                knownBackends6.put(new HostAgentConfig.ServedVip(0, v.port(), v.protocol(), v.address6()), v.backends().stream()
                    .map(HostAgentConfig.SourceBackend::address6).filter(java.util.Objects::nonNull).collect(Collectors.toUnmodifiableSet()));
                continue;
            }
            knownBackends.put(vipKey(v.address(), v.port(), v.protocol()),
                v.backends().stream().map(HostAgentConfig.SourceBackend::address).collect(Collectors.toUnmodifiableSet()));
        }
    }

    /**
     * Handles a Fastpath message received from the network.
     *
     * @param message     the message ({@link RedirectMessage#LENGTH} bytes).
     * @param sender      the IPv4 source of the datagram that carried it.
     * @param codec       the verifier (holds the key).
     * @param epochMillis wall-clock time now.
     * @param nowMillis   the agent's clock now.
     * @return the counter of the outcome: {@link HostAgentCounters#REDIRECTS_ACCEPTED},
     * {@link HostAgentCounters#REVOKES_ACCEPTED} or one of the {@code REFUSED_*}.
     */
    public int onMessage(final long message, final int sender, final RedirectMessage codec, final long epochMillis, final int nowMillis)
    {
        final int outcome = check(message, sender, codec, epochMillis);
        counters.add(outcome, 1);
        if (outcome == HostAgentCounters.REDIRECTS_ACCEPTED)
        {
            final int backend = RedirectMessage.backend(message);
            final int id = backendId(backend);
            flows.putV4(RedirectMessage.client(message), RedirectMessage.vip(message), RedirectMessage.clientPort(message),
                RedirectMessage.vipPort(message), RedirectMessage.protocol(message), id, generations[id], nowMillis);
        }
        else if (outcome == HostAgentCounters.REVOKES_ACCEPTED)
        {
            flows.removeV4(RedirectMessage.client(message), RedirectMessage.vip(message), RedirectMessage.clientPort(message),
                RedirectMessage.vipPort(message), RedirectMessage.protocol(message));
        }
        counters.set(HostAgentCounters.REDIRECTED_FLOWS, flows.size());
        return outcome;
    }

    /**
     * Handles an IPv6-form Fastpath message (an IPv6 flow's, from the backend's IPv6 address): the same checks
     * in the same order as {@link #onMessage}.
     *
     * @param message     the message ({@link RedirectMessage#LENGTH_6} bytes).
     * @param senderHi    high 64 bits of the IPv6 source of the datagram that carried it.
     * @param senderLo    low 64 bits of that source.
     * @param codec       the verifier (holds the key).
     * @param epochMillis wall-clock time now.
     * @param nowMillis   the agent's clock now.
     * @return the counter of the outcome.
     */
    public int onMessage6(final long message, final long senderHi, final long senderLo, final RedirectMessage codec, final long epochMillis,
        final int nowMillis)
    {
        final int outcome = check6(message, senderHi, senderLo, codec, epochMillis);
        counters.add(outcome, 1);
        final long cHi = RedirectMessage.client6Hi(message);
        final long cLo = RedirectMessage.client6Lo(message);
        final long vHi = RedirectMessage.vip6Hi(message);
        final long vLo = RedirectMessage.vip6Lo(message);
        if (outcome == HostAgentCounters.REDIRECTS_ACCEPTED)
        {
            final int id = backendId6(new Ip6(senderHi, senderLo));
            flows.putV6(cHi, cLo, vHi, vLo, RedirectMessage.clientPort6(message), RedirectMessage.vipPort6(message),
                RedirectMessage.protocol(message), id, generations[id], nowMillis);
        }
        else if (outcome == HostAgentCounters.REVOKES_ACCEPTED)
        {
            flows.removeV6(cHi, cLo, vHi, vLo, RedirectMessage.clientPort6(message), RedirectMessage.vipPort6(message),
                RedirectMessage.protocol(message));
        }
        counters.set(HostAgentCounters.REDIRECTED_FLOWS, flows.size());
        return outcome;
    }

    private int check6(final long message, final long senderHi, final long senderLo, final RedirectMessage codec, final long epochMillis)
    {
        if (!accept)
        {
            return HostAgentCounters.REFUSED_DISABLED;
        }
        if (!codec.verify6(message))
        {
            return HostAgentCounters.REFUSED_FORGED;
        }
        final long bHi = RedirectMessage.backend6Hi(message);
        final long bLo = RedirectMessage.backend6Lo(message);
        if (bHi != senderHi || bLo != senderLo)
        {
            return HostAgentCounters.REFUSED_NOT_FROM_BACKEND;
        }
        if (hostAddress6 == null || RedirectMessage.client6Hi(message) != hostAddress6.hi()
            || RedirectMessage.client6Lo(message) != hostAddress6.lo())
        {
            return HostAgentCounters.REFUSED_NOT_OURS;
        }
        final long age = epochMillis - RedirectMessage.issuedAt6(message);
        if (age > maxAgeMillis || age < -maxAgeMillis)
        {
            return HostAgentCounters.REFUSED_STALE;
        }
        final Ip6 sender = new Ip6(senderHi, senderLo);
        final ReplayWindow window = windows6.computeIfAbsent(sender, s -> new ReplayWindow());
        final long sequence = RedirectMessage.sequence6(message);
        if (!window.fresh(sequence))
        {
            return HostAgentCounters.REFUSED_REPLAYED;
        }
        final int type = RedirectMessage.type(message);
        if (type == RedirectMessage.REDIRECT)
        {
            final long vHi = RedirectMessage.vip6Hi(message);
            final long vLo = RedirectMessage.vip6Lo(message);
            final int port = RedirectMessage.vipPort6(message);
            final int protocol = RedirectMessage.protocol(message);
            if (!sources.served6(vHi, vLo, port, protocol))
            {
                return HostAgentCounters.REFUSED_NOT_A_VIP;
            }
            final Set<Ip6> known = knownBackends6.get(new HostAgentConfig.ServedVip(0, port, protocol, new Ip6(vHi, vLo)));
            if (known != null && !known.contains(sender))
            {
                return HostAgentCounters.REFUSED_UNKNOWN_BACKEND;
            }
        }
        window.accept(sequence);
        return type == RedirectMessage.REDIRECT ? HostAgentCounters.REDIRECTS_ACCEPTED : HostAgentCounters.REVOKES_ACCEPTED;
    }

    /**
     * The IPv6 backend an egress packet of this IPv6 flow goes to, if it is redirected ({@link #backendHi},
     * {@link #backendLo} of the id). Hot path: no allocation.
     *
     * @return the backend's id, or -1.
     */
    public int lookup6(final long srcHi, final long srcLo, final long dstHi, final long dstLo, final int srcPort, final int dstPort,
        final int protocol, final int nowMillis)
    {
        final long value = flows.findV6(srcHi, srcLo, dstHi, dstLo, srcPort, dstPort, protocol, nowMillis);
        if (value == FlowTable.MISSING)
        {
            return -1;
        }
        final int id = FlowTable.backendId(value);
        if (FlowTable.flags(value) != generations[id])
        {
            flows.removeV6(srcHi, srcLo, dstHi, dstLo, srcPort, dstPort, protocol);
            counters.add(HostAgentCounters.FALLBACKS, 1);
            counters.set(HostAgentCounters.REDIRECTED_FLOWS, flows.size());
            return -1;
        }
        return id;
    }

    /** @return high 64 bits of the IPv6 backend with this id. */
    public long backendHi(final int id)
    {
        return backendHi[id];
    }

    /** @return low 64 bits of the IPv6 backend with this id. */
    public long backendLo(final int id)
    {
        return backendLo[id];
    }

    /**
     * As {@link #unreachable}, for an ICMPv6 "destination unreachable" quoting an IPv6 tunnel packet of an IPv6
     * flow.
     *
     * @return whether the quoted flow was redirected to that backend (and the backend's flows fall back).
     */
    public boolean unreachable6(final long backendHi, final long backendLo, final long srcHi, final long srcLo, final long dstHi,
        final long dstLo, final int srcPort, final int dstPort, final int protocol)
    {
        final Integer boxed = backendIds6.get(new Ip6(backendHi, backendLo));
        final int id = boxed == null ? -1 : boxed;
        final long value = id < 0 ? FlowTable.MISSING : flows.readV6(srcHi, srcLo, dstHi, dstLo, srcPort, dstPort, protocol);
        if (value == FlowTable.MISSING || FlowTable.backendId(value) != id || FlowTable.flags(value) != generations[id])
        {
            return false;
        }
        generations[id] = (generations[id] + 1) & FlowTable.MAX_FLAGS;
        counters.add(HostAgentCounters.BACKENDS_UNREACHABLE, 1);
        return true;
    }

    private int backendId6(final Ip6 backend)
    {
        final Integer known = backendIds6.get(backend);
        if (known != null)
        {
            return known;
        }
        final int id = newBackendId();
        backendHi[id] = backend.hi();
        backendLo[id] = backend.lo();
        backendIds6.put(backend, id);
        return id;
    }

    private int newBackendId()
    {
        final int id = backendCount++;
        if (id == backendAddresses.length)
        {
            backendAddresses = Arrays.copyOf(backendAddresses, id * 2);
            backendHi = Arrays.copyOf(backendHi, id * 2);
            backendLo = Arrays.copyOf(backendLo, id * 2);
            generations = Arrays.copyOf(generations, id * 2);
        }
        return id;
    }

    private int check(final long message, final int sender, final RedirectMessage codec, final long epochMillis)
    {
        if (!accept)
        {
            return HostAgentCounters.REFUSED_DISABLED;
        }
        if (!codec.verify(message))
        {
            return HostAgentCounters.REFUSED_FORGED;
        }
        final int backend = RedirectMessage.backend(message);
        if (backend != sender)
        {
            return HostAgentCounters.REFUSED_NOT_FROM_BACKEND;
        }
        if (RedirectMessage.client(message) != hostAddress)
        {
            return HostAgentCounters.REFUSED_NOT_OURS;
        }
        final long age = epochMillis - RedirectMessage.issuedAt(message);
        if (age > maxAgeMillis || age < -maxAgeMillis)
        {
            return HostAgentCounters.REFUSED_STALE;
        }
        final ReplayWindow window = windows.computeIfAbsent(sender, s -> new ReplayWindow());
        final long sequence = RedirectMessage.sequence(message);
        if (!window.fresh(sequence))
        {
            return HostAgentCounters.REFUSED_REPLAYED;
        }
        final int type = RedirectMessage.type(message);
        if (type == RedirectMessage.REDIRECT)
        {
            if (!sources.served(RedirectMessage.vip(message), RedirectMessage.vipPort(message), RedirectMessage.protocol(message)))
            {
                return HostAgentCounters.REFUSED_NOT_A_VIP;
            }
            final Set<Integer> known = knownBackends.get(vipKey(RedirectMessage.vip(message), RedirectMessage.vipPort(message),
                RedirectMessage.protocol(message)));
            if (known != null && !known.contains(backend))
            {
                return HostAgentCounters.REFUSED_UNKNOWN_BACKEND;
            }
        }
        window.accept(sequence);
        return type == RedirectMessage.REDIRECT ? HostAgentCounters.REDIRECTS_ACCEPTED : HostAgentCounters.REVOKES_ACCEPTED;
    }

    /**
     * The backend an egress packet of this flow goes to, if it is redirected. A flow whose backend went away
     * since is forgotten here and goes to the VIP ({@link HostAgentCounters#FALLBACKS}). Hot path: no
     * allocation.
     *
     * @return the backend's address (as an unsigned int in a long), or {@link #NONE}.
     */
    public long lookup(final int src, final int dst, final int srcPort, final int dstPort, final int protocol, final int nowMillis)
    {
        final long value = flows.findV4(src, dst, srcPort, dstPort, protocol, nowMillis);
        if (value == FlowTable.MISSING)
        {
            return NONE;
        }
        final int id = FlowTable.backendId(value);
        if (FlowTable.flags(value) != generations[id])
        {
            flows.removeV4(src, dst, srcPort, dstPort, protocol);
            counters.add(HostAgentCounters.FALLBACKS, 1);
            counters.set(HostAgentCounters.REDIRECTED_FLOWS, flows.size());
            return NONE;
        }
        return backendAddresses[id] & 0xFFFF_FFFFL;
    }

    /**
     * The network says {@code backend} cannot be reached, quoting a tunnel packet of a flow: if that flow is
     * redirected to that backend, every flow redirected to it goes back to the VIP. The quoted flow must be
     * one this agent tunnelled there: an ICMP error is easy to forge, a live flow's 5-tuple is not known to
     * an outsider who does not see the traffic.
     *
     * @param backend the quoted outer destination.
     * @return whether the quoted flow was redirected to that backend (and the backend's flows fall back).
     */
    public boolean unreachable(final int backend, final int src, final int dst, final int srcPort, final int dstPort, final int protocol)
    {
        final int id = backendIds.get(backend);
        final long value = id < 0 ? FlowTable.MISSING : flows.readV4(src, dst, srcPort, dstPort, protocol);
        if (value == FlowTable.MISSING || FlowTable.backendId(value) != id || FlowTable.flags(value) != generations[id])
        {
            return false;
        }
        generations[id] = (generations[id] + 1) & FlowTable.MAX_FLAGS;
        counters.add(HostAgentCounters.BACKENDS_UNREACHABLE, 1);
        return true;
    }

    /**
     * Forgets flows idle for the lease, a few buckets per call.
     *
     * @return flows forgotten.
     */
    public int expire(final int nowMillis)
    {
        final int n = flows.expire(nowMillis, leaseMillis, 64);
        if (n > 0)
        {
            counters.set(HostAgentCounters.REDIRECTED_FLOWS, flows.size());
        }
        return n;
    }

    /** @return flows redirected now. */
    public long size()
    {
        return flows.size();
    }

    private int backendId(final int backend)
    {
        int id = backendIds.get(backend);
        if (id < 0)
        {
            id = newBackendId();
            backendAddresses[id] = backend;
            backendIds.put(backend, id);
        }
        return id;
    }

    private static long vipKey(final int address, final int port, final int protocol)
    {
        return HostAgentConfig.ServedVip.key(address, port, protocol);
    }

    @Override
    public void close()
    {
        flows.close();
    }
}
