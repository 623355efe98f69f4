package io.panamux.common.daemon;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * How a daemon (the MUX's {@code run}, the host agent) stops on SIGTERM or SIGINT and with which exit
 * status. The JVM's shutdown hook only asks the main thread to stop ({@link #stopRequested}) and waits
 * for it to say it has ({@link #stopped}); then it ends the JVM with the status the stop chose (0, or 1
 * for mbufs left out of the pool) rather than the JVM's 143 for SIGTERM, which service managers count as
 * a failure. A stop that takes longer than {@value #STOP_SECONDS} s lets the JVM end as it would have.
 *
 * <pre>
 * StopHook hook = StopHook.install("panamux-shutdown");
 * hook.stopRequested().await();          // or await(duration): --duration
 * try { ...close, report...; hook.exitStatus(rc); } finally { hook.stopped(); }
 * </pre>
 */
public final class StopHook
{
    /** How long the shutdown hook waits for the main thread's clean stop. */
    public static final int STOP_SECONDS = 10;

    private final CountDownLatch stop = new CountDownLatch(1);
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final AtomicInteger exitStatus = new AtomicInteger(1);

    private StopHook()
    {
    }

    /**
     * Registers the JVM shutdown hook.
     *
     * @param threadName the hook thread's name (it shows in thread dumps taken during a stop).
     * @return the hook.
     */
    public static StopHook install(final String threadName)
    {
        final StopHook hook = new StopHook();
        Runtime.getRuntime().addShutdownHook(new Thread(hook::onSignal, threadName));
        return hook;
    }

    /** @return counted down when a signal asks the daemon to stop: the main thread waits on it. */
    public CountDownLatch stopRequested()
    {
        return stop;
    }

    /**
     * Chooses the exit status of a stop by signal; without a call, a stop by signal exits 1.
     *
     * @param status the status.
     */
    public void exitStatus(final int status)
    {
        exitStatus.set(status);
    }

    /**
     * Says the stop is done (call it last, in a {@code finally}). Flushes {@code System.out} and
     * {@code System.err} first: on a signal the JVM ends as soon as this returns, and what the stop printed
     * must be out by then.
     */
    public void stopped()
    {
        System.out.flush();
        System.err.flush();
        stopped.countDown();
    }

    private void onSignal()
    {
        stop.countDown();
        try
        {
            if (stopped.await(STOP_SECONDS, TimeUnit.SECONDS))
            {
                Runtime.getRuntime().halt(exitStatus.get());
            }
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
        }
    }
}
