package io.panamux.slowpath.admin;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The HTTP side of {@code ctl}: requests to a MUX's admin API ({@link AdminServer}), with the bearer token
 * when one is given.
 */
public final class AdminClient
{
    /**
     * One answer.
     *
     * @param status the HTTP status.
     * @param body   the body as JSON (null when it is not JSON).
     * @param text   the body as text.
     */
    public record Response(int status, JsonNode body, String text)
    {
        /** @return whether the request succeeded (2xx). */
        public boolean ok()
        {
            return status >= 200 && status < 300;
        }

        /** @return the {@code error} the MUX gave, or the status and body. */
        public String error()
        {
            return body != null && body.hasNonNull("error") ? JSON.convertValue(body, AdminMessages.Refusal.class).error()
                : "HTTP " + status + ": " + text;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
    private final String base;
    private final String token;

    /**
     * @param admin {@code HOST:PORT} of the admin API ({@code [v6]:PORT} for IPv6).
     * @param token the bearer token, or null.
     */
    public AdminClient(final String admin, final String token)
    {
        this.base = "http://" + admin;
        this.token = token == null || token.isEmpty() ? null : token;
    }

    /** GETs {@code path} (with its query). */
    public Response get(final String path) throws IOException, InterruptedException
    {
        return send(request(path).GET().build());
    }

    /** POSTs {@code body} as JSON to {@code path}. */
    public Response post(final String path, final Object body) throws IOException, InterruptedException
    {
        return send(request(path).header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body))).build());
    }

    private HttpRequest.Builder request(final String path)
    {
        final HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(15));
        if (token != null)
        {
            b.header("Authorization", "Bearer " + token);
        }
        return b;
    }

    private Response send(final HttpRequest request) throws IOException, InterruptedException
    {
        final HttpResponse<byte[]> r = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        final String text = new String(r.body(), StandardCharsets.UTF_8);
        JsonNode body = null;
        try
        {
            body = text.isEmpty() ? null : JSON.readTree(text);
        }
        catch (final IOException notJson)
        {
            // /metrics and proxies' error pages are not JSON: the text is kept.
        }
        return new Response(r.statusCode(), body, text);
    }
}
