package io.panamux.slowpath.health;

import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;

import io.panamux.dpdk.Mbuf;
import io.panamux.dpdk.Memory;
import io.panamux.fastpath.CounterDescriptor;
import io.panamux.fastpath.encap.TunnelEncapsulator;
import io.panamux.fastpath.packet.Checksum;
import io.panamux.fastpath.packet.DropReason;
import io.panamux.fastpath.packet.EthernetHeader;
import io.panamux.fastpath.packet.Ipv4Header;
import io.panamux.fastpath.packet.Ipv6Header;
import io.panamux.fastpath.packet.PacketInfo;
import io.panamux.fastpath.packet.PacketParser;
import io.panamux.fastpath.packet.TcpHeader;
import io.panamux.slowpath.config.Encapsulation;
import io.panamux.slowpath.config.HealthCheckType;
import io.panamux.slowpath.config.IpAddress;
import io.panamux.slowpath.control.ControlPort;
import io.panamux.slowpath.control.WatchedBackend;
import org.agrona.collections.Int2ObjectHashMap;

/**
 * Health checks through the tunnel ({@code health-check.through-tunnel}): a TCP handshake (and for {@code http}
 * a GET) with the VIP,
 * carried to the backend exactly as the VIP's data is, so that a broken tunnel (a host agent that stopped
 * decapsulating, an outer MTU the path drops) fails the check even when the backend's own address answers.
 *
 * <pre>
 *  MUX (control thread)                                    backend host
 *  | Ethernet | outer IP MUX -> backend | GRE/UDP? | IPv4/IPv6 MUX:p -> VIP:port | TCP SYN |  ---> host agent
 *                                                                                                decapsulates,
 *  worker <--- | Ethernet | IP VIP -> MUX | TCP VIP:port -> MUX:p, SYN+ACK or RST |  <------  kernel answers (DSR)
 * </pre>
 *
 * <p>The probe is written into an mbuf as a client's packet would arrive (Ethernet, IP, TCP SYN with an MSS
 * option, checksums), parsed by the fast path's {@link PacketParser} and encapsulated by a
 * {@link TunnelEncapsulator}, so its outer headers are the data path's, byte for byte. Its inner source is
 * the MUX's own address on the data port ({@code mux.address}, {@code mux.address6} for an IPv6 VIP): the
 * backend's answer, sent straight from the VIP like every DSR answer, is routed to that address, reaches a
 * worker, which hands TCP segments for the MUX's address and a port of {@link #FIRST_PORT} ..
 * {@link #LAST_PORT} to the control thread ({@code WorkerAgent.probeAnswers}); they arrive here through a
 * {@link ControlPort}. Each probe in flight has its own source port, and the answer must come from the
 * VIP's address and port and acknowledge the probe's (random) initial sequence number:
 *
 * <ul>
 *   <li>SYN+ACK: the backend's stack took the SYN through the tunnel: good; a RST closes the half-open
 *       connection at once, as a port scanner would, so the backend keeps nothing.</li>
 *   <li>RST acknowledging the SYN: nothing listens on VIP:port there: failed ("connection refused").</li>
 *   <li>anything else (another port, sequence or acknowledgment, a segment without ACK, a frame that does
 *       not parse): ignored and counted ({@code health_tunnel_answers_ignored}); no answer by the timeout
 *       fails the check as {@link HealthChecks} times it.</li>
 * </ul>
 *
 * <p>An {@code http} check goes on after the SYN+ACK on the same connection, as a minimal client does: one
 * segment with the request ({@code GET path HTTP/1.0}, {@code Host: VIP:port}), then the answer's bytes
 * taken in order (an out-of-order segment is left for the server to send again, each in-order one is
 * acknowledged) until its status line is complete ({@link HealthChecks#judge}, at most 1024 bytes), the
 * server closes, or it resets; then a RST ends the connection. Nothing is retransmitted: a lost segment
 * fails that check by its timeout, and {@code fall} absorbs a single loss.
 *
 * <p>Verdicts go to the same {@code rise}/{@code fall} machinery as every check ({@link HealthChecks}).
 * Control thread only; nothing blocks, every mbuf taken is sent or freed before a call returns.
 */
public final class TunnelProbes
{
    /** The first inner source port of probes (above Linux's default ephemeral range, 32768..60999). */
    public static final int FIRST_PORT = 61440;
    /** The last inner source port of probes: at most {@code LAST_PORT - FIRST_PORT + 1} probes in flight. */
    public static final int LAST_PORT = 65535;
    /** Frames taken from the {@link ControlPort} per {@link #poll}. */
    public static final int POLL_LIMIT = 64;
    /** Bytes of the probe's TCP header: 20 and the 4-byte MSS option. */
    public static final int TCP_LENGTH = 24;
    /** Receive window the probe advertises. */
    public static final int WINDOW = 65535;

    /** Probes sent. */
    public static final CounterDescriptor SENT = counter(0, "health_tunnel_probes_sent", "Health-check probes sent through the tunnel");
    /** Probes answered by SYN+ACK: good checks. */
    public static final CounterDescriptor ANSWERED = counter(1, "health_tunnel_probes_answered",
        "Health-check probes through the tunnel answered by SYN+ACK");
    /** Probes answered by RST: failed checks. */
    public static final CounterDescriptor REFUSED = counter(2, "health_tunnel_probes_refused",
        "Health-check probes through the tunnel answered by RST");
    /** Probes without an answer in time: failed checks. */
    public static final CounterDescriptor TIMED_OUT = counter(3, "health_tunnel_probes_timed_out",
        "Health-check probes through the tunnel not answered within timeout-ms");
    /** Probes that could not be sent (no mbuf, no next hop, too big, TX full, no port free): failed checks. */
    public static final CounterDescriptor SEND_FAILURES = counter(4, "health_tunnel_probe_send_failures",
        "Health-check probes through the tunnel that could not be sent");
    /** Frames for the probes' ports that answered no probe (wrong port, sequence, acknowledgment, source). */
    public static final CounterDescriptor IGNORED = counter(5, "health_tunnel_answers_ignored",
        "Frames for the health-check probes' ports that answered no probe in flight");
    /** Every counter, in id order. */
    public static final List<CounterDescriptor> DESCRIPTORS = List.of(SENT, ANSWERED, REFUSED, TIMED_OUT, SEND_FAILURES, IGNORED);

    private static final int PORT_COUNT = LAST_PORT - FIRST_PORT + 1;
    private static final int OK = PacketParser.OK;
    private static final int MSS_OPTION = 0x0204_0000;

    /** Told of each probe's end. */
    @FunctionalInterface
    public interface Listener
    {
        /**
         * @param probe   the probe (no longer in flight).
         * @param good    whether the backend answered SYN+ACK.
         * @param problem why it failed, or empty.
         * @param nowNs   the control thread's clock.
         */
        void probeDone(Probe probe, boolean good, String problem, long nowNs);
    }

    /** One probe in flight. */
    public static final class Probe
    {
        private final WatchedBackend target;
        private final Object attachment;
        private final int port;
        private final int isn;
        /** HTTP only, once the handshake is done: the next sequence numbers each way, and the answer so far. */
        private boolean established;
        private int sendNext;
        private int receiveNext;
        private byte[] response;
        private int responseLength;

        Probe(final WatchedBackend target, final Object attachment, final int port, final int isn)
        {
            this.target = target;
            this.attachment = attachment;
            this.port = port;
            this.isn = isn;
        }

        /** @return what it checks. */
        public WatchedBackend target()
        {
            return target;
        }

        /** @return what the caller attached to it. */
        public Object attachment()
        {
            return attachment;
        }

        /** @return its inner source port. */
        public int port()
        {
            return port;
        }

        /** @return its initial sequence number. */
        public int isn()
        {
            return isn;
        }
    }

    private final ControlPort io;
    private final TunnelEncapsulator encapsulator;
    private final IpAddress muxAddress;
    private final IpAddress muxAddress6;
    private final Listener listener;
    private final int mss4;
    private final int mss6;
    private final SecureRandom random = new SecureRandom();
    private final PacketInfo info = new PacketInfo();
    private final PacketParser parser = new PacketParser();
    private final Int2ObjectHashMap<Probe> inFlight = new Int2ObjectHashMap<>();
    private final AtomicLongArray counters = new AtomicLongArray(DESCRIPTORS.size());
    private final ControlPort.PacketHandler handler;
    private int nextPort = FIRST_PORT;
    private long handlerNowNs;

    /**
     * @param io           where probes leave and answers arrive (the data port).
     * @param encapsulator the control thread's own encapsulator (its gateway MAC follows ARP as the workers' do).
     * @param muxAddress   the MUX's IPv4 address on the data port: the inner source towards IPv4 VIPs.
     * @param muxAddress6  its IPv6 address, or null: the inner source towards IPv6 VIPs.
     * @param listener     told of every probe's end.
     */
    public TunnelProbes(final ControlPort io, final TunnelEncapsulator encapsulator, final IpAddress muxAddress,
        final IpAddress muxAddress6, final Listener listener)
    {
        this.io = io;
        this.encapsulator = encapsulator;
        this.muxAddress = muxAddress;
        this.muxAddress6 = muxAddress6;
        this.listener = listener;
        // The MSS a client behind a standard link would offer through this tunnel (the worst case: GRE or GUE
        // over an outer IPv6 header), so that the answer, like a real client's, fits the path back.
        this.mss4 = Math.max(536, encapsulator.portMtu() - 48 - Ipv4Header.MIN_LENGTH - TcpHeader.MIN_LENGTH);
        this.mss6 = Math.max(1220, encapsulator.portMtu() - 48 - Ipv6Header.LENGTH - TcpHeader.MIN_LENGTH);
        this.handler = m -> onFrame(m, handlerNowNs);
    }

    /**
     * Sends a SYN to {@code target}'s VIP through the tunnel to the backend.
     *
     * @param target     the backend and its VIP (a check with {@code through-tunnel}).
     * @param attachment given back with the probe.
     * @param nowNs      the control thread's clock.
     * @return the probe in flight, or null when none could be sent ({@link #lastFailure()} says why).
     */
    public Probe start(final WatchedBackend target, final Object attachment, final long nowNs)
    {
        final IpAddress vip = target.vipAddress();
        final IpAddress source = vip.ipv6() ? muxAddress6 : muxAddress;
        if (source == null)
        {
            return failed("no mux.address6 to send an IPv6 probe from");
        }
        if (inFlight.size() >= PORT_COUNT)
        {
            return failed("too many probes in flight");
        }
        int port = nextPort;
        while (inFlight.containsKey(port))
        {
            port = port == LAST_PORT ? FIRST_PORT : port + 1;
        }
        nextPort = port == LAST_PORT ? FIRST_PORT : port + 1;
        final Probe probe = new Probe(target, attachment, port, random.nextInt());
        final long m = io.allocate();
        if (m == 0)
        {
            return failed("no mbuf free for the probe");
        }
        final String problem = write(m, source, vip, port, target.check().port(), probe.isn(), 0, TcpHeader.SYN, target, null);
        if (problem != null)
        {
            io.free(m);
            return failed(problem);
        }
        if (!io.send(m))
        {
            io.free(m);
            return failed("the data port's TX queue is full");
        }
        inFlight.put(port, probe);
        add(SENT);
        return probe;
    }

    private String lastFailure = "";

    private Probe failed(final String why)
    {
        lastFailure = why;
        add(SEND_FAILURES);
        return null;
    }

    /** @return why the last {@link #start} returned null. */
    public String lastFailure()
    {
        return lastFailure;
    }

    /**
     * Forgets a probe whose check timed out (or was dropped): a later answer to it is ignored.
     *
     * @param probe    the probe.
     * @param timedOut whether it is given up for want of an answer (counted).
     */
    public void cancel(final Probe probe, final boolean timedOut)
    {
        if (inFlight.get(probe.port()) == probe)
        {
            inFlight.remove(probe.port());
            if (probe.established)
            {
                // Given up mid-answer: the backend's connection is closed now rather than by its own timers.
                reset(probe);
            }
            if (timedOut)
            {
                add(TIMED_OUT);
            }
        }
    }

    /**
     * Takes the answers that arrived, up to {@link #POLL_LIMIT}, and tells the listener of each probe they end.
     *
     * @param nowNs the control thread's clock.
     * @return the frames taken.
     */
    public int poll(final long nowNs)
    {
        handlerNowNs = nowNs;
        return io.poll(handler, POLL_LIMIT);
    }

    /** @return probes in flight. */
    public int inFlight()
    {
        return inFlight.size();
    }

    /** @return the counter's value (any thread). */
    public long get(final CounterDescriptor counter)
    {
        return counters.get(counter.id());
    }

    /** @return every counter by name, in {@link #DESCRIPTORS} order (any thread). */
    public Map<String, Long> toMap()
    {
        final Map<String, Long> out = new LinkedHashMap<>();
        for (final CounterDescriptor d : DESCRIPTORS)
        {
            out.put(d.name(), counters.get(d.id()));
        }
        return out;
    }

    /**
     * Whether a frame a worker handed to the control thread is for the probes (IPv4 or IPv6) rather than ARP.
     *
     * @param mbuf the frame.
     * @return true for an IP frame.
     */
    public static boolean isIp(final long mbuf)
    {
        if (Mbuf.dataLength(mbuf) < EthernetHeader.LENGTH)
        {
            return false;
        }
        final long frame = Mbuf.dataAddress(mbuf);
        int type = EthernetHeader.etherType(frame);
        if (type == EthernetHeader.TYPE_VLAN && Mbuf.dataLength(mbuf) >= EthernetHeader.LENGTH + 4)
        {
            type = Memory.getU16Be(frame + EthernetHeader.LENGTH + 2);
        }
        return type == EthernetHeader.TYPE_IPV4 || type == EthernetHeader.TYPE_IPV6;
    }

    private void onFrame(final long m, final long nowNs)
    {
        try
        {
            final Probe p = match(m);
            if (p == null)
            {
                add(IGNORED);
                return;
            }
            if (p.established)
            {
                onSegment(p, m, nowNs);
                return;
            }
            if ((info.tcpFlags & TcpHeader.RST) != 0)
            {
                inFlight.remove(p.port());
                add(REFUSED);
                listener.probeDone(p, false, "connection refused (RST through the tunnel)", nowNs);
                return;
            }
            add(ANSWERED);
            if (p.target().check().type() == HealthCheckType.HTTP)
            {
                // The handshake went through the tunnel; now the request, on the same connection.
                p.established = true;
                p.sendNext = p.isn() + 1;
                p.receiveNext = Memory.getI32Be(Mbuf.dataAddress(m) + info.l4Offset + TcpHeader.SEQUENCE_OFFSET) + 1;
                p.response = new byte[HealthChecks.MAX_RESPONSE];
                final byte[] request = HealthChecks.httpRequest(p.target().vipAddress(), p.target().check());
                final String problem = segment(p, TcpHeader.ACK | TcpHeader.PSH, request);
                if (problem != null)
                {
                    end(p, false, "cannot send the request: " + problem, nowNs);
                    return;
                }
                p.sendNext += request.length;
                return;
            }
            inFlight.remove(p.port());
            // The backend keeps a half-open connection until told: a RST with the sequence number it expects.
            reset(p);
            listener.probeDone(p, true, "", nowNs);
        }
        finally
        {
            io.free(m);
        }
    }

    /** A segment of an HTTP check's connection: the answer's bytes in order, a FIN, or a RST. */
    private void onSegment(final Probe p, final long m, final long nowNs)
    {
        final long tcp = Mbuf.dataAddress(m) + info.l4Offset;
        if ((info.tcpFlags & TcpHeader.RST) != 0)
        {
            inFlight.remove(p.port());
            listener.probeDone(p, false, "connection reset through the tunnel", nowNs);
            return;
        }
        final int seq = Memory.getI32Be(tcp + TcpHeader.SEQUENCE_OFFSET);
        final int headerLength = TcpHeader.headerLength(tcp);
        final int payload = (info.l3Offset + info.l3Length) - (info.l4Offset + headerLength);
        final boolean fin = (info.tcpFlags & TcpHeader.FIN) != 0;
        if (seq != p.receiveNext || payload < 0 || (payload == 0 && !fin))
        {
            // Out of order, or a bare acknowledgment: nothing to read (the server resends what is missing).
            return;
        }
        final int take = Math.min(payload, p.response.length - p.responseLength);
        Memory.copyToArray(tcp + headerLength, p.response, p.responseLength, take);
        p.responseLength += take;
        p.receiveNext += payload + (fin ? 1 : 0);
        final String verdict = HealthChecks.judge(p.response, p.responseLength, fin, p.target().check().expectStatus());
        if (verdict == null)
        {
            segment(p, TcpHeader.ACK, null);
            return;
        }
        end(p, verdict.isEmpty(), verdict.isEmpty() ? "" : verdict + " (through the tunnel)", nowNs);
    }

    /** Ends an HTTP check: the connection is reset (nothing more is read), the listener told. */
    private void end(final Probe p, final boolean good, final String problem, final long nowNs)
    {
        inFlight.remove(p.port());
        reset(p);
        listener.probeDone(p, good, problem, nowNs);
    }

    /** @return null when a segment of the connection (ACK and {@code payload}) was sent, else why not. */
    private String segment(final Probe p, final int flags, final byte[] payload)
    {
        final IpAddress vip = p.target().vipAddress();
        final long m = io.allocate();
        if (m == 0)
        {
            return "no mbuf free";
        }
        final String problem = write(m, vip.ipv6() ? muxAddress6 : muxAddress, vip, p.port(), p.target().check().port(), p.sendNext,
            p.receiveNext, flags, p.target(), payload);
        if (problem != null)
        {
            io.free(m);
            return problem;
        }
        if (!io.send(m))
        {
            io.free(m);
            return "the data port's TX queue is full";
        }
        return null;
    }

    /** @return the probe the frame answers (SYN+ACK or RST acknowledging its SYN), or null. */
    private Probe match(final long m)
    {
        final long frame = Mbuf.dataAddress(m);
        if (parser.parse(frame, Mbuf.dataLength(m), info) != OK || info.protocol != Ipv4Header.PROTOCOL_TCP || info.icmpError ||
            info.isFragment)
        {
            return null;
        }
        final Probe p = inFlight.get(info.dstPort);
        if (p == null || info.srcPort != p.target().check().port())
        {
            return null;
        }
        final IpAddress vip = p.target().vipAddress();
        final boolean addressed = vip.ipv6()
            ? info.ipVersion == 6 && info.srcHi == vip.high() && info.srcLo == vip.low() && muxAddress6 != null &&
              info.dstHi == muxAddress6.high() && info.dstLo == muxAddress6.low()
            : info.ipVersion == 4 && info.srcV4 == vip.ipv4() && info.dstV4 == muxAddress.ipv4();
        if (!addressed)
        {
            return null;
        }
        final long tcp = frame + info.l4Offset;
        final int ack = Memory.getI32Be(tcp + TcpHeader.ACKNOWLEDGMENT_OFFSET);
        final int flags = info.tcpFlags;
        if (p.established)
        {
            // In the connection: a RST at the expected sequence number, or a segment acknowledging what was sent.
            final int seq = Memory.getI32Be(tcp + TcpHeader.SEQUENCE_OFFSET);
            if ((flags & TcpHeader.SYN) != 0)
            {
                return null;
            }
            if ((flags & TcpHeader.RST) != 0)
            {
                return seq == p.receiveNext ? p : null;
            }
            return (flags & TcpHeader.ACK) != 0 && ack - (p.isn() + 1) >= 0 && p.sendNext - ack >= 0 ? p : null;
        }
        if ((flags & TcpHeader.ACK) == 0 || ack != p.isn() + 1)
        {
            return null;
        }
        final boolean synAck = (flags & (TcpHeader.SYN | TcpHeader.RST)) == TcpHeader.SYN;
        final boolean rst = (flags & (TcpHeader.SYN | TcpHeader.RST)) == TcpHeader.RST;
        return synAck || rst ? p : null;
    }

    private void reset(final Probe p)
    {
        final IpAddress vip = p.target().vipAddress();
        final long m = io.allocate();
        if (m == 0)
        {
            return;
        }
        final String problem = write(m, vip.ipv6() ? muxAddress6 : muxAddress, vip, p.port(), p.target().check().port(),
            p.established ? p.sendNext : p.isn() + 1, 0, TcpHeader.RST, p.target(), null);
        if (problem != null || !io.send(m))
        {
            // The backend then drops its half-open connection by itself after its SYN+ACK retries.
            io.free(m);
        }
    }

    /**
     * Writes a client's TCP segment (no payload) into {@code m} and encapsulates it towards the backend.
     *
     * @return null, or why it cannot be sent (the mbuf is unchanged in meaning: the caller frees it).
     */
    private String write(final long m, final IpAddress source, final IpAddress vip, final int sourcePort, final int vipPort,
        final int seq, final int ack, final int flags, final WatchedBackend target, final byte[] payload)
    {
        final boolean v6 = vip.ipv6();
        final boolean syn = (flags & TcpHeader.SYN) != 0;
        final int headerLength = syn ? TCP_LENGTH : TcpHeader.MIN_LENGTH;
        final int tcpLength = headerLength + (payload == null ? 0 : payload.length);
        final int ipLength = v6 ? Ipv6Header.LENGTH : Ipv4Header.MIN_LENGTH;
        final int frameLength = EthernetHeader.LENGTH + ipLength + tcpLength;
        if (!Mbuf.length(m, frameLength))
        {
            return "the mbuf is too small for a probe";
        }
        final long frame = Mbuf.dataAddress(m);
        // As a client's packet arrives at a worker: the encapsulator replaces this Ethernet header.
        EthernetHeader.put(frame, 0, 0, v6 ? EthernetHeader.TYPE_IPV6 : EthernetHeader.TYPE_IPV4);
        final long ip = frame + EthernetHeader.LENGTH;
        final long tcp = ip + ipLength;
        final long pseudo;
        if (v6)
        {
            Ipv6Header.put(ip, 0, 0, tcpLength, Ipv4Header.PROTOCOL_TCP, TunnelEncapsulator.OUTER_TTL, source.high(), source.low(),
                vip.high(), vip.low());
            pseudo = Checksum.pseudoHeaderV6(source.high(), source.low(), vip.high(), vip.low(), Ipv4Header.PROTOCOL_TCP, tcpLength);
        }
        else
        {
            Ipv4Header.put(ip, 0, ipLength + tcpLength, random.nextInt() & 0xFFFF, Ipv4Header.FLAG_DONT_FRAGMENT,
                TunnelEncapsulator.OUTER_TTL, Ipv4Header.PROTOCOL_TCP, source.ipv4(), vip.ipv4());
            pseudo = Checksum.pseudoHeaderV4(source.ipv4(), vip.ipv4(), Ipv4Header.PROTOCOL_TCP, tcpLength);
        }
        Memory.putU16Be(tcp + TcpHeader.SOURCE_PORT_OFFSET, sourcePort);
        Memory.putU16Be(tcp + TcpHeader.DESTINATION_PORT_OFFSET, vipPort);
        Memory.putI32Be(tcp + TcpHeader.SEQUENCE_OFFSET, seq);
        Memory.putI32Be(tcp + TcpHeader.ACKNOWLEDGMENT_OFFSET, ack);
        Memory.putU16Be(tcp + TcpHeader.DATA_OFFSET_OFFSET, ((headerLength / 4) << 12) | flags);
        Memory.putU16Be(tcp + TcpHeader.WINDOW_OFFSET, (flags & TcpHeader.RST) != 0 ? 0 : WINDOW);
        Memory.putU16Be(tcp + TcpHeader.CHECKSUM_OFFSET, 0);
        Memory.putU16Be(tcp + TcpHeader.CHECKSUM_OFFSET + 2, 0);
        if (syn)
        {
            Memory.putI32Be(tcp + TcpHeader.MIN_LENGTH, MSS_OPTION | (v6 ? mss6 : mss4));
        }
        if (payload != null)
        {
            Memory.copyFromArray(payload, 0, tcp + headerLength, payload.length);
        }
        Memory.putU16Be(tcp + TcpHeader.CHECKSUM_OFFSET, Checksum.finish(Checksum.sum(tcp, tcpLength, pseudo)));

        if (parser.parse(frame, frameLength, info) != OK)
        {
            return "the probe does not parse";
        }
        final IpAddress backend = target.address();
        final long hash = ((long)sourcePort << 16 | vipPort) * 0x9E3779B97F4A7C15L;
        final int verdict = encapsulator.encapsulate(m, info, type(target.encapsulation()), target.guePort(), backend.ipv6(),
            backend.ipv6() ? 0 : backend.ipv4(), backend.high(), backend.low(), hash);
        if (verdict != OK)
        {
            return verdict == DropReason.NO_NEXT_HOP.ordinal() ? "the gateway's MAC is not resolved yet"
                : "cannot encapsulate: " + DropReason.values()[verdict].metricName();
        }
        return null;
    }

    private static int type(final Encapsulation e)
    {
        return switch (e)
        {
            case IPIP -> TunnelEncapsulator.IPIP;
            case GRE -> TunnelEncapsulator.GRE;
            case GUE -> TunnelEncapsulator.GUE;
        };
    }

    private void add(final CounterDescriptor counter)
    {
        counters.setRelease(counter.id(), counters.getPlain(counter.id()) + 1);
    }

    private static CounterDescriptor counter(final int id, final String name, final String help)
    {
        return new CounterDescriptor(id, name, help, CounterDescriptor.Kind.COUNTER, "probes");
    }
}
