package io.panamux.slowpath.control;

import java.util.Objects;

import io.panamux.slowpath.config.Dataplane;
import io.panamux.slowpath.config.Encapsulation;
import io.panamux.slowpath.config.HealthCheckConfig;
import io.panamux.slowpath.config.IpAddress;

/**
 * A backend whose health is to be checked, and how.
 *
 * @param vipKey        the VIP it belongs to, {@code 192.0.2.10:80/tcp}.
 * @param address       the backend.
 * @param check         the check.
 * @param vipAddress    the VIP's address: the inner destination of a check through the tunnel (null only
 *                      for a check that does not go through it).
 * @param encapsulation how the VIP's packets reach the backend, and so the check through the tunnel (null
 *                      only for a check that does not go through it).
 * @param guePort       the VIP's GUE port, where a check through a GUE tunnel goes as the VIP's packets do.
 */
public record WatchedBackend(String vipKey, IpAddress address, HealthCheckConfig check, IpAddress vipAddress, Encapsulation encapsulation,
    int guePort)
{
    /** Rejects a check through the tunnel without the VIP's address and encapsulation. */
    public WatchedBackend
    {
        Objects.requireNonNull(vipKey, "vipKey");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(check, "check");
        if (check.throughTunnel() && (vipAddress == null || encapsulation == null))
        {
            throw new IllegalArgumentException("a check through the tunnel needs the VIP's address and encapsulation");
        }
    }

    /** A backend checked from the MUX's kernel at its own address (not through the tunnel). */
    public WatchedBackend(final String vipKey, final IpAddress address, final HealthCheckConfig check)
    {
        this(vipKey, address, check, null, null, Dataplane.DEFAULT_GUE_PORT);
    }

    /** A backend of a VIP whose GUE port, if it uses GUE, is {@link Dataplane#DEFAULT_GUE_PORT}. */
    public WatchedBackend(final String vipKey, final IpAddress address, final HealthCheckConfig check, final IpAddress vipAddress,
        final Encapsulation encapsulation)
    {
        this(vipKey, address, check, vipAddress, encapsulation, Dataplane.DEFAULT_GUE_PORT);
    }
}
