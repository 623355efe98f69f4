package io.panamux.slowpath.config;

/**
 * The transport protocol of a VIP, as written in the configuration ({@code tcp} | {@code udp}).
 */
public enum Protocol
{
    /** TCP, IP protocol 6. */
    TCP("tcp", 6),
    /** UDP, IP protocol 17. */
    UDP("udp", 17);

    private final String configName;
    private final int ipProtocol;

    Protocol(final String configName, final int ipProtocol)
    {
        this.configName = configName;
        this.ipProtocol = ipProtocol;
    }

    /** @return the name used in the configuration file and by {@code ctl}, e.g. {@code "tcp"}. */
    public String configName()
    {
        return configName;
    }

    /** @return the IP protocol number (IPv4 protocol field, IPv6 next header): 6 or 17. */
    public int ipProtocol()
    {
        return ipProtocol;
    }

    /**
     * @param name a configuration name, case-sensitive.
     * @return the protocol, or null when {@code name} names none.
     */
    public static Protocol fromConfigName(final String name)
    {
        for (final Protocol protocol : values())
        {
            if (protocol.configName.equals(name))
            {
                return protocol;
            }
        }
        return null;
    }
}
