package io.panamux.slowpath.config;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Configurations from one YAML file, read again on every {@link #load()} (so a reload sees the file as it
 * is now).
 */
public final class FileConfigSource implements ConfigSource
{
    private final Path file;

    /**
     * @param file the YAML file; errors name it as given here.
     */
    public FileConfigSource(final Path file)
    {
        this.file = Objects.requireNonNull(file, "file");
    }

    /** @return the file read. */
    public Path file()
    {
        return file;
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public MuxConfig load()
    {
        return ConfigLoader.load(file);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public String description()
    {
        return "file " + file;
    }

    /** @return {@link #description()}. */
    @Override
    public String toString()
    {
        return description();
    }
}
