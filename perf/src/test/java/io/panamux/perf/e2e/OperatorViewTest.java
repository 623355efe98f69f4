package io.panamux.perf.e2e;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.awaitility.core.ConditionTimeoutException;
import org.awaitility.core.TerminalFailureException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What an operator looks at, against one running MUX with traffic ({@code ./panamux demo --admin}): the
 * status page in headless Chromium (the VIPs, their backends, a packet count that moves; a screenshot in
 * {@code target/status-page.png}), {@code promtool check metrics} on a live {@code /metrics}, and the
 * alert rules and the Grafana dashboard in {@code packaging/} ({@code promtool check rules}; every metric
 * they name is one the MUX exposes). Chromium and promtool come from Debian ({@code chromium},
 * {@code prometheus}: {@code PANAMUX_TEST_PACKAGES} in {@code ci/env.sh}).
 *
 * <p>{@code -Dpanamux.screenshot=PATH} also copies the screenshot there (the README's image:
 * {@code docs/status-page.png}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OperatorViewTest
{
    private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
    private static final Path TARGET = Path.of(System.getProperty("user.dir"), "target");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final List<String> VIPS = List.of("192.0.2.10:80/tcp", "192.0.2.11:443/tcp", "192.0.2.12:53/udp", "[2001:db8::10]:80/tcp");

    private Path dir;
    private Process demo;
    private String admin;

    @BeforeAll
    void startDemo() throws Exception
    {
        dir = Files.createTempDirectory(TARGET, "operator-view");
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            admin = "127.0.0.1:" + probe.getLocalPort();
        }
        final ProcessBuilder pb = new ProcessBuilder(ROOT.resolve("panamux").toString(), "demo", "--seconds", "25", "--admin", admin)
            .redirectErrorStream(true).redirectOutput(dir.resolve("demo.log").toFile());
        pb.environment().put("PANAMUX_CLASSPATH", System.getProperty("java.class.path"));
        demo = pb.start();
        try
        {
            // Up, and forwarding: the counters show received packets.
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).ignoreExceptionsInstanceOf(IOException.class)
                .failFast(() -> !demo.isAlive())
                .until(() -> get("/v1/stats").statusCode() == 200 && json("/v1/stats").get("rx_packets").asLong() > 0);
        }
        catch (final ConditionTimeoutException | TerminalFailureException e)
        {
            throw new AssertionError("the demo's admin API did not come up with traffic:\n" + Files.readString(dir.resolve("demo.log")), e);
        }
    }

    @AfterAll
    void stopDemo() throws Exception
    {
        if (demo != null && !demo.waitFor(60, TimeUnit.SECONDS))
        {
            demo.destroyForcibly();
            throw new AssertionError("the demo did not end:\n" + Files.readString(dir.resolve("demo.log")));
        }
        final String log = Files.readString(dir.resolve("demo.log"));
        assertEquals(0, demo.exitValue(), log);
    }

    @Test
    void statusPageShowsVipsBackendsAndMovingCountsInChromium() throws Exception
    {
        assertTrue(HeadlessChromium.available(), "Debian's chromium is needed (ci/env.sh PANAMUX_TEST_PACKAGES; ./ci/test installs it)");
        final HttpResponse<String> page = get("/");
        assertEquals(200, page.statusCode());
        assertTrue(page.headers().firstValue("Content-Type").orElse("").startsWith("text/html"), page.headers().toString());
        assertFalse(Pattern.compile("(src|href)\\s*=\\s*[\"']?(https?:)?//|<link|@import|<script src").matcher(page.body()).find(),
            "self-contained: no external resource");

        try (HeadlessChromium browser = HeadlessChromium.start(dir.resolve("chromium-profile"), 1200, 1000))
        {
            browser.navigate("http://" + admin + "/");
            final long first = awaitCount(browser, 0);
            final List<String> vips = browser.texts("#vips tr.vip td:first-child");
            assertEquals(VIPS, vips, "the VIPs, in configuration order");
            final List<String> backends = browser.texts("#vips tr.backend td:first-child");
            for (final String b : List.of("10.1.0.1", "10.1.0.2", "10.1.0.3", "10.1.1.4", "10.1.2.2", "2001:db8:1::2"))
            {
                assertTrue(backends.stream().anyMatch(t -> t.endsWith(b)), b + " in " + backends);
            }
            assertEquals(11, backends.size(), backends.toString());
            assertTrue(browser.texts("#vips tr.vip td:nth-child(2)").stream().allMatch(m -> m.equals("stateless")),
                browser.texts("#vips tr.vip td:nth-child(2)").toString());
            assertEquals("unchecked", browser.texts("#vips tr.backend td:nth-child(6)").get(0));

            // The count moves: read again after the page's next polls.
            final long second = awaitCount(browser, first);
            assertTrue(second > first, first + " then " + second);
            // Shares over the last seconds: weights 1:1:2 on the first VIP, so the third backend has about half.
            Thread.sleep(2500);
            final List<String> shares = browser.texts("#vips tr.backend td:nth-child(8)");
            final double third = Double.parseDouble(shares.get(2).replace(" %", "").replace(",", ""));
            assertTrue(third > 40 && third < 60, "weight 2 of 4: " + shares);
            final List<String> workers = browser.texts("#workers tbody tr td:nth-child(2)");
            assertEquals(1, workers.size(), "one worker row");
            assertTrue(Double.parseDouble(workers.get(0)) > 0, "the worker's Mpps in: " + workers);
            assertTrue(browser.texts("#workers tbody tr td:nth-child(4)").get(0).endsWith("%"));
            assertEquals("2", browser.eval("document.querySelectorAll('#plot polyline').length"), "the rate plot: in and out");
            assertEquals("", browser.eval("document.getElementById('error').textContent"));

            final Path shot = TARGET.resolve("status-page.png");
            browser.screenshot(shot);
            final byte[] png = Files.readAllBytes(shot);
            assertTrue(png.length > 10_000 && png[1] == 'P' && png[2] == 'N' && png[3] == 'G', "a PNG of " + png.length + " bytes");
            final String copy = System.getProperty("panamux.screenshot");
            if (copy != null && !copy.isEmpty())
            {
                Files.copy(shot, ROOT.resolve(copy), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    @Test
    void liveMetricsPassPromtoolAndEveryRuleAndPanelNamesAnExposedMetric() throws Exception
    {
        assertTrue(Files.isExecutable(Path.of("/usr/bin/promtool")), "Debian's prometheus is needed (ci/env.sh PANAMUX_TEST_PACKAGES)");
        final String metrics = get("/metrics").body();
        final Process check = new ProcessBuilder("/usr/bin/promtool", "check", "metrics").redirectErrorStream(true).start();
        check.getOutputStream().write(metrics.getBytes(StandardCharsets.UTF_8));
        check.getOutputStream().close();
        final String checkOut = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(check.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, check.exitValue(), "promtool check metrics:\n" + checkOut + "\n" + metrics);

        final Path rules = ROOT.resolve("packaging/prometheus/panamux-alerts.yml");
        final Process r = new ProcessBuilder("/usr/bin/promtool", "check", "rules", rules.toString()).redirectErrorStream(true).start();
        final String rulesOut = new String(r.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(r.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, r.exitValue(), rulesOut);
        assertTrue(rulesOut.contains("SUCCESS: 7 rules found"), rulesOut);

        // Every panamux_* name in the rules and the dashboard is one the MUX exposes (a renamed metric
        // would otherwise leave an alert that never fires and a panel that stays empty).
        // Names from the TYPE lines.
        final Set<String> exposed = new TreeSet<>();
        final Matcher m = Pattern.compile("(?m)^# TYPE (panamux_[a-z0-9_]+) [a-z]+$").matcher(metrics);
        while (m.find())
        {
            exposed.add(m.group(1));
        }
        // Labelled counters without a sample yet are not written at all (not even TYPE): the drops until the
        // first drop, and the pool's counters of a MUX not in a pool (this one); their names are MuxMetrics'.
        exposed.add("panamux_drops_total");
        exposed.add("panamux_peer_events_total");
        exposed.add("panamux_peer_bad_messages_total");
        final JsonNode dashboard = JSON.readTree(ROOT.resolve("packaging/grafana/panamux-dashboard.json").toFile());
        final List<String> expressions = new ArrayList<>();
        for (final JsonNode panel : dashboard.get("panels"))
        {
            for (final JsonNode target : panel.get("targets"))
            {
                expressions.add(target.get("expr").asText());
            }
        }
        assertTrue(expressions.size() >= 15, "panels: " + expressions.size());
        expressions.add(Files.readString(rules));
        final Matcher named = Pattern.compile("panamux_[a-z0-9_]+").matcher(String.join("\n", expressions));
        final Set<String> unknown = new TreeSet<>();
        while (named.find())
        {
            if (!exposed.contains(named.group()))
            {
                unknown.add(named.group());
            }
        }
        assertTrue(unknown.isEmpty(), "named but not exposed: " + unknown + "\nexposed: " + exposed);
    }

    /** Waits until the page shows a received-packet count above {@code above}; returns it. */
    private static long awaitCount(final HeadlessChromium browser, final long above) throws Exception
    {
        final AtomicReference<String> shown = new AtomicReference<>("");
        try
        {
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(250)).until(() ->
            {
                shown.set(browser.eval("document.getElementById('rx-packets').textContent").replace(",", ""));
                return shown.get().matches("\\d+") && Long.parseLong(shown.get()) > above;
            });
            return Long.parseLong(shown.get());
        }
        catch (final ConditionTimeoutException e)
        {
            throw new AssertionError("the page's packet count did not rise above " + above + ": '" + shown.get() + "', error: "
                + browser.eval("document.getElementById('error').textContent"), e);
        }
    }

    private HttpResponse<String> get(final String path) throws IOException, InterruptedException
    {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://" + admin + path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode json(final String path) throws IOException, InterruptedException
    {
        return JSON.readTree(get(path).body());
    }
}
