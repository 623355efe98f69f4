package io.panamux.slowpath.config;

import java.util.List;
import java.util.Objects;

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
 */
public record VipConfig(
    IpAddress address,
    int port,
    Protocol protocol,
    Encapsulation encapsulation,
    FlowTracking flowTracking,
    int guePort,
    List<BackendConfig> backends)
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
