package io.panamux.common.auth;

/**
 * The sequence numbers already accepted from one sender: the highest one and a bitmap of the
 * {@value #SIZE} below it (the anti-replay window of RFC 4303 §3.4.3). A message may arrive out of order
 * within the window; one seen before, or older than the window, is refused. One thread only (not thread-safe).
 */
public final class ReplayWindow
{
    /** How far behind the highest sequence a message may arrive. */
    public static final int SIZE = 64;

    private long highest = Long.MIN_VALUE;
    private long seen;

    /** @return whether {@code sequence} would be accepted (nothing is recorded). */
    public boolean fresh(final long sequence)
    {
        if (highest == Long.MIN_VALUE || sequence > highest)
        {
            return true;
        }
        final long behind = highest - sequence;
        return behind < SIZE && (seen & (1L << behind)) == 0;
    }

    /** Records {@code sequence} as accepted; call only after {@link #fresh} said so and the message verified. */
    public void accept(final long sequence)
    {
        if (highest == Long.MIN_VALUE)
        {
            highest = sequence;
            seen = 1;
        }
        else if (sequence > highest)
        {
            final long ahead = sequence - highest;
            seen = ahead >= SIZE ? 1 : (seen << ahead) | 1;
            highest = sequence;
        }
        else
        {
            seen |= 1L << (highest - sequence);
        }
    }

    /** @return the highest sequence accepted, or {@link Long#MIN_VALUE} before the first. */
    public long highest()
    {
        return highest;
    }
}
