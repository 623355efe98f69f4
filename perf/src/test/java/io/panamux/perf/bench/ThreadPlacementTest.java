package io.panamux.perf.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.panamux.dpdk.Lcore;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link ThreadPlacement#background(int)} moves the bench's threads to one CPU but leaves the process's CPUs
 * readable: a MUX started in that process places its worker by {@link Lcore#processCpus()}, and when that
 * said only CPU 0 the worker was not pinned and starved the memif generator on CPU 0 (the bench's memif
 * scenarios never ended). Run in a child JVM: background() renices the whole process.
 */
class ThreadPlacementTest
{
    @Test
    void backgroundKeepsTheProcessCpusVisibleToTheMux() throws Exception
    {
        final int[] given = Lcore.processCpus();
        assumeTrue(given.length > 1, "needs two CPUs to tell the process's CPUs from the background one");
        final Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), Child.class.getName(),
            Integer.toString(given[0])).redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM ended");
        final List<String> lines = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        assertEquals(0, p.exitValue(), () -> String.join("\n", lines));
        // The calling thread is on the background CPU alone, and the process still has every CPU it was given.
        assertEquals("caller " + given[0], lines.get(0), () -> String.join("\n", lines));
        assertEquals("process " + Arrays.toString(given), lines.get(1), () -> String.join("\n", lines));
    }

    /** Moves itself to the background CPU and reports what a MUX would read. */
    static final class Child
    {
        private Child()
        {
        }

        /** @param args the background CPU. */
        public static void main(final String[] args)
        {
            ThreadPlacement.background(Integer.parseInt(args[0]));
            System.out.println("caller " + String.join(",", Arrays.stream(Lcore.affinity()).mapToObj(Integer::toString).toList()));
            System.out.println("process " + Arrays.toString(Lcore.processCpus()));
        }
    }
}
