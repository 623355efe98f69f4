package io.panamux.slowpath.config;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.panamux.common.config.ConfigProblems;
import io.panamux.common.config.ConfigSection;
import io.panamux.common.config.NodeReader;
import org.yaml.snakeyaml.nodes.Node;

/** Reads the {@code vips} section: each VIP, its backends and its health check. */
final class VipsReader
{
    static final List<String> VIP_KEYS = List.of(
        "address", "port", "protocol", "encapsulation", "flow-tracking", "gue-port", "backends", "health-check");
    static final List<String> BACKEND_KEYS = List.of("address", "weight", "drain");
    /** Maglev spreads flows within about 1% when its table is at least this many times the backend count. */
    private static final int MAGLEV_RECOMMENDED_FACTOR = 100;

    private VipsReader()
    {
    }

    /** @return the VIPs, none when absent; null when the section is no list (reported). A VIP with errors is left out. */
    static List<VipConfig> read(final ConfigContext context, final ConfigSection top)
    {
        final NodeReader reader = context.reader;
        final Node node = top.value("vips");
        if (node == null)
        {
            return List.of();
        }
        final List<Node> items = reader.sequence(node, "vips", "a list of VIPs");
        if (items == null)
        {
            return null;
        }

        final List<VipConfig> vips = new ArrayList<>(items.size());
        final Map<String, Integer> firstIndex = new HashMap<>();
        for (int i = 0; i < items.size(); i++)
        {
            final String path = "vips[" + i + "]";
            final VipConfig vip = vip(context, items.get(i), path);
            if (vip == null)
            {
                continue;
            }
            final Integer first = firstIndex.putIfAbsent(vip.key(), i);
            if (first != null)
            {
                reader.error(items.get(i), path, "duplicate of vips[" + first + "] (" + vip.key() + ")");
                continue;
            }
            vips.add(vip);
        }
        return vips;
    }

    private static VipConfig vip(final ConfigContext context, final Node node, final String path)
    {
        final NodeReader reader = context.reader;
        final ConfigSection section = reader.section(node, path, ConfigProblems.line(node), VIP_KEYS);
        if (section == null)
        {
            return null;
        }
        final int errorsBefore = reader.problems().errorCount();

        final IpAddress address = context.address(section, "address", ConfigContext.Family.ANY, true);
        if (address != null && (address.equals(context.muxAddress) || address.equals(context.muxAddress6)))
        {
            reader.error(section.value("address"), section.child("address"),
                address + " is the MUX's own address; a VIP needs an address of its own");
        }
        final Integer port = reader.integer(section, "port", true, null, 1, 65535);
        final Protocol protocol = reader.choice(section, "protocol", true, null,
            Protocol::fromConfigName, "tcp, udp");
        final Encapsulation encapsulation = reader.choice(section, "encapsulation", false, Encapsulation.IPIP,
            Encapsulation::fromConfigName, "ipip, gre, gue");
        final FlowTracking flowTracking = reader.choice(section, "flow-tracking", false, FlowTracking.ON_CHANGE,
            FlowTracking::fromConfigName, "on-change, always");

        final Integer guePort = reader.integer(section, "gue-port", false, context.globalGuePort, 1, 65535);
        if (section.value("gue-port") != null && encapsulation != null && encapsulation != Encapsulation.GUE)
        {
            reader.warning(section.value("gue-port"), section.child("gue-port"),
                "used only with encapsulation gue; this VIP uses " + encapsulation.configName());
        }

        final List<BackendConfig> backends = backends(context, section);
        final Optional<HealthCheckConfig> healthCheck = HealthCheckReader.read(reader, section, port);

        if (reader.problems().errorCount() != errorsBefore)
        {
            return null;
        }
        checkMaglevTableSize(context, backends.size(), section);
        return new VipConfig(address, port, protocol, encapsulation, flowTracking, guePort, backends, healthCheck);
    }

    private static List<BackendConfig> backends(final ConfigContext context, final ConfigSection vip)
    {
        final NodeReader reader = context.reader;
        final Node node = reader.required(vip, "backends");
        if (node == null)
        {
            return null;
        }
        final String path = vip.child("backends");
        final List<Node> items = reader.sequence(node, path, "a list of backends");
        if (items == null)
        {
            return null;
        }

        final List<BackendConfig> backends = new ArrayList<>(items.size());
        final Map<IpAddress, Integer> firstIndex = new HashMap<>();
        boolean valid = true;
        for (int i = 0; i < items.size(); i++)
        {
            final String itemPath = path + "[" + i + "]";
            final ConfigSection section = reader.section(items.get(i), itemPath, ConfigProblems.line(items.get(i)), BACKEND_KEYS);
            if (section == null)
            {
                valid = false;
                continue;
            }
            final IpAddress address = context.address(section, "address", ConfigContext.Family.ANY, true);
            final Integer weight = reader.integer(section, "weight", false, BackendConfig.DEFAULT_WEIGHT, 0, Integer.MAX_VALUE);
            if (address == null || weight == null)
            {
                valid = false;
                continue;
            }
            final Node addressNode = section.value("address");
            final Integer first = firstIndex.putIfAbsent(address, i);
            if (first != null)
            {
                reader.error(addressNode, section.child("address"),
                    "duplicate of " + path + "[" + first + "] (" + address + ")");
                valid = false;
                continue;
            }
            if (address.ipv6() && context.muxAddress6 == null && !context.address6Failed)
            {
                reader.error(addressNode, section.child("address"),
                    "an IPv6 backend needs mux.address6 (the outer source address towards it)");
                valid = false;
                continue;
            }
            final Boolean drain = reader.bool(section, "drain");
            if (drain == null)
            {
                valid = false;
                continue;
            }
            backends.add(new BackendConfig(address, weight, drain));
        }
        return valid ? backends : null;
    }

    private static void checkMaglevTableSize(final ConfigContext context, final int backends, final ConfigSection vip)
    {
        final Integer maglevTableSize = context.maglevTableSize;
        if (maglevTableSize == null || backends == 0)
        {
            return;
        }
        final int line = vip.keyLine("backends");
        final String path = vip.child("backends");
        if (maglevTableSize < backends)
        {
            context.problems.error(line, path, backends + " backends but dataplane.maglev-table-size is " +
                maglevTableSize + "; the Maglev table needs at least one entry per backend");
        }
        else if ((long)maglevTableSize < (long)MAGLEV_RECOMMENDED_FACTOR * backends)
        {
            context.problems.warning(line, path, backends + " backends with dataplane.maglev-table-size " +
                maglevTableSize + "; Maglev balances evenly only with a table at least " + MAGLEV_RECOMMENDED_FACTOR +
                " times the number of backends (a prime >= " + (long)MAGLEV_RECOMMENDED_FACTOR * backends + ")");
        }
    }
}
