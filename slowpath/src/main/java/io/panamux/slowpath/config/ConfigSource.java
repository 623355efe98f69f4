package io.panamux.slowpath.config;

/**
 * Where configurations come from. Today a file ({@link FileConfigSource}); later possibly a distributed
 * store (ARCHITECTURE.md §5), which implements this interface and nothing else changes.
 * <p>
 * Every call to {@link #load()} reads the source afresh: loading the first configuration and reloading
 * ({@code ctl reload}) are the same call. A load either returns a whole, validated configuration or
 * throws, so a caller applies a new configuration whole or not at all.
 */
public interface ConfigSource
{
    /**
     * Reads and validates the current configuration. Has no other effect.
     *
     * @return the configuration.
     * @throws ConfigException when it cannot be read or is not valid; the messages name where and what.
     */
    MuxConfig load();

    /** @return where configurations come from, for logs and errors, e.g. {@code file conf/mux.yaml}. */
    String description();
}
