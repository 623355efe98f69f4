package io.panamux.perf.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.panamux.dpdk.Lcore;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The generator's driving thread keeps its share of the CPU it shares with the generator's busy-polling thread
 * ({@link GenerateCommand#placeThreads(int)}). It was moved to nice 19 with the JVM's housekeeping and got about 1.5 %
 * of that CPU: the bench's memif generator then took minutes to run its schedule and stop, and the bench killed it
 * after its margin ("the generator does not end", about one MUX run in three). Run in a child JVM: the placement
 * renices the whole process.
 */
class GeneratorPlacementTest
{
    /** CPU time the driving thread needs in the child; what the wall time to get it says. */
    private static final long WORK_MS = 300;

    @Test
    void theDrivingThreadGetsItsShareBesideTheBusyThread() throws Exception
    {
        // Only root may lower priorities (and raise them again): elsewhere nothing is reniced and there is nothing to see.
        assumeTrue("root".equals(ProcessHandle.current().info().user().orElse("")), "renicing needs root");
        final int cpu = Lcore.processCpus()[0];
        final Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), Child.class.getName(),
            Integer.toString(cpu)).redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM ended");
        final List<String> lines = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        assertEquals(0, p.exitValue(), () -> String.join("\n", lines));
        final long wallMs = Long.parseLong(lines.getLast().substring("wall ".length()));
        // Beside one busy thread at equal priority it gets half the CPU: about 2 x WORK_MS, more on a busy machine.
        // At nice 19 it got ~1.5 %: 20 s for the same work (the child gives up at 10 s).
        assertTrue(wallMs < 10 * WORK_MS, () -> "the driving thread needed " + wallMs + " ms for " + WORK_MS
            + " ms of CPU beside the busy thread:\n" + String.join("\n", lines));
    }

    /** Places itself as the generator does, starts a busy thread on the same CPU, then works and reports how long it took. */
    static final class Child
    {
        private static volatile boolean stop;

        private Child()
        {
        }

        /** @param args the generator's CPU. */
        public static void main(final String[] args) throws Exception
        {
            GenerateCommand.placeThreads(Integer.parseInt(args[0]));
            // As the generator's traffic thread: normal priority, never sleeps.
            final Thread busy = Thread.ofPlatform().daemon().start(() ->
            {
                ThreadPlacement.foreground();
                while (!stop)
                {
                    Thread.onSpinWait();
                }
            });
            Thread.sleep(100);
            final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            final long cpu0 = threads.getCurrentThreadCpuTime();
            final long t0 = System.nanoTime();
            long x = 0;
            while (threads.getCurrentThreadCpuTime() - cpu0 < WORK_MS * 1_000_000 && System.nanoTime() - t0 < 10_000_000_000L)
            {
                for (int i = 0; i < 10_000; i++)
                {
                    x += i ^ x >>> 3;
                }
            }
            stop = true;
            busy.join();
            System.out.println("checksum " + x);
            System.out.println("wall " + (System.nanoTime() - t0) / 1_000_000);
        }
    }
}
