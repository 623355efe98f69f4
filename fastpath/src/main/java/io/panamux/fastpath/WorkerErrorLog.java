package io.panamux.fastpath;

import java.io.PrintStream;

/**
 * How a worker reports its failed duty cycles ({@link WorkerAgent#doWork}): the first with its stack trace, then one
 * line per {@link WorkerAgent#ERROR_LOG_INTERVAL_NS} at most with the number since, the rest only counted (by the
 * worker, as {@code worker_errors}). The worker's thread only; not on the fast path (it allocates).
 */
final class WorkerErrorLog
{
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private final String role;
    private PrintStream out = System.err;
    private long logged;
    private long sinceLog;
    private long lastLogNs;

    /** @param role the worker's name in each line. */
    WorkerErrorLog(final String role)
    {
        this.role = role;
    }

    /** @param log where the lines go (standard error unless set; tests read it). */
    void output(final PrintStream log)
    {
        this.out = log;
    }

    /**
     * @param e     what the cycle threw.
     * @param nowNs the worker's clock now.
     */
    void failed(final Throwable e, final long nowNs)
    {
        sinceLog++;
        if (logged == 0)
        {
            out.println("panamux: " + role + ": duty cycle failed (the burst's packets were freed; later failures are " +
                "counted as worker_errors and logged at most every " + WorkerAgent.ERROR_LOG_INTERVAL_NS / NANOS_PER_SECOND + " s):");
            e.printStackTrace(out);
        }
        else if (nowNs - lastLogNs >= WorkerAgent.ERROR_LOG_INTERVAL_NS)
        {
            final StackTraceElement[] at = e.getStackTrace();
            out.println("panamux: " + role + ": " + sinceLog + " duty cycle(s) failed since the last report, the last with " +
                e + (at.length > 0 ? " at " + at[0] : ""));
        }
        else
        {
            return;
        }
        logged++;
        sinceLog = 0;
        lastLogNs = nowNs;
    }
}
