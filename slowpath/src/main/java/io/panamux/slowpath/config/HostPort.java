package io.panamux.slowpath.config;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * An IP literal and a port, as written {@code "10.0.0.10:9470"} or {@code "[2001:db8::a]:9470"} in the
 * configuration. Never resolved: the host is always an address.
 *
 * @param address the IP address.
 * @param port    the port, {@code 0..65535}.
 */
public record HostPort(IpAddress address, int port)
{
    /**
     * Rejects a null address and a port out of range.
     */
    public HostPort
    {
        Objects.requireNonNull(address, "address");
        if (port < 0 || port > 65535)
        {
            throw new IllegalArgumentException("port out of range: " + port);
        }
    }

    /** @return the socket address (built from the address's bytes, no lookup). */
    public InetSocketAddress toSocketAddress()
    {
        return new InetSocketAddress(address.toInetAddress(), port);
    }

    /** @return {@code host:port}, IPv6 in brackets. */
    @Override
    public String toString()
    {
        return (address.ipv6() ? "[" + address + "]" : address.toString()) + ":" + port;
    }
}
