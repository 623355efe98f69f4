package io.panamux.slowpath.config;

import java.util.Objects;

/**
 * A VIP's {@code health-check:} section: how every backend of the VIP is checked. A backend is taken out
 * of the VIP's table after {@link #fall} consecutive failed checks and returned after {@link #rise}
 * consecutive good ones; a VIP without this section has backends that are always healthy. A VIP none of
 * whose backends is healthy is withdrawn from the router once it has been so for {@link #holdDownMs}, and
 * announced again as soon as one is healthy (see {@code io.panamux.slowpath.control.VipHealthGate}).
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
 * @param holdDownMs   how long the VIP must have had no healthy backend before it is withdrawn from the
 *                     router, milliseconds: a backend that fails and recovers within it moves no route.
 * @param throughTunnel the check goes the way data goes ({@code through-tunnel: true}): its TCP connection
 *                     (and HTTP request) to the VIP's address and {@link #port}, from the MUX's own address,
 *                     encapsulated as the VIP's packets are towards the backend, answered by the backend directly (see
 *                     {@code io.panamux.slowpath.health.TunnelProbes}); false: a connection from the MUX's
 *                     kernel to the backend's own address.
 */
public record HealthCheckConfig(
    HealthCheckType type,
    int port,
    String path,
    int expectStatus,
    int intervalMs,
    int timeoutMs,
    int rise,
    int fall,
    int holdDownMs,
    boolean throughTunnel)
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
    /** Default {@code hold-down-ms}: a VIP whose backends all fail is withdrawn three seconds later. */
    public static final int DEFAULT_HOLD_DOWN_MS = 3000;
    /** Largest {@code hold-down-ms} (one hour). */
    public static final int MAX_HOLD_DOWN_MS = 3_600_000;

    /**
     * Rejects nulls.
     */
    public HealthCheckConfig
    {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(path, "path");
    }

    /** A check from the MUX's kernel to the backend's address (not through the tunnel). */
    public HealthCheckConfig(final HealthCheckType type, final int port, final String path, final int expectStatus, final int intervalMs,
        final int timeoutMs, final int rise, final int fall, final int holdDownMs)
    {
        this(type, port, path, expectStatus, intervalMs, timeoutMs, rise, fall, holdDownMs, false);
    }

    /** A check with the default hold-down ({@link #DEFAULT_HOLD_DOWN_MS}). */
    public HealthCheckConfig(final HealthCheckType type, final int port, final String path, final int expectStatus, final int intervalMs,
        final int timeoutMs, final int rise, final int fall)
    {
        this(type, port, path, expectStatus, intervalMs, timeoutMs, rise, fall, DEFAULT_HOLD_DOWN_MS);
    }

    /** @return a TCP-connect check of {@code port} with the default interval, timeout and thresholds. */
    public static HealthCheckConfig tcp(final int port)
    {
        return new HealthCheckConfig(HealthCheckType.TCP, port, DEFAULT_PATH, DEFAULT_EXPECT_STATUS, DEFAULT_INTERVAL_MS,
            DEFAULT_TIMEOUT_MS, DEFAULT_RISE, DEFAULT_FALL);
    }
}
