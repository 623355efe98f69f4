package io.panamux.perf.bench;

import java.util.ArrayList;
import java.util.List;

import org.HdrHistogram.Histogram;

/**
 * Latency percentiles of one histogram, in microseconds, and the percentile curve the report plots.
 *
 * @param samples packets measured.
 * @param p50Us   median.
 * @param p90Us   90th percentile.
 * @param p99Us   99th percentile.
 * @param p999Us  99.9th percentile.
 * @param p9999Us 99.99th percentile.
 * @param maxUs   the largest value.
 * @param curve   {@code [percentile, microseconds]} pairs from 0 to 99.999 and max, for plots.
 */
public record Percentiles(long samples, double p50Us, double p90Us, double p99Us, double p999Us, double p9999Us, double maxUs,
    List<double[]> curve)
{
    /** The percentiles of the curve: every "nine" up to five, with steps between. */
    private static final double[] CURVE_POINTS = {0, 25, 50, 75, 90, 95, 97, 99, 99.5, 99.7, 99.9, 99.95, 99.97, 99.99, 99.995, 99.999};

    /** @return the percentiles of {@code h} (values in nanoseconds). */
    public static Percentiles of(final Histogram h)
    {
        final List<double[]> curve = new ArrayList<>();
        if (h.getTotalCount() > 0)
        {
            for (final double p : CURVE_POINTS)
            {
                curve.add(new double[] {p, h.getValueAtPercentile(p) / 1e3});
            }
            curve.add(new double[] {100, h.getMaxValue() / 1e3});
        }
        return new Percentiles(h.getTotalCount(), us(h, 50), us(h, 90), us(h, 99), us(h, 99.9), us(h, 99.99),
            h.getTotalCount() == 0 ? Double.NaN : h.getMaxValue() / 1e3, curve);
    }

    private static double us(final Histogram h, final double p)
    {
        return h.getTotalCount() == 0 ? Double.NaN : h.getValueAtPercentile(p) / 1e3;
    }
}
