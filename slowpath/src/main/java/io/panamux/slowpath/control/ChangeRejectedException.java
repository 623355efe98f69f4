package io.panamux.slowpath.control;

/**
 * A change (backend add, remove, drain, re-weight, reload) that was refused as a whole: nothing of it was
 * applied. The message says why, for the operator; {@link #status()} is the HTTP status the admin API
 * answers with.
 */
public final class ChangeRejectedException extends Exception
{
    /** The request is malformed or the change is not valid (HTTP 400). */
    public static final int INVALID = 400;
    /** The VIP or backend named does not exist (HTTP 404). */
    public static final int NOT_FOUND = 404;
    /** The change conflicts with the current state, e.g. adding a backend twice (HTTP 409). */
    public static final int CONFLICT = 409;
    /** The new configuration cannot be applied while running (HTTP 422). */
    public static final int UNPROCESSABLE = 422;

    private static final long serialVersionUID = 1L;

    private final int status;

    /**
     * @param status  {@link #INVALID}, {@link #NOT_FOUND}, {@link #CONFLICT} or {@link #UNPROCESSABLE}.
     * @param message why, for the operator.
     */
    public ChangeRejectedException(final int status, final String message)
    {
        super(message);
        this.status = status;
    }

    /** @return the HTTP status that fits the rejection. */
    public int status()
    {
        return status;
    }
}
