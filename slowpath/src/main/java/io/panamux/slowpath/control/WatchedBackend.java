package io.panamux.slowpath.control;

import io.panamux.slowpath.config.HealthCheckConfig;
import io.panamux.slowpath.config.IpAddress;

/**
 * A backend whose health is to be checked, and how.
 *
 * @param vipKey  the VIP it belongs to, {@code 192.0.2.10:80/tcp}.
 * @param address the backend.
 * @param check   the check.
 */
public record WatchedBackend(String vipKey, IpAddress address, HealthCheckConfig check)
{
}
