package io.panamux.slowpath.admin;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import io.panamux.slowpath.config.Encapsulation;
import io.panamux.slowpath.config.FlowTracking;
import io.panamux.slowpath.control.VipView;

/**
 * Answers of the admin API that the admin server writes and {@code ctl} reads with the same record (JSON by
 * Jackson, snake_case names whatever the mapper; fields a newer MUX adds are ignored), so that a field is
 * named in one place. The request bodies are {@link BackendChangeRequest}.
 */
public final class AdminMessages
{
    private AdminMessages()
    {
    }

    /**
     * A refused request: {@code {"error": "why"}}, and for a configuration with errors their list.
     *
     * @param error  why, for the operator.
     * @param errors {@code FILE:LINE: ...} for each error of a configuration that was not reloaded, or null.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Refusal(String error, List<String> errors)
    {
        /** A refusal without a list of errors. */
        public Refusal(final String error)
        {
            this(error, null);
        }
    }

    /**
     * The answer to {@code POST /v1/reload}.
     *
     * @param source          where the configuration was read.
     * @param changes         one line per VIP changed, added or removed (empty when nothing changed).
     * @param snapshotVersion the forwarding snapshot's version after the reload.
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Reloaded(String source, List<String> changes, long snapshotVersion)
    {
    }

    /**
     * The answer to {@code GET /v1/vips}.
     *
     * @param hashSeed   the pool's hash seed, {@code 0x...}: host agents that select at the source need it
     *                   ({@code mux.hash-seed}).
     * @param poolConfig the pool's document in the store as this MUX applied it ({@link PoolAdmin#configStatus()});
     *                   left out for a pool kept in files.
     * @param vips       every VIP, with its table digest.
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Vips(String hashSeed, @JsonInclude(JsonInclude.Include.NON_NULL) Map<String, Object> poolConfig, List<Vip> vips)
    {
    }

    /**
     * One VIP as the admin API shows it: a {@link VipView} with the stateful phase's end as a wall-clock time. The
     * components are in the JSON's order; the stateful phase's three are left out in the other modes, and the table
     * digest is only in {@code GET /v1/vips}.
     *
     * @param vip                     the key, {@code 192.0.2.10:80/tcp}.
     * @param mode                    how it forwards now.
     * @param statefulRemainingMillis in the stateful mode, the estimated time left.
     * @param statefulFlows           in the stateful mode, the flows that still need their old backend (-1 before
     *                                the first scan).
     * @param encapsulation           how packets are carried to the backends.
     * @param flowTracking            {@code on-change} or {@code always}.
     * @param route                   what the router was told.
     * @param announced               false while withdrawn because none of its backends is healthy.
     * @param announcement            the announcement's state, in words.
     * @param backends                every configured backend.
     * @param statefulUntil           in the stateful mode, when the phase is expected to end (ISO-8601).
     * @param tableDigest             its Maglev table's digest ({@link MaglevDigest}), or null.
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Vip(
        String vip,
        VipView.Mode mode,
        @JsonInclude(JsonInclude.Include.NON_NULL) Long statefulRemainingMillis,
        @JsonInclude(JsonInclude.Include.NON_NULL) Long statefulFlows,
        Encapsulation encapsulation,
        FlowTracking flowTracking,
        String route,
        boolean announced,
        String announcement,
        List<VipView.BackendView> backends,
        @JsonInclude(JsonInclude.Include.NON_NULL) String statefulUntil,
        @JsonInclude(JsonInclude.Include.NON_NULL) String tableDigest)
    {
        /**
         * @param v           the control thread's copy.
         * @param nowMillis   the wall clock now (the stateful phase's end is now + its remaining time).
         * @param tableDigest the VIP's table digest, or null to leave it out.
         * @return the VIP as the admin API shows it.
         */
        public static Vip of(final VipView v, final long nowMillis, final String tableDigest)
        {
            final boolean stateful = v.mode() == VipView.Mode.STATEFUL;
            return new Vip(v.vip(), v.mode(), stateful ? v.statefulRemainingMillis() : null, stateful ? v.statefulFlows() : null,
                v.encapsulation(), v.flowTracking(), v.route(), v.announced(), v.announcement(), v.backends(),
                stateful ? Instant.ofEpochMilli(nowMillis + v.statefulRemainingMillis()).toString() : null, tableDigest);
        }
    }

    /**
     * The answer to a backend change ({@code POST /v1/backends/...}).
     *
     * @param vip      the VIP after the change; left out when a pool in a store no longer has it.
     * @param revision with a pool in a store, the revision of the pool's document that holds the change; else left out.
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record BackendChanged(@JsonInclude(JsonInclude.Include.NON_NULL) Vip vip,
        @JsonInclude(JsonInclude.Include.NON_NULL) Long revision)
    {
    }
}
