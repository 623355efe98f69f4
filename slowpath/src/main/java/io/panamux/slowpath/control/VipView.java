package io.panamux.slowpath.control;

import java.util.List;
import java.util.Locale;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import io.panamux.slowpath.config.Encapsulation;
import io.panamux.slowpath.config.FlowTracking;

/**
 * One VIP as {@code ctl vips} shows it: a copy made on the control thread, safe to hand to any thread.
 *
 * @param vip                     the key, {@code 192.0.2.10:80/tcp}.
 * @param mode                    {@code stateless}, {@code stateful} or {@code bypass} (single backend).
 * @param statefulUntilNs         in the stateful mode, when the phase is expected to end (control clock),
 *                                else 0.
 * @param statefulRemainingMillis in the stateful mode, the estimated time left, else 0.
 * @param statefulFlows           in the stateful mode, the recorded flows that still need their old
 *                                backend at the last complete scan (-1 before the first), else 0.
 * @param encapsulation           how packets are carried to the backends ({@code ipip}, {@code gre} or {@code gue} in JSON).
 * @param flowTracking            {@code on-change} or {@code always}.
 * @param route                   what the router was told: {@code pool} or {@code direct ADDRESS}.
 * @param announced               false while the VIP is withdrawn because none of its backends is healthy
 *                                ({@link VipHealthGate}).
 * @param announcement            {@code announced}, {@code withdrawing in N ms (no healthy backend)} or
 *                                {@code withdrawn (no healthy backend for N ms)}.
 * @param backends                every configured backend, healthy or not.
 */
public record VipView(
    String vip,
    Mode mode,
    long statefulUntilNs,
    long statefulRemainingMillis,
    long statefulFlows,
    Encapsulation encapsulation,
    FlowTracking flowTracking,
    String route,
    boolean announced,
    String announcement,
    List<BackendView> backends)
{
    /**
     * One backend of a {@link VipView}.
     *
     * @param address  the backend.
     * @param weight   its configured weight.
     * @param draining no new flows go to it.
     * @param health   its health check's verdict, or {@link Health#UNCHECKED} without a check.
     * @param inTable  whether it is in the VIP's published backends (unhealthy ones are not).
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record BackendView(String address, int weight, boolean draining, Health health, boolean inTable)
    {
    }

    /** How the VIP forwards now; in JSON and on {@code /metrics} by its lower-case name. */
    public enum Mode
    {
        /** Every packet by the VIP's Maglev table. */
        STATELESS,
        /** After a backend change: recorded flows keep their backend until the phase ends. */
        STATEFUL,
        /** A single backend: the router sends the VIP straight to it. */
        BYPASS;

        /** @return {@code stateless}, {@code stateful} or {@code bypass}. */
        @JsonValue
        public String text()
        {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** A backend's health as its check has it; in JSON by its lower-case name. */
    public enum Health
    {
        /** Its check passes (or has not failed {@code fall} times yet). */
        HEALTHY,
        /** Its check failed: out of the VIP's table. */
        UNHEALTHY,
        /** The VIP has no health check. */
        UNCHECKED;

        /** @return {@code healthy}, {@code unhealthy} or {@code unchecked}. */
        @JsonValue
        public String text()
        {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Copies the list. */
    public VipView
    {
        backends = List.copyOf(backends);
    }
}
