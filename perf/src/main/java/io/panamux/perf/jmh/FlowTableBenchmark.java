package io.panamux.perf.jmh;

import java.util.concurrent.TimeUnit;

import io.panamux.flow.FlowHash;
import io.panamux.flow.FlowTable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The flow table as a worker uses it: lookups of random present flows (hit) and absent flows (miss), the
 * lock-free reader path of the control thread, and insertion of new flows (a rolling window: each
 * operation inserts one new flow and removes the oldest, so the table stays at {@code entries} flows).
 * Access is uniformly random over the flows, so with 1M and 10M entries (64 MB and 512 MB of table) nearly
 * every operation misses the CPU caches, as it would under real traffic. The table has 1.5 x {@code entries}
 * slots rounded up to a power of two of buckets. Also the cost of the keyed 5-tuple hash alone.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
public class FlowTableBenchmark
{
    private static final long PLACEMENT_SEED = 0x7ab1e5eedL;
    private static final int VIP = 0xC633640A;
    private static final int PRESENT_PORT = 443;
    private static final int ABSENT_PORT = 80;
    private static final int TCP = 6;
    private static final int NOW = 1;

    /** Flows in the table. */
    @Param({ "1000000", "10000000" })
    public int entries;

    private FlowTable table;
    private int random = 0x2545F491;
    private int nextNew;
    private int oldest;

    /** Fills the table with {@code entries} flows; each has a distinct source address. */
    @Setup(Level.Trial)
    public void setUp()
    {
        table = new FlowTable(entries + entries / 2, PLACEMENT_SEED);
        for (int i = 0; i < entries; i++)
        {
            table.putV4(0x0A000000 + i, VIP, 1024 + (i & 0x7FFF), PRESENT_PORT, TCP, i & 0xFFFF, 0, NOW);
        }
        nextNew = entries;
        oldest = 0;
        System.out.printf("%n[flow table: %d flows, %d slots, %d MB, %d evicted while filling]%n",
            table.size(), table.capacity(), table.memoryBytes() >> 20, table.evictions());
    }

    /** Frees the table. */
    @TearDown(Level.Trial)
    public void tearDown()
    {
        table.close();
    }

    /** @return the value of a random present flow (writer's find; last-seen unchanged). */
    @Benchmark
    public long findHit()
    {
        final int i = nextIndex();
        return table.findV4(0x0A000000 + i, VIP, 1024 + (i & 0x7FFF), PRESENT_PORT, TCP, NOW);
    }

    /** @return MISSING: a random absent flow that hashes like the present ones. */
    @Benchmark
    public long findMiss()
    {
        final int i = nextIndex();
        return table.findV4(0x0A000000 + i, VIP, 1024 + (i & 0x7FFF), ABSENT_PORT, TCP, NOW);
    }

    /** @return the value of a random present flow through the sequence-checked reader path. */
    @Benchmark
    public long readHit()
    {
        final int i = nextIndex();
        return table.readV4(0x0A000000 + i, VIP, 1024 + (i & 0x7FFF), PRESENT_PORT, TCP);
    }

    /** @return the insert result: one new flow in, the oldest flow out. */
    @Benchmark
    public int insertAndRemove()
    {
        final int i = nextNew++;
        final int result = table.putV4(0x0A000000 + i, VIP, 1024 + (i & 0x7FFF), PRESENT_PORT, TCP, i & 0xFFFF, 0, NOW);
        final int old = oldest++;
        table.removeV4(0x0A000000 + old, VIP, 1024 + (old & 0x7FFF), PRESENT_PORT, TCP);
        return result;
    }

    /** @return the placement hash of a flow alone. */
    @Benchmark
    public long hashV4()
    {
        final int i = random++;
        return FlowHash.hashV4(PLACEMENT_SEED, 0x0A000000 + i, VIP, 1024 + (i & 0x7FFF), PRESENT_PORT, TCP);
    }

    /** @return the placement hash of an IPv6 flow alone. */
    @Benchmark
    public long hashV6()
    {
        final int i = random++;
        return FlowHash.hashV6(PLACEMENT_SEED, 0x20010db800000000L, i, 0x20010db8ffff0000L, 1L, 1024 + (i & 0x7FFF),
            PRESENT_PORT, TCP);
    }

    /** Uniform in [0, entries): xorshift, then a multiply-shift range reduction (no division). */
    private int nextIndex()
    {
        int x = random;
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        random = x;
        return (int)(((x & 0xFFFF_FFFFL) * entries) >>> 32);
    }
}
