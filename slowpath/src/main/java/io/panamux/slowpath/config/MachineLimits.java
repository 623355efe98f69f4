package io.panamux.slowpath.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What the process can hold, against which the configuration's sizes are validated: the memory it can
 * have (the machine's, or its cgroup's limit when lower) and the most Java heap it can have. The flow
 * tables live off the heap, the Maglev tables on it ({@code int[]} per VIP).
 *
 * @param memoryBytes the memory the process can have in all.
 * @param heapBytes   the most Java heap ({@code -Xmx}, {@link Runtime#maxMemory()}).
 */
public record MachineLimits(long memoryBytes, long heapBytes)
{
    /** @return the limits of this process on this machine. */
    public static MachineLimits current()
    {
        long memory = memTotal(Path.of("/proc/meminfo"));
        final long cgroup = cgroupLimit(Path.of("/sys/fs/cgroup/memory.max"));
        if (cgroup > 0 && cgroup < memory)
        {
            memory = cgroup;
        }
        return new MachineLimits(memory, Runtime.getRuntime().maxMemory());
    }

    /** @return MemTotal in bytes, or Long.MAX_VALUE when it cannot be read (not Linux: nothing checked). */
    static long memTotal(final Path meminfo)
    {
        try
        {
            for (final String line : Files.readAllLines(meminfo))
            {
                if (line.startsWith("MemTotal:"))
                {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        }
        catch (final IOException | NumberFormatException e)
        {
            // Unknown: the check is left to the allocation itself.
        }
        return Long.MAX_VALUE;
    }

    /** @return cgroup v2 {@code memory.max} in bytes, or -1 for "max", none or unreadable. */
    static long cgroupLimit(final Path memoryMax)
    {
        try
        {
            final String text = Files.readString(memoryMax).strip();
            return text.equals("max") ? -1 : Long.parseLong(text);
        }
        catch (final IOException | NumberFormatException e)
        {
            return -1;
        }
    }

    /** @return {@code bytes} for a message, e.g. {@code 32.0 GiB}. */
    static String describe(final long bytes)
    {
        if (bytes >= 1L << 30)
        {
            return String.format(java.util.Locale.ROOT, "%.1f GiB", bytes / (double)(1L << 30));
        }
        return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / (double)(1L << 20));
    }
}
