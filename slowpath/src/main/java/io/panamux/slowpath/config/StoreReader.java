package io.panamux.slowpath.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

import io.panamux.common.config.ConfigSection;
import io.panamux.common.config.NodeReader;
import org.yaml.snakeyaml.nodes.Node;

/** Reads the {@code store} section: where the pool's document and members are kept (etcd). */
final class StoreReader
{
    static final List<String> KEYS = List.of("etcd");
    static final List<String> ETCD_KEYS = List.of("endpoints", "prefix", "lease-seconds", "cache-file", "tls", "username",
        "password");
    static final List<String> TLS_KEYS = List.of("ca", "cert", "key");
    private static final Pattern PREFIX = Pattern.compile("/[A-Za-z0-9._~/-]*[A-Za-z0-9._~-]");

    private StoreReader()
    {
    }

    /** @return the store section, empty when absent, null when it has errors (reported). */
    static Optional<StoreSettings> read(final NodeReader reader, final ConfigSection top)
    {
        if (top.value("store") == null)
        {
            return Optional.empty();
        }
        final ConfigSection store = reader.childSection(top, "store", false, KEYS);
        if (store == null)
        {
            return null;
        }
        final ConfigSection etcd = reader.childSection(store, "etcd", true, ETCD_KEYS);
        if (etcd == null)
        {
            return null;
        }
        final int errorsBefore = reader.problems().errorCount();

        final List<URI> endpoints = endpoints(reader, etcd);
        final String prefix = reader.nonEmptyString(etcd, "prefix", true);
        if (prefix != null && !PREFIX.matcher(prefix).matches())
        {
            reader.error(etcd.value("prefix"), etcd.child("prefix"), "must start with / and not end with /, with letters, digits and . _ ~ - / " +
                "only (e.g. /panamux/pools/pool-a), got " + NodeReader.describe(etcd.value("prefix")));
        }
        final Integer lease = reader.integer(etcd, "lease-seconds", false, StoreSettings.DEFAULT_LEASE_SECONDS,
            StoreSettings.MIN_LEASE_SECONDS, StoreSettings.MAX_LEASE_SECONDS);
        final Optional<Path> cacheFile = etcd.value("cache-file") == null ? Optional.empty() :
            Optional.ofNullable(reader.absolutePath(etcd, "cache-file", true));

        Optional<StoreSettings.Tls> tls = Optional.empty();
        final ConfigSection tlsSection = reader.childSection(etcd, "tls", false, TLS_KEYS);
        if (tlsSection != null)
        {
            final Path ca = reader.absolutePath(tlsSection, "ca", true);
            final Path cert = reader.absolutePath(tlsSection, "cert", false);
            final Path key = reader.absolutePath(tlsSection, "key", false);
            if ((tlsSection.value("cert") == null) != (tlsSection.value("key") == null))
            {
                reader.missingWhy(tlsSection, tlsSection.value("cert") == null ? "cert" : "key", "a client certificate goes with its key");
            }
            if (ca != null)
            {
                tls = Optional.of(new StoreSettings.Tls(ca, Optional.ofNullable(cert), Optional.ofNullable(key)));
            }
        }
        final Optional<String> username = Optional.ofNullable(reader.nonEmptyString(etcd, "username", false));
        final Optional<String> password = Optional.ofNullable(reader.nonEmptyString(etcd, "password", false));
        if (etcd.value("username") != null && etcd.value("password") == null)
        {
            reader.missingWhy(etcd, "password", "etcd authenticates a user by name and password");
        }
        if (etcd.value("password") != null && etcd.value("username") == null)
        {
            reader.missingWhy(etcd, "username", "etcd authenticates a user by name and password");
        }
        if (tls.isEmpty() && endpoints.stream().anyMatch(uri -> "https".equals(uri.getScheme())))
        {
            reader.missingWhy(etcd, "tls", "an https:// endpoint needs at least tls.ca");
        }

        if (reader.problems().errorCount() != errorsBefore)
        {
            return null;
        }
        return Optional.of(new StoreSettings(endpoints, prefix, lease, cacheFile, tls, username, password));
    }

    private static List<URI> endpoints(final NodeReader reader, final ConfigSection etcd)
    {
        final List<URI> endpoints = new ArrayList<>();
        final Node endpointsNode = reader.required(etcd, "endpoints");
        final List<Node> items = endpointsNode == null ? null :
            reader.sequence(endpointsNode, etcd.child("endpoints"), "a list of URLs such as \"http://127.0.0.1:2379\"");
        if (items != null && items.isEmpty())
        {
            reader.error(endpointsNode, etcd.child("endpoints"), "must name at least one etcd member");
        }
        for (int i = 0; items != null && i < items.size(); i++)
        {
            final String path = etcd.child("endpoints") + "[" + i + "]";
            final String text = reader.string(items.get(i), path);
            if (text != null)
            {
                final URI uri = endpoint(text);
                if (uri == null)
                {
                    reader.error(items.get(i), path, "must be a URL http://HOST:PORT or https://HOST:PORT, got " +
                        NodeReader.describe(items.get(i)));
                }
                else
                {
                    endpoints.add(uri);
                }
            }
        }
        return endpoints;
    }

    private static URI endpoint(final String text)
    {
        try
        {
            final URI uri = new URI(text.strip());
            final boolean bare = uri.getPath() == null || uri.getPath().isEmpty() || "/".equals(uri.getPath());
            if (("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null && uri.getPort() > 0 &&
                bare && uri.getQuery() == null && uri.getFragment() == null && uri.getUserInfo() == null)
            {
                return uri;
            }
            return null;
        }
        catch (final URISyntaxException ex)
        {
            return null;
        }
    }
}
