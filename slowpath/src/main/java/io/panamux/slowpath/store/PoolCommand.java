package io.panamux.slowpath.store;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.panamux.slowpath.config.ConfigException;
import io.panamux.slowpath.config.ConfigLoader;
import io.panamux.slowpath.config.MachineLimits;
import io.panamux.slowpath.config.StoreSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ./panamux pool push|show|diff}: the pool document in etcd (ARCHITECTURE.md §7) from the command line.
 * {@code push} validates a whole document and stores it with a compare-and-swap on the revision it read;
 * {@code show} prints it with its revision; {@code diff} shows what a push would change. The pool is named by a
 * MUX's file ({@code --store FILE}, its {@code store} section; the document is then also validated merged with
 * that file) or by {@code --etcd URL,... --prefix P}.
 * <p>
 * Exit codes: 0 done, 1 a concurrent change came first (nothing stored), 2 the document is not valid, 3 etcd
 * does not answer.
 */
@Command(name = "pool", mixinStandardHelpOptions = true, description = "The pool's document in etcd: push, show, diff",
    subcommands = {PoolCommand.Push.class, PoolCommand.Show.class, PoolCommand.Diff.class})
public final class PoolCommand implements Runnable
{
    private static final int CONFLICT = 1;
    private static final int INVALID = 2;
    private static final int UNREACHABLE = 3;

    @Spec
    CommandSpec spec;

    @Override
    public void run()
    {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** The options every subcommand takes: where the pool is (a MUX's file, or endpoints and a prefix), output. */
    static final class Options
    {
        @Option(names = "--store", paramLabel = "FILE", description = "a MUX's YAML file with a store section")
        Path store;

        @Option(names = "--etcd", paramLabel = "URL,...", split = ",", description = "etcd endpoints, e.g. http://127.0.0.1:2379")
        List<URI> etcd;

        @Option(names = "--prefix", paramLabel = "PREFIX", description = "the pool's key prefix, e.g. /panamux/pools/pool-a")
        String prefix;

        @Option(names = "--json", description = "machine-readable output")
        boolean json;
    }

    /** The base of the subcommands: resolves the store, maps failures to exit codes. */
    abstract static class PoolRequest implements Callable<Integer>
    {
        @Spec
        CommandSpec spec;

        @Mixin
        Options options;

        abstract int run(StoreSettings settings, EtcdStore store, PrintWriter out, PrintWriter err) throws IOException;

        @Override
        public Integer call() throws IOException
        {
            final PrintWriter out = spec.commandLine().getOut();
            final PrintWriter err = spec.commandLine().getErr();
            final StoreSettings settings;
            try
            {
                settings = settings();
            }
            catch (final ConfigException e)
            {
                err.println(e.getMessage());
                return INVALID;
            }
            catch (final IllegalArgumentException e)
            {
                err.println("panamux pool: " + e.getMessage());
                return INVALID;
            }
            EtcdStore.quietLogging();
            try (EtcdStore store = EtcdStore.connect(settings))
            {
                return run(settings, store, out, err);
            }
            catch (final StoreUnavailableException e)
            {
                err.println("panamux pool: " + e.getMessage());
                return UNREACHABLE;
            }
            finally
            {
                out.flush();
                err.flush();
            }
        }

        StoreSettings settings()
        {
            final Options where = options;
            if (where.store != null)
            {
                if (where.etcd != null || where.prefix != null)
                {
                    throw new IllegalArgumentException("--store FILE names the pool; --etcd and --prefix go without it");
                }
                return ConfigLoader.storeOf(where.store).orElseThrow(() ->
                    new IllegalArgumentException(where.store + " has no store section (a MUX's file of a pool in etcd)"));
            }
            if (where.etcd == null || where.etcd.isEmpty() || where.prefix == null)
            {
                throw new IllegalArgumentException("name the pool: --store FILE, or --etcd URL,... --prefix PREFIX");
            }
            return StoreSettings.plain(where.etcd, where.prefix, StoreSettings.DEFAULT_LEASE_SECONDS);
        }

        /** Validates a document the way every MUX will: merged with the named MUX's file, or with a neutral one. */
        void validate(final StoreSettings settings, final Path file, final String document)
        {
            if (options.store != null)
            {
                ConfigLoader.loadMerged(options.store, document, file.toString());
                return;
            }
            ConfigLoader.merge(neutralMux(settings, document), "(a neutral MUX file)", document, file.toString(), MachineLimits.current());
        }
    }

    /**
     * A MUX file that takes nothing from the document's checks: addresses from the documentation-only
     * ranges that no VIP or backend should use (RFC 7600's 192.0.0.8, RFC 6666's 100::/64), a peers section when
     * the document has a key, so that it is checked too.
     */
    static String neutralMux(final StoreSettings settings, final String document)
    {
        final boolean key = document.lines().anyMatch(l -> l.strip().startsWith("peers-key:"));
        return "mux: { name: pool-check, address: 192.0.0.8, address6: \"100::8\" }\n" +
            "dataplane: { eal: [], port: 0, gateway-mac: \"02:00:00:00:00:01\" }\n" +
            (key ? "peers: { listen: \"192.0.0.8:9470\" }\n" : "") +
            "store: { etcd: { endpoints: [\"" + settings.endpoints().get(0) + "\"], prefix: " + settings.prefix() + " } }\n";
    }

    /** {@code pool push --file POOL.yaml}. */
    @Command(name = "push", mixinStandardHelpOptions = true, description = "Validates a whole pool document and stores it (compare-and-swap)")
    static final class Push extends PoolRequest
    {
        @Option(names = "--file", required = true, paramLabel = "POOL.yaml", description = "the document: vips and pool")
        Path file;

        @Option(names = "--expect-revision", paramLabel = "N",
            description = "store only if the document is still at revision N (0: only if there is none); default: the revision read now")
        Long expectRevision;

        @Override
        int run(final StoreSettings settings, final EtcdStore store, final PrintWriter out, final PrintWriter err) throws IOException
        {
            final String document = Files.readString(file, StandardCharsets.UTF_8);
            try
            {
                validate(settings, file, document);
            }
            catch (final ConfigException e)
            {
                err.println(e.getMessage());
                err.println("panamux pool push: nothing stored");
                return INVALID;
            }
            final EtcdStore.Read read = store.get(settings.configKey());
            final long current = read.entry().map(EtcdStore.Entry::modRevision).orElse(0L);
            final long expected = expectRevision != null ? expectRevision : current;
            if (read.entry().isPresent() && read.entry().get().value().equals(document) && expected == current)
            {
                out.println("unchanged: " + settings.configKey() + " revision " + current + " is this document already");
                return 0;
            }
            final Optional<Long> written = store.putIfModRevision(settings.configKey(), document, expected);
            if (written.isEmpty())
            {
                err.println("panamux pool push: nothing stored: " + settings.configKey() + " is no longer at revision " + expected +
                    " (someone changed it meanwhile; pool diff shows the difference, then push again)");
                return CONFLICT;
            }
            if (options.json)
            {
                out.println(json(Map.of("key", settings.configKey(), "revision", written.get())));
            }
            else
            {
                out.println("stored " + settings.configKey() + " revision " + written.get() + " (was " + current + ")");
            }
            return 0;
        }
    }

    /** {@code pool show}. */
    @Command(name = "show", mixinStandardHelpOptions = true, description = "Prints the pool document with its revision")
    static final class Show extends PoolRequest
    {
        @Override
        int run(final StoreSettings settings, final EtcdStore store, final PrintWriter out, final PrintWriter err)
        {
            final EtcdStore.Read read = store.get(settings.configKey());
            final long revision = read.entry().map(EtcdStore.Entry::modRevision).orElse(0L);
            final String document = read.entry().map(EtcdStore.Entry::value).orElse("");
            if (options.json)
            {
                final Map<String, Object> body = new LinkedHashMap<>();
                body.put("key", settings.configKey());
                body.put("revision", revision);
                body.put("exists", read.entry().isPresent());
                body.put("document", document);
                out.println(json(body));
                return 0;
            }
            if (read.entry().isEmpty())
            {
                out.println("# " + settings.configKey() + ": no document yet (./panamux pool push --file POOL.yaml stores one)");
                return 0;
            }
            out.println("# " + settings.configKey() + " revision " + revision);
            out.print(document.endsWith("\n") || document.isEmpty() ? document : document + "\n");
            return 0;
        }
    }

    /** {@code pool diff --file POOL.yaml}. */
    @Command(name = "diff", mixinStandardHelpOptions = true, description = "Shows what pool push --file would change")
    static final class Diff extends PoolRequest
    {
        @Option(names = "--file", required = true, paramLabel = "POOL.yaml", description = "the document a push would store")
        Path file;

        @Override
        int run(final StoreSettings settings, final EtcdStore store, final PrintWriter out, final PrintWriter err) throws IOException
        {
            final String document = Files.readString(file, StandardCharsets.UTF_8);
            int rc = 0;
            try
            {
                validate(settings, file, document);
            }
            catch (final ConfigException e)
            {
                err.println(e.getMessage());
                err.println("(a push of this file would be refused)");
                rc = INVALID;
            }
            final EtcdStore.Read read = store.get(settings.configKey());
            final long revision = read.entry().map(EtcdStore.Entry::modRevision).orElse(0L);
            final List<String> lines = diff(read.entry().map(EtcdStore.Entry::value).orElse("").lines().toList(), document.lines().toList());
            if (options.json)
            {
                final Map<String, Object> body = new LinkedHashMap<>();
                body.put("key", settings.configKey());
                body.put("revision", revision);
                body.put("changed", lines.stream().anyMatch(l -> !l.startsWith(" ")));
                body.put("diff", lines);
                out.println(json(body));
                return rc;
            }
            out.println("--- " + settings.configKey() + " revision " + revision);
            out.println("+++ " + file);
            if (lines.stream().allMatch(l -> l.startsWith(" ")))
            {
                out.println("(no change)");
            }
            else
            {
                lines.forEach(out::println);
            }
            return rc;
        }
    }

    /**
     * A line diff (longest common subsequence): each line prefixed by {@code " "} (both), {@code "-"} (only in
     * {@code a}) or {@code "+"} (only in {@code b}).
     */
    static List<String> diff(final List<String> a, final List<String> b)
    {
        final int[][] lcs = new int[a.size() + 1][b.size() + 1];
        for (int i = a.size() - 1; i >= 0; i--)
        {
            for (int j = b.size() - 1; j >= 0; j--)
            {
                lcs[i][j] = a.get(i).equals(b.get(j)) ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
            }
        }
        final List<String> out = new ArrayList<>();
        int i = 0;
        int j = 0;
        while (i < a.size() || j < b.size())
        {
            if (i < a.size() && j < b.size() && a.get(i).equals(b.get(j)))
            {
                out.add(" " + a.get(i++));
                j++;
            }
            else if (j < b.size() && (i == a.size() || lcs[i][j + 1] >= lcs[i + 1][j]))
            {
                out.add("+" + b.get(j++));
            }
            else
            {
                out.add("-" + a.get(i++));
            }
        }
        return out;
    }

    private static String json(final Object value)
    {
        try
        {
            return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(value);
        }
        catch (final IOException e)
        {
            throw new IllegalStateException(e);
        }
    }
}
