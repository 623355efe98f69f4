package io.panamux.slowpath.config;

import java.util.Objects;

/**
 * A VIP's {@code health-check:} section: how every backend of the VIP is checked. A backend is taken out
 * of the VIP's table after {@link #fall} consecutive failed checks and returned after {@link #rise}
 * consecutive good ones; a VIP without this section has backends that are always healthy.
 *
 * @param type         a TCP connect, or a TCP connect then an HTTP GET.
 * @param port         the TCP port checked on the backend's address (default: the VIP's port).
 * @param path         the path of the HTTP GET (default {@code /}); unused for TCP.
 * @param expectStatus the HTTP status a healthy backend answers with (default 200); unused for TCP.
 * @param intervalMs   time between the starts of two checks of one backend, milliseconds.
 * @param timeoutMs    how long one check may take before it counts as failed, milliseconds, at most
 *                     {@code intervalMs}.
 * @param rise         consecutive good checks that make an unhealthy backend healthy.
 * @param fall         consecutive failed checks that make a healthy backend unhealthy.
 */
public record HealthCheckConfig(
    HealthCheckType type,
    int port,
    String path,
    int expectStatus,
    int intervalMs,
    int timeoutMs,
    int rise,
    int fall)
{
    /** Default {@code interval-ms}. */
    public static final int DEFAULT_INTERVAL_MS = 2000;
    /** Default {@code timeout-ms}. */
    public static final int DEFAULT_TIMEOUT_MS = 1000;
    /** Default {@code rise}. */
    public static final int DEFAULT_RISE = 2;
    /** Default {@code fall}. */
    public static final int DEFAULT_FALL = 3;
    /** Default {@code path}. */
    public static final String DEFAULT_PATH = "/";
    /** Default {@code expect-status}. */
    public static final int DEFAULT_EXPECT_STATUS = 200;
    /** Smallest {@code interval-ms}: checks are not a load test. */
    public static final int MIN_INTERVAL_MS = 100;
    /** Largest {@code interval-ms} (one hour). */
    public static final int MAX_INTERVAL_MS = 3_600_000;
    /** Largest {@code rise} and {@code fall}. */
    public static final int MAX_THRESHOLD = 100;

    /**
     * Rejects nulls.
     */
    public HealthCheckConfig
    {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(path, "path");
    }

    /** @return a TCP-connect check of {@code port} with the default interval, timeout and thresholds. */
    public static HealthCheckConfig tcp(final int port)
    {
        return new HealthCheckConfig(HealthCheckType.TCP, port, DEFAULT_PATH, DEFAULT_EXPECT_STATUS, DEFAULT_INTERVAL_MS,
            DEFAULT_TIMEOUT_MS, DEFAULT_RISE, DEFAULT_FALL);
    }
}
