package io.panamux.slowpath.admin;

import java.io.PrintWriter;
import java.time.Instant;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.panamux.slowpath.pool.PoolStatus;

/**
 * {@code GET /v1/pool}'s document and {@code ctl pool}'s text from it:
 * <pre>
 * {"store": "etcd [http://127.0.0.1:2379] /panamux/pools/a" | null, "store_reachable": true, "store_problem": null,
 *  "store_last_contact": "2026-12-06T22:41:03.120Z", "registered": true, "lease": "694d8a1f2c3e4b05", "lease_seconds": 5,
 *  "applied_revision": 42, "ring": ["10.0.0.1", "10.0.0.2"],
 *  "members": [{"address": "10.0.0.1", "name": "mux-a", "peers": "10.0.0.1:9470", "lease_alive": true,
 *               "applied_revision": 42, "self": true}, ...],
 *  "departed": [{"address": ..., "name": ..., "lease_alive": false, "left_at": "2026-..."}],
 *  "invalid": {"KEY": "why"}}
 * </pre>
 * {@code lease_alive} is null when it is unknown: no store, or the store unreachable (the last known members stay).
 */
final class PoolJson
{
    private static final ObjectMapper JSON = new ObjectMapper();

    private PoolJson()
    {
    }

    static ObjectNode of(final PoolStatus p)
    {
        final ObjectNode out = JSON.createObjectNode();
        if (p.store().isPresent())
        {
            out.put("store", p.store().get());
            out.put("store_reachable", p.reachable());
            out.put("store_problem", p.problem().orElse(null));
            out.put("store_last_contact", p.lastContactMs() == 0 ? null : Instant.ofEpochMilli(p.lastContactMs()).toString());
            out.put("registered", p.registered());
            out.put("lease", Long.toHexString(p.lease()));
            out.put("lease_seconds", p.leaseSeconds());
        }
        else
        {
            out.putNull("store");
        }
        out.put("applied_revision", p.appliedRevision());
        final ArrayNode ring = out.putArray("ring");
        p.ring().forEach(ring::add);
        final ArrayNode members = out.putArray("members");
        p.members().forEach(m -> members.add(member(m)));
        final ArrayNode departed = out.putArray("departed");
        p.departed().forEach(m -> departed.add(member(m)));
        final ObjectNode invalid = out.putObject("invalid");
        p.invalid().forEach(invalid::put);
        return out;
    }

    private static ObjectNode member(final PoolStatus.MemberStatus m)
    {
        final ObjectNode n = JSON.createObjectNode();
        n.put("address", m.address());
        n.put("name", m.name());
        n.put("peers", m.peers().orElse(null));
        if (m.leaseAlive().isPresent())
        {
            n.put("lease_alive", m.leaseAlive().get());
        }
        else
        {
            n.putNull("lease_alive");
        }
        n.put("applied_revision", m.appliedRevision());
        n.put("self", m.self());
        if (m.leftMs() != 0)
        {
            n.put("left_at", Instant.ofEpochMilli(m.leftMs()).toString());
        }
        return n;
    }

    /** {@code ctl pool}'s text. */
    static void print(final JsonNode body, final PrintWriter out)
    {
        final JsonNode store = body.get("store");
        if (store == null || store.isNull())
        {
            out.println("store: none (members from the file's mux.pool)");
        }
        else
        {
            out.println("store: " + store.asText() + ": " + (body.get("store_reachable").asBoolean() ? "reachable" : "UNREACHABLE") +
                (body.path("store_last_contact").isTextual() ? " (last answer " + body.get("store_last_contact").asText() + ")" : "") +
                (body.path("store_problem").isTextual() ? "; " + body.get("store_problem").asText() : ""));
            out.println("this MUX: " + (body.get("registered").asBoolean() ? "registered" : "NOT registered") + " with lease " +
                body.get("lease").asText() + " (" + body.get("lease_seconds").asInt() + " s)");
        }
        final long applied = body.get("applied_revision").asLong();
        out.println("applied configuration revision: " + (applied < 0 ? "none (file)" : Long.toString(applied)));
        out.println("owner ring: " + body.get("ring").size() + " member(s)");
        out.println("members (" + body.get("members").size() + "):");
        for (final JsonNode m : body.get("members"))
        {
            out.println("  " + line(m) + (m.get("self").asBoolean() ? "  (this MUX)" : ""));
        }
        if (!body.get("departed").isEmpty())
        {
            out.println("departed:");
            for (final JsonNode m : body.get("departed"))
            {
                out.println("  " + line(m) + "  left " + m.path("left_at").asText());
            }
        }
        for (final Map.Entry<String, JsonNode> e : body.get("invalid").properties())
        {
            out.println("refused: " + e.getKey() + ": " + e.getValue().asText());
        }
    }

    private static String line(final JsonNode m)
    {
        final JsonNode alive = m.get("lease_alive");
        final long revision = m.get("applied_revision").asLong();
        return String.format("%-39s %-16s %-24s %-18s %s", m.get("address").asText(), m.get("name").asText(),
            m.path("peers").isTextual() ? "peers " + m.get("peers").asText() : "",
            alive == null || alive.isNull() ? "lease unknown" : alive.asBoolean() ? "lease alive" : "lease NOT alive",
            revision < 0 ? "" : "revision " + revision);
    }
}
