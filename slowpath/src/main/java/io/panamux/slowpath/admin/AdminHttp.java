package io.panamux.slowpath.admin;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.sun.net.httpserver.HttpExchange;
import io.panamux.slowpath.control.ChangeRejectedException;

/**
 * The admin API's HTTP edge, apart from its routing and admission ({@link AdminServer}): reading a request's JSON
 * body and query, writing a JSON or raw answer, a refusal with its HTTP status (the one place where a refused
 * change's reason becomes HTTP), and the {@code Host} check against DNS rebinding.
 */
final class AdminHttp
{
    /** The admin API's JSON: snake_case names, indented. */
    static final ObjectMapper JSON = new ObjectMapper()
        .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
        .enable(SerializationFeature.INDENT_OUTPUT);
    /** The largest request body read. */
    static final int MAX_BODY = 64 * 1024;

    private AdminHttp()
    {
    }

    static Refused refusal(final HttpExchange exchange, final int status, final String message)
    {
        // Not kept alive: what remains of the request is not read, so the connection cannot be reused.
        exchange.getResponseHeaders().set("Connection", "close");
        return new Refused(status, message);
    }

    /**
     * The HTTP status of a refused change: the one place where the control layer's {@link ChangeRejectedException.Reason}
     * becomes HTTP.
     */
    static int status(final ChangeRejectedException.Reason reason)
    {
        return switch (reason)
        {
            case INVALID -> 400;
            case NOT_FOUND -> 404;
            case CONFLICT -> 409;
            case NEEDS_RESTART -> 422;
            case STORE_UNAVAILABLE -> 503;
        };
    }

    static void requireMethod(final String method, final String expected) throws Refused
    {
        if (!method.equals(expected))
        {
            throw new Refused(405, "use " + expected);
        }
    }

    static JsonNode readJson(final HttpExchange exchange) throws IOException, ChangeRejectedException, Refused
    {
        final byte[] bytes;
        try (InputStream in = exchange.getRequestBody())
        {
            bytes = in.readNBytes(MAX_BODY + 1);
        }
        if (bytes.length > MAX_BODY)
        {
            throw new Refused(413, "request body larger than " + MAX_BODY + " bytes");
        }
        try
        {
            final JsonNode node = JSON.readTree(bytes);
            if (node == null || !node.isObject())
            {
                throw new ChangeRejectedException(ChangeRejectedException.INVALID, "the body must be a JSON object");
            }
            return node;
        }
        catch (final JsonProcessingException e)
        {
            throw new ChangeRejectedException(ChangeRejectedException.INVALID, "the body is not JSON: " + e.getOriginalMessage());
        }
    }

    static Map<String, String> query(final URI uri)
    {
        final Map<String, String> out = new LinkedHashMap<>();
        final String raw = uri.getRawQuery();
        if (raw == null || raw.isEmpty())
        {
            return out;
        }
        for (final String pair : raw.split("&"))
        {
            final int eq = pair.indexOf('=');
            final String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            final String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            out.put(key, value);
        }
        return out;
    }

    static void error(final HttpExchange exchange, final int status, final String message) throws IOException
    {
        json(exchange, status, JSON.valueToTree(new AdminMessages.Refusal(message)));
    }

    static void json(final HttpExchange exchange, final int status, final JsonNode body) throws IOException
    {
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        send(exchange, status, JSON.writeValueAsBytes(body));
    }

    static void send(final HttpExchange exchange, final int status, final byte[] body) throws IOException
    {
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = exchange.getResponseBody())
        {
            out.write(body);
        }
    }

    /** A request refused by HTTP itself (route, method, host, token, content type, size), before any change. */
    static final class Refused extends Exception
    {
        private static final long serialVersionUID = 1L;

        final int status;

        Refused(final int status, final String message)
        {
            super(message);
            this.status = status;
        }
    }

    /**
     * Which {@code Host} headers name this server: its listen address; on a loopback listener also
     * {@code localhost} and the loopback literals; on a wildcard listener any address literal and
     * {@code localhost}. Never another name: a DNS-rebinding attack always comes with its own name.
     */
    static final class HostCheck
    {
        private final InetAddress listen;
        private final String literal;

        HostCheck(final InetAddress listen)
        {
            this.listen = listen;
            final String a = listen.getHostAddress();
            this.literal = (a.indexOf(':') >= 0 ? "[" + a + "]" : a).toLowerCase(Locale.ROOT);
        }

        /** @param header the {@code Host} header, or null (a client that sends none is not a browser). */
        boolean allowed(final String header)
        {
            if (header == null)
            {
                return true;
            }
            String host = header.trim().toLowerCase(Locale.ROOT);
            final int colon = host.lastIndexOf(':');
            if (colon >= 0 && colon > host.lastIndexOf(']'))
            {
                host = host.substring(0, colon);
            }
            if (host.endsWith("."))
            {
                host = host.substring(0, host.length() - 1);
            }
            if (host.equals(literal))
            {
                return true;
            }
            final boolean isLocalName = host.equals("localhost");
            final boolean isLiteral = host.startsWith("[") || host.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}");
            if (listen.isAnyLocalAddress())
            {
                return isLocalName || isLiteral;
            }
            if (listen.isLoopbackAddress())
            {
                return isLocalName || host.equals("[::1]") || host.startsWith("127.");
            }
            return false;
        }

        @Override
        public String toString()
        {
            return listen.isAnyLocalAddress() ? "any address literal or localhost"
                : listen.isLoopbackAddress() ? literal + " or localhost" : literal;
        }
    }
}
