package io.panamux.hostagent;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import io.panamux.common.config.ConfigProblems;
import io.panamux.common.config.ConfigSection;
import io.panamux.common.config.NodeReader;
import io.panamux.fastpath.encap.TunnelEncapsulator;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;

/** Reads the {@code vips} of a host agent's file: the VIPs it selects backends for itself (source-side selection). */
final class SourceVipsReader
{
    static final List<String> KEYS = List.of("address", "port", "protocol", "encapsulation", "backends");
    static final List<String> BACKEND_KEYS = List.of("address", "weight");

    /** A source-side VIP and the node a problem with it is blamed on. */
    record PlacedVip(HostAgentConfig.SourceVip vip, Node node, String path)
    {
    }

    private SourceVipsReader()
    {
    }

    /** @return the source-side VIPs, none when absent; null when any has errors (reported). */
    static List<PlacedVip> read(final NodeReader reader, final ConfigSection top)
    {
        final Node node = top.value("vips");
        final List<Node> items = node == null ? List.of() : reader.sequence(node, "vips", "a list of VIPs");
        if (items == null)
        {
            return null;
        }
        final int errorsBefore = reader.problems().errorCount();
        final List<PlacedVip> vips = new ArrayList<>();
        for (int i = 0; i < items.size(); i++)
        {
            final String path = "vips[" + i + "]";
            final HostAgentConfig.SourceVip vip = vip(reader, items.get(i), path);
            if (vip == null)
            {
                continue;
            }
            if (vips.stream().anyMatch(other -> other.vip().key().equals(vip.key())))
            {
                reader.error(items.get(i), path, "duplicate VIP " + vip.key());
            }
            vips.add(new PlacedVip(vip, items.get(i), path));
        }
        return reader.problems().errorCount() == errorsBefore ? vips : null;
    }

    private static HostAgentConfig.SourceVip vip(final NodeReader reader, final Node node, final String path)
    {
        final ConfigSection vip = reader.section(node, path, ConfigProblems.line(node), KEYS);
        if (vip == null)
        {
            return null;
        }
        final int errorsBefore = reader.problems().errorCount();
        final Node addressNode = reader.required(vip, "address");
        final boolean v6 = addressNode instanceof ScalarNode scalar && Ip6.looksLikeV6(scalar.getValue());
        final Integer address = addressNode == null || v6 ? Integer.valueOf(0) :
            reader.parsed(addressNode, vip.child("address"), Prefix::parseAddress);
        final Ip6 address6 = v6 ? reader.parsed(addressNode, vip.child("address"), Ip6::parse) : null;
        final Integer port = reader.integer(vip, "port", true, null, 1, 65535);
        final Integer protocol = reader.choice(vip, "protocol", false, 6, name -> switch (name)
        {
            case "tcp" -> 6;
            case "udp" -> 17;
            default -> null;
        }, "tcp, udp");
        final Integer encapsulation = reader.choice(vip, "encapsulation", false, TunnelEncapsulator.IPIP, name -> switch (name)
        {
            case "ipip" -> TunnelEncapsulator.IPIP;
            case "gre" -> TunnelEncapsulator.GRE;
            case "gue" -> TunnelEncapsulator.GUE;
            default -> null;
        }, "ipip, gre, gue");
        final List<HostAgentConfig.SourceBackend> backends = backends(reader, vip);
        if (reader.problems().errorCount() != errorsBefore)
        {
            return null;
        }
        return new HostAgentConfig.SourceVip(address, port, protocol, encapsulation, backends, address6);
    }

    private static List<HostAgentConfig.SourceBackend> backends(final NodeReader reader, final ConfigSection vip)
    {
        final Node node = reader.required(vip, "backends");
        final List<Node> items = node == null ? null : reader.sequence(node, vip.child("backends"), "a list of backends");
        if (items == null)
        {
            return null;
        }
        if (items.isEmpty())
        {
            reader.error(node, vip.child("backends"), "must be a non-empty list of backends ({ address, weight })");
            return null;
        }
        final List<HostAgentConfig.SourceBackend> backends = new ArrayList<>();
        for (int i = 0; i < items.size(); i++)
        {
            final String path = vip.child("backends") + "[" + i + "]";
            final ConfigSection backend = reader.section(items.get(i), path, ConfigProblems.line(items.get(i)), BACKEND_KEYS);
            if (backend == null)
            {
                continue;
            }
            final Node addressNode = reader.required(backend, "address");
            final boolean v6 = addressNode instanceof ScalarNode scalar && Ip6.looksLikeV6(scalar.getValue());
            final Integer address = addressNode == null || v6 ? Integer.valueOf(0) :
                reader.parsed(addressNode, backend.child("address"), Prefix::parseAddress);
            final Ip6 address6 = v6 ? reader.parsed(addressNode, backend.child("address"), Ip6::parse) : null;
            final Integer weight = reader.integer(backend, "weight", false, 1, 0, 1000);
            if (addressNode == null || address == null || (v6 && address6 == null) || weight == null)
            {
                continue;
            }
            final HostAgentConfig.SourceBackend parsed = new HostAgentConfig.SourceBackend(address, weight, address6);
            if (backends.stream().anyMatch(other -> other.address() == parsed.address() && Objects.equals(other.address6(), parsed.address6())))
            {
                reader.error(addressNode, backend.child("address"), "duplicate backend " + parsed);
                continue;
            }
            backends.add(parsed);
        }
        return backends;
    }
}
