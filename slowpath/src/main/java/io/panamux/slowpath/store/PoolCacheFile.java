package io.panamux.slowpath.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The last pool document a MUX applied, kept in {@code store.etcd.cache-file} so that a MUX started while etcd
 * is unreachable forwards as it did (ARCHITECTURE.md §7). The file is the document's text after one comment
 * line naming its key and revision; it is replaced atomically (written beside, synced, renamed), so a crash
 * leaves the old or the new one, never half of one.
 */
public final class PoolCacheFile
{
    private static final Pattern HEADER = Pattern.compile("# panamux pool document (\\S+) revision (\\d+)\\n");

    private final Path file;

    /**
     * @param file the cache file.
     */
    public PoolCacheFile(final Path file)
    {
        this.file = file;
    }

    /**
     * A cached document.
     *
     * @param key      the etcd key it came from.
     * @param revision its modification revision there.
     * @param document its text.
     */
    public record Cached(String key, long revision, String document)
    {
    }

    /** @return the file. */
    public Path file()
    {
        return file;
    }

    /**
     * Replaces the cached document.
     *
     * @param key      the etcd key.
     * @param revision the document's revision.
     * @param document the text.
     * @throws IOException when it cannot be written (the old one stays).
     */
    public void write(final String key, final long revision, final String document) throws IOException
    {
        final Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        final Path temp = dir.resolve("." + file.getFileName() + ".tmp");
        final byte[] bytes = ("# panamux pool document " + key + " revision " + revision + "\n" + document).getBytes(StandardCharsets.UTF_8);
        try (FileChannel out = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING))
        {
            out.write(java.nio.ByteBuffer.wrap(bytes));
            out.force(true);
        }
        try
        {
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
        catch (final AtomicMoveNotSupportedException ex)
        {
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /**
     * Reads the cached document.
     *
     * @param expectedKey the key this MUX's store names: a cache of another pool is not used.
     * @return the document, empty when there is none.
     * @throws IOException when the file exists but cannot be read or is not a cache of {@code expectedKey}.
     */
    public Optional<Cached> read(final String expectedKey) throws IOException
    {
        final String text;
        try
        {
            text = Files.readString(file, StandardCharsets.UTF_8);
        }
        catch (final NoSuchFileException ex)
        {
            return Optional.empty();
        }
        final Matcher m = HEADER.matcher(text);
        if (!m.lookingAt())
        {
            throw new IOException(file + ": not a panamux pool cache (its first line must be \"# panamux pool document KEY revision N\")");
        }
        if (!m.group(1).equals(expectedKey))
        {
            throw new IOException(file + ": caches " + m.group(1) + ", not " + expectedKey);
        }
        return Optional.of(new Cached(m.group(1), Long.parseLong(m.group(2)), text.substring(m.end())));
    }
}
