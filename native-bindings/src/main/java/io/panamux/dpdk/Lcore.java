package io.panamux.dpdk;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.IntStream;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Per-thread DPDK state: lcore registration (without it the mempool's per-lcore cache is bypassed and
 * throughput halves), the thread-local {@code rte_errno}, and CPU affinity.
 */
public final class Lcore
{
    /** LCORE_ID_ANY: the calling thread is not an lcore. */
    public static final int ID_ANY = -1;

    private static final MethodHandle THREAD_REGISTER = Dpdk.downcall("rte_thread_register", FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle THREAD_UNREGISTER = Dpdk.downcall("rte_thread_unregister", FunctionDescriptor.ofVoid());
    private static final MethodHandle LCORE_ID = Dpdk.downcall("pmx_lcore_id", FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle ERRNO = Dpdk.downcall("pmx_errno", FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle SCHED_SETAFFINITY = Dpdk.libcDowncall("sched_setaffinity",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS));
    private static final MethodHandle SCHED_GETAFFINITY = Dpdk.libcDowncall("sched_getaffinity",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS));
    private static final int CPU_SET_BYTES = 128;

    private Lcore()
    {
    }

    /**
     * Registers the calling thread with DPDK as a non-EAL lcore.
     *
     * @return the lcore id given to the thread.
     */
    public static int register()
    {
        try
        {
            final int rc = (int)THREAD_REGISTER.invokeExact();
            if (rc != 0)
            {
                throw new DpdkException("rte_thread_register(" + Thread.currentThread().getName() + ")", errno());
            }
            return id();
        }
        catch (final Throwable t)
        {
            throw Dpdk.rethrow(t);
        }
    }

    /** Releases the calling thread's lcore id. */
    public static void unregister()
    {
        try
        {
            THREAD_UNREGISTER.invokeExact();
        }
        catch (final Throwable t)
        {
            throw Dpdk.rethrow(t);
        }
    }

    /** @return the calling thread's lcore id, or {@link #ID_ANY}. */
    public static int id()
    {
        try
        {
            return (int)LCORE_ID.invokeExact();
        }
        catch (final Throwable t)
        {
            throw Dpdk.rethrow(t);
        }
    }

    /** @return the calling thread's {@code rte_errno}. */
    public static int errno()
    {
        try
        {
            return (int)ERRNO.invokeExact();
        }
        catch (final Throwable t)
        {
            throw Dpdk.rethrow(t);
        }
    }

    /**
     * Pins the calling thread to the given CPUs.
     *
     * @param cpus CPU numbers; empty means every CPU the machine has online.
     */
    public static void setAffinity(final int... cpus)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment set = arena.allocate(CPU_SET_BYTES);
            if (cpus.length == 0)
            {
                final int n = Runtime.getRuntime().availableProcessors();
                final int online = Math.max(n, onlineCpus());
                for (int cpu = 0; cpu < online; cpu++)
                {
                    setBit(set, cpu);
                }
            }
            for (final int cpu : cpus)
            {
                setBit(set, cpu);
            }
            final int rc = (int)SCHED_SETAFFINITY.invokeExact(0, (long)CPU_SET_BYTES, set);
            if (rc != 0)
            {
                throw new DpdkException("sched_setaffinity(" + Arrays.toString(cpus) + ") failed");
            }
        }
        catch (final Throwable t)
        {
            throw Dpdk.rethrow(t);
        }
    }

    /** @return the CPUs the calling thread may run on. */
    public static int[] affinity()
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment set = arena.allocate(CPU_SET_BYTES);
            final int rc = (int)SCHED_GETAFFINITY.invokeExact(0, (long)CPU_SET_BYTES, set);
            if (rc != 0)
            {
                throw new DpdkException("sched_getaffinity failed");
            }
            return IntStream.range(0, CPU_SET_BYTES * 8)
                .filter(cpu -> (set.get(JAVA_BYTE, cpu >> 3) & (1 << (cpu & 7))) != 0)
                .toArray();
        }
        catch (final Throwable t)
        {
            throw Dpdk.rethrow(t);
        }
    }

    /**
     * @return the CPUs this process may run on, ascending: those of its first thread ({@code Cpus_allowed_list}
     *         of {@code /proc/self/status}: what taskset, systemd's {@code CPUAffinity=} or a cpuset gave it), which
     *         the EAL leaves alone (it pins the thread that initialises it, the JVM's main thread, not the first);
     *         every online CPU when that cannot be read.
     */
    public static int[] processCpus()
    {
        try
        {
            for (final String line : Files.readAllLines(Path.of("/proc/self/status")))
            {
                if (line.startsWith("Cpus_allowed_list:"))
                {
                    return cpuList(line.substring("Cpus_allowed_list:".length()).strip());
                }
            }
        }
        catch (final IOException | RuntimeException e)
        {
            // Not Linux, or a format this does not know: every online CPU, as before.
        }
        return IntStream.range(0, onlineCpus()).toArray();
    }

    /** @return the CPUs of a kernel CPU list such as {@code 0-3,8,10-11}, ascending. */
    public static int[] cpuList(final String list)
    {
        final IntStream.Builder cpus = IntStream.builder();
        for (final String part : list.split(","))
        {
            final String[] range = part.strip().split("-");
            final int first = Integer.parseInt(range[0]);
            final int last = Integer.parseInt(range[range.length - 1]);
            for (int cpu = first; cpu <= last; cpu++)
            {
                cpus.add(cpu);
            }
        }
        return cpus.build().sorted().toArray();
    }

    /** @return the number of CPUs online, from sysfs (independent of the calling thread's affinity). */
    public static int onlineCpus()
    {
        try
        {
            final String s = Files.readString(Path.of("/sys/devices/system/cpu/online")).trim();
            int max = 0;
            for (final String part : s.split(","))
            {
                final String[] range = part.split("-");
                max = Math.max(max, Integer.parseInt(range[range.length - 1]));
            }
            return max + 1;
        }
        catch (final IOException | NumberFormatException e)
        {
            return Runtime.getRuntime().availableProcessors();
        }
    }

    private static void setBit(final MemorySegment set, final int cpu)
    {
        final long i = cpu >> 3;
        set.set(JAVA_BYTE, i,
            (byte)(set.get(JAVA_BYTE, i) | (1 << (cpu & 7))));
    }
}
