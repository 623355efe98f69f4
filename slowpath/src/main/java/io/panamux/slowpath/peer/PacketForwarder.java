package io.panamux.slowpath.peer;

import io.panamux.dpdk.Mbuf;
import io.panamux.fastpath.encap.TunnelEncapsulator;
import io.panamux.fastpath.packet.PacketInfo;
import io.panamux.fastpath.packet.PacketParser;
import io.panamux.fastpath.snapshot.Backend;
import io.panamux.fastpath.snapshot.ForwardingSnapshot;
import io.panamux.fastpath.snapshot.Vip;
import io.panamux.slowpath.control.ControlPort;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The control thread's packet forwarding for {@link FlowOwnership}: a packet of a flow goes to its backend,
 * encapsulated with the control thread's own {@link TunnelEncapsulator} for the VIP and sent on the
 * {@link ControlPort}. Used by the owner (the packet that came with a query, copied into a fresh mbuf) and by
 * the asker (a worker's packet it decides locally, or a flow this MUX owns itself).
 *
 * <p>Mbufs: {@link #forward} consumes the mbuf it is given whatever happens (sent, or freed on any failure);
 * {@link #forwardCopy} allocates its own and consumes it likewise. Every failure is counted
 * ({@link PeerCounters#FORWARD_FAILURES}). Control thread only.
 */
final class PacketForwarder
{
    private final ControlPort port;
    private final TunnelEncapsulator encapsulator;
    private final PeerCounters counters;
    private final PacketParser parser = new PacketParser();
    private final PacketInfo info = new PacketInfo();
    private final UnsafeBuffer packetView = new UnsafeBuffer(0, 0);

    PacketForwarder(final ControlPort port, final TunnelEncapsulator encapsulator, final PeerCounters counters)
    {
        this.port = port;
        this.encapsulator = encapsulator;
        this.counters = counters;
    }

    /** @return the port the packets leave on (its mbufs are the ones {@link #forward} takes). */
    ControlPort port()
    {
        return port;
    }

    /** Copies the frame at {@code b[offset, offset + length)} into a fresh mbuf and forwards it to {@code backend} (null: counted, dropped). */
    void forwardCopy(final ForwardingSnapshot snap, final UnsafeBuffer b, final int offset, final int length, final PeerFlow flow,
        final Backend backend, final long hash)
    {
        if (backend == null)
        {
            counters.add(PeerCounters.FORWARD_FAILURES, 1);
            return;
        }
        final long m = port.allocate();
        if (m == 0)
        {
            counters.add(PeerCounters.FORWARD_FAILURES, 1);
            return;
        }
        if (!Mbuf.length(m, length))
        {
            port.free(m);
            counters.add(PeerCounters.FORWARD_FAILURES, 1);
            return;
        }
        packetView.wrap(Mbuf.dataAddress(m), length);
        b.getBytes(offset, packetView, 0, length);
        forward(snap, m, flow, backend, hash);
    }

    /** Encapsulates the frame in {@code m} towards {@code backend} and sends it; the mbuf is consumed either way. */
    void forward(final ForwardingSnapshot snap, final long m, final PeerFlow flow, final Backend backend, final long hash)
    {
        if (backend == null || parser.parse(Mbuf.dataAddress(m), Mbuf.dataLength(m), info) != PacketParser.OK || !matches(info, flow))
        {
            port.free(m);
            counters.add(PeerCounters.FORWARD_FAILURES, 1);
            return;
        }
        final Vip vip = snap.vips()[backend.vipIndex()];
        if (encapsulator.encapsulate(m, info, vip.encapsulation(), vip.guePort(), backend.v6(), backend.v4(), backend.v6Hi(),
            backend.v6Lo(), hash) != PacketParser.OK || !port.send(m))
        {
            port.free(m);
            counters.add(PeerCounters.FORWARD_FAILURES, 1);
            return;
        }
        counters.add(PeerCounters.PACKETS_FORWARDED, 1);
    }

    private static boolean matches(final PacketInfo info, final PeerFlow f)
    {
        if (info.ipVersion != f.version() || info.protocol != f.protocol() || info.srcPort != f.srcPort() || info.dstPort != f.dstPort())
        {
            return false;
        }
        return f.version() == 4 ? info.srcV4 == f.srcV4() && info.dstV4 == f.dstV4()
            : info.srcHi == f.srcHi() && info.srcLo == f.srcLo() && info.dstHi == f.dstHi() && info.dstLo == f.dstLo();
    }
}
