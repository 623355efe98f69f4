package io.panamux.slowpath.config;

import java.util.List;
import java.util.Optional;

import io.panamux.common.config.ConfigSection;
import io.panamux.common.config.NodeReader;

/** Reads a VIP's {@code health-check} section. */
final class HealthCheckReader
{
    static final List<String> KEYS = List.of(
        "type", "port", "path", "expect-status", "interval-ms", "timeout-ms", "rise", "fall", "hold-down-ms", "through-tunnel");

    private HealthCheckReader()
    {
    }

    /** @return the check, empty when absent, null when it has errors (reported). */
    static Optional<HealthCheckConfig> read(final NodeReader reader, final ConfigSection vip, final Integer vipPort)
    {
        if (vip.value("health-check") == null)
        {
            return Optional.empty();
        }
        final ConfigSection section = reader.childSection(vip, "health-check", false, KEYS);
        if (section == null)
        {
            return null;
        }
        final int errorsBefore = reader.problems().errorCount();
        final HealthCheckType type = reader.choice(section, "type", true, null, HealthCheckType::fromConfigName, "tcp, http");
        final Integer port = reader.integer(section, "port", false, vipPort, 1, 65535);
        final String path = section.value("path") == null ? HealthCheckConfig.DEFAULT_PATH :
            reader.nonEmptyString(section, "path", false);
        if (path != null && !path.startsWith("/"))
        {
            reader.error(section.value("path"), section.child("path"), "must start with \"/\", got " +
                NodeReader.describe(section.value("path")));
        }
        else if (path != null && path.chars().anyMatch(c -> c <= ' ' || c >= 0x7F))
        {
            reader.error(section.value("path"), section.child("path"), "must not contain spaces or control characters, got " +
                NodeReader.describe(section.value("path")));
        }
        final Integer expectStatus = reader.integer(section, "expect-status", false, HealthCheckConfig.DEFAULT_EXPECT_STATUS, 100, 599);
        final Integer interval = reader.integer(section, "interval-ms", false, HealthCheckConfig.DEFAULT_INTERVAL_MS,
            HealthCheckConfig.MIN_INTERVAL_MS, HealthCheckConfig.MAX_INTERVAL_MS);
        final Integer timeout = reader.integer(section, "timeout-ms", false, null, 1, HealthCheckConfig.MAX_INTERVAL_MS);
        final Integer rise = reader.integer(section, "rise", false, HealthCheckConfig.DEFAULT_RISE, 1, HealthCheckConfig.MAX_THRESHOLD);
        final Integer fall = reader.integer(section, "fall", false, HealthCheckConfig.DEFAULT_FALL, 1, HealthCheckConfig.MAX_THRESHOLD);
        final Integer holdDown = reader.integer(section, "hold-down-ms", false, HealthCheckConfig.DEFAULT_HOLD_DOWN_MS, 0,
            HealthCheckConfig.MAX_HOLD_DOWN_MS);
        final Boolean throughTunnel = reader.choice(section, "through-tunnel", false, Boolean.FALSE,
            name -> "true".equals(name) ? Boolean.TRUE : "false".equals(name) ? Boolean.FALSE : null, "true, false");
        if (type == HealthCheckType.TCP)
        {
            for (final String httpOnly : List.of("path", "expect-status"))
            {
                if (section.value(httpOnly) != null)
                {
                    reader.warning(section.value(httpOnly), section.child(httpOnly), "used only with type http; this check is tcp");
                }
            }
        }
        if (reader.problems().errorCount() != errorsBefore || type == null || port == null || throughTunnel == null)
        {
            return null;
        }
        final int timeoutMs = timeout != null ? timeout : Math.min(HealthCheckConfig.DEFAULT_TIMEOUT_MS, interval);
        if (timeoutMs > interval)
        {
            reader.error(section.value("timeout-ms"), section.child("timeout-ms"), "must be at most interval-ms (" + interval +
                "): a check must end before the next one starts, got " + NodeReader.describe(section.value("timeout-ms")));
            return null;
        }
        return Optional.of(new HealthCheckConfig(type, port, path, expectStatus, interval, timeoutMs, rise, fall, holdDown,
            throughTunnel));
    }
}
