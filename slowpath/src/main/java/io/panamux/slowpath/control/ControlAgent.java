package io.panamux.slowpath.control;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.ManyToOneConcurrentLinkedQueue;
import org.agrona.concurrent.NanoClock;

/**
 * The control thread of one MUX (ARCHITECTURE.md §3): one Agrona agent, run with a backoff idle strategy,
 * that owns everything the fast path does not: the VIP and backend state and the snapshots built from it,
 * and every slow-path duty (worker records, peers, health checks, ARP, router control, metrics sampling).
 *
 * <p>Other threads (the admin API, signal handlers, tests) never touch that state: they {@link #submit}
 * a {@link Command}, which runs on the control thread, in order, and completes a future with its result
 * or its rejection. Duties are the agent's sub-loops, each called once per duty cycle with the time; tests
 * step the agent with {@link #doWork()} and a fake clock.
 */
public final class ControlAgent implements Agent
{
    /**
     * Work run on the control thread on behalf of another thread.
     *
     * @param <T> what it hands back to the submitter.
     */
    @FunctionalInterface
    public interface Command<T>
    {
        /**
         * @param control the agent (its state may be read and changed here).
         * @param nowNs   the control thread's clock.
         * @return the result handed to the submitter.
         * @throws Exception to reject the command; the submitter's future completes exceptionally and the
         *                   command must have changed nothing.
         */
        T execute(ControlAgent control, long nowNs) throws Exception;
    }

    /** A sub-loop of the control thread. */
    public interface Duty
    {
        /**
         * @param nowNs the control thread's clock.
         * @return how much work was done (0 lets the agent back off).
         */
        int doWork(long nowNs);

        /** Called once on the control thread when the agent closes. */
        default void onClose()
        {
        }
    }

    /** A command and the future of its submitter, typed together so that completing it needs no cast. */
    private record Pending<T>(Command<T> command, CompletableFuture<T> result)
    {
        void run(final ControlAgent control, final long nowNs)
        {
            try
            {
                result.complete(command.execute(control, nowNs));
            }
            catch (final Exception e)
            {
                result.completeExceptionally(e);
            }
        }
    }

    /** Commands run per duty cycle at most, so a flood of admin calls cannot starve the duties. */
    private static final int COMMANDS_PER_CYCLE = 64;

    private final SnapshotPublisher publisher;
    private final NanoClock clock;
    private final ManyToOneConcurrentLinkedQueue<Pending<?>> commands = new ManyToOneConcurrentLinkedQueue<>();
    private final List<Duty> duties = new ArrayList<>();
    private boolean snapshotDirty;

    /**
     * @param publisher the snapshot publisher (owned by this agent from now on).
     * @param clock     the control thread's clock.
     */
    public ControlAgent(final SnapshotPublisher publisher, final NanoClock clock)
    {
        this.publisher = publisher;
        this.clock = clock;
    }

    /** Adds a duty; before the agent starts, or from a command. */
    public void addDuty(final Duty duty)
    {
        duties.add(duty);
    }

    /**
     * Runs {@code command} on the control thread (any thread may call this).
     *
     * @param <T> the command's result type.
     * @return completes with the command's result, or exceptionally with its rejection.
     */
    public <T> CompletableFuture<T> submit(final Command<T> command)
    {
        final CompletableFuture<T> result = new CompletableFuture<>();
        commands.offer(new Pending<>(command, result));
        return result;
    }

    @Override
    public int doWork()
    {
        final long nowNs = clock.nanoTime();
        int work = 0;
        Pending<?> p;
        while (work < COMMANDS_PER_CYCLE && (p = commands.poll()) != null)
        {
            work++;
            p.run(this, nowNs);
        }
        for (int i = 0; i < duties.size(); i++)
        {
            work += duties.get(i).doWork(nowNs);
        }
        if (snapshotDirty)
        {
            snapshotDirty = false;
            publisher.publish(nowNs);
            work++;
        }
        return work;
    }

    /** Asks for a new snapshot to be published at the end of this duty cycle (control thread). */
    public void snapshotChanged()
    {
        snapshotDirty = true;
    }

    /** @return the snapshot publisher and VIP state (control thread). */
    public SnapshotPublisher publisher()
    {
        return publisher;
    }

    /** @return the control thread's clock. */
    public NanoClock clock()
    {
        return clock;
    }

    @Override
    public void onClose()
    {
        for (final Duty d : duties)
        {
            d.onClose();
        }
        Pending<?> p;
        while ((p = commands.poll()) != null)
        {
            p.result().completeExceptionally(new IllegalStateException("the MUX is stopping"));
        }
    }

    @Override
    public String roleName()
    {
        return "panamux-control";
    }
}
