package io.panamux.slowpath.config;

import java.util.Objects;
import java.util.Optional;

/**
 * The {@code admin:} section: where the admin API listens and the token it requires. A listen address
 * that is not loopback always has a token.
 *
 * @param listenAddress the address to bind, an IP literal (default {@code 127.0.0.1}).
 * @param listenPort    the TCP port, {@code 0..65535} (default {@link #DEFAULT_PORT}; 0 binds any free port).
 * @param token         the bearer token clients must present; empty for none.
 */
public record Admin(IpAddress listenAddress, int listenPort, Optional<String> token)
{
    /** The admin port when none is configured. */
    public static final int DEFAULT_PORT = 9480;
    /** The {@code listen} value when none is configured. */
    public static final String DEFAULT_LISTEN = "127.0.0.1:" + DEFAULT_PORT;

    /**
     * Rejects nulls.
     */
    public Admin
    {
        Objects.requireNonNull(listenAddress, "listenAddress");
        Objects.requireNonNull(token, "token");
    }

    /** @return the admin section used when the file has none: loopback, port 9480, no token. */
    public static Admin defaults()
    {
        return new Admin(IpAddress.ofIpv4(0x7F00_0001), DEFAULT_PORT, Optional.empty());
    }

    /** @return {@code host:port} as written in the file, IPv6 in brackets: {@code [::1]:9480}. */
    public String listen()
    {
        final String host = listenAddress.ipv6() ? "[" + listenAddress + "]" : listenAddress.toString();
        return host + ":" + listenPort;
    }

    /** Never shows the token: configurations end up in logs. */
    @Override
    public String toString()
    {
        return "Admin[listen=" + listen() + ", token=" + (token.isPresent() ? "<redacted>" : "none") + "]";
    }
}
