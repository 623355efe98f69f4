package io.panamux.slowpath.config;

import com.fasterxml.jackson.annotation.JsonValue;

/**
 * How packets of a VIP are carried to a backend (ARCHITECTURE.md §4), as written in the configuration.
 */
public enum Encapsulation
{
    /** Outer IP header, protocol 4 (IPv6 inner: 41). The default. */
    IPIP("ipip"),
    /** Outer IP header and GRE (RFC 2784) with protocol type 0x0800 / 0x86DD. */
    GRE("gre"),
    /** Outer IP header, UDP to the VIP's {@code gue-port} and GUE variant 1. */
    GUE("gue");

    private final String configName;

    Encapsulation(final String configName)
    {
        this.configName = configName;
    }

    /** @return the name used in the configuration file, e.g. {@code "ipip"} (and in the admin API's JSON). */
    @JsonValue
    public String configName()
    {
        return configName;
    }

    /**
     * @param name a configuration name, case-sensitive.
     * @return the encapsulation, or null when {@code name} names none.
     */
    public static Encapsulation fromConfigName(final String name)
    {
        for (final Encapsulation encapsulation : values())
        {
            if (encapsulation.configName.equals(name))
            {
                return encapsulation;
            }
        }
        return null;
    }
}
