package io.panamux.slowpath.admin;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.panamux.slowpath.config.Encapsulation;
import io.panamux.slowpath.config.FlowTracking;
import io.panamux.slowpath.control.VipView;
import io.panamux.slowpath.control.VipView.BackendView;
import io.panamux.slowpath.control.VipView.Health;
import io.panamux.slowpath.control.VipView.Mode;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@code /v1/vips} and a backend change's answer are records now ({@link AdminMessages.Vips}, {@link AdminMessages.Vip},
 * {@link AdminMessages.BackendChanged}), shared with {@code ctl}: their JSON is byte for byte the tree the admin server
 * used to build by hand (same names, same order, the same fields left out), and {@code ctl} reads back what was written.
 */
class AdminVipJsonTest
{
    /** The admin server's mapper before the records, as it was configured. */
    private static final ObjectMapper OLD = new ObjectMapper()
        .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
        .enable(SerializationFeature.INDENT_OUTPUT);
    private static final long NOW = 1_796_000_000_123L;

    private static final List<BackendView> BACKENDS = List.of(new BackendView("10.1.0.1", 1, false, Health.HEALTHY, true),
        new BackendView("10.1.0.2", 3, true, Health.UNHEALTHY, false), new BackendView("10.1.0.3", 1, false, Health.UNCHECKED, true));
    private static final List<VipView> VIEWS = List.of(
        new VipView("192.0.2.10:80/tcp", Mode.STATEFUL, 123_456_789L, 41_500, 7, Encapsulation.GUE, FlowTracking.ON_CHANGE, "pool", true,
            "announced", BACKENDS),
        new VipView("192.0.2.11:53/udp", Mode.STATEFUL, 1L, 0, -1, Encapsulation.IPIP, FlowTracking.ALWAYS, "pool", false,
            "withdrawing in 300 ms (no healthy backend)", BACKENDS),
        new VipView("[2001:db8::10]:443/tcp", Mode.STATELESS, 0, 0, 0, Encapsulation.GRE, FlowTracking.ALWAYS, "pool", true, "announced",
            BACKENDS),
        new VipView("192.0.2.12:80/tcp", Mode.BYPASS, 0, 0, 0, Encapsulation.IPIP, FlowTracking.ON_CHANGE, "direct 10.1.0.1", true,
            "announced", List.of(BACKENDS.get(0))),
        new VipView("192.0.2.13:80/tcp", Mode.STATELESS, 0, 0, 0, Encapsulation.IPIP, FlowTracking.ON_CHANGE, "pool", true, "announced",
            List.of()));

    /** What {@code AdminServer.vipJson} built before the records (its code as it was, with the clock given). */
    private static ObjectNode oldVip(final VipView v)
    {
        final ObjectNode node = OLD.valueToTree(v);
        node.remove("stateful_until_ns");
        if (v.mode() == VipView.Mode.STATEFUL)
        {
            node.put("stateful_until", Instant.ofEpochMilli(NOW + v.statefulRemainingMillis()).toString());
        }
        else
        {
            node.remove("stateful_remaining_millis");
            node.remove("stateful_flows");
        }
        return node;
    }

    @Test
    void theVipsAnswerIsTheSameBytesAsTheHandBuiltTree() throws Exception
    {
        for (final Map<String, Object> poolConfig : List.<Map<String, Object>>of(Map.of(), Map.of("key", "/panamux/pools/a",
            "applied_revision", 42)))
        {
            final boolean withStore = !poolConfig.isEmpty();
            final ObjectNode old = OLD.createObjectNode();
            old.put("hash_seed", "0x" + Long.toHexString(0x5eedL));
            if (withStore)
            {
                old.set("pool_config", OLD.valueToTree(poolConfig));
            }
            final var array = old.putArray("vips");
            final List<AdminMessages.Vip> vips = new java.util.ArrayList<>();
            for (final VipView v : VIEWS)
            {
                array.add(oldVip(v).put("table_digest", "digest-" + v.vip()));
                vips.add(AdminMessages.Vip.of(v, NOW, "digest-" + v.vip()));
            }
            final AdminMessages.Vips now = new AdminMessages.Vips("0x5eed", withStore ? poolConfig : null, vips);
            assertEquals(OLD.writeValueAsString(old), AdminHttp.JSON.writeValueAsString(AdminHttp.JSON.valueToTree(now)));
            assertEquals(now, CtlCommand.read(AdminHttp.JSON.valueToTree(now), AdminMessages.Vips.class), "ctl reads what was written");
        }
    }

    @Test
    void aBackendChangesAnswerIsTheSameBytesAsTheHandBuiltTree() throws Exception
    {
        for (final VipView v : VIEWS)
        {
            final ObjectNode old = OLD.createObjectNode();
            old.set("vip", oldVip(v));
            final AdminMessages.BackendChanged local = new AdminMessages.BackendChanged(AdminMessages.Vip.of(v, NOW, null), null);
            assertEquals(OLD.writeValueAsString(old), AdminHttp.JSON.writeValueAsString(AdminHttp.JSON.valueToTree(local)));
            old.put("revision", 17L);
            final AdminMessages.BackendChanged stored = new AdminMessages.BackendChanged(AdminMessages.Vip.of(v, NOW, null), 17L);
            assertEquals(OLD.writeValueAsString(old), AdminHttp.JSON.writeValueAsString(AdminHttp.JSON.valueToTree(stored)));
            assertEquals(stored, CtlCommand.read(AdminHttp.JSON.valueToTree(stored), AdminMessages.BackendChanged.class));
        }
        final ObjectNode gone = OLD.createObjectNode().put("revision", 18L);
        assertEquals(OLD.writeValueAsString(gone),
            AdminHttp.JSON.writeValueAsString(AdminHttp.JSON.valueToTree(new AdminMessages.BackendChanged(null, 18L))));
    }

    @Test
    void ctlPrintsAVipAsBefore()
    {
        final StringWriter text = new StringWriter();
        try (PrintWriter out = new PrintWriter(text))
        {
            for (final VipView v : VIEWS)
            {
                CtlCommand.printVip(AdminMessages.Vip.of(v, NOW, null), out);
            }
        }
        final String stateful = "stateful until " + Instant.ofEpochMilli(NOW + 41_500) + " (estimate; 7 flow(s) still need it)";
        assertEquals(String.join(System.lineSeparator(),
            "192.0.2.10:80/tcp  " + stateful + "  [gue, flow-tracking on-change]",
            "    10.1.0.1                                 weight 1     healthy  ",
            "    10.1.0.2                                 weight 3     unhealthy draining",
            "    10.1.0.3                                 weight 1     unchecked",
            "192.0.2.11:53/udp  stateful until " + Instant.ofEpochMilli(NOW) + " (estimate)  [ipip, flow-tracking always]  "
                + "withdrawing in 300 ms (no healthy backend)",
            "    10.1.0.1                                 weight 1     healthy  ",
            "    10.1.0.2                                 weight 3     unhealthy draining",
            "    10.1.0.3                                 weight 1     unchecked",
            "[2001:db8::10]:443/tcp  stateless  [gre, flow-tracking always]",
            "    10.1.0.1                                 weight 1     healthy  ",
            "    10.1.0.2                                 weight 3     unhealthy draining",
            "    10.1.0.3                                 weight 1     unchecked",
            "192.0.2.12:80/tcp  single-DIP bypass (router: direct 10.1.0.1)  [ipip, flow-tracking on-change]",
            "    10.1.0.1                                 weight 1     healthy  ",
            "192.0.2.13:80/tcp  stateless  [ipip, flow-tracking on-change]",
            "    no backends",
            ""), text.toString());
    }
}
