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

/** Reads the {@code mux} section: this MUX's name and addresses, its pool, the hash seed. */
final class MuxReader
{
    static final List<String> KEYS = List.of("name", "address", "address6", "pool", "hash-seed");

    private MuxReader()
    {
    }

    /** @return the section; null when it has errors (reported). Sets the context's MUX addresses and pool. */
    static Mux read(final ConfigContext context, final ConfigSection top)
    {
        final NodeReader reader = context.reader;
        final ConfigSection section = reader.childSection(top, "mux", true, KEYS);
        if (section == null)
        {
            return null;
        }
        final int errorsBefore = reader.problems().errorCount();

        final String name = reader.nonEmptyString(section, "name", true);
        context.muxAddress = context.address(section, "address", ConfigContext.Family.IPV4, true);

        final Optional<IpAddress> address6;
        if (section.value("address6") != null)
        {
            context.muxAddress6 = context.address(section, "address6", ConfigContext.Family.IPV6, false);
            context.address6Failed = context.muxAddress6 == null;
            address6 = Optional.ofNullable(context.muxAddress6);
        }
        else
        {
            address6 = Optional.empty();
        }

        final List<IpAddress> pool = pool(context, section);
        context.muxPool = pool;
        context.muxPoolLine = section.value("pool") != null ? ConfigProblems.line(section.value("pool")) : section.line();

        long hashSeed = Mux.DEFAULT_HASH_SEED;
        HashSeed.Source seedSource = HashSeed.Source.DEFAULT;
        final Node seedNode = section.value("hash-seed");
        if (seedNode != null)
        {
            final Long seed = reader.unsigned64(seedNode, section.child("hash-seed"));
            if (seed != null)
            {
                hashSeed = seed;
                seedSource = HashSeed.Source.CONFIGURED;
            }
        }

        if (reader.problems().errorCount() != errorsBefore)
        {
            return null;
        }
        return new Mux(name, context.muxAddress, address6, pool, hashSeed, seedSource);
    }

    private static List<IpAddress> pool(final ConfigContext context, final ConfigSection mux)
    {
        final NodeReader reader = context.reader;
        final Node node = mux.value("pool");
        if (node == null)
        {
            return context.muxAddress == null ? null : List.of(context.muxAddress);
        }

        final String path = mux.child("pool");
        final List<Node> items = reader.sequence(node, path, "a list of IPv4 addresses");
        if (items == null)
        {
            return null;
        }
        final List<IpAddress> pool = new ArrayList<>();
        final Map<IpAddress, Integer> firstIndex = new HashMap<>();
        boolean valid = true;
        for (int i = 0; i < items.size(); i++)
        {
            final String itemPath = path + "[" + i + "]";
            final IpAddress member = context.address(items.get(i), itemPath, ConfigContext.Family.IPV4);
            if (member == null)
            {
                valid = false;
                continue;
            }
            final Integer first = firstIndex.putIfAbsent(member, i);
            if (first != null)
            {
                reader.error(items.get(i), itemPath, "duplicate of " + path + "[" + first + "] (" + member + ")");
                valid = false;
                continue;
            }
            pool.add(member);
        }
        if (!valid)
        {
            return null;
        }
        if (context.muxAddress != null && !pool.contains(context.muxAddress))
        {
            reader.error(node, path, "must contain mux.address " + context.muxAddress +
                " (this MUX owns flows only as a member of its pool)");
            return null;
        }
        return pool;
    }
}
