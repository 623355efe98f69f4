package io.panamux.perf.bench;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

import io.panamux.dpdk.Dpdk;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Keeps a measuring JVM's own threads off the forwarding CPUs: moves every thread the process has now
 * (main, JIT compilers, GC workers, ...) to one CPU, as starting it under {@code taskset -c CPU} would.
 * Threads started later inherit that from their creator; the forwarding threads then pin themselves to
 * their own CPUs, which nothing else of the process uses. Without it a JIT compilation late in a run
 * (the harness parsing the generator's lines, say) can take the MUX worker's CPU for milliseconds.
 */
public final class ThreadPlacement
{
    private static final MethodHandle SCHED_SETAFFINITY = Dpdk.libcDowncall("sched_setaffinity",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS));
    private static final int CPU_SET_BYTES = 128;

    private ThreadPlacement()
    {
    }

    /**
     * Moves every thread of this process to {@code cpu}.
     *
     * @return the number of threads moved (threads that exited meanwhile are skipped).
     */
    public static int moveAllThreads(final int cpu)
    {
        int moved = 0;
        try (Arena arena = Arena.ofConfined(); DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task")))
        {
            final MemorySegment set = arena.allocate(CPU_SET_BYTES);
            set.set(JAVA_BYTE, cpu >> 3, (byte)(1 << (cpu & 7)));
            for (final Path task : tasks)
            {
                final int tid = Integer.parseInt(task.getFileName().toString());
                if ((int)SCHED_SETAFFINITY.invokeExact(tid, (long)CPU_SET_BYTES, set) == 0)
                {
                    moved++;
                }
            }
        }
        catch (final IOException e)
        {
            return moved;
        }
        catch (final RuntimeException | Error e)
        {
            throw e;
        }
        catch (final Throwable t)
        {
            // invokeExact declares Throwable; sched_setaffinity itself throws nothing.
            throw new IllegalStateException("sched_setaffinity", t);
        }
        return moved;
    }
}
