package io.panamux.fastpath;

import java.util.function.IntConsumer;

import io.panamux.fastpath.ring.ControlToWorker;
import io.panamux.fastpath.ring.FlowRecordDescriptor;
import io.panamux.flow.FlowKey;
import io.panamux.flow.FlowTable;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.MessageHandler;

/**
 * Applies the control thread's commands ({@link ControlToWorker}) to one worker, on the worker's thread at the start
 * of each duty cycle: {@code SEND} buffers for TX a frame the control thread built (ARP replies, owner traffic),
 * {@code PUT_FLOW} records a flow in the worker's table (an owner's answer, a confirmed local choice). Allocates
 * nothing: the key is refilled per command.
 */
final class WorkerCommands implements MessageHandler
{
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private final FlowTable flows;
    private final TxBuffer tx;
    private final WorkerCounters counters;
    private final long startNs;
    private final IntConsumer countPut;
    /** The key of a learned flow from the command ring, refilled per command. */
    private final FlowKey key = new FlowKey();
    private long nowNs;

    /**
     * @param flows    the worker's flow table.
     * @param tx       the worker's TX buffer.
     * @param counters the worker's counters.
     * @param startNs  the worker's start on its clock (flow times are seconds since).
     * @param countPut counts a flow table put's result as the worker counts its own.
     */
    WorkerCommands(final FlowTable flows, final TxBuffer tx, final WorkerCounters counters, final long startNs, final IntConsumer countPut)
    {
        this.flows = flows;
        this.tx = tx;
        this.counters = counters;
        this.startNs = startNs;
        this.countPut = countPut;
    }

    /** @param cycleNs the time of the duty cycle whose commands are applied next. */
    void now(final long cycleNs)
    {
        this.nowNs = cycleNs;
    }

    @Override
    public void onMessage(final int type, final MutableDirectBuffer b, final int index, final int length)
    {
        if (type == ControlToWorker.SEND)
        {
            // Counted in tx_packets once the driver takes it (ARP replies, owner traffic); no bytes, as before.
            // control_sent counts it now, as rx_packets counts what enters from the wire.
            tx.add(b.getLong(index + FlowRecordDescriptor.MBUF_OFFSET), nowNs, TxBuffer.NO_BACKEND, 0);
            counters.add(WorkerCounters.CONTROL_SENT, 1);
            return;
        }
        if (type == ControlToWorker.PUT_FLOW)
        {
            final int now = (int)((nowNs - startNs) / NANOS_PER_SECOND);
            final int backend = b.getInt(index + FlowRecordDescriptor.BACKEND_OFFSET);
            final int srcPort = b.getShort(index + FlowRecordDescriptor.SRC_PORT_OFFSET) & 0xFFFF;
            final int dstPort = b.getShort(index + FlowRecordDescriptor.DST_PORT_OFFSET) & 0xFFFF;
            final int protocol = b.getByte(index + FlowRecordDescriptor.PROTOCOL_OFFSET) & 0xFF;
            final int flags = b.getByte(index + FlowRecordDescriptor.FLAGS_OFFSET) & 0xFF;
            if (b.getByte(index + FlowRecordDescriptor.VERSION_OFFSET) == 4)
            {
                key.v4((int)b.getLong(index + FlowRecordDescriptor.SRC_LO_OFFSET), (int)b.getLong(index + FlowRecordDescriptor.DST_LO_OFFSET),
                    srcPort, dstPort, protocol);
            }
            else
            {
                key.v6(b.getLong(index + FlowRecordDescriptor.SRC_HI_OFFSET), b.getLong(index + FlowRecordDescriptor.SRC_LO_OFFSET),
                    b.getLong(index + FlowRecordDescriptor.DST_HI_OFFSET), b.getLong(index + FlowRecordDescriptor.DST_LO_OFFSET), srcPort, dstPort,
                    protocol);
            }
            countPut.accept(flows.put(key, backend, flags, now));
        }
    }
}
