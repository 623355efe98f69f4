package io.panamux.flow;

import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One writer rewrites a small table (8 buckets, so slots are constantly reused by other keys and entries
 * are evicted) with self-checking entries while two readers, one calling {@code read*} and one
 * {@code forEach}, check that every entry they observe is whole: all key fields derive from one id, and
 * backend id, last-seen and flags derive from one counter and that id. A torn read (fields of two writes)
 * breaks one of those relations.
 *
 * <p>The second test runs the same harness against the package-private test hook that skips the sequence
 * check, and requires the harness to catch tearing there: that is what makes the first test meaningful.
 */
class FlowTableConcurrencyTest
{
    private static final long SEED = 0x0ddba11L;
    private static final int V4_KEYS = 48;
    private static final int V6_KEYS = 16;
    private static final int TCP = 6;

    @Test
    void readersNeverSeeATornEntry() throws InterruptedException
    {
        try (FlowTable table = new FlowTable(64, SEED))
        {
            final Result result = stress(table, 1_500, false);
            System.out.println("sequence-checked readers: " + result);
            assertEquals(0, result.tears.get(), "torn entry: " + result.firstTear.get());
            assertTrue(result.writes.get() > 10_000, "writer made too few writes: " + result);
            assertTrue(result.entriesChecked.get() > 1_000, "readers checked too few entries: " + result);
            assertTrue(result.readsFound.get() > 100, "point reads found too few flows: " + result);
        }
    }

    @Test
    void theHarnessDetectsTearingWhenReadsSkipTheSequenceCheck() throws InterruptedException
    {
        try (FlowTable table = new FlowTable(64, SEED, false))
        {
            final Result result = stress(table, 10_000, true);
            System.out.println("unchecked readers (test hook): " + result);
            assertTrue(result.tears.get() > 0, "the harness saw no torn read without the sequence check: " + result);
        }
    }

    static final class Result
    {
        final AtomicLong writes = new AtomicLong();
        final AtomicLong entriesChecked = new AtomicLong();
        final AtomicLong readsFound = new AtomicLong();
        final AtomicLong tears = new AtomicLong();
        final AtomicReference<String> firstTear = new AtomicReference<>();
        volatile boolean stop;

        void tear(final String description)
        {
            tears.incrementAndGet();
            firstTear.compareAndSet(null, description);
        }

        public String toString()
        {
            return "writes=" + writes + " entriesChecked=" + entriesChecked + " readsFound=" + readsFound +
                " tears=" + tears + (firstTear.get() == null ? "" : " first: " + firstTear.get());
        }
    }

    private static Result stress(final FlowTable table, final long maxMillis, final boolean stopOnTear)
        throws InterruptedException
    {
        final Result result = new Result();
        final AtomicReference<Throwable> failure = new AtomicReference<>();

        final Thread writer = new Thread(() -> write(table, result), "writer");
        final Thread pointReader = new Thread(() -> readPoints(table, result), "point-reader");
        final Thread dumpReader = new Thread(() -> readDumps(table, result), "dump-reader");
        final Thread[] threads = { writer, pointReader, dumpReader };
        for (final Thread thread : threads)
        {
            // Daemons, so that a reader stuck on a sequence that never turns even fails the test, not the JVM.
            thread.setDaemon(true);
            thread.setUncaughtExceptionHandler((t, e) ->
            {
                failure.compareAndSet(null, e);
                result.stop = true;
            });
            thread.start();
        }

        final long deadline = System.nanoTime() + maxMillis * 1_000_000L;
        while (System.nanoTime() < deadline && !result.stop && !(stopOnTear && result.tears.get() > 0))
        {
            Thread.sleep(10);
        }
        result.stop = true;
        for (final Thread thread : threads)
        {
            thread.join(10_000);
            if (thread.isAlive())
            {
                throw new AssertionError(thread.getName() + " did not stop: stuck in a read? " + result);
            }
        }

        if (failure.get() != null)
        {
            throw new AssertionError("stress thread failed", failure.get());
        }
        return result;
    }

    private static void write(final FlowTable table, final Result result)
    {
        final SplittableRandom random = new SplittableRandom(1);
        for (int counter = 1; !result.stop; counter++)
        {
            final int op = random.nextInt(100);
            if (op < 70)
            {
                final int id = random.nextInt(V4_KEYS);
                table.putV4(src(id), dst(id), srcPort(id), dstPort(id), TCP, counter, flags(id, counter),
                    lastSeen(id, counter));
            }
            else if (op < 85)
            {
                final int id = random.nextInt(V6_KEYS);
                table.putV6(id, srcLo(id), ~id, dstLo(id), srcPort(id), dstPort(id), TCP, counter, flags(id, counter),
                    lastSeen(id, counter));
            }
            else if (op < 92)
            {
                final int id = random.nextInt(V4_KEYS);
                table.removeV4(src(id), dst(id), srcPort(id), dstPort(id), TCP);
            }
            else if (op < 97)
            {
                final int id = random.nextInt(V6_KEYS);
                table.removeV6(id, srcLo(id), ~id, dstLo(id), srcPort(id), dstPort(id), TCP);
            }
            else
            {
                // Last-seen times are pseudo-random, so about a quarter of the visited entries expire.
                table.expire(random.nextInt(), 1 << 30, 1);
            }
            result.writes.lazySet(counter);
        }
    }

    private static void readPoints(final FlowTable table, final Result result)
    {
        final SplittableRandom random = new SplittableRandom(2);
        while (!result.stop)
        {
            final boolean v6 = random.nextBoolean();
            final int id = random.nextInt(v6 ? V6_KEYS : V4_KEYS);
            final long value = v6 ?
                table.readV6(id, srcLo(id), ~id, dstLo(id), srcPort(id), dstPort(id), TCP) :
                table.readV4(src(id), dst(id), srcPort(id), dstPort(id), TCP);
            if (value != FlowTable.MISSING)
            {
                result.readsFound.incrementAndGet();
                final int backend = FlowTable.backendId(value);
                if (FlowTable.flags(value) != flags(id, backend))
                {
                    result.tear("read" + (v6 ? "V6" : "V4") + " id=" + id + " backend=" + backend + " flags=" +
                        FlowTable.flags(value));
                }
            }
        }
    }

    private static void readDumps(final FlowTable table, final Result result)
    {
        final FlowVisitor checker = new FlowVisitor()
        {
            public void onV4(
                final int srcAddr, final int dstAddr, final int srcPort, final int dstPort, final int protocol,
                final int backendId, final int lastSeen, final int flags)
            {
                final int id = srcAddr & 0xFFFF;
                final boolean whole = srcAddr == src(id) && dstAddr == dst(id) && srcPort == srcPort(id) &&
                    dstPort == dstPort(id) && protocol == TCP && lastSeen == lastSeen(id, backendId) &&
                    flags == flags(id, backendId);
                check(whole, "v4", id, srcAddr, dstAddr, srcPort, dstPort, backendId, lastSeen, flags);
            }

            public void onV6(
                final long srcHi, final long srcLo, final long dstHi, final long dstLo, final int srcPort,
                final int dstPort, final int protocol, final int backendId, final int lastSeen, final int flags)
            {
                final int id = (int)srcHi;
                final boolean whole = srcHi >= 0 && srcHi < V6_KEYS && srcLo == srcLo(id) && dstHi == ~srcHi &&
                    dstLo == dstLo(id) && srcPort == srcPort(id) && dstPort == dstPort(id) && protocol == TCP &&
                    lastSeen == lastSeen(id, backendId) && flags == flags(id, backendId);
                check(whole, "v6", id, srcLo, dstLo, srcPort, dstPort, backendId, lastSeen, flags);
            }

            private void check(
                final boolean whole, final String family, final int id, final long src, final long dst,
                final int srcPort, final int dstPort, final int backendId, final int lastSeen, final int flags)
            {
                result.entriesChecked.incrementAndGet();
                if (!whole)
                {
                    result.tear(family + " id=" + id + " src=" + Long.toHexString(src) + " dst=" +
                        Long.toHexString(dst) + " ports=" + srcPort + "/" + dstPort + " backend=" + backendId +
                        " lastSeen=" + lastSeen + " flags=" + flags);
                }
            }
        };
        while (!result.stop)
        {
            table.forEach(checker, Integer.MAX_VALUE);
        }
    }

    // Every field of an entry derives from the key id or from (id, counter), so a mix of two writes shows.

    private static int src(final int id)
    {
        return 0x0A000000 | id;
    }

    private static int dst(final int id)
    {
        return 0xC6330000 | (id * 7919 & 0xFFFF);
    }

    private static int srcPort(final int id)
    {
        return 1024 + id * 13;
    }

    private static int dstPort(final int id)
    {
        return 443 + id;
    }

    private static long srcLo(final int id)
    {
        return id * 0x9E3779B97F4A7C15L;
    }

    private static long dstLo(final int id)
    {
        return id ^ 0x5555_0000_AAAA_0000L;
    }

    private static int lastSeen(final int id, final int counter)
    {
        return (int)(FlowHash.mix(counter, id ^ FlowHash.P1) >>> 8);
    }

    private static int flags(final int id, final int counter)
    {
        return (int)FlowHash.mix(counter, id ^ FlowHash.P1) & FlowTable.MAX_FLAGS;
    }
}
