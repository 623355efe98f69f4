package io.panamux.perf.bench;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.ToDoubleFunction;

/** Small statistics and machine readings shared by the runners. */
public final class Stats
{
    private Stats()
    {
    }

    /** @return the median of the values (mean of the middle two for an even count), NaN when empty. */
    public static double median(final double[] values)
    {
        if (values.length == 0)
        {
            return Double.NaN;
        }
        final double[] v = values.clone();
        Arrays.sort(v);
        final int mid = v.length / 2;
        return v.length % 2 == 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
    }

    /** @return the median of {@code f} over {@code items}. */
    public static <T> double median(final List<T> items, final ToDoubleFunction<T> f)
    {
        return median(items.stream().mapToDouble(f).toArray());
    }

    /** @return the 1, 5 and 15-minute load averages, or NaNs when unreadable. */
    public static double[] loadAverage()
    {
        try
        {
            final String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return new double[] {Double.parseDouble(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2])};
        }
        catch (final Exception e)
        {
            return new double[] {Double.NaN, Double.NaN, Double.NaN};
        }
    }

    /** @return garbage collections of this JVM so far, over every collector. */
    public static long gcCollections()
    {
        long n = 0;
        for (final GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans())
        {
            n += Math.max(0, gc.getCollectionCount());
        }
        return n;
    }

    /** @return milliseconds spent in garbage collection by this JVM so far. */
    public static long gcMillis()
    {
        long n = 0;
        for (final GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans())
        {
            n += Math.max(0, gc.getCollectionTime());
        }
        return n;
    }

    /**
     * CPU time so far, in clock ticks: {busy ticks of all CPUs, all ticks of all CPUs, ticks of the given
     * processes}. Differences of two readings give the share of the machine other processes used.
     */
    public static long[] cpuTicks(final long... pids)
    {
        final long[] r = new long[3];
        try
        {
            final String[] f = Files.readAllLines(Path.of("/proc/stat")).getFirst().trim().split("\\s+");
            long total = 0;
            for (int i = 1; i < f.length && i <= 8; i++)
            {
                total += Long.parseLong(f[i]);
            }
            // Fields: user nice system idle iowait irq softirq steal.
            r[0] = total - Long.parseLong(f[4]) - Long.parseLong(f[5]);
            r[1] = total;
            for (final long pid : pids)
            {
                final String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
                // The command name may hold spaces: fields are counted after its closing parenthesis.
                final String[] p = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
                r[2] += Long.parseLong(p[11]) + Long.parseLong(p[12]);
            }
        }
        catch (final Exception e)
        {
            return new long[] {0, 0, 0};
        }
        return r;
    }

    /** @return the percentage of all CPUs used by processes other than the measured ones between two {@link #cpuTicks} readings. */
    public static double otherCpuPercent(final long[] before, final long[] after)
    {
        final long total = after[1] - before[1];
        if (total <= 0)
        {
            return Double.NaN;
        }
        return Math.max(0, 100.0 * ((after[0] - before[0]) - (after[2] - before[2])) / total);
    }

    /** @return the value rounded to {@code digits} decimals (for readable JSON). */
    public static double round(final double value, final int digits)
    {
        if (Double.isNaN(value) || Double.isInfinite(value))
        {
            return value;
        }
        final double scale = Math.pow(10, digits);
        return Math.round(value * scale) / scale;
    }
}
