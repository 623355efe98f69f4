package io.panamux.perf.bench;

/**
 * One alternation: a testpmd window, then a Java window on the same device and CPUs.
 *
 * @param index   1-based round.
 * @param testpmd testpmd's window.
 * @param java    the Java loop's window.
 * @param ratio   {@code java.mpps / testpmd.mpps}.
 */
public record RoundResult(int index, LoopWindow testpmd, LoopWindow java, double ratio)
{
}
