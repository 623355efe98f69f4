package io.panamux.perf.bench;

import java.util.List;
import java.util.Locale;

/**
 * The report's plots as inline SVG (no script, no external resource), written as well-formed XML so a
 * test can parse them: a grouped horizontal bar chart (throughput against the baseline) and percentile
 * curves (latency).
 */
public final class SvgChart
{
    /** Colours of the latency curves, one per offered load. */
    private static final String[] COLOURS = {"#1f77b4", "#2ca02c", "#d62728", "#9467bd", "#8c564b"};
    private static final String JAVA_COLOUR = "#1f77b4";
    private static final String TESTPMD_COLOUR = "#999999";

    /** One row of the bar chart: a label, the baseline's value and the Java value. */
    public record Bar(String label, double baseline, double java, String note)
    {
    }

    /** One latency curve: {@code [percentile, microseconds]} points. */
    public record Curve(String label, boolean java, int colour, List<double[]> points)
    {
    }

    private SvgChart()
    {
    }

    /**
     * Grouped horizontal bars: per row, the baseline (grey) and Java (blue), with their values and a note
     * (the ratio) at the right.
     *
     * @param title axis title, e.g. "Mpps per core capacity".
     */
    public static String bars(final String title, final List<Bar> rows)
    {
        final int left = 190;
        final int plot = 560;
        final int right = 200;
        final int top = 34;
        final int barH = 13;
        final int rowH = 2 * barH + 12;
        final int height = top + rows.size() * rowH + 40;
        final int width = left + plot + right;
        double max = 0;
        for (final Bar b : rows)
        {
            max = Math.max(max, Math.max(finite(b.baseline()), finite(b.java())));
        }
        final double scaleMax = niceCeiling(max);
        final StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart bars\" width=\"%d\" height=\"%d\" "
            + "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">%n", width, height, width, height));
        s.append("<title>").append(esc(title)).append("</title>\n");
        legend(s, left, 14, new String[] {"dpdk-testpmd --forward-mode=io (C)", "panamux (Java)"}, new String[] {TESTPMD_COLOUR, JAVA_COLOUR},
            new boolean[] {false, false});
        final int axisY = top + rows.size() * rowH;
        for (int i = 0; i <= 5; i++)
        {
            final double v = scaleMax * i / 5;
            final double x = left + plot * v / scaleMax;
            s.append(String.format(Locale.ROOT, "<line class=\"grid\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#dddddd\"/>%n", x, top - 4, x,
                axisY));
            s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n", x, axisY + 15, axis(v)));
        }
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>%n", left + plot / 2, axisY + 32, esc(title)));
        for (int r = 0; r < rows.size(); r++)
        {
            final Bar b = rows.get(r);
            final int y = top + r * rowH;
            s.append(String.format(Locale.ROOT, "<text class=\"label\" x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>%n", left - 8, y + barH + 4,
                esc(b.label())));
            bar(s, "bar testpmd", left, y, plot * finite(b.baseline()) / scaleMax, barH, TESTPMD_COLOUR, b.baseline());
            bar(s, "bar java", left, y + barH + 1, plot * finite(b.java()) / scaleMax, barH, JAVA_COLOUR, b.java());
            s.append(String.format(Locale.ROOT, "<text class=\"note\" x=\"%d\" y=\"%d\">%s</text>%n", left + plot + 60, y + barH + 4,
                esc(b.note())));
        }
        s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333333\"/>%n", left, top - 4, left, axisY));
        s.append("</svg>\n");
        return s.toString();
    }

    private static void bar(final StringBuilder s, final String cls, final int x, final int y, final double w, final int h, final String colour,
        final double value)
    {
        s.append(String.format(Locale.ROOT, "<rect class=\"%s\" x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"><title>%s</title></rect>%n",
            cls, x, y, Math.max(0, w), h, colour, esc(num(value))));
        s.append(String.format(Locale.ROOT, "<text class=\"value\" x=\"%.1f\" y=\"%d\">%s</text>%n", x + Math.max(0, w) + 4, y + h - 2,
            esc(Double.isNaN(value) ? "n/a" : num(value))));
    }

    /**
     * Latency percentile curves: x is the percentile on a "nines" scale (90, 99, 99.9, ...; max at the
     * right end), y the latency in microseconds on a log scale. Java curves solid, testpmd dashed.
     */
    public static String percentiles(final String title, final List<Curve> curves)
    {
        final int left = 70;
        final int plotW = 640;
        final int legendW = 250;
        final int top = 20;
        final int plotH = 320;
        final int width = left + plotW + legendW;
        final int height = top + plotH + 50;
        double minUs = Double.MAX_VALUE;
        double maxUs = 0;
        for (final Curve c : curves)
        {
            for (final double[] p : c.points())
            {
                if (p[1] > 0)
                {
                    minUs = Math.min(minUs, p[1]);
                    maxUs = Math.max(maxUs, p[1]);
                }
            }
        }
        if (maxUs == 0)
        {
            minUs = 1;
            maxUs = 10;
        }
        final double lo = Math.floor(Math.log10(minUs));
        final double hi = Math.max(lo + 1, Math.ceil(Math.log10(maxUs)));
        final double maxNines = 5.5;
        final StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart percentiles\" width=\"%d\" height=\"%d\" "
            + "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">%n", width, height, width, height));
        s.append("<title>").append(esc(title)).append("</title>\n");
        final String[] xLabels = {"0", "90", "99", "99.9", "99.99", "99.999"};
        for (int i = 0; i < xLabels.length; i++)
        {
            final double x = left + plotW * i / maxNines;
            s.append(String.format(Locale.ROOT, "<line class=\"grid\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#dddddd\"/>%n", x, top, x,
                top + plotH));
            s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n", x, top + plotH + 15, xLabels[i]));
        }
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">max</text>%n", left + plotW, top + plotH + 15));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">percentile</text>%n", left + plotW / 2,
            top + plotH + 34));
        for (double d = lo; d <= hi + 1e-9; d++)
        {
            final double y = top + plotH - plotH * (d - lo) / (hi - lo);
            s.append(String.format(Locale.ROOT, "<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#dddddd\"/>%n", left, y,
                left + plotW, y));
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n", left - 6, y + 4, axis(Math.pow(10, d))));
        }
        s.append(String.format(Locale.ROOT, "<text x=\"14\" y=\"%d\" transform=\"rotate(-90 14 %d)\" text-anchor=\"middle\">microseconds</text>%n",
            top + plotH / 2, top + plotH / 2));
        s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#333333\"/>%n", left, top,
            plotW, plotH));
        int legendY = top + 10;
        for (final Curve c : curves)
        {
            final StringBuilder d = new StringBuilder();
            for (final double[] p : c.points())
            {
                final double nines = p[0] >= 100 ? maxNines : Math.min(5, -Math.log10(Math.max(1e-5, 1 - p[0] / 100)));
                final double x = left + plotW * nines / maxNines;
                final double y = top + plotH - plotH * (Math.log10(Math.max(p[1], Math.pow(10, lo))) - lo) / (hi - lo);
                d.append(d.isEmpty() ? "M" : " L").append(String.format(Locale.ROOT, "%.1f %.1f", x, y));
            }
            final String colour = COLOURS[c.colour() % COLOURS.length];
            s.append(String.format(Locale.ROOT, "<path class=\"curve %s\" d=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s><title>%s</title></path>%n",
                c.java() ? "java" : "testpmd", d, colour, c.java() ? "" : " stroke-dasharray=\"6 4\"", esc(c.label())));
            s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\"%s/>%n",
                left + plotW + 16, legendY, left + plotW + 46, legendY, colour, c.java() ? "" : " stroke-dasharray=\"6 4\""));
            s.append(String.format(Locale.ROOT, "<text class=\"legend\" x=\"%d\" y=\"%d\">%s</text>%n", left + plotW + 52, legendY + 4,
                esc(c.label())));
            legendY += 18;
        }
        s.append("</svg>\n");
        return s.toString();
    }

    private static void legend(final StringBuilder s, final int x, final int y, final String[] labels, final String[] colours,
        final boolean[] dashed)
    {
        int at = x;
        for (int i = 0; i < labels.length; i++)
        {
            s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"10\" fill=\"%s\"%s/>%n", at, y - 9, colours[i],
                dashed[i] ? " stroke-dasharray=\"3 2\"" : ""));
            s.append(String.format(Locale.ROOT, "<text class=\"legend\" x=\"%d\" y=\"%d\">%s</text>%n", at + 18, y, esc(labels[i])));
            at += 24 + 7 * labels[i].length();
        }
    }

    private static double finite(final double v)
    {
        return Double.isNaN(v) || Double.isInfinite(v) ? 0 : v;
    }

    /** @return the smallest of 1, 2, 2.5, 5 times a power of ten that is at least {@code v}. */
    static double niceCeiling(final double v)
    {
        if (v <= 0)
        {
            return 1;
        }
        final double p = Math.pow(10, Math.floor(Math.log10(v)));
        for (final double m : new double[] {1, 2, 2.5, 5, 10})
        {
            if (m * p >= v)
            {
                return m * p;
            }
        }
        return 10 * p;
    }

    /** @return an axis label: whole numbers without decimals, small ones with as few as they need. */
    static String axis(final double v)
    {
        if (v == Math.rint(v) && Math.abs(v) < 1e15)
        {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        return String.format(Locale.ROOT, "%.3g", v).replaceAll("\\.?0+$", "");
    }

    /** @return a number with a sensible number of decimals. */
    static String num(final double v)
    {
        if (Double.isNaN(v))
        {
            return "n/a";
        }
        final double a = Math.abs(v);
        return String.format(Locale.ROOT, a >= 100 ? "%.0f" : a >= 10 ? "%.1f" : a >= 1 ? "%.2f" : "%.3f", v);
    }

    /** @return {@code text} with XML's special characters escaped. */
    public static String esc(final String text)
    {
        final StringBuilder b = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++)
        {
            final char c = text.charAt(i);
            switch (c)
            {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }
}
