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
 *                 file (decimal or {@code 0x} hex); without one, see {@link HashSeed}.
 * @param hashSeedSource where {@code hashSeed} came from.
 */
public record Mux(String name, IpAddress address, Optional<IpAddress> address6, List<IpAddress> pool, long hashSeed,
    HashSeed.Source hashSeedSource)
{
    /**
     * The hash seed of configurations with no file and no {@code peers.key} (demo, tests): the ASCII bytes of
     * {@code "panamux"}, {@code 0x70616e616d7578}. Public, so never a running pool's ({@link HashSeed}).
     */
    public static final long DEFAULT_HASH_SEED = 0x70616E616D7578L;

    /**
     * A MUX whose seed is configured.
     */
    public Mux(final String name, final IpAddress address, final Optional<IpAddress> address6, final List<IpAddress> pool, final long hashSeed)
    {
        this(name, address, address6, pool, hashSeed, HashSeed.Source.CONFIGURED);
    }

    /**
     * Copies {@code pool}; rejects nulls.
     */
    public Mux
    {
        Objects.requireNonNull(hashSeedSource, "hashSeedSource");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(address6, "address6");
        pool = List.copyOf(pool);
    }
}
