package io.panamux.perf.bench;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

import io.panamux.dpdk.Dpdk;
import org.agrona.concurrent.Agent;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Keeps a measuring JVM's own threads out of the way of the threads that forward or generate packets.
 *
 * <p>{@link #background(int)} moves every thread the process has now (main, JIT compilers, GC workers,
 * ...; not the launcher's first thread, which only waits) to one CPU, as starting it under {@code taskset -c CPU} would, and, when the process may raise
 * priorities again (root), lowers all but the JIT compilers to nice 19. Threads started later inherit
 * both from their creator. The packet threads then pin themselves to their CPUs and come back to nice 0
 * ({@link #foreground()}, {@link #foreground(Agent)}).
 *
 * <p>Why: on a two-CPU machine the memif generator shares CPU 0 with both JVMs' housekeeping. A JIT
 * compilation or a histogram copy on CPU 0 at equal priority takes the generator's CPU for milliseconds,
 * and since the rate-limited generator stamps packets with their intended send time (no coordinated
 * omission), that stall shows as latency through the forwarder. At nice 19 that work still runs, in the
 * generator's idle moments, without holding it up for a whole time slice.
 */
public final class ThreadPlacement
{
    private static final MethodHandle SCHED_SETAFFINITY = Dpdk.libcDowncall("sched_setaffinity",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS));
    private static final MethodHandle SETPRIORITY = Dpdk.libcDowncall("setpriority",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final int PRIO_PROCESS = 0;
    private static final int BACKGROUND_NICE = 19;
    private static final int CPU_SET_BYTES = 128;
    /** Lowering priorities is done only where they can be raised again (as root). */
    private static final boolean CAN_RENICE = "root".equals(ProcessHandle.current().info().user().orElse(""));

    private ThreadPlacement()
    {
    }

    /**
     * Moves every thread of this process but its first to {@code cpu} and, as root, to nice 19.
     *
     * <p>The first thread (the one whose id is the process's) keeps its CPUs: the Java launcher only waits in
     * it for the JVM to end, and its affinity is how this process's CPUs are read ({@link
     * io.panamux.dpdk.Lcore#processCpus()}, {@code Cpus_allowed_list} of {@code /proc/self/status}). A MUX
     * started in this process places its workers on those CPUs; with the first thread moved too, it saw only
     * {@code cpu}, did not pin its worker, and the worker busy-polled on the generator's CPU, where it starved
     * the generator (the bench's memif scenarios never ended).
     *
     * @return the number of threads moved (threads that exited meanwhile are skipped).
     */
    public static int background(final int cpu)
    {
        int moved = 0;
        final long first = ProcessHandle.current().pid();
        try (Arena arena = Arena.ofConfined(); DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task")))
        {
            final MemorySegment set = arena.allocate(CPU_SET_BYTES);
            set.set(JAVA_BYTE, cpu >> 3, (byte)(1 << (cpu & 7)));
            for (final Path task : tasks)
            {
                final int tid = Integer.parseInt(task.getFileName().toString());
                if (tid == first)
                {
                    continue;
                }
                if ((int)SCHED_SETAFFINITY.invokeExact(tid, (long)CPU_SET_BYTES, set) == 0)
                {
                    moved++;
                }
                // The JIT keeps its priority: on a busy machine, compilers at nice 19 would leave the loops
                // interpreted long after their warm-up.
                if (CAN_RENICE && !compilerThread(task))
                {
                    final int ignored = (int)SETPRIORITY.invokeExact(PRIO_PROCESS, tid, BACKGROUND_NICE);
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
            // invokeExact declares Throwable; these C functions throw nothing.
            throw new IllegalStateException("sched_setaffinity/setpriority", t);
        }
        return moved;
    }

    /**
     * Undoes {@link #background(int)} before the process ends: every thread may run on every online CPU again, at nice 0.
     *
     * <p>Why: when a JVM ends, its threads exit together and each drops its {@code /proc} entries while the parent
     * reaps the process and drops the whole {@code /proc/PID} tree. Seen in the bench: the JDK's "process reaper"
     * thread of the driving JVM spun at 100 % system time on CPU 0 for over 60 s in {@code wait4 -> release_task ->
     * proc_invalidate_siblings_dcache -> shrink_dcache_parent}, waiting for entries that another task had taken to
     * drop, while CPU 0's {@code kworker} and {@code ksoftirqd} stayed runnable and never ran ("workqueue lockup"
     * in the kernel log, the generator "did not end"). Every thread of the ending generator was pinned to that same
     * CPU, most at nice 19, so none could finish beside the spinning reaper. Unpinned, they finish on the other CPU.
     *
     * @return the number of threads released.
     */
    public static int release()
    {
        final int cpus = io.panamux.dpdk.Lcore.onlineCpus();
        int released = 0;
        try (Arena arena = Arena.ofConfined(); DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task")))
        {
            final MemorySegment set = arena.allocate(CPU_SET_BYTES);
            for (int cpu = 0; cpu < cpus && cpu < CPU_SET_BYTES * 8; cpu++)
            {
                set.set(JAVA_BYTE, cpu >> 3, (byte)(set.get(JAVA_BYTE, cpu >> 3) | 1 << (cpu & 7)));
            }
            for (final Path task : tasks)
            {
                final int tid = Integer.parseInt(task.getFileName().toString());
                if ((int)SCHED_SETAFFINITY.invokeExact(tid, (long)CPU_SET_BYTES, set) == 0)
                {
                    released++;
                }
                if (CAN_RENICE)
                {
                    final int ignored = (int)SETPRIORITY.invokeExact(PRIO_PROCESS, tid, 0);
                }
            }
        }
        catch (final IOException e)
        {
            return released;
        }
        catch (final RuntimeException | Error e)
        {
            throw e;
        }
        catch (final Throwable t)
        {
            throw new IllegalStateException("sched_setaffinity/setpriority", t);
        }
        return released;
    }

    private static boolean compilerThread(final Path task)
    {
        try
        {
            return Files.readString(task.resolve("comm")).contains("CompilerThre");
        }
        catch (final IOException e)
        {
            return false;
        }
    }

    /**
     * Brings the calling thread back to nice 0 (on Linux the nice value is per thread, and who 0 names the
     * calling thread). Threads it starts inherit nice 0.
     */
    public static void foreground()
    {
        if (!CAN_RENICE)
        {
            return;
        }
        try
        {
            final int ignored = (int)SETPRIORITY.invokeExact(PRIO_PROCESS, 0, 0);
        }
        catch (final Throwable t)
        {
            throw new IllegalStateException("setpriority", t);
        }
    }

    /**
     * Runs {@code task} on a new thread at nice 0 and waits for it: what it starts (threads, processes)
     * inherits nice 0 and the caller's CPUs.
     *
     * @return the task's result.
     * @throws Exception what the task threw.
     */
    public static <T> T inForeground(final Callable<T> task) throws Exception
    {
        final AtomicReference<T> result = new AtomicReference<>();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final Thread t = new Thread(() ->
        {
            try
            {
                foreground();
                result.set(task.call());
            }
            catch (final Throwable e)
            {
                failure.set(e);
            }
        }, "foreground-starter");
        t.start();
        t.join();
        final Throwable f = failure.get();
        if (f instanceof Exception e)
        {
            throw e;
        }
        if (f instanceof Error e)
        {
            throw e;
        }
        return result.get();
    }

    /** @return {@code agent}, whose thread comes back to nice 0 before the agent starts. */
    public static Agent foreground(final Agent agent)
    {
        return new Agent()
        {
            @Override
            public void onStart()
            {
                foreground();
                agent.onStart();
            }

            @Override
            public int doWork() throws Exception
            {
                return agent.doWork();
            }

            @Override
            public void onClose()
            {
                agent.onClose();
            }

            @Override
            public String roleName()
            {
                return agent.roleName();
            }
        };
    }
}
