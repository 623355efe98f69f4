package io.panamux.slowpath.admin;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/**
 * Answers of the admin API that the admin server writes and {@code ctl} reads with the same record (JSON by
 * Jackson, snake_case names whatever the mapper; fields a newer MUX adds are ignored), so that a field is
 * named in one place. The request bodies are {@link BackendChangeRequest}.
 */
public final class AdminMessages
{
    private AdminMessages()
    {
    }

    /**
     * A refused request: {@code {"error": "why"}}, and for a configuration with errors their list.
     *
     * @param error  why, for the operator.
     * @param errors {@code FILE:LINE: ...} for each error of a configuration that was not reloaded, or null.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Refusal(String error, List<String> errors)
    {
        /** A refusal without a list of errors. */
        public Refusal(final String error)
        {
            this(error, null);
        }
    }

    /**
     * The answer to {@code POST /v1/reload}.
     *
     * @param source          where the configuration was read.
     * @param changes         one line per VIP changed, added or removed (empty when nothing changed).
     * @param snapshotVersion the forwarding snapshot's version after the reload.
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Reloaded(String source, List<String> changes, long snapshotVersion)
    {
    }
}
