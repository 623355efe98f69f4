package io.panamux.slowpath.store;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import io.panamux.slowpath.admin.CtlCommand;
import picocli.CommandLine;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * What the pool tests on etcd (this module's and the host agent's) ask of a running MUX's admin API: {@code ctl}
 * in process, a raw GET, and the wait for the API to come up.
 */
public final class AdminCalls
{
    private AdminCalls()
    {
    }

    /** A command's exit code and what it printed (standard output and error together). */
    public record Result(int code, String output)
    {
    }

    /** @return {@code ctl ARGS} run in this JVM. */
    public static Result ctl(final String... args)
    {
        final StringWriter out = new StringWriter();
        final int code = new CommandLine(new CtlCommand()).setOut(new PrintWriter(out)).setErr(new PrintWriter(out)).execute(args);
        return new Result(code, out.toString());
    }

    /**
     * A change right after etcd came back: the MUX's client may meet one failed connection first.
     *
     * @param attempts how many times, 250 ms apart, before the last answer must be a success.
     */
    public static Result retryCtl(final int attempts, final String... args) throws InterruptedException
    {
        Result r = ctl(args);
        for (int i = 0; i < attempts && r.code() != 0; i++)
        {
            Thread.sleep(250);
            r = ctl(args);
        }
        assertEquals(0, r.code(), r.output());
        return r;
    }

    /** @return the body of {@code GET http://ADMIN/PATH}. */
    public static String get(final String admin, final String path) throws IOException, InterruptedException
    {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://" + admin + path)).build(),
            HttpResponse.BodyHandlers.ofString()).body();
    }

    /** Waits (90 s at most) until {@code ctl stats} answers; fails with the MUX's log otherwise. */
    public static void awaitAdmin(final String name, final String admin, final Path log) throws InterruptedException, IOException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (ctl("stats", "--admin", admin).code() != 0)
        {
            if (System.nanoTime() > deadline)
            {
                throw new AssertionError("mux-" + name + ": the admin API did not come up:\n" + Files.readString(log));
            }
            Thread.sleep(200);
        }
    }
}
