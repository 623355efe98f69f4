package io.panamux.slowpath.config;

import com.fasterxml.jackson.annotation.JsonValue;

/**
 * When the MUX records flow state for a VIP, as written in the configuration (ARCHITECTURE.md §1.2).
 */
public enum FlowTracking
{
    /** Stateless until the backend set changes, then stateful until the old connections end. The default. */
    ON_CHANGE("on-change"),
    /** Every flow of the VIP is recorded, always. */
    ALWAYS("always");

    private final String configName;

    FlowTracking(final String configName)
    {
        this.configName = configName;
    }

    /** @return the name used in the configuration file, e.g. {@code "on-change"} (and in the admin API's JSON). */
    @JsonValue
    public String configName()
    {
        return configName;
    }

    /**
     * @param name a configuration name, case-sensitive.
     * @return the mode, or null when {@code name} names none.
     */
    public static FlowTracking fromConfigName(final String name)
    {
        for (final FlowTracking tracking : values())
        {
            if (tracking.configName.equals(name))
            {
                return tracking;
            }
        }
        return null;
    }
}
