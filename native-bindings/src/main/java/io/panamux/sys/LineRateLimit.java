package io.panamux.sys;

/**
 * A bound on a log line that packets can cause (a forged ARP reply per packet must not become a log line
 * per packet): at most {@code burst} lines at once, then one per {@code intervalNs}; the lines held back
 * are counted and the next line that passes says how many. One instance per kind of line, used by one
 * thread (the control thread); it allocates nothing.
 */
public final class LineRateLimit
{
    private final int burst;
    private final long intervalNs;
    private double tokens;
    private long lastNs;
    private boolean started;
    private long suppressed;

    /**
     * @param burst      lines let through back to back.
     * @param intervalNs after a burst, one line per this many nanoseconds.
     */
    public LineRateLimit(final int burst, final long intervalNs)
    {
        if (burst < 1 || intervalNs < 1)
        {
            throw new IllegalArgumentException("burst and interval must be positive: " + burst + ", " + intervalNs);
        }
        this.burst = burst;
        this.intervalNs = intervalNs;
        this.tokens = burst;
    }

    /**
     * @param nowNs the caller's clock.
     * @return whether a line may be written now (if not, it is counted as suppressed).
     */
    public boolean permit(final long nowNs)
    {
        if (started)
        {
            tokens = Math.min(burst, tokens + (double)(nowNs - lastNs) / intervalNs);
        }
        started = true;
        lastNs = nowNs;
        if (tokens >= 1)
        {
            tokens -= 1;
            return true;
        }
        suppressed++;
        return false;
    }

    /**
     * @return {@code " (N similar lines suppressed)"} for the lines held back since the last call, or
     *         {@code ""}; resets the count. Call it when {@link #permit} said yes.
     */
    public String suppressedNote()
    {
        final long n = suppressed;
        suppressed = 0;
        return n == 0 ? "" : " (" + n + " similar line(s) suppressed)";
    }

    /** @return lines held back since the last {@link #suppressedNote}. */
    public long suppressed()
    {
        return suppressed;
    }
}
