package io.panamux.perf.bench;

/**
 * One alternation: a testpmd window, then a Java window, then (where the scenario has one) a window of
 * the C baseline doing the Java worker's work, on the same device and CPUs.
 *
 * @param index     1-based round.
 * @param testpmd   testpmd's window.
 * @param java      the Java loop's window.
 * @param ratio     {@code java.mpps / testpmd.mpps}.
 * @param c         the C baseline's window, or null.
 * @param javaOverC {@code java.mpps / c.mpps} (NaN without a C window).
 */
public record RoundResult(int index, LoopWindow testpmd, LoopWindow java, double ratio, LoopWindow c, double javaOverC)
{
    /** A round without a C window. */
    public RoundResult(final int index, final LoopWindow testpmd, final LoopWindow java, final double ratio)
    {
        this(index, testpmd, java, ratio, null, Double.NaN);
    }
}
