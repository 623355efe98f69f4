package io.panamux.dpdk;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * DPDK's Environment Abstraction Layer: initialised once per process, never again after cleanup
 * (DPDK-FFM.md). {@link #init} runs {@code rte_eal_init} on a dedicated thread, because EAL pins the
 * calling thread (and every thread it later creates) to the main lcore's CPU; the caller's own affinity
 * is left alone.
 */
public final class Eal
{
    private static final MethodHandle EAL_INIT = Dpdk.downcall("rte_eal_init",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle EAL_CLEANUP = Dpdk.downcall("rte_eal_cleanup", FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle SOCKET_ID = Dpdk.downcall("rte_socket_id", FunctionDescriptor.of(JAVA_INT));

    private static final Object LOCK = new Object();
    private static List<String> initArgs;
    private static boolean cleanedUp;

    private Eal()
    {
    }

    /**
     * Initialises EAL with {@code args} (without the program name, which is added as argv[0]).
     *
     * @throws DpdkException when EAL refuses the arguments, or EAL was already initialised with other
     *                       arguments, or cleaned up.
     */
    public static void init(final List<String> args)
    {
        synchronized (LOCK)
        {
            if (cleanedUp)
            {
                throw new DpdkException("EAL cannot be initialised again after rte_eal_cleanup in the same process");
            }
            if (initArgs != null)
            {
                if (initArgs.equals(args))
                {
                    return;
                }
                throw new DpdkException("EAL is already initialised in this process with " + initArgs);
            }
            final List<String> argv = new ArrayList<>();
            argv.add("panamux");
            argv.addAll(args);
            // EAL may keep pointers into argv (e.g. the file prefix), so it lives as long as the process.
            final Arena arena = Arena.global();
            final MemorySegment array = arena.allocate(ADDRESS, argv.size() + 1);
            for (int i = 0; i < argv.size(); i++)
            {
                array.setAtIndex(ADDRESS, i, arena.allocateFrom(argv.get(i)));
            }
            array.setAtIndex(ADDRESS, argv.size(), MemorySegment.NULL);

            final AtomicReference<Throwable> failure = new AtomicReference<>();
            final int[] rc = new int[1];
            final int[] err = new int[1];
            final Thread t = new Thread(() ->
            {
                try
                {
                    rc[0] = (int)EAL_INIT.invokeExact(argv.size(), array);
                    err[0] = Lcore.errno();
                }
                catch (final Throwable e)
                {
                    failure.set(e);
                }
            }, "panamux-eal-init");
            t.start();
            try
            {
                t.join();
            }
            catch (final InterruptedException e)
            {
                Thread.currentThread().interrupt();
                throw new DpdkException("interrupted while waiting for rte_eal_init");
            }
            if (failure.get() != null)
            {
                throw Dpdk.rethrow(failure.get());
            }
            if (rc[0] < 0)
            {
                throw new DpdkException("rte_eal_init(" + String.join(" ", args) + ")", err[0]);
            }
            initArgs = List.copyOf(args);
        }
    }

    /**
     * Initialises EAL with {@code args} unless it is already running (with whatever arguments), for
     * tests and tools that share one EAL per JVM and create their devices with {@link Vdev}.
     */
    public static void ensureInitialised(final List<String> args)
    {
        synchronized (LOCK)
        {
            if (initArgs == null)
            {
                init(args);
            }
        }
    }

    /** @return true when EAL is initialised and not cleaned up. */
    public static boolean isInitialised()
    {
        synchronized (LOCK)
        {
            return initArgs != null && !cleanedUp;
        }
    }

    /** Releases EAL's resources; EAL cannot be used (or initialised again) afterwards. */
    public static void cleanup()
    {
        synchronized (LOCK)
        {
            if (initArgs == null || cleanedUp)
            {
                return;
            }
            try
            {
                DpdkException.check((int)EAL_CLEANUP.invokeExact(), "rte_eal_cleanup");
            }
            catch (final Throwable t)
            {
                throw Dpdk.rethrow(t);
            }
            cleanedUp = true;
        }
    }

    /** @return the NUMA socket of the calling thread (0 on these machines). */
    public static int socketId()
    {
        try
        {
            final int id = (int)SOCKET_ID.invokeExact();
            return id < 0 ? 0 : id;
        }
        catch (final Throwable t)
        {
            throw Dpdk.rethrow(t);
        }
    }

    /**
     * EAL arguments that work on any machine of the project's kind: no hugepages, no PCI, no shared
     * files, a file prefix of this process's own ({@code --in-memory} is refused with {@code --no-huge}).
     */
    public static List<String> virtualDeviceArgs(final int memoryMb)
    {
        return List.of("--no-huge", "-m", Integer.toString(memoryMb), "--no-pci", "--no-shconf",
            "--file-prefix=pmx" + ProcessHandle.current().pid(), "--no-telemetry", "--log-level=lib.eal:error", "-l", "0");
    }
}
