package io.panamux.fastpath.snapshot;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Where the control thread publishes the current {@link ForwardingSnapshot} and workers pick it up: a
 * single reference with release/acquire ordering, so a worker that sees a snapshot sees all of it.
 * Workers read it once per burst; a snapshot is immutable, so there is nothing to lock.
 */
public final class SnapshotSlot
{
    private static final VarHandle CURRENT;

    static
    {
        try
        {
            CURRENT = MethodHandles.lookup().findVarHandle(SnapshotSlot.class, "current", ForwardingSnapshot.class);
        }
        catch (final ReflectiveOperationException e)
        {
            throw new ExceptionInInitializerError(e);
        }
    }

    @SuppressWarnings("unused") // accessed through CURRENT
    private ForwardingSnapshot current;

    /** @param initial the first snapshot. */
    public SnapshotSlot(final ForwardingSnapshot initial)
    {
        CURRENT.setRelease(this, initial);
    }

    /** Publishes {@code snapshot} (control thread). */
    public void publish(final ForwardingSnapshot snapshot)
    {
        CURRENT.setRelease(this, snapshot);
    }

    /** @return the current snapshot (any thread). */
    public ForwardingSnapshot current()
    {
        return (ForwardingSnapshot)CURRENT.getAcquire(this);
    }
}
