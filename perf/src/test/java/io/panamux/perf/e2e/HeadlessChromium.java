package io.panamux.perf.e2e;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.awaitility.core.ConditionTimeoutException;
import org.awaitility.core.TerminalFailureException;
import static org.awaitility.Awaitility.await;

/**
 * Debian's {@code chromium}, headless, driven through the DevTools protocol (a WebSocket, JSON commands):
 * a page runs in real time (a virtual-time budget would make its own rate arithmetic meaningless), the
 * test reads the DOM whenever it wants and takes a screenshot. A fresh profile directory per instance,
 * no network beyond what the page asks for.
 */
final class HeadlessChromium implements AutoCloseable
{
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final WebSocket socket;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();

    private HeadlessChromium(final Process process, final WebSocket socket)
    {
        this.process = process;
        this.socket = socket;
    }

    /** @return whether Debian's chromium is installed (ci/env.sh's PANAMUX_TEST_PACKAGES has it). */
    static boolean available()
    {
        return Files.isExecutable(Path.of("/usr/bin/chromium"));
    }

    /** Starts chromium with a blank page, {@code width} x {@code height} pixels, its profile in {@code profile}. */
    static HeadlessChromium start(final Path profile, final int width, final int height) throws IOException, InterruptedException
    {
        final Process p = new ProcessBuilder("/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
            "--hide-scrollbars", "--user-data-dir=" + profile, "--window-size=" + width + "," + height,
            "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", "--remote-allow-origins=*", "about:blank")
            .redirectErrorStream(true).redirectOutput(profile.resolveSibling(profile.getFileName() + ".log").toFile()).start();
        // Chromium writes the port it chose (and the browser's WebSocket path) into the profile directory.
        final Path portFile = profile.resolve("DevToolsActivePort");
        try
        {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).failFast(() -> !p.isAlive())
                .until(() -> Files.isRegularFile(portFile) && Files.readAllLines(portFile).size() >= 2);
        }
        catch (final ConditionTimeoutException | TerminalFailureException e)
        {
            p.destroyForcibly();
            throw new AssertionError("chromium did not start:\n" + Files.readString(profile.resolveSibling(profile.getFileName() + ".log")), e);
        }
        final int port = Integer.parseInt(Files.readAllLines(portFile).get(0).trim());
        final HttpClient http = HttpClient.newHttpClient();
        final JsonNode targets = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/json/list")).build(),
            HttpResponse.BodyHandlers.ofString()).body());
        String page = null;
        for (final JsonNode t : targets)
        {
            if (t.path("type").asText().equals("page"))
            {
                page = t.get("webSocketDebuggerUrl").asText();
                break;
            }
        }
        if (page == null)
        {
            p.destroyForcibly();
            throw new AssertionError("chromium has no page target: " + targets);
        }
        final HeadlessChromium[] self = new HeadlessChromium[1];
        final StringBuilder partial = new StringBuilder();
        final WebSocket ws = http.newWebSocketBuilder().buildAsync(URI.create(page), new WebSocket.Listener()
        {
            @Override
            public CompletionStage<?> onText(final WebSocket webSocket, final CharSequence data, final boolean last)
            {
                partial.append(data);
                if (last)
                {
                    self[0].onMessage(partial.toString());
                    partial.setLength(0);
                }
                webSocket.request(1);
                return null;
            }
        }).join();
        self[0] = new HeadlessChromium(p, ws);
        return self[0];
    }

    private void onMessage(final String text)
    {
        try
        {
            final JsonNode message = JSON.readTree(text);
            if (message.has("id"))
            {
                final CompletableFuture<JsonNode> f = pending.remove(message.get("id").asInt());
                if (f != null)
                {
                    f.complete(message);
                }
            }
        }
        catch (final IOException e)
        {
            throw new IllegalStateException(e);
        }
    }

    /** Sends one DevTools command and returns its {@code result} (fails on an {@code error}). */
    JsonNode call(final String method, final Map<String, Object> params) throws Exception
    {
        final int id = ids.incrementAndGet();
        final CompletableFuture<JsonNode> answer = new CompletableFuture<>();
        pending.put(id, answer);
        socket.sendText(JSON.writeValueAsString(Map.of("id", id, "method", method, "params", params)), true).join();
        final JsonNode reply = answer.get(60, TimeUnit.SECONDS);
        if (reply.has("error"))
        {
            throw new AssertionError(method + ": " + reply.get("error"));
        }
        return reply.get("result");
    }

    /** Opens {@code url} in the page. */
    void navigate(final String url) throws Exception
    {
        call("Page.navigate", Map.of("url", url));
    }

    /** @return the value of a JavaScript expression in the page, as a string. */
    String eval(final String expression) throws Exception
    {
        final JsonNode r = call("Runtime.evaluate", Map.of("expression", "String(" + expression + ")", "returnByValue", true));
        return r.path("result").path("value").asText();
    }

    /** @return the text of every element {@code selector} matches, in document order. */
    List<String> texts(final String selector) throws Exception
    {
        final String joined = eval("Array.from(document.querySelectorAll(" + JSON.writeValueAsString(selector)
            + ")).map(e => e.textContent.trim()).join('\\u0001')");
        return joined.isEmpty() ? List.of() : List.of(joined.split("\u0001"));
    }

    /** Writes a PNG of the page as it is now to {@code file}. */
    void screenshot(final Path file) throws Exception
    {
        final JsonNode r = call("Page.captureScreenshot", Map.of("format", "png"));
        Files.write(file, Base64.getDecoder().decode(r.get("data").asText()));
    }

    @Override
    public void close()
    {
        socket.abort();
        process.destroy();
        try
        {
            if (!process.waitFor(10, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
            }
        }
        catch (final InterruptedException e)
        {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
