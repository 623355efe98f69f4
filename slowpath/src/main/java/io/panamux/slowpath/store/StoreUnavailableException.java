package io.panamux.slowpath.store;

/**
 * etcd did not answer in time (no quorum reachable, all members down, a partition) or refused the call. The
 * caller keeps what it has and tries again later; the message names the endpoints and the operation.
 */
public final class StoreUnavailableException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    /**
     * @param message what failed, with the endpoints.
     * @param cause   the client's exception, or null.
     */
    public StoreUnavailableException(final String message, final Throwable cause)
    {
        super(message, cause);
    }
}
