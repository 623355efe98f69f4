package io.panamux.slowpath.control;

import java.util.Objects;

import io.panamux.slowpath.config.IpAddress;

/**
 * One backend of one VIP: the key of per-backend state on the control thread (health verdicts), in place of
 * a {@code "VIP ADDRESS"} string that had to be split and parsed back.
 *
 * @param vip     the VIP's key ({@code 192.0.2.10:80/tcp}, {@link io.panamux.slowpath.config.VipConfig#key()}).
 * @param address the backend's address.
 */
public record BackendRef(String vip, IpAddress address)
{
    /** Rejects nulls. */
    public BackendRef
    {
        Objects.requireNonNull(vip, "vip");
        Objects.requireNonNull(address, "address");
    }

    @Override
    public String toString()
    {
        return vip + " " + address;
    }
}
