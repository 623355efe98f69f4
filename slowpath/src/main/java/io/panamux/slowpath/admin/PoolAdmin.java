package io.panamux.slowpath.admin;

import java.util.Map;

import io.panamux.slowpath.control.ChangeRejectedException;

/**
 * What the admin API asks of a MUX whose pool is kept in a store (ARCHITECTURE.md §7): where its configuration
 * stands, and backend changes made in the pool's document rather than in this MUX alone.
 */
public interface PoolAdmin
{
    /**
     * @return the state of the pool's configuration on this MUX, for {@code ctl pool}, {@code ctl vips} and
     *         {@code /metrics}: {@code applied_revision}, {@code applied_from}, {@code store_reachable},
     *         {@code store_problem}, {@code applied_total}, {@code refused_total}, {@code last_refused}, ...
     */
    Map<String, Object> configStatus();

    /**
     * Changes one backend in the pool's document (compare-and-swap, retried over concurrent writers) and waits
     * until this MUX applied the result.
     *
     * @param what    {@code add}, {@code remove}, {@code drain} or {@code weight}.
     * @param vip     {@code ADDRESS:PORT/PROTO}.
     * @param address the backend.
     * @param weight  for add and weight.
     * @return the revision written.
     * @throws ChangeRejectedException when the change is not valid, conflicts, or the store does not answer.
     */
    long changeBackend(String what, String vip, String address, int weight) throws ChangeRejectedException;
}
