package io.panamux.slowpath.config;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.panamux.common.config.ConfigProblems;
import io.panamux.common.config.ConfigSection;
import io.panamux.common.config.NodeReader;
import org.yaml.snakeyaml.nodes.Node;

/** Reads the {@code router} section: the BGP speaker the MUX runs ({@link BgpSettings}). */
final class RouterReader
{
    static final List<String> KEYS = List.of("bgp");
    static final List<String> BGP_KEYS = List.of("local-as", "router-id", "neighbors", "hold-seconds", "run-directory", "bird",
        "birdc", "next-hop6", "bfd");
    static final List<String> BFD_KEYS = List.of("interval-ms", "multiplier");
    static final List<String> NEIGHBOR_KEYS = List.of("address", "as");

    private RouterReader()
    {
    }

    /** @return the router.bgp section, empty when absent, null when it has errors (reported). */
    static Optional<BgpSettings> read(final ConfigContext context, final ConfigSection top)
    {
        final NodeReader reader = context.reader;
        if (top.value("router") == null)
        {
            return Optional.empty();
        }
        final ConfigSection router = reader.childSection(top, "router", false, KEYS);
        if (router == null)
        {
            return null;
        }
        if (router.value("bgp") == null)
        {
            return Optional.empty();
        }
        final ConfigSection section = reader.childSection(router, "bgp", false, BGP_KEYS);
        if (section == null)
        {
            return null;
        }
        final int errorsBefore = reader.problems().errorCount();

        final Long localAs = asNumber(reader, section, "local-as");
        final IpAddress routerId = section.value("router-id") == null ? context.muxAddress :
            context.address(section, "router-id", ConfigContext.Family.IPV4, false);
        final List<BgpSettings.Neighbor> neighbors = neighbors(context, section, routerId);
        final Integer holdSeconds = reader.integer(section, "hold-seconds", false, BgpSettings.DEFAULT_HOLD_SECONDS,
            BgpSettings.MIN_HOLD_SECONDS, BgpSettings.MAX_HOLD_SECONDS);
        final Path runDirectory = runDirectory(reader, section);
        final String bird = section.value("bird") == null ? BgpSettings.DEFAULT_BIRD : reader.nonEmptyString(section, "bird", false);
        final String birdc = section.value("birdc") == null ? BgpSettings.DEFAULT_BIRDC : reader.nonEmptyString(section, "birdc", false);

        final IpAddress nextHop6 = section.value("next-hop6") == null ? null :
            context.address(section, "next-hop6", ConfigContext.Family.IPV6, false);
        final BgpSettings.Bfd bfd = bfd(reader, section);

        if (reader.problems().errorCount() != errorsBefore || localAs == null || routerId == null || neighbors == null ||
            holdSeconds == null || runDirectory == null || bird == null || birdc == null)
        {
            return null;
        }
        return Optional.of(new BgpSettings(localAs, routerId, neighbors, holdSeconds, runDirectory, bird, birdc, nextHop6, bfd));
    }

    /** @return router.bgp.bfd, or null when absent or wrong (reported). */
    private static BgpSettings.Bfd bfd(final NodeReader reader, final ConfigSection bgp)
    {
        if (bgp.value("bfd") == null)
        {
            return null;
        }
        final ConfigSection section = reader.childSection(bgp, "bfd", false, BFD_KEYS);
        if (section == null)
        {
            return null;
        }
        final Integer interval = reader.integer(section, "interval-ms", false, BgpSettings.Bfd.DEFAULT_INTERVAL_MS,
            BgpSettings.Bfd.MIN_INTERVAL_MS, BgpSettings.Bfd.MAX_INTERVAL_MS);
        final Integer multiplier = reader.integer(section, "multiplier", false, BgpSettings.Bfd.DEFAULT_MULTIPLIER, 1,
            BgpSettings.Bfd.MAX_MULTIPLIER);
        return interval == null || multiplier == null ? null : new BgpSettings.Bfd(interval, multiplier);
    }

    /** @return an AS number (1..2^32-1, required), or null (reported). */
    private static Long asNumber(final NodeReader reader, final ConfigSection section, final String key)
    {
        final Node node = reader.required(section, key);
        if (node == null)
        {
            return null;
        }
        final BigInteger value = NodeReader.integer(node);
        if (value == null || value.signum() <= 0 || value.compareTo(BigInteger.valueOf(BgpSettings.MAX_AS)) > 0)
        {
            reader.error(node, section.child(key), "must be an AS number between 1 and " + BgpSettings.MAX_AS + ", got " +
                NodeReader.describe(node) + NodeReader.leadingZeroHint(node));
            return null;
        }
        return value.longValue();
    }

    private static List<BgpSettings.Neighbor> neighbors(final ConfigContext context, final ConfigSection bgp, final IpAddress routerId)
    {
        final NodeReader reader = context.reader;
        final Node node = reader.required(bgp, "neighbors");
        if (node == null)
        {
            return null;
        }
        final String path = bgp.child("neighbors");
        final List<Node> items = reader.sequence(node, path, "a list of neighbors ({ address: IPv4, as: AS })");
        if (items == null)
        {
            return null;
        }
        if (items.isEmpty())
        {
            reader.error(node, path, "needs at least one neighbor (a router to announce the VIPs to)");
            return null;
        }
        final List<BgpSettings.Neighbor> neighbors = new ArrayList<>(items.size());
        final Map<IpAddress, Integer> firstIndex = new HashMap<>();
        boolean valid = true;
        for (int i = 0; i < items.size(); i++)
        {
            final String itemPath = path + "[" + i + "]";
            final ConfigSection section = reader.section(items.get(i), itemPath, ConfigProblems.line(items.get(i)), NEIGHBOR_KEYS);
            if (section == null)
            {
                valid = false;
                continue;
            }
            final IpAddress address = context.address(section, "address", ConfigContext.Family.IPV4, true);
            final Long as = asNumber(reader, section, "as");
            if (address == null || as == null)
            {
                valid = false;
                continue;
            }
            final Node addressNode = section.value("address");
            final Integer first = firstIndex.putIfAbsent(address, i);
            if (first != null)
            {
                reader.error(addressNode, section.child("address"), "duplicate of " + path + "[" + first + "] (" + address + ")");
                valid = false;
                continue;
            }
            if (address.equals(context.muxAddress) || address.equals(routerId))
            {
                reader.error(addressNode, section.child("address"), address +
                    " is this MUX's own address; a neighbor is a router in front of it");
                valid = false;
                continue;
            }
            neighbors.add(new BgpSettings.Neighbor(address, as));
        }
        return valid ? neighbors : null;
    }

    /** @return the speaker's run directory: absolute, its control socket's path short enough; null (reported) otherwise. */
    private static Path runDirectory(final NodeReader reader, final ConfigSection bgp)
    {
        final Path directory = reader.absolutePath(bgp, "run-directory", true);
        if (directory == null)
        {
            return null;
        }
        final int socketBytes = directory.resolve(BgpSettings.SOCKET_NAME).toString().getBytes(StandardCharsets.UTF_8).length;
        if (socketBytes > BgpSettings.MAX_SOCKET_PATH)
        {
            reader.error(bgp.value("run-directory"), bgp.child("run-directory"), "is too long: the speaker's control socket " +
                BgpSettings.SOCKET_NAME + " in it would have a path of " + socketBytes + " bytes, and a Unix socket's may have at most " +
                BgpSettings.MAX_SOCKET_PATH);
            return null;
        }
        return directory;
    }
}
