package io.panamux.slowpath.config;

/**
 * What a health check does, as written in {@code health-check.type}.
 */
public enum HealthCheckType
{
    /** A TCP connect to the backend: healthy when the connection is accepted in time. */
    TCP("tcp"),
    /** A TCP connect, then {@code GET path HTTP/1.0}: healthy when the status is the expected one, in time. */
    HTTP("http");

    private final String configName;

    HealthCheckType(final String configName)
    {
        this.configName = configName;
    }

    /** @return the name used in the configuration file, e.g. {@code "tcp"}. */
    public String configName()
    {
        return configName;
    }

    /**
     * @param name a configuration name, case-sensitive.
     * @return the type, or null when {@code name} names none.
     */
    public static HealthCheckType fromConfigName(final String name)
    {
        for (final HealthCheckType type : values())
        {
            if (type.configName.equals(name))
            {
                return type;
            }
        }
        return null;
    }
}
