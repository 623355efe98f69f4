package io.panamux.dpdk;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * Virtual devices created and removed at run time ({@code rte_vdev_init}/{@code rte_vdev_uninit}),
 * the same devices {@code --vdev=} creates at EAL start. Tests share one EAL per JVM and make their
 * own devices this way.
 */
public final class Vdev
{
    private static final MethodHandle VDEV_INIT = Dpdk.downcall("rte_vdev_init", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle VDEV_UNINIT = Dpdk.downcall("rte_vdev_uninit", FunctionDescriptor.of(JAVA_INT, ADDRESS));

    private Vdev()
    {
    }

    /**
     * Creates a virtual device, e.g. {@code create("net_null7", "")} or
     * {@code create("net_pcap0", "rx_pcap=in.pcap,tx_pcap=out.pcap")}.
     *
     * @return its ethdev port.
     */
    public static EthPort create(final String name, final String args)
    {
        try (Arena arena = Arena.ofConfined())
        {
            DpdkException.check((int)VDEV_INIT.invokeExact(arena.allocateFrom(name), arena.allocateFrom(args)),
                "rte_vdev_init(" + name + (args.isEmpty() ? "" : "," + args) + ")");
        }
        catch (final Throwable t)
        {
            throw Dpdk.rethrow(t);
        }
        return EthPort.byName(name);
    }

    /** Removes a virtual device created with {@link #create} (its port must be closed). */
    public static void remove(final String name)
    {
        try (Arena arena = Arena.ofConfined())
        {
            DpdkException.check((int)VDEV_UNINIT.invokeExact(arena.allocateFrom(name)), "rte_vdev_uninit(" + name + ")");
        }
        catch (final Throwable t)
        {
            throw Dpdk.rethrow(t);
        }
    }
}
