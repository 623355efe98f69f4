package io.panamux.slowpath.config;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

import io.panamux.common.config.ConfigSection;
import io.panamux.common.config.NodeReader;
import io.panamux.flow.FlowTable;
import org.yaml.snakeyaml.nodes.Node;

/** Reads the {@code dataplane} section and its {@code flow-table}: the DPDK port, the workers, the next hop. */
final class DataplaneReader
{
    static final List<String> KEYS = List.of(
        "eal", "port", "workers", "gateway-mac", "gateway", "flow-table", "maglev-table-size", "mtu", "burst-size", "gue-port");
    static final List<String> FLOW_TABLE_KEYS = List.of("capacity", "idle-timeout-seconds", "new-flows-per-second");

    private DataplaneReader()
    {
    }

    /** @return the section; null when it has errors (reported). Sets the context's workers, table size and GUE port. */
    static Dataplane read(final ConfigContext context, final ConfigSection top)
    {
        final NodeReader reader = context.reader;
        final ConfigSection section = reader.childSection(top, "dataplane", true, KEYS);
        if (section == null)
        {
            return null;
        }
        final int errorsBefore = reader.problems().errorCount();

        final List<String> eal = eal(reader, section);
        final Integer port = reader.integer(section, "port", true, null, 0, Dataplane.MAX_PORT_ID);
        final Integer workers = reader.integer(section, "workers", false, Dataplane.DEFAULT_WORKERS, 1, Dataplane.MAX_WORKERS);
        context.workerCount = workers;
        context.dataplaneLine = top.keyLine("dataplane");
        final OptionalLong gatewayMac = reader.unicastMac(section, "gateway-mac");
        final IpAddress gateway = context.address(section, "gateway", ConfigContext.Family.IPV4, false);
        if (gatewayMac != null && gatewayMac.isEmpty() && section.value("gateway") == null)
        {
            reader.missingWhy(section, "gateway",
                "without gateway-mac, the MUX resolves the next hop's MAC by ARP and needs its IPv4 address");
        }
        final FlowTableConfig flowTable = flowTable(context, section);

        Integer maglevTableSize = reader.integer(section, "maglev-table-size", false,
            Dataplane.DEFAULT_MAGLEV_TABLE_SIZE, 2, Dataplane.MAX_MAGLEV_TABLE_SIZE);
        context.maglevTableSizeNode = section.value("maglev-table-size");
        if (maglevTableSize != null && !BigInteger.valueOf(maglevTableSize).isProbablePrime(64))
        {
            final Node node = section.value("maglev-table-size");
            reader.error(node, section.child("maglev-table-size"),
                "must be a prime (Maglev's permutations need it), got " + NodeReader.describe(node));
            maglevTableSize = null;
        }
        context.maglevTableSize = maglevTableSize;

        final Integer mtu = reader.integer(section, "mtu", false, null, Dataplane.MIN_MTU, Dataplane.MAX_MTU);
        final Integer burstSize = reader.integer(section, "burst-size", false,
            Dataplane.DEFAULT_BURST_SIZE, 1, Dataplane.MAX_BURST_SIZE);
        final Integer guePort = reader.integer(section, "gue-port", false, Dataplane.DEFAULT_GUE_PORT, 1, 65535);
        if (guePort != null)
        {
            context.globalGuePort = guePort;
        }

        if (reader.problems().errorCount() != errorsBefore)
        {
            return null;
        }
        return new Dataplane(eal, port, workers, gatewayMac, flowTable, maglevTableSize,
            mtu == null ? OptionalInt.empty() : OptionalInt.of(mtu), burstSize, guePort, Optional.ofNullable(gateway));
    }

    private static List<String> eal(final NodeReader reader, final ConfigSection dataplane)
    {
        final Node node = reader.required(dataplane, "eal");
        if (node == null)
        {
            return null;
        }
        final String path = dataplane.child("eal");
        final List<Node> items = reader.sequence(node, path, "a list of strings");
        if (items == null)
        {
            return null;
        }
        final List<String> eal = new ArrayList<>(items.size());
        boolean valid = true;
        for (int i = 0; i < items.size(); i++)
        {
            final String argument = reader.string(items.get(i), path + "[" + i + "]");
            valid &= argument != null;
            eal.add(argument);
        }
        return valid ? eal : null;
    }

    private static FlowTableConfig flowTable(final ConfigContext context, final ConfigSection dataplane)
    {
        final NodeReader reader = context.reader;
        if (dataplane.value("flow-table") == null)
        {
            return FlowTableConfig.defaults();
        }
        final ConfigSection section = reader.childSection(dataplane, "flow-table", false, FLOW_TABLE_KEYS);
        if (section == null)
        {
            return null;
        }
        final Integer capacity = reader.integer(section, "capacity", false, FlowTableConfig.DEFAULT_CAPACITY, 1, FlowTable.MAX_CAPACITY);
        final Integer idleTimeout = reader.integer(section, "idle-timeout-seconds", false, FlowTableConfig.DEFAULT_IDLE_TIMEOUT_SECONDS,
            1, Integer.MAX_VALUE);
        final Integer newFlows = reader.integer(section, "new-flows-per-second", false, FlowTableConfig.DEFAULT_NEW_FLOWS_PER_SECOND,
            0, Integer.MAX_VALUE);
        if (capacity == null || idleTimeout == null || newFlows == null)
        {
            return null;
        }
        final FlowTableConfig config = new FlowTableConfig(capacity, idleTimeout, newFlows);
        final Integer workerCount = context.workerCount;
        final MachineLimits limits = context.limits;
        if (workerCount != null)
        {
            // Off the heap, next to the heap and DPDK's memory: what is left when the heap is full.
            final long bytes = config.memoryBytes(workerCount);
            final long available = limits.memoryBytes() - limits.heapBytes();
            if (bytes > available)
            {
                final Node node = section.value("capacity");
                final String where = node != null ? section.child("capacity") : section.path();
                final String problem = capacity + " flows take " + MachineLimits.describe(bytes) + " of flow tables (" + workerCount +
                    " worker(s), " + FlowTable.V4_ENTRY_BYTES + " bytes a flow, each table rounded up to a power of two), more than the " +
                    MachineLimits.describe(Math.max(0, available)) + " this process can have besides its Java heap (memory " +
                    MachineLimits.describe(limits.memoryBytes()) + ", heap up to " + MachineLimits.describe(limits.heapBytes()) + ")";
                if (node != null)
                {
                    reader.error(node, where, problem);
                }
                else
                {
                    context.problems.error(section.line(), where, problem);
                }
                return null;
            }
        }
        return config;
    }
}
