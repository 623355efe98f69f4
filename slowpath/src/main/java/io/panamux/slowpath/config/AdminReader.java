package io.panamux.slowpath.config;

import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

import io.panamux.common.config.ConfigSection;
import io.panamux.common.config.NodeReader;
import org.yaml.snakeyaml.nodes.Node;

/** Reads the {@code admin} section: where the admin API listens and its token. */
final class AdminReader
{
    static final List<String> KEYS = List.of("listen", "token");
    static final Pattern PORT = Pattern.compile("0|[1-9][0-9]{0,4}");

    private AdminReader()
    {
    }

    /** @return the admin settings, the defaults when absent, null when they have errors (reported). */
    static Admin read(final NodeReader reader, final ConfigSection top)
    {
        if (top.value("admin") == null)
        {
            return Admin.defaults();
        }
        final ConfigSection section = reader.childSection(top, "admin", false, KEYS);
        if (section == null)
        {
            return null;
        }
        final int errorsBefore = reader.problems().errorCount();

        final Optional<String> token = section.value("token") == null ?
            Optional.empty() : Optional.ofNullable(reader.nonEmptyString(section, "token", false));
        final Node listenNode = section.value("listen");
        final Admin admin = listenNode == null ?
            new Admin(Admin.defaults().listenAddress(), Admin.DEFAULT_PORT, token) :
            listen(reader, listenNode, section.child("listen"), token);

        if (reader.problems().errorCount() != errorsBefore || admin == null)
        {
            return null;
        }
        if (!admin.listenAddress().isLoopback() && token.isEmpty())
        {
            reader.error(listenNode, section.child("listen"), NodeReader.describe(listenNode) + " is not a loopback address, so " +
                "admin.token is required (without one, anyone who can reach the port could change backends)");
            return null;
        }
        return admin;
    }

    private static Admin listen(final NodeReader reader, final Node node, final String path, final Optional<String> token)
    {
        final String text = reader.string(node, path);
        if (text == null)
        {
            return null;
        }
        if (text.lastIndexOf(':') < 0)
        {
            reader.error(node, path, "must be \"HOST:PORT\", e.g. \"" + Admin.DEFAULT_LISTEN + "\", got " + NodeReader.describe(node));
            return null;
        }
        final String[] port = new String[1];
        final IpAddress address = ConfigContext.hostOf(text, port);
        if (address == null)
        {
            reader.error(node, path, "the host must be an IP literal (names are not resolved; IPv6 in brackets), got " +
                NodeReader.describe(node));
            return null;
        }
        if (!PORT.matcher(port[0]).matches() || Integer.parseInt(port[0]) > 65535)
        {
            reader.error(node, path, "the port must be an integer between 0 and 65535, got " + NodeReader.describe(node));
            return null;
        }
        return new Admin(address, Integer.parseInt(port[0]), token);
    }
}
