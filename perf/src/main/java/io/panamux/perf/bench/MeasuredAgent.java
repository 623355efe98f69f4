package io.panamux.perf.bench;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

import io.panamux.dpdk.Burst;
import org.agrona.concurrent.Agent;

/**
 * Runs a poll loop ({@link Agent}) and counts the TSC cycles it spends in polls that handled packets,
 * the way {@code dpdk-testpmd --record-core-cycles} counts its forwarding cores: cycles from before the
 * RX burst to after the TX burst, only for polls that received something. Busy cycles per packet is
 * then comparable between the two, whatever else shares the core.
 *
 * <p>An optional {@link Feed} runs before each poll on the same thread, outside the counted cycles
 * (the {@link FrameReplay} that puts client frames where the next RX burst finds them).
 *
 * <p>The harness alternates this loop with {@code dpdk-testpmd} on the same CPU, so the loop can be
 * paused: paused, it parks instead of polling, and leaves the CPU to testpmd.
 */
public final class MeasuredAgent implements Agent
{
    /** Work done before each poll, not counted. */
    @FunctionalInterface
    public interface Feed
    {
        /** Prepares the next poll's input. */
        void feed();
    }

    private static final long PAUSED_PARK_NANOS = 1_000_000;
    private static final VarHandle BUSY_CYCLES;
    private static final VarHandle PACKETS;
    private static final VarHandle POLLS;

    static
    {
        try
        {
            final MethodHandles.Lookup l = MethodHandles.lookup();
            BUSY_CYCLES = l.findVarHandle(MeasuredAgent.class, "busyCycles", long.class);
            PACKETS = l.findVarHandle(MeasuredAgent.class, "packets", long.class);
            POLLS = l.findVarHandle(MeasuredAgent.class, "polls", long.class);
        }
        catch (final ReflectiveOperationException e)
        {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Agent delegate;
    private final Feed feed;
    private final String role;
    private volatile boolean pauseRequested;
    private volatile boolean paused;
    private long busyCycles;
    private long packets;
    private long polls;

    /**
     * @param delegate the measured poll loop: its {@code doWork} returns the packets it received.
     * @param feed     run before each poll, not counted; null for none.
     * @param startPaused true to park from the start until {@link #resume()}.
     */
    public MeasuredAgent(final Agent delegate, final Feed feed, final boolean startPaused)
    {
        this.delegate = delegate;
        this.feed = feed;
        this.role = "measured-" + delegate.roleName();
        this.pauseRequested = startPaused;
    }

    @Override
    public void onStart()
    {
        ThreadPlacement.foreground();
        delegate.onStart();
    }

    @Override
    public int doWork() throws Exception
    {
        if (pauseRequested)
        {
            paused = true;
            LockSupport.parkNanos(PAUSED_PARK_NANOS);
            return 0;
        }
        if (paused)
        {
            // A volatile write only on the way out of a pause: a fence per poll would be measured.
            paused = false;
        }
        if (feed != null)
        {
            feed.feed();
        }
        final long start = Burst.rdtsc();
        final int n = delegate.doWork();
        final long end = Burst.rdtsc();
        if (n > 0)
        {
            // Opaque: single writer; a reader sees whole values, and no fence slows the loop.
            BUSY_CYCLES.setOpaque(this, busyCycles + (end - start));
            PACKETS.setOpaque(this, packets + n);
            POLLS.setOpaque(this, polls + 1);
        }
        return n;
    }

    @Override
    public void onClose()
    {
        delegate.onClose();
    }

    @Override
    public String roleName()
    {
        return role;
    }

    /** Asks the loop to park and waits until it does (at most {@code timeoutMs}). */
    public void pause(final long timeoutMs)
    {
        pauseRequested = true;
        final long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        while (!paused && System.nanoTime() < deadline)
        {
            LockSupport.parkNanos(100_000);
        }
    }

    /** Lets the loop poll again. */
    public void resume()
    {
        pauseRequested = false;
    }

    /** @return TSC cycles spent in polls that received packets (any thread). */
    public long busyCycles()
    {
        return (long)BUSY_CYCLES.getOpaque(this);
    }

    /** @return packets received by counted polls (any thread). */
    public long packets()
    {
        return (long)PACKETS.getOpaque(this);
    }

    /** @return polls that received packets (any thread). */
    public long polls()
    {
        return (long)POLLS.getOpaque(this);
    }

    /** @return the measured loop. */
    public Agent delegate()
    {
        return delegate;
    }
}
