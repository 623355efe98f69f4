package io.panamux.slowpath.control;

import io.panamux.fastpath.WorkerCounters;
import io.panamux.fastpath.ring.ControlToWorker;
import io.panamux.fastpath.ring.WorkerToControl;
import io.panamux.flow.FlowTable;

/**
 * What the control side holds of one worker, and all it may use (Aeron's proxy/adapter split): the command
 * ring it writes to ({@link ControlToWorker}: frames to send, flows to record), the record ring it reads
 * ({@link WorkerToControl}: frames and ownership records), the worker's flow table (its read methods, which
 * are safe from any thread) and its counters. Never the worker object itself: nothing on the control side
 * writes a field a worker reads.
 *
 * @param index    the worker's index (its RX and TX queue).
 * @param commands the ring from the control thread to the worker.
 * @param records  the ring from the worker to the control thread.
 * @param flows    the worker's flow table (read methods only from other threads).
 * @param counters the worker's counters (read from any thread).
 */
public record WorkerHandle(int index, ControlToWorker commands, WorkerToControl records, FlowTable flows, WorkerCounters counters)
{
}
