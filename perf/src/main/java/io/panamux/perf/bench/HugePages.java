package io.panamux.perf.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * 2 MB hugepages for a bench run: when the machine's default hugepage size is 2 MB and this process may
 * write {@code /proc/sys/vm/nr_hugepages} (root), {@link #reserve} raises the pool until enough pages are
 * free, and {@link #close} puts the pool back to what it was. Without them the bench measures on 4 KB
 * pages ({@code --no-huge}) and says so.
 */
public final class HugePages implements AutoCloseable
{
    private static final Path NR = Path.of("/proc/sys/vm/nr_hugepages");
    private static final Path MEMINFO = Path.of("/proc/meminfo");

    private final long before;
    private final long reserved;
    private final String reason;
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();
    private final Thread onSignal;

    private HugePages(final long before, final long reserved, final String reason)
    {
        this.before = before;
        this.reserved = reserved;
        this.reason = reason;
        // A bench stopped by SIGTERM or Ctrl-C gives the pages back too (SIGKILL runs no hook: nothing can).
        this.onSignal = before >= 0 ? new Thread(this::giveBack, "hugepages-give-back") : null;
        if (onSignal != null)
        {
            Runtime.getRuntime().addShutdownHook(onSignal);
        }
    }

    /**
     * Makes at least {@code pages} 2 MB pages free, reserving more as root when needed.
     *
     * @param pages 2 MB pages the run needs free.
     * @return the reservation; {@link #available()} false (with {@link #reason()}) when the pages could not be had.
     */
    public static HugePages reserve(final long pages)
    {
        try
        {
            if (meminfo("Hugepagesize") != 2048)
            {
                return new HugePages(-1, 0, "the default hugepage size is not 2 MB");
            }
            final long free = meminfo("HugePages_Free");
            if (free >= pages)
            {
                return new HugePages(-1, 0, null);
            }
            if (!Files.isWritable(NR))
            {
                return new HugePages(-1, 0, free + " free 2 MB pages, " + pages + " needed, and " + NR + " is not writable (not root)");
            }
            final long total = Long.parseLong(Files.readString(NR).trim());
            Files.writeString(NR, Long.toString(total + pages - free));
            final long now = Long.parseLong(Files.readString(NR).trim());
            final HugePages h = new HugePages(total, now - total, null);
            if (meminfo("HugePages_Free") < pages)
            {
                final long got = meminfo("HugePages_Free");
                h.close();
                return new HugePages(-1, 0, "the kernel gave " + got + " free 2 MB pages of the " + pages + " needed (memory fragmented?)");
            }
            return h;
        }
        catch (final IOException | RuntimeException e)
        {
            return new HugePages(-1, 0, "hugepages unavailable: " + e.getMessage());
        }
    }

    /** @return true when the run can use the pages. */
    public boolean available()
    {
        return reason == null;
    }

    /** @return why the pages are not available (null when they are). */
    public String reason()
    {
        return reason;
    }

    /** @return pages this reservation added to the pool (0 when enough were free already). */
    public long reserved()
    {
        return reserved;
    }

    /** Gives the reserved pages back (the pool's size as it was before). */
    @Override
    public void close()
    {
        if (onSignal != null)
        {
            try
            {
                Runtime.getRuntime().removeShutdownHook(onSignal);
            }
            catch (final IllegalStateException e)
            {
                // Already shutting down: the hook gives them back.
            }
        }
        giveBack();
    }

    private void giveBack()
    {
        if (before >= 0 && closed.compareAndSet(false, true))
        {
            try
            {
                Files.writeString(NR, Long.toString(before));
            }
            catch (final IOException e)
            {
                System.err.println("panamux bench: could not give the hugepages back (" + NR + " = " + before + "): " + e.getMessage());
            }
        }
    }

    private static long meminfo(final String key) throws IOException
    {
        for (final String line : Files.readAllLines(MEMINFO))
        {
            if (line.startsWith(key + ":"))
            {
                return Long.parseLong(line.substring(key.length() + 1).trim().split("\\s+")[0]);
            }
        }
        return -1;
    }
}
