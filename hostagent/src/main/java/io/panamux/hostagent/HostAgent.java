package io.panamux.hostagent;

import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.NanoClock;

import io.panamux.dpdk.Burst;
import io.panamux.dpdk.Lcore;
import io.panamux.dpdk.Mbuf;
import io.panamux.dpdk.Memory;
import io.panamux.fastpath.TxBuffer;
import io.panamux.fastpath.encap.IcmpTooBigWriter;
import io.panamux.fastpath.encap.TunnelEncapsulator;
import io.panamux.fastpath.packet.Checksum;
import io.panamux.fastpath.packet.DropReason;
import io.panamux.fastpath.packet.EthernetHeader;
import io.panamux.fastpath.packet.Ipv4Header;
import io.panamux.fastpath.packet.Ipv6Header;
import io.panamux.fastpath.packet.PacketInfo;
import io.panamux.fastpath.packet.PacketParser;
import io.panamux.fastpath.packet.UdpHeader;
import io.panamux.fastpath.snapshot.Backend;
import io.panamux.fastpath.snapshot.Vip;
import io.panamux.flow.FlowHash;
import io.panamux.flow.FlowVisitor;
import io.panamux.slowpath.control.BackendIds;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The host agent's data path: a bump in the wire between the network (a DPDK port on the host's link, e.g.
 * {@code net_af_packet} on a veth) and the host's kernel (a {@code net_tap} device that carries the host's
 * address and routes). The kernel needs no tunnel device: the agent opens tunnels for it and makes them.
 *
 * <pre>
 *            network port                         host port (tap)
 *   router ──► RX ─ tunnel to this host? ─ decapsulate ─┬──────────► TX ──► kernel (server bound to the VIP)
 *              │    Fastpath message? ─ check, record    │
 *              │    anything else ───────────────────────┘
 *   router ◄── TX ◄─ redirected flow? ─ encapsulate to the backend ─┬── RX ◄── kernel (client, replies)
 *                    VIP selected here? ─ Maglev, encapsulate ──────┤
 *                    anything else (replies: direct server return) ─┘
 * </pre>
 *
 * <ul>
 *   <li><b>Decapsulation</b> ({@link Decapsulator}): IP-in-IP, GRE and GUE addressed to this host become
 *       ordinary frames of the inner packet for the kernel, which answers the client directly (DSR).</li>
 *   <li><b>Fastpath, destination side</b> ({@link RedirectIssuer}): a flow from a host that runs an agent,
 *       arriving through a MUX, is redirected: this agent sends the client's agent an authenticated
 *       {@link RedirectMessage} naming this host as the flow's backend.</li>
 *   <li><b>Fastpath, source side</b> ({@link Redirects}): redirects for this host's flows are checked and
 *       recorded; egress packets of a redirected flow are encapsulated straight to the backend (the outer
 *       destination is the backend, the inner packet still goes to the VIP, so the client sees only the VIP).</li>
 *   <li><b>Source-side selection</b> ({@link SourceSelector}): egress packets for the VIPs configured here
 *       are encapsulated to the backend the MUX would have chosen.</li>
 *   <li>Everything else passes unchanged, both ways (ARP, the kernel's own traffic, replies).</li>
 * </ul>
 *
 * Frames the agent builds (redirects, revokes) and encapsulated egress frames go to the configured gateway
 * MAC from the host port's MAC (the kernel's own address on the link). An egress packet that would exceed
 * the network MTU once encapsulated is answered, to the local sender, with an ICMP "fragmentation needed".
 *
 * <p>One thread runs it (both ports' single queue pairs); the steady loop allocates nothing. Idle, it is
 * meant to run under a backoff idle strategy: an agent shares its host's cores with the host's work.
 *
 * <p>What is built off the agent thread for a reload is an {@link AgentReload}; ICMP errors about this host's tunnels
 * are read by {@link UnreachableNotices}. The rest (about 740 lines) stays here because it is the per-frame path of
 * both directions and the Fastpath messages it sends and takes: they share the two ports' TX buffers, the state a
 * reload swaps on this thread (decapsulator, tunnel sources, message key, selector) and the time of the cycle.
 */
public final class HostAgent implements Agent
{
    private static final int OK = PacketParser.OK;
    private static final int TOO_BIG = DropReason.TOO_BIG.ordinal();
    private static final int TCP = 6;
    private static final int UDP = 17;
    private static final int MESSAGE_FRAME_LENGTH = EthernetHeader.LENGTH + Ipv4Header.MIN_LENGTH + UdpHeader.LENGTH
        + RedirectMessage.LENGTH;
    private static final int MESSAGE6_FRAME_LENGTH = EthernetHeader.LENGTH + Ipv6Header.LENGTH + UdpHeader.LENGTH
        + RedirectMessage.LENGTH_6;
    private static final long NANOS_PER_MILLI = 1_000_000L;
    private static final int REVOKES_AT_CLOSE = 4096;
    /** The GUE port of a redirected flow's tunnel, which is IP-in-IP: none. */
    private static final int NO_GUE_PORT = 0;

    private final HostAgentConfig config;
    private final int networkPort;
    private final int hostPort;
    private final long hostMac;
    private final long pool;
    private final HostAgentCounters counters;
    private final NanoClock clock;
    private final EpochClock epochClock;
    private final long startNs;
    private final int burst;

    private final MemorySegment networkRx;
    private final long networkRxAddress;
    private final MemorySegment hostRx;
    private final long hostRxAddress;
    private final TxBuffer networkTx;
    private final TxBuffer hostTx;
    private final PacketParser parser = new PacketParser();
    private final PacketInfo info = new PacketInfo();
    private final Ip6 address6;
    private final long address6Hi;
    private final long address6Lo;
    private final NeighbourResponder neighbours;
    private final AtomicReference<AgentReload> pending = new AtomicReference<>();
    /** The configuration last accepted by {@link #reload} (the running one once the agent thread took it). */
    private volatile HostAgentConfig accepted;
    private HostAgentConfig current;
    private TunnelSources sources;
    private Decapsulator decapsulator;
    private final TunnelEncapsulator encapsulator;
    private final IcmpTooBigWriter tooBig = new IcmpTooBigWriter();
    private SourceSelector selector;
    /** The source-selected backends' stable ids, across reloads (under this object's lock: {@link #reload}). */
    private final BackendIds selectionIds;
    /** The source-side selection in force, for other threads (the stats file's table digests). */
    private volatile Selection selection;
    private final Redirects redirects;
    /** Reads ICMP errors about this host's tunnels to redirected flows' backends; null when it accepts no redirects. */
    private final UnreachableNotices unreachable;
    private final RedirectIssuer issuer;
    private RedirectMessage messages;
    private final int fastpathPort;
    private final FlowVisitor revoker = new Revoker();

    private long sequence;
    private int identification;
    private int nowMillis;
    private long cycles;
    private boolean running;

    /**
     * @param config      the agent's configuration.
     * @param networkPort the DPDK port facing the network (one queue pair, started).
     * @param hostPort    the DPDK port facing the kernel (one queue pair, started).
     * @param hostMac     the host port's MAC: the kernel's address on the link.
     * @param pool        the packet pool (for frames the agent builds).
     * @param counters    the agent's counters.
     * @param clock       monotonic time (a fake clock in tests).
     * @param epochClock  wall-clock time, for the issue time of redirects (agents' clocks must agree to within
     *                    {@code max-age-millis}).
     */
    public HostAgent(final HostAgentConfig config, final int networkPort, final int hostPort, final long hostMac, final long pool,
        final HostAgentCounters counters, final NanoClock clock, final EpochClock epochClock)
    {
        this.config = config;
        this.networkPort = networkPort;
        this.hostPort = hostPort;
        this.hostMac = hostMac;
        this.pool = pool;
        this.counters = counters;
        this.clock = clock;
        this.epochClock = epochClock;
        this.startNs = clock.nanoTime();
        this.burst = config.burstSize();
        // Global arena: these live as long as the process.
        this.networkRx = Arena.global().allocate(JAVA_LONG, burst);
        this.networkRxAddress = networkRx.address();
        this.hostRx = Arena.global().allocate(JAVA_LONG, burst);
        this.hostRxAddress = hostRx.address();
        this.networkTx = new TxBuffer(Arena.global(), networkPort, 0, burst, 0);
        this.hostTx = new TxBuffer(Arena.global(), hostPort, 0, burst, 0);
        this.current = config;
        this.accepted = config;
        this.address6 = config.address6();
        this.address6Hi = address6 == null ? 0 : address6.hi();
        this.address6Lo = address6 == null ? 0 : address6.lo();
        this.neighbours = new NeighbourResponder(hostMac, config.address(), address6);
        this.sources = TunnelSources.of(config);
        this.decapsulator = new Decapsulator(config.address(), address6, config.decapsulatedGuePorts(), sources);
        this.encapsulator = new TunnelEncapsulator(hostMac, config.gatewayMac(), config.address(), address6Hi, address6Lo, config.mtu());
        // A released id waits longer than a flow can stay idle before it names another backend (as on the MUX).
        this.selectionIds = new BackendIds(2L * config.idleTimeoutSeconds() * 1_000_000_000L);
        this.selector = config.vips().isEmpty() ? null
            : new SourceSelector(SourceSelector.Tables.build(List.of(), config.vips(), config.hashSeed(), config.maglevTableSize(),
            config.guePort(), selectionIds, startNs), config.flowCapacity(), config.idleTimeoutSeconds());
        this.selection = new Selection(config.hashSeed(), config.maglevTableSize(), selector == null ? List.of() : selector.vips());
        final HostAgentConfig.Fastpath fp = config.fastpath().orElse(null);
        if (fp != null)
        {
            this.messages = new RedirectMessage(fp.key());
            this.fastpathPort = fp.port();
            this.redirects = fp.accept() ? new Redirects(config.flowCapacity(), config.address(), address6, true, fp.leaseSeconds() * 1000,
                fp.maxAgeMillis(), config.vips(), sources, counters) : null;
            // Made whenever Fastpath is on, so that a reload may start offering (an empty list offers nothing).
            this.issuer = new RedirectIssuer(config.flowCapacity(), fp.offerTo(), fp.offerTo6(), fp.resendMillis(), fp.leaseSeconds() * 1000,
                sources, counters);
        }
        else
        {
            this.messages = null;
            this.fastpathPort = -1;
            this.redirects = null;
            this.issuer = null;
        }
        this.unreachable = redirects == null ? null : new UnreachableNotices(config.address(), address6, redirects, counters);
        // Sequence numbers increase across restarts too: they start from the wall clock.
        this.sequence = epochClock.time() << 16;
    }

    @Override
    public void onStart()
    {
        Lcore.register();
        running = true;
    }

    @Override
    public int doWork()
    {
        nowMillis = (int)((clock.nanoTime() - startNs) / NANOS_PER_MILLI);
        if (pending.get() != null)
        {
            apply(pending.getAndSet(null));
        }
        final int fromNetwork = Burst.rx(networkPort, 0, networkRx, burst);
        for (int i = 0; i < fromNetwork; i++)
        {
            onNetwork(Memory.getI64(networkRxAddress + 8L * i));
        }
        final int fromHost = Burst.rx(hostPort, 0, hostRx, burst);
        for (int i = 0; i < fromHost; i++)
        {
            onHost(Memory.getI64(hostRxAddress + 8L * i));
        }
        // A bump in the wire adds no batching delay: what a poll brought in goes out in the same cycle.
        flush();
        if ((++cycles & 63) == 0 || (fromNetwork | fromHost) == 0)
        {
            housekeeping();
        }
        return fromNetwork + fromHost;
    }

    /**
     * One frame from the network: open it if it is a tunnel to this host, take it if it is a Fastpath
     * message, else hand it to the kernel as it is.
     */
    void onNetwork(final long m)
    {
        counters.add(HostAgentCounters.NETWORK_RX, 1);
        if (current.answerNeighbours() && Mbuf.segments(m) == 1 && neighbours.answer(m) == NeighbourResponder.ANSWERED)
        {
            counters.add(Memory.getU16Be(Mbuf.dataAddress(m) + EthernetHeader.ETHER_TYPE_OFFSET) == EthernetHeader.TYPE_ARP
                ? HostAgentCounters.ARP_ANSWERED : HostAgentCounters.NDP_ANSWERED, 1);
            toNetwork(m);
            return;
        }
        final int verdict = Mbuf.segments(m) == 1 ? decapsulator.decapsulate(m) : Decapsulator.NOT_A_TUNNEL;
        if (verdict == Decapsulator.DECAPSULATED)
        {
            counters.add(HostAgentCounters.DECAPSULATED, 1);
            final boolean outer6 = decapsulator.outerVersion() == 6;
            final long inner = Mbuf.dataAddress(m) + EthernetHeader.LENGTH;
            // Direct: tunnelled by the flow's own source (its agent), not by a MUX.
            final boolean direct = outer6
                ? decapsulator.innerVersion() == 6 && decapsulator.outerSource6Hi() == Memory.getI64Be(inner + Ipv6Header.SOURCE_OFFSET)
                    && decapsulator.outerSource6Lo() == Memory.getI64Be(inner + Ipv6Header.SOURCE_OFFSET + 8)
                : decapsulator.innerVersion() == 4 && decapsulator.outerSource() == Memory.getI32Be(inner + Ipv4Header.SOURCE_OFFSET);
            if (issuer != null && parser.parse(Mbuf.dataAddress(m), Mbuf.dataLength(m), info) == OK)
            {
                final boolean fromMux = outer6 ? sources.isMux6(decapsulator.outerSource6Hi(), decapsulator.outerSource6Lo())
                    : sources.isMux(decapsulator.outerSource());
                if (info.ipVersion == 6 ? address6 != null && issuer.due(info, fromMux, direct, nowMillis)
                    : issuer.due(info, fromMux, direct, nowMillis))
                {
                    if (info.ipVersion == 6)
                    {
                        sendMessage6(RedirectMessage.REDIRECT, info.protocol, info.srcHi, info.srcLo, info.dstHi, info.dstLo, info.srcPort,
                            info.dstPort);
                    }
                    else
                    {
                        sendMessage(RedirectMessage.REDIRECT, info.protocol, info.srcV4, info.dstV4, info.srcPort, info.dstPort);
                    }
                }
            }
            counters.add(direct ? HostAgentCounters.DECAPSULATED_DIRECT : HostAgentCounters.DECAPSULATED_FROM_MUX, 1);
            toHost(m);
            return;
        }
        if (verdict != Decapsulator.NOT_A_TUNNEL)
        {
            counters.add(switch (verdict)
            {
                case Decapsulator.MALFORMED -> HostAgentCounters.TUNNEL_MALFORMED;
                case Decapsulator.FRAGMENT -> HostAgentCounters.TUNNEL_FRAGMENTS;
                case Decapsulator.REFUSED_SOURCE -> HostAgentCounters.TUNNEL_REFUSED_SOURCE;
                case Decapsulator.EXTENSION_DROP -> HostAgentCounters.TUNNEL_EXTENSION_DROPPED;
                default -> HostAgentCounters.TUNNEL_ECN_DROPPED;
            }, 1);
            Burst.free(m);
            return;
        }
        if (messages != null && Mbuf.segments(m) == 1 && takeMessage(m))
        {
            Burst.free(m);
            return;
        }
        if (unreachable != null && Mbuf.segments(m) == 1)
        {
            unreachable.notice(m);
        }
        toHost(m);
    }

    /**
     * One frame from the kernel: encapsulate it if its flow is redirected or its VIP is selected here, else
     * send it as it is.
     */
    void onHost(final long m)
    {
        counters.add(HostAgentCounters.HOST_RX, 1);
        if (Mbuf.segments(m) != 1 || (redirects == null && selector == null)
            || parser.parse(Mbuf.dataAddress(m), Mbuf.dataLength(m), info) != OK
            || info.isFragment || info.icmpError || (info.protocol != TCP && info.protocol != UDP))
        {
            toNetwork(m);
            return;
        }
        if (info.ipVersion == 6)
        {
            onHost6(m);
            return;
        }
        if (redirects != null && redirects.size() > 0)
        {
            final long backend = redirects.lookup(info.srcV4, info.dstV4, info.srcPort, info.dstPort, info.protocol, nowMillis);
            if (backend != Redirects.NONE)
            {
                if (encapsulate(m, TunnelEncapsulator.IPIP, NO_GUE_PORT, false, (int)backend, 0, 0))
                {
                    counters.add(HostAgentCounters.FASTPATH_PACKETS, 1);
                }
                return;
            }
        }
        if (selector != null)
        {
            final int vip = selector.find(info);
            if (vip >= 0)
            {
                final Backend backend = selector.choose(vip, info, nowMillis / 1000);
                if (backend != null)
                {
                    final Vip v = selector.vip(vip);
                    if (encapsulate(m, v.encapsulation(), v.guePort(), backend.v6(), backend.v4(), backend.v6Hi(), backend.v6Lo()))
                    {
                        counters.add(HostAgentCounters.SELECTED_PACKETS, 1);
                        if (selector.chosenNew())
                        {
                            counters.add(HostAgentCounters.SELECTED_FLOWS, 1);
                        }
                    }
                    return;
                }
            }
        }
        toNetwork(m);
    }

    /** An IPv6 egress packet (TCP or UDP, not a fragment): as {@link #onHost}, to IPv6 backends. */
    private void onHost6(final long m)
    {
        if (redirects != null && redirects.size() > 0)
        {
            final int id = redirects.lookup6(info.srcHi, info.srcLo, info.dstHi, info.dstLo, info.srcPort, info.dstPort, info.protocol, nowMillis);
            if (id >= 0)
            {
                if (encapsulate(m, TunnelEncapsulator.IPIP, NO_GUE_PORT, true, 0, redirects.backendHi(id), redirects.backendLo(id)))
                {
                    counters.add(HostAgentCounters.FASTPATH_PACKETS, 1);
                }
                return;
            }
        }
        if (selector != null)
        {
            final int vip = selector.find(info);
            if (vip >= 0)
            {
                final Backend backend = selector.choose(vip, info, nowMillis / 1000);
                if (backend != null)
                {
                    final Vip v = selector.vip(vip);
                    if (encapsulate(m, v.encapsulation(), v.guePort(), backend.v6(), backend.v4(), backend.v6Hi(), backend.v6Lo()))
                    {
                        counters.add(HostAgentCounters.SELECTED_PACKETS, 1);
                        if (selector.chosenNew())
                        {
                            counters.add(HostAgentCounters.SELECTED_FLOWS, 1);
                        }
                    }
                    return;
                }
            }
        }
        toNetwork(m);
    }

    /**
     * Encapsulates {@code m} (parsed into {@link #info}) to a backend and sends it; a selected VIP goes to its {@link Vip#guePort()},
     * as a MUX's worker sends it.
     */
    private boolean encapsulate(final long m, final int type, final int guePort, final boolean outerV6, final int backend,
        final long backendHi, final long backendLo)
    {
        final long hash = info.ipVersion == 6
            ? FlowHash.hashV6(current.hashSeed(), info.srcHi, info.srcLo, info.dstHi, info.dstLo, info.srcPort, info.dstPort, info.protocol)
            : FlowHash.hashV4(current.hashSeed(), info.srcV4, info.dstV4, info.srcPort, info.dstPort, info.protocol);
        final int rc = encapsulator.encapsulate(m, info, type, guePort, outerV6, backend, backendHi, backendLo, hash);
        if (rc == OK)
        {
            toNetwork(m);
            return true;
        }
        if (rc == TOO_BIG && tooBig.write(m, info, encapsulator.innerMtu(type, outerV6), nowMillis * NANOS_PER_MILLI) == OK)
        {
            counters.add(HostAgentCounters.TOO_BIG_REPLIES, 1);
            toHost(m);
            return false;
        }
        counters.add(HostAgentCounters.ENCAPSULATION_FAILED, 1);
        Burst.free(m);
        return false;
    }

    /**
     * A new configuration, read whole from the agent's file, for the agent to apply at the start of its next
     * cycle (any thread; {@code SIGHUP}). Everything that depends on it is built here, off the agent thread;
     * the flows the agent tracks stay (redirects accepted and offered, and source-selected flows, each on its
     * backend while that backend is still one of its VIP's, as a MUX keeps its recorded flows).
     *
     * @param next the new configuration (valid: the loader checked it).
     * @throws IllegalArgumentException when it changes a setting that needs a restart; nothing is applied.
     */
    public synchronized void reload(final HostAgentConfig next)
    {
        final AgentReload reload = AgentReload.prepare(accepted, next, selectionIds, clock.nanoTime());
        accepted = next;
        // Taken out first, so the agent thread cannot take it while this one is made to follow it.
        final AgentReload replaced = pending.getAndSet(null);
        // Never taken by the agent thread: nobody else holds it.
        pending.set(replaced == null ? reload : reload.following(replaced));
    }

    private void apply(final AgentReload reload)
    {
        final HostAgentConfig next = reload.config();
        current = next;
        sources = reload.sources();
        decapsulator = reload.decapsulator();
        if (reload.messages() != null)
        {
            messages = reload.messages();
        }
        final HostAgentConfig.Fastpath fp = next.fastpath().orElse(null);
        if (fp != null && redirects != null)
        {
            redirects.reconfigure(fp.leaseSeconds() * 1000, fp.maxAgeMillis(), next.vips(), sources);
        }
        if (fp != null && issuer != null)
        {
            issuer.reconfigure(fp.offerTo(), fp.offerTo6(), fp.resendMillis(), fp.leaseSeconds() * 1000, sources);
        }
        if (reload.newSelection())
        {
            if (reload.selector() != null || reload.tables() == null)
            {
                // A selector made for this reload (there was none), or no selection any more.
                if (selector != null)
                {
                    selector.close();
                }
                selector = reload.selector();
            }
            else if (selector != null)
            {
                // The recorded flows stay: each keeps its backend while that backend is still its VIP's.
                selector.install(reload.tables());
            }
            else
            {
                // Not expected (a reload that adds the first VIPs brings its selector, and a reload that replaces it
                // takes it over), but never a reason to stop selecting.
                selector = new SourceSelector(reload.tables(), next.flowCapacity(), next.idleTimeoutSeconds());
            }
            selection = new Selection(next.hashSeed(), next.maglevTableSize(), selector == null ? List.of() : selector.vips());
        }
    }

    /**
     * The source-side selection the agent thread uses now.
     *
     * @param hashSeed  the pool's hash seed it was built with.
     * @param tableSize the Maglev table size.
     * @param vips      the VIPs selected for, with their backends and Maglev tables (never changed once built).
     */
    public record Selection(long hashSeed, int tableSize, List<Vip> vips)
    {
        /** Copies the list. */
        public Selection
        {
            vips = List.copyOf(vips);
        }
    }

    /** @return the selection in force (any thread): the last one the agent thread took. */
    public Selection selection()
    {
        return selection;
    }

    /** @return whether the frame was a Fastpath message for this host (handled; the caller frees it). */
    private boolean takeMessage(final long m)
    {
        final long frame = Mbuf.dataAddress(m);
        final int length = Mbuf.dataLength(m);
        if (length >= EthernetHeader.LENGTH + Ipv6Header.LENGTH + UdpHeader.LENGTH && address6 != null
            && Memory.getU16Be(frame + EthernetHeader.ETHER_TYPE_OFFSET) == EthernetHeader.TYPE_IPV6)
        {
            return takeMessage6(frame, length);
        }
        if (length < MESSAGE_FRAME_LENGTH || Memory.getU16Be(frame + EthernetHeader.ETHER_TYPE_OFFSET) != EthernetHeader.TYPE_IPV4)
        {
            return false;
        }
        final long ip = frame + EthernetHeader.LENGTH;
        final int ihl = (Memory.getU8(ip) & 0xF) << 2;
        if (Memory.getU8(ip) >>> 4 != 4 || ihl < Ipv4Header.MIN_LENGTH || Memory.getU8(ip + Ipv4Header.PROTOCOL_OFFSET) != UDP
            || Memory.getI32Be(ip + Ipv4Header.DESTINATION_OFFSET) != config.address()
            || EthernetHeader.LENGTH + ihl + UdpHeader.LENGTH + RedirectMessage.LENGTH > length)
        {
            return false;
        }
        final long udp = ip + ihl;
        if (Memory.getU16Be(udp + UdpHeader.DESTINATION_PORT_OFFSET) != fastpathPort)
        {
            return false;
        }
        if ((Memory.getU16Be(ip + Ipv4Header.FRAGMENT_OFFSET) & (Ipv4Header.FLAG_MORE_FRAGMENTS | Ipv4Header.FRAGMENT_OFFSET_MASK)) != 0
            || Memory.getU16Be(udp + UdpHeader.LENGTH_OFFSET) != UdpHeader.LENGTH + RedirectMessage.LENGTH)
        {
            // Addressed to the Fastpath port but not a whole message: nobody else may have it either.
            counters.add(HostAgentCounters.REFUSED_FORGED, 1);
            return true;
        }
        if (redirects == null)
        {
            counters.add(HostAgentCounters.REFUSED_DISABLED, 1);
            return true;
        }
        redirects.onMessage(udp + UdpHeader.LENGTH, Memory.getI32Be(ip + Ipv4Header.SOURCE_OFFSET), messages, epochClock.time(), nowMillis);
        return true;
    }

    /**
     * An IPv6 Fastpath message: a UDP datagram (right after the IPv6 header: a message carries no extension
     * header) to this host's IPv6 address and the Fastpath port, holding an IPv6-form message.
     */
    private boolean takeMessage6(final long frame, final int length)
    {
        final long ip = frame + EthernetHeader.LENGTH;
        if (Memory.getU8(ip) >>> 4 != 6 || Memory.getU8(ip + Ipv6Header.NEXT_HEADER_OFFSET) != UDP
            || Memory.getI64Be(ip + Ipv6Header.DESTINATION_OFFSET) != address6Hi
            || Memory.getI64Be(ip + Ipv6Header.DESTINATION_OFFSET + 8) != address6Lo)
        {
            return false;
        }
        final long udp = ip + Ipv6Header.LENGTH;
        if (Memory.getU16Be(udp + UdpHeader.DESTINATION_PORT_OFFSET) != fastpathPort)
        {
            return false;
        }
        if (length < MESSAGE6_FRAME_LENGTH || Memory.getU16Be(udp + UdpHeader.LENGTH_OFFSET) != UdpHeader.LENGTH + RedirectMessage.LENGTH_6
            || Memory.getU16Be(ip + Ipv6Header.PAYLOAD_LENGTH_OFFSET) < UdpHeader.LENGTH + RedirectMessage.LENGTH_6)
        {
            counters.add(HostAgentCounters.REFUSED_FORGED, 1);
            return true;
        }
        if (redirects == null)
        {
            counters.add(HostAgentCounters.REFUSED_DISABLED, 1);
            return true;
        }
        redirects.onMessage6(udp + UdpHeader.LENGTH, Memory.getI64Be(ip + Ipv6Header.SOURCE_OFFSET),
            Memory.getI64Be(ip + Ipv6Header.SOURCE_OFFSET + 8), messages, epochClock.time(), nowMillis);
        return true;
    }

    /**
     * Builds and sends an IPv6-form Fastpath message to the flow's source host: Ethernet to the gateway, IPv6
     * from this host's IPv6 address, UDP from and to the Fastpath port (checksummed: IPv6 requires it). The
     * backend named is this host's IPv6 address, the datagram's source, as the receiver checks.
     */
    private void sendMessage6(final int type, final int protocol, final long clientHi, final long clientLo, final long vipHi, final long vipLo,
        final int clientPort, final int vipPort)
    {
        final long m = Burst.alloc(pool);
        if (m == 0)
        {
            counters.add(HostAgentCounters.NO_MBUF, 1);
            return;
        }
        Mbuf.length(m, MESSAGE6_FRAME_LENGTH);
        final long frame = Mbuf.dataAddress(m);
        EthernetHeader.put(frame, current.gatewayMac(), hostMac, EthernetHeader.TYPE_IPV6);
        final long ip = frame + EthernetHeader.LENGTH;
        final int udpLength = UdpHeader.LENGTH + RedirectMessage.LENGTH_6;
        Ipv6Header.put(ip, 0, 0, udpLength, UDP, 64, address6Hi, address6Lo, clientHi, clientLo);
        final long udp = ip + Ipv6Header.LENGTH;
        UdpHeader.put(udp, fastpathPort, fastpathPort, udpLength, 0);
        messages.write6(udp + UdpHeader.LENGTH, type, protocol, clientHi, clientLo, vipHi, vipLo, clientPort, vipPort, address6Hi, address6Lo,
            epochClock.time(), ++sequence);
        final long sum = Checksum.sum(udp, udpLength, Checksum.pseudoHeaderV6(address6Hi, address6Lo, clientHi, clientLo, UDP, udpLength));
        Memory.putU16Be(udp + UdpHeader.CHECKSUM_OFFSET, Checksum.finishUdp(sum));
        counters.add(type == RedirectMessage.REDIRECT ? HostAgentCounters.REDIRECTS_SENT : HostAgentCounters.REVOKES_SENT, 1);
        toNetwork(m);
    }

    /**
     * Builds and sends a Fastpath message to the flow's source host: Ethernet to the gateway, IPv4 from this
     * host, UDP from and to the Fastpath port.
     */
    private void sendMessage(final int type, final int protocol, final int client, final int vip, final int clientPort, final int vipPort)
    {
        final long m = Burst.alloc(pool);
        if (m == 0)
        {
            counters.add(HostAgentCounters.NO_MBUF, 1);
            return;
        }
        Mbuf.length(m, MESSAGE_FRAME_LENGTH);
        final long frame = Mbuf.dataAddress(m);
        EthernetHeader.put(frame, config.gatewayMac(), hostMac, EthernetHeader.TYPE_IPV4);
        final long ip = frame + EthernetHeader.LENGTH;
        final int udpLength = UdpHeader.LENGTH + RedirectMessage.LENGTH;
        Ipv4Header.put(ip, 0, Ipv4Header.MIN_LENGTH + udpLength, identification++, Ipv4Header.FLAG_DONT_FRAGMENT, 64, UDP,
            config.address(), client);
        final long udp = ip + Ipv4Header.MIN_LENGTH;
        UdpHeader.put(udp, fastpathPort, fastpathPort, udpLength, 0);
        messages.write(udp + UdpHeader.LENGTH, type, protocol, client, vip, clientPort, vipPort, config.address(), epochClock.time(),
            ++sequence);
        final long sum = Checksum.sum(udp, udpLength,
            Checksum.pseudoHeaderV4(config.address(), client, UDP, udpLength));
        Memory.putU16Be(udp + UdpHeader.CHECKSUM_OFFSET, Checksum.finishUdp(sum));
        counters.add(type == RedirectMessage.REDIRECT ? HostAgentCounters.REDIRECTS_SENT : HostAgentCounters.REVOKES_SENT, 1);
        toNetwork(m);
    }

    private void toHost(final long m)
    {
        counters.add(HostAgentCounters.HOST_TX, 1);
        hostTx.add(m, 0);
    }

    private void toNetwork(final long m)
    {
        counters.add(HostAgentCounters.NETWORK_TX, 1);
        networkTx.add(m, 0);
    }

    private void flush()
    {
        networkTx.flush();
        hostTx.flush();
    }

    private void housekeeping()
    {
        if (redirects != null)
        {
            redirects.expire(nowMillis);
        }
        if (issuer != null)
        {
            issuer.expire(nowMillis);
        }
        if (selector != null)
        {
            selector.expire(nowMillis / 1000);
        }
        counters.set(HostAgentCounters.TX_DROPPED, networkTx.dropped() + hostTx.dropped());
    }

    /**
     * Revokes every redirect this agent offered that may still be in use (so the clients' agents send those
     * flows to the VIP again), sends what is buffered, and leaves the thread's lcore.
     */
    @Override
    public void onClose()
    {
        if (!running)
        {
            return;
        }
        if (issuer != null)
        {
            issuer.forEach(revoker, REVOKES_AT_CLOSE);
        }
        flush();
        housekeeping();
        Lcore.unregister();
        running = false;
    }

    @Override
    public String roleName()
    {
        return "panamux-hostagent";
    }

    /** @return the agent's counters. */
    public HostAgentCounters counters()
    {
        return counters;
    }

    /** Frees the agent's tables (after its thread stopped). */
    public void closeTables()
    {
        final AgentReload untaken = pending.getAndSet(null);
        if (untaken != null)
        {
            untaken.discard();
        }
        if (redirects != null)
        {
            redirects.close();
        }
        if (issuer != null)
        {
            issuer.close();
        }
        if (selector != null)
        {
            selector.close();
        }
    }

    private final class Revoker implements FlowVisitor
    {
        @Override
        public void onV4(final int srcAddr, final int dstAddr, final int srcPort, final int dstPort, final int protocol, final int backendId,
            final int lastSeen, final int flags)
        {
            sendMessage(RedirectMessage.REVOKE, protocol, srcAddr, dstAddr, srcPort, dstPort);
        }

        @Override
        public void onV6(final long srcHi, final long srcLo, final long dstHi, final long dstLo, final int srcPort, final int dstPort,
            final int protocol, final int backendId, final int lastSeen, final int flags)
        {
            if (address6 != null)
            {
                sendMessage6(RedirectMessage.REVOKE, protocol, srcHi, srcLo, dstHi, dstLo, srcPort, dstPort);
            }
        }
    }
}
