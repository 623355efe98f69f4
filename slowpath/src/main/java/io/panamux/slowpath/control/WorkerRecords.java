package io.panamux.slowpath.control;

import java.util.List;

import io.panamux.dpdk.Burst;
import io.panamux.fastpath.ring.FlowRecord;
import io.panamux.fastpath.ring.WorkerToControl;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.MessageHandler;

/**
 * The control thread's duty that drains every worker's ring ({@link WorkerToControl}) and hands each
 * record to whoever handles its kind: frames for the control thread (ARP) to a {@link FrameListener},
 * owner queries and learned flows to an {@link OwnershipListener}. Until those are attached, frames are
 * freed, learned flows ignored, and owner queries answered locally: the worker's own (rule 2) choice is
 * confirmed and the packet that asked is dropped (counted).
 */
public final class WorkerRecords implements ControlAgent.Duty
{
    /** Receives frames the workers handed to the control thread; owns each mbuf from then on. */
    @FunctionalInterface
    public interface FrameListener
    {
        /**
         * @param worker index of the worker that received the frame.
         * @param mbuf   the frame.
         */
        void onFrame(int worker, long mbuf);
    }

    /** Receives the flow-ownership records of the workers. */
    public interface OwnershipListener
    {
        /** A packet of a flow the worker does not know, for the flow's owner; owns {@code r.mbuf()}. */
        void onOwnerQuery(int worker, FlowRecord r, long nowNs);

        /** A flow a worker recorded in a stateful phase. */
        void onFlowLearned(int worker, FlowRecord r, long nowNs);
    }

    /** Records read per worker per duty cycle at most. */
    private static final int RECORDS_PER_CYCLE = 256;

    private final List<WorkerHandle> workers;
    private final FrameListener frames;
    private final OwnershipListener ownership;
    private final MessageHandler handler = this::onRecord;
    private int current;
    private long nowNs;
    private long ownerQueriesAnsweredLocally;
    private long framesReceived;

    /**
     * Records of workers with no one to take their frames (they are freed) and no pool (every owner query is
     * answered locally).
     *
     * @param workers the workers whose rings are drained.
     */
    public WorkerRecords(final List<WorkerHandle> workers)
    {
        this(workers, (worker, mbuf) -> Burst.free(mbuf), null);
    }

    /**
     * @param workers   the workers whose rings are drained.
     * @param frames    receives the frames (ARP, answers to the tunnel probes).
     * @param ownership receives the ownership records (the peer protocol), or null when this MUX is alone:
     *                  every owner query is then answered locally.
     */
    public WorkerRecords(final List<WorkerHandle> workers, final FrameListener frames, final OwnershipListener ownership)
    {
        this.workers = List.copyOf(workers);
        this.frames = frames;
        this.ownership = ownership == null ? new LocalOwnership() : ownership;
    }

    @Override
    public int doWork(final long nowNs)
    {
        this.nowNs = nowNs;
        int work = 0;
        for (int w = 0; w < workers.size(); w++)
        {
            current = w;
            work += workers.get(w).records().ring().read(handler, RECORDS_PER_CYCLE);
        }
        return work;
    }

    private void onRecord(final int type, final DirectBuffer buffer, final int index, final int length)
    {
        final FlowRecord r = FlowRecord.decode(type, buffer, index);
        switch (type)
        {
            case WorkerToControl.TO_CONTROL ->
            {
                framesReceived++;
                frames.onFrame(current, r.mbuf());
            }
            case WorkerToControl.OWNER_QUERY -> ownership.onOwnerQuery(current, r, nowNs);
            case WorkerToControl.FLOW_LEARNED -> ownership.onFlowLearned(current, r, nowNs);
            default ->
            {
                if (r.mbuf() != 0)
                {
                    Burst.free(r.mbuf());
                }
            }
        }
    }

    /** @return owner queries decided locally because no ownership protocol is attached. */
    public long ownerQueriesAnsweredLocally()
    {
        return ownerQueriesAnsweredLocally;
    }

    /** @return frames handed to the control thread. */
    public long framesReceived()
    {
        return framesReceived;
    }

    /** Without a peer protocol: confirm the worker's own choice, drop the packet that asked. */
    private final class LocalOwnership implements OwnershipListener
    {
        @Override
        public void onOwnerQuery(final int worker, final FlowRecord r, final long nowNs)
        {
            ownerQueriesAnsweredLocally++;
            Burst.free(r.mbuf());
            workers.get(worker).commands().putFlow(r.version() == 6, r.srcHi(), r.srcLo(), r.dstHi(), r.dstLo(), r.srcPort(),
                r.dstPort(), r.protocol(), r.backendId(), 0);
        }

        @Override
        public void onFlowLearned(final int worker, final FlowRecord r, final long nowNs)
        {
        }
    }
}
