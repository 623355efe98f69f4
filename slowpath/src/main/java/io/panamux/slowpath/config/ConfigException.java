package io.panamux.slowpath.config;

import java.util.List;

/**
 * A configuration could not be loaded; nothing of it may be applied. Each error is one line of the form
 * {@code FILE:LINE: problem}, e.g.
 * {@code mux.yaml:14: vips[1].backends[0].weight: must be an integer >= 0, got "heavy"}, where LINE counts
 * from 1. Only a file that cannot be read at all gives {@code FILE: problem}, without a line.
 * <p>
 * The loader collects every error it finds, in line order: {@link #errors()} lists them and
 * {@link #getMessage()} joins them with newlines (so with one error the message is exactly that error).
 * The exception never carries a parser's own exception as its cause.
 */
public final class ConfigException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    private final String[] errors;

    /**
     * @param errors one or more errors, each {@code FILE:LINE: problem}.
     */
    public ConfigException(final List<String> errors)
    {
        super(String.join("\n", errors));
        if (errors.isEmpty())
        {
            throw new IllegalArgumentException("a ConfigException needs at least one error");
        }
        this.errors = errors.toArray(new String[0]);
    }

    /**
     * @param error one error, {@code FILE:LINE: problem}.
     */
    public ConfigException(final String error)
    {
        this(List.of(error));
    }

    /** @return every error found, in line order, each {@code FILE:LINE: problem}. */
    public List<String> errors()
    {
        return List.of(errors);
    }
}
