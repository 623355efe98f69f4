package io.panamux.dpdk;

/**
 * A DPDK call failed: the operation, the negative return code or {@code rte_errno}, and DPDK's own
 * error string. Thrown only at start-up, configuration and shutdown, never on the fast path.
 */
public final class DpdkException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    private final int errno;

    /**
     * @param operation what was being done, e.g. {@code "rte_eth_dev_configure(port 0)"}.
     * @param errno     the positive error number.
     */
    public DpdkException(final String operation, final int errno)
    {
        super(operation + " failed: " + Dpdk.strerror(errno) + " (errno " + errno + ")");
        this.errno = errno;
    }

    /**
     * @param message a complete description, for failures that carry no error number.
     */
    public DpdkException(final String message)
    {
        super(message);
        this.errno = 0;
    }

    /** @return the positive DPDK/POSIX error number, 0 when none applies. */
    public int errno()
    {
        return errno;
    }

    /**
     * Turns a DPDK return code into an exception: a negative code is {@code -errno}.
     *
     * @return {@code rc} when it is not negative.
     */
    public static int check(final int rc, final String operation)
    {
        if (rc < 0)
        {
            throw new DpdkException(operation, -rc);
        }
        return rc;
    }
}
