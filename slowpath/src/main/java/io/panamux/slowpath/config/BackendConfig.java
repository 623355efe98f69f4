package io.panamux.slowpath.config;

import java.util.Objects;

/**
 * One backend (DIP) of a VIP.
 *
 * @param address the backend, IPv4 or IPv6; an IPv6 backend gets an outer IPv6 header from
 *                {@code mux.address6}.
 * @param weight  its relative share of new flows, at least 0 (0: no new flows); default 1.
 * @param draining no new flows go to it, recorded ones stay until they end ({@code drain: true}; what
 *                 {@code ctl backend drain} writes into a pool's document); its weight is kept for when it returns.
 */
public record BackendConfig(IpAddress address, int weight, boolean draining)
{
    /** The weight of a backend that names none. */
    public static final int DEFAULT_WEIGHT = 1;

    /**
     * Rejects a null address.
     */
    public BackendConfig
    {
        Objects.requireNonNull(address, "address");
    }

    /**
     * A backend that is not draining.
     */
    public BackendConfig(final IpAddress address, final int weight)
    {
        this(address, weight, false);
    }
}
