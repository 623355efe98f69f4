package io.panamux.slowpath.config;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One virtual IP service: address, port and protocol, how its packets are carried and its backends.
 * No two VIPs of a configuration share {@link #key()}.
 *
 * @param address       the VIP, IPv4 or IPv6.
 * @param port          the destination port, {@code 1..65535}.
 * @param protocol      TCP or UDP.
 * @param encapsulation how packets reach a backend (default {@link Encapsulation#IPIP}).
 * @param flowTracking  when flows are recorded (default {@link FlowTracking#ON_CHANGE}).
 * @param guePort       the UDP destination port of GUE packets: the VIP's {@code gue-port}, else
 *                      {@code dataplane.gue-port}; used only with {@link Encapsulation#GUE}.
 * @param backends      the backends in the order written; no address appears twice.
 * @param healthCheck   how its backends are checked; empty: they are always healthy.
 */
public record VipConfig(
    IpAddress address,
    int port,
    Protocol protocol,
    Encapsulation encapsulation,
    FlowTracking flowTracking,
    int guePort,
    List<BackendConfig> backends,
    Optional<HealthCheckConfig> healthCheck)
{
    /**
     * Copies {@code backends}; rejects nulls.
     */
    public VipConfig
    {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(encapsulation, "encapsulation");
        Objects.requireNonNull(flowTracking, "flowTracking");
        backends = List.copyOf(backends);
        Objects.requireNonNull(healthCheck, "healthCheck");
    }

    /**
     * A VIP without health checks.
     *
     * @param address       the VIP.
     * @param port          the destination port.
     * @param protocol      TCP or UDP.
     * @param encapsulation how packets reach a backend.
     * @param flowTracking  when flows are recorded.
     * @param guePort       the UDP destination port of GUE packets.
     * @param backends      the backends.
     */
    public VipConfig(
        final IpAddress address,
        final int port,
        final Protocol protocol,
        final Encapsulation encapsulation,
        final FlowTracking flowTracking,
        final int guePort,
        final List<BackendConfig> backends)
    {
        this(address, port, protocol, encapsulation, flowTracking, guePort, backends, Optional.empty());
    }

    /** @return the same VIP with {@code backends} instead of its own. */
    public VipConfig withBackends(final List<BackendConfig> backends)
    {
        return new VipConfig(address, port, protocol, encapsulation, flowTracking, guePort, backends, healthCheck);
    }

    /**
     * @return the VIP as {@code ctl} names it: {@code 192.0.2.10:80/tcp}, {@code [2001:db8::1]:443/tcp}.
     */
    public String key()
    {
        final String host = address.ipv6() ? "[" + address + "]" : address.toString();
        return host + ":" + port + "/" + protocol.configName();
    }
}
