package io.panamux.slowpath.config;

import java.util.Objects;

/**
 * One backend (DIP) of a VIP.
 *
 * @param address the backend, IPv4 or IPv6; an IPv6 backend gets an outer IPv6 header from
 *                {@code mux.address6}.
 * @param weight  its relative share of new flows, at least 0 (0: no new flows); default 1.
 */
public record BackendConfig(IpAddress address, int weight)
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
}
