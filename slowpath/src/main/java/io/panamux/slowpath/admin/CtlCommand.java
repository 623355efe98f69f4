package io.panamux.slowpath.admin;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.panamux.slowpath.config.Admin;
import io.panamux.slowpath.control.VipView;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code ./panamux ctl ...}: the admin client of ARCHITECTURE.md §5, against a running MUX's admin API.
 * Every command takes {@code --admin HOST:PORT} (default {@code 127.0.0.1:9480}), {@code --token TOKEN}
 * (default: the environment variable {@code PANAMUX_ADMIN_TOKEN}) and {@code --json} (the API's JSON, for
 * scripts), before or after the subcommand. Exit codes: 0 done, 1 the MUX refused (the reason on stderr; nothing was changed), 2 bad usage,
 * 3 the MUX could not be reached.
 */
@Command(name = "ctl", mixinStandardHelpOptions = true, description = "Admin client of a running MUX",
    subcommands = {CtlCommand.Vips.class, CtlCommand.BackendCommand.class, CtlCommand.Stats.class, CtlCommand.Flows.class,
        CtlCommand.Reload.class, CtlCommand.Pool.class})
public final class CtlCommand implements Runnable
{
    /** Exit code: the MUX refused the request. */
    public static final int REFUSED = 1;
    /** Exit code: the MUX could not be reached. */
    public static final int UNREACHABLE = 3;

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Spec
    CommandSpec spec;

    @Mixin
    Options options;

    @Override
    public void run()
    {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /**
     * The options every command takes, before or after the subcommand ({@code ctl --admin H:P vips} and
     * {@code ctl vips --admin H:P} are the same, ARCHITECTURE.md §5). Every command level mixes this in; the
     * setters write into the {@code ctl} command's own instance, so a value given at any level is the one
     * the request reads. No option has a picocli default: picocli applies defaults to every level it parses,
     * and a default applied to the subcommand would overwrite what was given before it; the defaults are
     * resolved when read instead.
     */
    public static final class Options
    {
        @Spec(Spec.Target.MIXEE)
        CommandSpec mixee;

        private String admin;
        private String token;
        private boolean json;

        @Option(names = "--admin", paramLabel = "HOST:PORT", description = "the MUX's admin API (default " + Admin.DEFAULT_LISTEN + ")")
        void admin(final String value)
        {
            if (value != null)
            {
                shared().admin = value;
            }
        }

        @Option(names = "--token", paramLabel = "TOKEN", description = "bearer token (default: $PANAMUX_ADMIN_TOKEN)")
        void token(final String value)
        {
            if (value != null)
            {
                shared().token = value;
            }
        }

        @Option(names = "--json", description = "print the MUX's JSON answer")
        void json(final boolean value)
        {
            // Or-ed: a false applied to another level must not undo a --json given at this one.
            shared().json |= value;
        }

        /** @return the admin API's {@code HOST:PORT}, given at any level, else the default. */
        String admin()
        {
            final Options s = shared();
            return s.admin != null ? s.admin : Admin.DEFAULT_LISTEN;
        }

        /** @return the bearer token, given at any level, else {@code $PANAMUX_ADMIN_TOKEN}, else null. */
        String token()
        {
            final Options s = shared();
            return s.token != null ? s.token : System.getenv("PANAMUX_ADMIN_TOKEN");
        }

        /** @return whether {@code --json} was given at any level. */
        boolean json()
        {
            return shared().json;
        }

        /** The instance of the enclosing {@code ctl} command (this one when there is none, e.g. a lone subcommand). */
        private Options shared()
        {
            for (CommandSpec c = mixee; c != null; c = c.parent())
            {
                if (c.userObject() instanceof CtlCommand ctl)
                {
                    return ctl.options;
                }
            }
            return this;
        }
    }

    /** What every command does: one request, then its answer printed. */
    abstract static class Request implements Callable<Integer>
    {
        @Mixin
        Options options;

        @Spec
        CommandSpec spec;

        @Override
        public final Integer call() throws InterruptedException
        {
            final PrintWriter out = spec.commandLine().getOut();
            final PrintWriter err = spec.commandLine().getErr();
            final AdminClient.Response r;
            try
            {
                r = send(new AdminClient(options.admin(), options.token()));
            }
            catch (final IOException e)
            {
                err.println("ctl: cannot reach the MUX's admin API at " + options.admin() + ": " +
                    (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
                err.flush();
                return UNREACHABLE;
            }
            if (!r.ok())
            {
                if (options.json() && r.body() != null)
                {
                    out.println(pretty(r.body()));
                    out.flush();
                }
                err.println("ctl: " + r.error());
                err.flush();
                return REFUSED;
            }
            if (options.json())
            {
                out.println(pretty(r.body()));
            }
            else
            {
                print(r.body(), out);
            }
            out.flush();
            return 0;
        }

        abstract AdminClient.Response send(AdminClient client) throws IOException, InterruptedException;

        abstract void print(JsonNode body, PrintWriter out);
    }

    /** {@code ctl vips}. */
    @Command(name = "vips", mixinStandardHelpOptions = true,
        description = "VIPs with their mode (stateless, stateful until T, single-DIP bypass), backends, weights, health")
    static final class Vips extends Request
    {
        @Override
        AdminClient.Response send(final AdminClient client) throws IOException, InterruptedException
        {
            return client.get("/v1/vips");
        }

        @Override
        void print(final JsonNode body, final PrintWriter out)
        {
            final AdminMessages.Vips vips = read(body, AdminMessages.Vips.class);
            printPoolConfig(body.get("pool_config"), out);
            if (vips.vips().isEmpty())
            {
                out.println("no VIPs");
            }
            for (final AdminMessages.Vip v : vips.vips())
            {
                printVip(v, out);
            }
        }
    }

    /**
     * The pool's document in etcd as this MUX applied it (ARCHITECTURE.md §7): the revision in force, whether
     * etcd answers, and the last revision refused with its reasons. Nothing for a pool kept in files.
     */
    static void printPoolConfig(final JsonNode pool, final PrintWriter out)
    {
        if (pool == null || pool.isNull())
        {
            return;
        }
        out.println("pool document " + pool.path("key").asText() + ": revision " + pool.path("applied_revision").asLong() + " in force (from " +
            pool.path("applied_from").asText() + ")");
        if (!pool.path("store_reachable").asBoolean())
        {
            out.println("  etcd unreachable since " + pool.path("unreachable_since").asText() + ": " + pool.path("store_problem").asText() +
                " (forwarding on revision " + pool.path("applied_revision").asLong() + ")");
        }
        final JsonNode refused = pool.get("last_refused");
        if (refused != null && !refused.path("superseded").asBoolean())
        {
            out.println("  revision " + refused.path("revision").asLong() + " refused:");
            for (final JsonNode e : refused.path("errors"))
            {
                out.println("    " + e.asText());
            }
        }
    }

    /** {@code ctl backend add|remove|drain|weight}. */
    @Command(name = "backend", mixinStandardHelpOptions = true, description = "Changes a VIP's backends",
        subcommands = {BackendAdd.class, BackendRemove.class, BackendDrain.class, BackendWeight.class})
    static final class BackendCommand implements Runnable
    {
        @Spec
        CommandSpec spec;

        @Mixin
        Options options;

        @Override
        public void run()
        {
            spec.commandLine().usage(spec.commandLine().getOut());
        }
    }

    /** The arguments of a backend change. */
    abstract static class BackendChange extends Request
    {
        @Parameters(index = "0", paramLabel = "VIP:PORT/PROTO", description = "e.g. 192.0.2.10:80/tcp or [2001:db8::10]:80/tcp")
        String vip;

        @Parameters(index = "1", paramLabel = "ADDRESS", description = "the backend's address")
        String address;

        BackendChangeRequest body(final Integer weight)
        {
            return new BackendChangeRequest(vip, address, weight);
        }

        abstract String done();

        @Override
        void print(final JsonNode body, final PrintWriter out)
        {
            final AdminMessages.Vip changed = read(body, AdminMessages.BackendChanged.class).vip();
            if (changed == null)
            {
                throw new IllegalStateException("unexpected answer from the MUX: no \"vip\" in " + body);
            }
            out.println(done() + " " + address + " (" + changed.vip() + ")");
            printVip(changed, out);
        }
    }

    /** {@code ctl backend add VIP ADDRESS [--weight N]}. */
    @Command(name = "add", mixinStandardHelpOptions = true, description = "Adds a backend (the VIP enters its stateful phase)")
    static final class BackendAdd extends BackendChange
    {
        @Option(names = "--weight", defaultValue = "1", description = "relative share of new flows (default ${DEFAULT-VALUE})")
        int weight;

        @Override
        AdminClient.Response send(final AdminClient client) throws IOException, InterruptedException
        {
            return client.post("/v1/backends/add", body(weight));
        }

        @Override
        String done()
        {
            return "added";
        }
    }

    /** {@code ctl backend remove VIP ADDRESS}. */
    @Command(name = "remove", mixinStandardHelpOptions = true, description = "Removes a backend")
    static final class BackendRemove extends BackendChange
    {
        @Override
        AdminClient.Response send(final AdminClient client) throws IOException, InterruptedException
        {
            return client.post("/v1/backends/remove", body(null));
        }

        @Override
        String done()
        {
            return "removed";
        }
    }

    /** {@code ctl backend drain VIP ADDRESS}. */
    @Command(name = "drain", mixinStandardHelpOptions = true, description = "No new flows to the backend; existing flows stay until they end")
    static final class BackendDrain extends BackendChange
    {
        @Override
        AdminClient.Response send(final AdminClient client) throws IOException, InterruptedException
        {
            return client.post("/v1/backends/drain", body(null));
        }

        @Override
        String done()
        {
            return "draining";
        }
    }

    /** {@code ctl backend weight VIP ADDRESS N}: re-weights (and undrains) a backend. */
    @Command(name = "weight", mixinStandardHelpOptions = true, description = "Changes a backend's weight (ends its draining)")
    static final class BackendWeight extends BackendChange
    {
        @Parameters(index = "2", paramLabel = "N", description = "the new weight, at least 0")
        int weight;

        @Override
        AdminClient.Response send(final AdminClient client) throws IOException, InterruptedException
        {
            return client.post("/v1/backends/weight", body(weight));
        }

        @Override
        String done()
        {
            return "re-weighted";
        }
    }

    /** {@code ctl stats}. */
    @Command(name = "stats", mixinStandardHelpOptions = true,
        description = "Counters: rx/tx packets, drops by reason, flows, misses, owner queries, ring-full, mbufs in use")
    static final class Stats extends Request
    {
        @Override
        AdminClient.Response send(final AdminClient client) throws IOException, InterruptedException
        {
            return client.get("/v1/stats");
        }

        @Override
        void print(final JsonNode body, final PrintWriter out)
        {
            for (final Map.Entry<String, JsonNode> f : body.properties())
            {
                if (f.getValue().isObject())
                {
                    out.println(f.getKey() + ":" + (f.getValue().isEmpty() ? " none" : ""));
                    for (final Map.Entry<String, JsonNode> e : f.getValue().properties())
                    {
                        out.printf("  %-40s %d%n", e.getKey(), e.getValue().asLong());
                    }
                }
                else
                {
                    out.printf("%-42s %s%n", f.getKey(), f.getValue().asText());
                }
            }
        }
    }

    /** {@code ctl flows [--vip V] [--limit N]}. */
    @Command(name = "flows", mixinStandardHelpOptions = true, description = "Flow-table entries (bounded output)")
    static final class Flows extends Request
    {
        @Option(names = "--vip", paramLabel = "V", description = "only this VIP (ADDRESS:PORT/PROTO) or address")
        String vip;

        @Option(names = "--limit", defaultValue = "100", paramLabel = "N", description = "at most N entries, up to 10000 (default ${DEFAULT-VALUE})")
        int limit;

        @Override
        AdminClient.Response send(final AdminClient client) throws IOException, InterruptedException
        {
            return client.get("/v1/flows?limit=" + limit + (vip == null ? "" : "&vip=" + URLEncoder.encode(vip, StandardCharsets.UTF_8)));
        }

        @Override
        void print(final JsonNode body, final PrintWriter out)
        {
            out.printf("%-6s %-44s %-22s %-5s %-40s %s%n", "worker", "source", "vip", "proto", "backend", "last-seen(s)");
            for (final JsonNode f : body.get("flows"))
            {
                out.printf("%-6d %-44s %-22s %-5s %-40s %d%n", f.get("worker").asInt(), f.get("source").asText(),
                    f.get("vip").isNull() ? f.get("destination").asText() : f.get("vip").asText(), f.get("protocol").asText(),
                    f.get("backend").asText(), f.get("last_seen").asLong());
            }
            out.println(body.get("flows").size() + " of " + body.get("matched").asLong() + " flow(s)" +
                (body.get("truncated").asBoolean() ? " (truncated: --limit)" : ""));
        }
    }

    /** {@code ctl reload}. */
    @Command(name = "reload", mixinStandardHelpOptions = true, description = "Re-reads the configuration file, all or nothing")
    static final class Reload extends Request
    {
        @Override
        AdminClient.Response send(final AdminClient client) throws IOException, InterruptedException
        {
            return client.post("/v1/reload", Map.of());
        }

        @Override
        void print(final JsonNode body, final PrintWriter out)
        {
            final AdminMessages.Reloaded reloaded = read(body, AdminMessages.Reloaded.class);
            out.println("reloaded " + reloaded.source() + " (snapshot " + reloaded.snapshotVersion() + ")" +
                (reloaded.changes().isEmpty() ? ": nothing changed" : ":"));
            for (final String c : reloaded.changes())
            {
                out.println("  " + c);
            }
        }
    }

    /** {@code ctl pool}. */
    @Command(name = "pool", mixinStandardHelpOptions = true,
        description = "The pool as this MUX sees it: members (lease alive or not), applied configuration revision, store status")
    static final class Pool extends Request
    {
        @Override
        AdminClient.Response send(final AdminClient client) throws IOException, InterruptedException
        {
            return client.get("/v1/pool");
        }

        @Override
        void print(final JsonNode body, final PrintWriter out)
        {
            PoolJson.print(body, out);
        }
    }

    static void printVip(final AdminMessages.Vip v, final PrintWriter out)
    {
        final String modeText = switch (v.mode())
        {
            case STATEFUL -> "stateful until " + v.statefulUntil() + " (estimate" +
                (v.statefulFlows() != null && v.statefulFlows() >= 0 ? "; " + v.statefulFlows() + " flow(s) still need it" : "") + ")";
            case BYPASS -> "single-DIP bypass (router: " + v.route() + ")";
            case STATELESS -> v.mode().text();
        };
        final String announcement = v.announcement();
        out.println(v.vip() + "  " + modeText + "  [" + v.encapsulation().configName() + ", flow-tracking " +
            v.flowTracking().configName() + "]" + (announcement == null || "announced".equals(announcement) ? "" : "  " + announcement));
        if (v.backends().isEmpty())
        {
            out.println("    no backends");
        }
        for (final VipView.BackendView b : v.backends())
        {
            out.printf("    %-40s weight %-5d %-9s%s%n", b.address(), b.weight(), b.health().text(), b.draining() ? " draining" : "");
        }
    }

    /** @return {@code body} read as the record the admin server wrote it from. */
    static <T> T read(final JsonNode body, final Class<T> type)
    {
        try
        {
            return JSON.treeToValue(body, type);
        }
        catch (final com.fasterxml.jackson.core.JsonProcessingException | IllegalArgumentException e)
        {
            throw new IllegalStateException("unexpected answer from the MUX: " + e.getMessage(), e);
        }
    }

    static String pretty(final JsonNode node)
    {
        try
        {
            return JSON.writeValueAsString(node);
        }
        catch (final IOException e)
        {
            throw new IllegalStateException(e);
        }
    }
}
