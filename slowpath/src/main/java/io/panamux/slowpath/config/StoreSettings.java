package io.panamux.slowpath.config;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The {@code store:} section (ARCHITECTURE.md §7): the pool's configuration and membership live in etcd, under
 * {@code prefix}; this MUX's file keeps only what is its own.
 *
 * <pre>
 * store:
 *   etcd:
 *     endpoints: ["http://127.0.0.1:2379", ...]   required, at least one; http:// or https://, host and port
 *     prefix: /panamux/pools/pool-a               required; absolute, no trailing /, no spaces
 *     lease-seconds: 5                            2..3600; default 5 (membership lease)
 *     cache-file: /var/lib/panamux/pool-a.yaml    default none; the last applied document, used when etcd is
 *                                                 unreachable at start
 *     tls: { ca: FILE, cert: FILE, key: FILE }    default none; ca required, cert and key together
 *     username: STRING                            default none; with password
 *     password: STRING
 * </pre>
 *
 * @param endpoints    the etcd members' client URLs.
 * @param prefix       the key prefix of this pool, e.g. {@code /panamux/pools/pool-a}.
 * @param leaseSeconds the time-to-live of this node's membership lease.
 * @param cacheFile    where the last applied pool document is kept.
 * @param tls          TLS to the etcd members; empty for plain text.
 * @param username     etcd authentication; present exactly when {@code password} is.
 * @param password     etcd authentication; never shown by {@link #toString()}.
 */
public record StoreSettings(List<URI> endpoints, String prefix, int leaseSeconds, Optional<Path> cacheFile, Optional<Tls> tls,
    Optional<String> username, Optional<String> password)
{
    /** The default membership lease. */
    public static final int DEFAULT_LEASE_SECONDS = 5;
    /** The shortest lease: a keep-alive is sent every third of it, and etcd's own granularity is a second. */
    public static final int MIN_LEASE_SECONDS = 2;
    /** The longest lease. */
    public static final int MAX_LEASE_SECONDS = 3600;

    /**
     * TLS to the etcd members.
     *
     * @param ca   the certificate authority that signed the members' certificates (PEM).
     * @param cert this node's client certificate (PEM), with {@code key}; empty without client authentication.
     * @param key  the private key of {@code cert} (PKCS#8 PEM).
     */
    public record Tls(Path ca, Optional<Path> cert, Optional<Path> key)
    {
        /**
         * Rejects nulls.
         */
        public Tls
        {
            Objects.requireNonNull(ca, "ca");
            Objects.requireNonNull(cert, "cert");
            Objects.requireNonNull(key, "key");
        }
    }

    /**
     * Copies the endpoints; rejects nulls.
     */
    public StoreSettings
    {
        endpoints = List.copyOf(endpoints);
        Objects.requireNonNull(prefix, "prefix");
        Objects.requireNonNull(cacheFile, "cacheFile");
        Objects.requireNonNull(tls, "tls");
        Objects.requireNonNull(username, "username");
        Objects.requireNonNull(password, "password");
        if (endpoints.isEmpty())
        {
            throw new IllegalArgumentException("at least one endpoint");
        }
    }

    /**
     * Plain-text settings without authentication (tests, {@code pool push --etcd}).
     *
     * @param endpoints    the etcd members' client URLs.
     * @param prefix       the pool's key prefix.
     * @param leaseSeconds the membership lease.
     * @return the settings.
     */
    public static StoreSettings plain(final List<URI> endpoints, final String prefix, final int leaseSeconds)
    {
        return new StoreSettings(endpoints, prefix, leaseSeconds, Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
    }

    /** @return the key of the pool document, {@code PREFIX/config}. */
    public String configKey()
    {
        return prefix + "/config";
    }

    /** @return the prefix of the members' keys, {@code PREFIX/members/}. */
    public String membersPrefix()
    {
        return prefix + "/members/";
    }

    /** @return the prefix of the host agents' keys, {@code PREFIX/agents/}. */
    public String agentsPrefix()
    {
        return prefix + "/agents/";
    }

    /** Never shows the password: configurations end up in logs. */
    @Override
    public String toString()
    {
        return "StoreSettings[endpoints=" + endpoints + ", prefix=" + prefix + ", leaseSeconds=" + leaseSeconds + ", cacheFile=" +
            cacheFile + ", tls=" + tls + ", username=" + username + ", password=" + (password.isPresent() ? "<redacted>" : "none") + "]";
    }
}
