package io.panamux.slowpath.health;

import io.panamux.slowpath.config.IpAddress;

/**
 * Told, on the control thread, when a backend's health verdict changes (after {@code fall} failures or
 * {@code rise} successes in a row).
 */
@FunctionalInterface
public interface HealthListener
{
    /**
     * @param vipKey  the VIP the backend is checked for.
     * @param backend the backend.
     * @param healthy the new verdict.
     * @param nowNs   the control thread's clock.
     */
    void healthChanged(String vipKey, IpAddress backend, boolean healthy, long nowNs);
}
