package io.panamux.slowpath.config;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A whole, validated MUX configuration (ARCHITECTURE.md §5 "Configuration file"), immutable. Built by
 * {@link ConfigLoader}, which returns one only when the file has no error.
 *
 * @param mux       who this MUX is and its pool.
 * @param dataplane DPDK, port, workers, table sizes.
 * @param vips      the VIPs in the order written (possibly none); no two share {@link VipConfig#key()}.
 * @param admin     the admin API.
 * @param peers     the flow-ownership protocol with the other members of the pool; present whenever
 *                  {@code mux.pool} has more than one member.
 * @param bgp       the {@code router.bgp} section: the BGP speaker the MUX runs to announce its VIPs; empty
 *                  when the MUX tells no router anything.
 * @param store     the {@code store} section: the pool's document and members are in etcd (ARCHITECTURE.md §7);
 *                  empty for a pool kept in files.
 * @param warnings  things that are allowed but probably unwise, each {@code FILE:LINE: problem} like an
 *                  error (e.g. a Maglev table smaller than 100 times a VIP's backend count).
 */
public record MuxConfig(Mux mux, Dataplane dataplane, List<VipConfig> vips, Admin admin, Optional<Peers> peers, Optional<BgpSettings> bgp,
    Optional<StoreSettings> store, List<String> warnings)
{
    /**
     * Copies the lists; rejects nulls.
     */
    public MuxConfig
    {
        Objects.requireNonNull(mux, "mux");
        Objects.requireNonNull(dataplane, "dataplane");
        vips = List.copyOf(vips);
        Objects.requireNonNull(admin, "admin");
        Objects.requireNonNull(peers, "peers");
        Objects.requireNonNull(bgp, "bgp");
        Objects.requireNonNull(store, "store");
        warnings = List.copyOf(warnings);
    }

    /**
     * A configuration without a {@code store} section (a pool kept in files).
     */
    public MuxConfig(final Mux mux, final Dataplane dataplane, final List<VipConfig> vips, final Admin admin, final Optional<Peers> peers,
        final Optional<BgpSettings> bgp, final List<String> warnings)
    {
        this(mux, dataplane, vips, admin, peers, bgp, Optional.empty(), warnings);
    }

    /**
     * A configuration without a {@code router.bgp} section.
     */
    public MuxConfig(final Mux mux, final Dataplane dataplane, final List<VipConfig> vips, final Admin admin, final Optional<Peers> peers,
        final List<String> warnings)
    {
        this(mux, dataplane, vips, admin, peers, Optional.empty(), Optional.empty(), warnings);
    }

    /**
     * A configuration without a {@code peers} section (a MUX alone in its pool) nor a {@code router.bgp} one.
     */
    public MuxConfig(final Mux mux, final Dataplane dataplane, final List<VipConfig> vips, final Admin admin, final List<String> warnings)
    {
        this(mux, dataplane, vips, admin, Optional.empty(), Optional.empty(), Optional.empty(), warnings);
    }
}
