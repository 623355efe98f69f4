package io.panamux.slowpath.control;

import java.util.Objects;

/**
 * A change (backend add, remove, drain, re-weight, reload) that was refused as a whole: nothing of it was
 * applied. The message says why, for the operator; {@link #reason()} says what kind of refusal it is, in
 * the control layer's own terms. Only the admin API turns a reason into an HTTP status (its {@code status}
 * mapping), so that nothing below it knows about HTTP.
 */
public final class ChangeRejectedException extends Exception
{
    /** Why a change was refused. */
    public enum Reason
    {
        /** The request is malformed or the change is not valid. */
        INVALID,
        /** The VIP or backend named does not exist. */
        NOT_FOUND,
        /** The change conflicts with the current state, e.g. adding a backend twice. */
        CONFLICT,
        /** The new configuration cannot be applied while running (it needs a restart). */
        NEEDS_RESTART,
        /** The store the change must be written to does not answer (or did not confirm it). */
        STORE_UNAVAILABLE
    }

    /** Shorthand for {@link Reason#INVALID}. */
    public static final Reason INVALID = Reason.INVALID;
    /** Shorthand for {@link Reason#NOT_FOUND}. */
    public static final Reason NOT_FOUND = Reason.NOT_FOUND;
    /** Shorthand for {@link Reason#CONFLICT}. */
    public static final Reason CONFLICT = Reason.CONFLICT;
    /** Shorthand for {@link Reason#NEEDS_RESTART}. */
    public static final Reason UNPROCESSABLE = Reason.NEEDS_RESTART;
    /** Shorthand for {@link Reason#STORE_UNAVAILABLE}. */
    public static final Reason STORE_UNAVAILABLE = Reason.STORE_UNAVAILABLE;

    private static final long serialVersionUID = 1L;

    private final Reason reason;

    /**
     * @param reason  what kind of refusal.
     * @param message why, for the operator.
     */
    public ChangeRejectedException(final Reason reason, final String message)
    {
        super(message);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    /** @return what kind of refusal this is. */
    public Reason reason()
    {
        return reason;
    }
}
