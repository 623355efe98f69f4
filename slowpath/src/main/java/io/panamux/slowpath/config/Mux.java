package io.panamux.slowpath.config;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The {@code mux:} section: who this MUX is and which pool it shares its VIPs with.
 *
 * @param name     a name for logs, {@code ctl} and peers, e.g. {@code mux-a}.
 * @param address  the IPv4 outer source of encapsulated packets; the MUX answers ARP for it.
 * @param address6 the IPv6 outer source towards IPv6 backends; required only when there are any.
 * @param pool     every MUX sharing these VIPs, for flow ownership, in the order written (default
 *                 {@code [address]}); it always contains {@code address}.
 * @param hashSeed the seed of the flow hash, identical on every MUX of the pool: 64 bits, unsigned in the
 *                 file (decimal or {@code 0x} hex), default {@link #DEFAULT_HASH_SEED}.
 */
public record Mux(String name, IpAddress address, Optional<IpAddress> address6, List<IpAddress> pool, long hashSeed)
{
    /** The hash seed when the file gives none: the ASCII bytes of {@code "panamux"}, {@code 0x70616e616d7578}. */
    public static final long DEFAULT_HASH_SEED = 0x70616E616D7578L;

    /**
     * Copies {@code pool}; rejects nulls.
     */
    public Mux
    {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(address6, "address6");
        pool = List.copyOf(pool);
    }
}
