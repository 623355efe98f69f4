package io.panamux.perf.jmh;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import io.panamux.flow.FlowHash;
import io.panamux.flow.MaglevTable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Building a Maglev table off the fast path (on every backend change): 1,000 backends by default, equal or
 * mixed weights, at the default size and at the paper's {@code M >= 100 N} for that many backends.
 * Also the per-packet cost of a lookup (hash of the 5-tuple with the pool seed, then one table read).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
public class MaglevBuildBenchmark
{
    private static final long POOL_SEED = 0x5eedL;

    /** Number of backends. */
    @Param({ "1000" })
    public int backends;

    /** Table size (prime). */
    @Param({ "65537", "100003" })
    public int size;

    /** "equal": all weight 1; "mixed": weights 1 to 4. */
    @Param({ "equal", "mixed" })
    public String weighting;

    private long[] keys;
    private int[] weights;
    private int[] table;
    private int flow;

    /** Backend keys as the product derives them: the hash of the address with the pool seed. */
    @Setup
    public void setUp()
    {
        keys = new long[backends];
        weights = new int[backends];
        for (int i = 0; i < backends; i++)
        {
            final String address = "10." + (i >>> 16) + "." + ((i >>> 8) & 0xFF) + "." + (i & 0xFF);
            keys[i] = FlowHash.hashBytes(POOL_SEED, address.getBytes(StandardCharsets.US_ASCII));
            weights[i] = "mixed".equals(weighting) ? 1 + i % 4 : 1;
        }
        table = MaglevTable.build(keys, weights, size);
    }

    /** @return a freshly built table. */
    @Benchmark
    public int[] build()
    {
        return MaglevTable.build(keys, weights, size);
    }

    /** @return the backend of the next flow (5-tuple hash with the pool seed plus one table read). */
    @Benchmark
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public int lookup()
    {
        final int i = flow++;
        final long hash = FlowHash.hashV4(POOL_SEED, 0x0A000000 ^ i, 0xC633640A, 1024 + (i & 0x7FFF), 443, 6);
        return MaglevTable.lookup(table, hash);
    }
}
