package io.panamux.slowpath.admin;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ctl}'s options ({@code --admin}, {@code --token}, {@code --json}) before the subcommand, after it,
 * and split between the two (ARCHITECTURE.md §5: as in git or kubectl), for a command one level down
 * ({@code vips}) and two levels down ({@code backend add}). The answering side is a stub HTTP server that
 * records what reached it, so the test sees the address, the token header and whether JSON was printed.
 */
class CtlOptionOrderTest
{
    private static final String VIPS = "{\"vips\":[]}";
    private static final String ADDED = """
        {"vip":{"vip":"192.0.2.10:80/tcp","mode":"stateless","encapsulation":"ipip","flow_tracking":"on-change",
        "route":"pool","backends":[]}}""";

    private HttpServer server;
    private final List<String> seen = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws IOException
    {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/v1/vips", e -> answer(e, VIPS));
        server.createContext("/v1/backends/add", e -> answer(e, ADDED));
        server.start();
    }

    @AfterEach
    void stop()
    {
        server.stop(0);
    }

    private void answer(final HttpExchange e, final String body) throws IOException
    {
        seen.add(e.getRequestMethod() + " " + e.getRequestURI().getPath() + " token=" + e.getRequestHeaders().getFirst("Authorization"));
        final byte[] b = body.getBytes(StandardCharsets.UTF_8);
        e.getResponseHeaders().add("Content-Type", "application/json");
        e.sendResponseHeaders(200, b.length);
        e.getResponseBody().write(b);
        e.close();
    }

    private record Result(int code, String out, String err)
    {
    }

    private static Result ctl(final String... args)
    {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final int code = new CommandLine(new CtlCommand()).setOut(new PrintWriter(out)).setErr(new PrintWriter(err)).execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    private String admin()
    {
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    @ParameterizedTest
    @ValueSource(strings = {"before", "after", "split"})
    void vipsTakesTheOptionsOnEitherSide(final String order)
    {
        final String[] args = switch (order)
        {
            case "before" -> new String[] {"--admin", admin(), "--token", "s3cret", "--json", "vips"};
            case "after" -> new String[] {"vips", "--admin", admin(), "--token", "s3cret", "--json"};
            default -> new String[] {"--json", "--admin", admin(), "vips", "--token", "s3cret"};
        };
        final Result r = ctl(args);
        assertEquals(0, r.code(), r.err());
        assertEquals(List.of("GET /v1/vips token=Bearer s3cret"), seen);
        assertTrue(r.out().contains("\"vips\" : [ ]"), "--json printed the JSON: " + r.out());
    }

    @ParameterizedTest
    @ValueSource(strings = {"before", "middle", "after"})
    void aNestedCommandTakesTheOptionsAtEveryLevel(final String order)
    {
        final String[] args = switch (order)
        {
            case "before" -> new String[] {"--admin", admin(), "--token", "t", "backend", "add", "192.0.2.10:80/tcp", "10.1.0.9"};
            case "middle" -> new String[] {"backend", "--admin", admin(), "--token", "t", "add", "192.0.2.10:80/tcp", "10.1.0.9"};
            default -> new String[] {"backend", "add", "192.0.2.10:80/tcp", "10.1.0.9", "--admin", admin(), "--token", "t"};
        };
        final Result r = ctl(args);
        assertEquals(0, r.code(), r.err());
        assertEquals(List.of("POST /v1/backends/add token=Bearer t"), seen);
        assertTrue(r.out().startsWith("added 10.1.0.9 (192.0.2.10:80/tcp)"), "human output without --json: " + r.out());
    }

    @ParameterizedTest
    @ValueSource(strings = {"before", "after"})
    void theAddressGivenIsTheOneUsedAndDefaultsDoNotOverrideIt(final String order)
    {
        // Nothing listens on port 1: the message names the address the options gave, on either side.
        final Result r = "before".equals(order) ? ctl("--admin", "127.0.0.1:1", "vips") : ctl("vips", "--admin", "127.0.0.1:1");
        assertEquals(CtlCommand.UNREACHABLE, r.code(), r.out());
        assertTrue(r.err().contains("at 127.0.0.1:1:"), r.err());
        assertTrue(seen.isEmpty());
    }
}
