package io.panamux.slowpath.control;

import java.util.List;

/**
 * Whoever checks backends' health (the health-check duty): told, on the control thread, the whole set of
 * backends to check after every change of it. Backends that stay in the set keep their state and
 * schedule; new ones start healthy; the others are forgotten.
 */
@FunctionalInterface
public interface BackendWatcher
{
    /** Checks nothing. */
    BackendWatcher NONE = (backends, nowNs) ->
    {
    };

    /**
     * @param backends every backend to check now.
     * @param nowNs    the control thread's clock.
     */
    void watch(List<WatchedBackend> backends, long nowNs);
}
