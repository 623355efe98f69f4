package io.panamux.perf.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

import io.panamux.dpdk.Dpdk;
import io.panamux.dpdk.Lcore;
import io.panamux.fastpath.snapshot.Backend;
import io.panamux.fastpath.snapshot.ForwardingSnapshot;
import io.panamux.fastpath.snapshot.Vip;
import org.agrona.concurrent.Agent;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * The bench's C baseline ({@code perf/src/main/c/panamux_cbase.c}): the MUX worker's work on one queue
 * pair written in C as a DPDK developer would, driven as an {@link Agent} so that the harness feeds it
 * and counts its cycles exactly as it does the Java worker's ({@link MeasuredAgent}, {@link FrameReplay}):
 * one downcall per poll, which runs the RX burst, the whole pipeline and the TX buffer in C.
 *
 * <p>It is given what the Java worker gets from its snapshot: the hash seed, each IPv4 VIP's Maglev table
 * and backends, the backends by id; the port's and the gateway's MACs, the MUX address, the MTU; and a
 * flow table of the same capacity and placement seed. The library is compiled against the installed DPDK
 * at build time ({@code build-cbase.sh}) and loaded from the class path.
 */
@SuppressWarnings("restricted") // it loads and calls its own native library
public final class CBaseline implements Agent
{
    /** Counter indexes of {@code pmx_cb_counter}. */
    public static final int RX = 0;
    /** Packets the driver accepted. */
    public static final int TX = 1;
    /** Packets dropped (not a VIP, parse errors, too big, ...). */
    public static final int DROPS = 2;
    /** Flow-table hits. */
    public static final int FLOW_HITS = 3;
    /** Flow-table misses. */
    public static final int FLOW_MISSES = 4;
    /** Flows recorded. */
    public static final int FLOWS_INSERTED = 5;
    /** Flows recorded by evicting another. */
    public static final int FLOW_EVICTIONS = 6;
    /** Packets the TX ring refused. */
    public static final int TX_DROPPED = 7;
    /** Flows in the table. */
    public static final int FLOWS = 8;

    private static final String RESOURCE = "/native/linux-x86_64/libpanamux_cbase.so";
    private static final MethodHandle CREATE;
    private static final MethodHandle ADD_VIP;
    private static final MethodHandle POLL;
    private static final MethodHandle FLUSH;
    private static final MethodHandle COUNTER;
    private static final MethodHandle DESTROY;

    static
    {
        final Linker linker = Dpdk.LINKER;
        final SymbolLookup lib = SymbolLookup.libraryLookup(Dpdk.nativeLibrary(CBaseline.class, RESOURCE, "build perf (build-cbase.sh)"),
            Arena.global());
        CREATE = linker.downcallHandle(lib.findOrThrow("pmx_cb_create"), FunctionDescriptor.of(ADDRESS, JAVA_SHORT, JAVA_SHORT, JAVA_SHORT,
            JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_SHORT, JAVA_SHORT, JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT));
        ADD_VIP = linker.downcallHandle(lib.findOrThrow("pmx_cb_add_vip"), FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_SHORT,
            JAVA_BYTE, JAVA_BYTE, JAVA_BYTE, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
        // The poll is a plain critical call, as the Java worker's burst downcalls are: no thread-state change.
        POLL = linker.downcallHandle(lib.findOrThrow("pmx_cb_poll"), FunctionDescriptor.of(JAVA_INT, JAVA_LONG),
            Linker.Option.critical(false));
        FLUSH = linker.downcallHandle(lib.findOrThrow("pmx_cb_flush"), FunctionDescriptor.ofVoid(JAVA_LONG));
        COUNTER = linker.downcallHandle(lib.findOrThrow("pmx_cb_counter"), FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_INT),
            Linker.Option.critical(false));
        DESTROY = linker.downcallHandle(lib.findOrThrow("pmx_cb_destroy"), FunctionDescriptor.ofVoid(JAVA_LONG));
    }

    private final long handle;
    private final int cpu;
    private final String role;
    private boolean registered;

    /**
     * @param port          DPDK port.
     * @param queue         RX and TX queue.
     * @param burst         RX burst and TX buffer size.
     * @param cpu           CPU of the loop (-1: leave the thread where it is).
     * @param snapshot      the forwarding snapshot the Java worker runs on (IPv4 VIPs are taken).
     * @param portMac       the port's MAC (outer source).
     * @param gatewayMac    the gateway's MAC (outer destination).
     * @param muxV4         the MUX's IPv4 address (outer source).
     * @param mtu           the port's MTU.
     * @param guePort       the GUE destination port.
     * @param drainNanos    the TX buffer's drain interval.
     * @param flowCapacity  flow-table capacity (as {@code new FlowTable(capacity)}).
     * @param placementSeed the flow table's placement seed.
     */
    public CBaseline(final int port, final int queue, final int burst, final int cpu, final ForwardingSnapshot snapshot, final long portMac,
        final long gatewayMac, final int muxV4, final int mtu, final int guePort, final long drainNanos, final int flowCapacity,
        final long placementSeed)
    {
        this.cpu = cpu;
        this.role = "c-baseline-" + queue;
        try
        {
            final MemorySegment h = (MemorySegment)CREATE.invokeExact((short)port, (short)queue, (short)burst, snapshot.hashSeed(), portMac,
                gatewayMac, muxV4, (short)mtu, (short)guePort, drainNanos, flowCapacity, placementSeed, snapshot.backendsById().length);
            if (h.address() == 0)
            {
                throw new IllegalStateException("pmx_cb_create failed (burst " + burst + ", capacity " + flowCapacity + ")");
            }
            handle = h.address();
            try (Arena arena = Arena.ofConfined())
            {
                for (final Vip v : snapshot.vips())
                {
                    if (v.v6())
                    {
                        continue;
                    }
                    final Backend[] backends = v.backends();
                    final MemorySegment table = arena.allocateFrom(JAVA_INT, v.table());
                    final MemorySegment v4 = arena.allocate(JAVA_INT, Math.max(1, backends.length));
                    final MemorySegment ids = arena.allocate(JAVA_INT, Math.max(1, backends.length));
                    for (int i = 0; i < backends.length; i++)
                    {
                        v4.setAtIndex(JAVA_INT, i, backends[i].v6() ? 0 : backends[i].v4());
                        ids.setAtIndex(JAVA_INT, i, backends[i].id());
                    }
                    final int rc = (int)ADD_VIP.invokeExact(h, v.v4(), (short)v.port(), (byte)v.protocol(), (byte)v.encapsulation(),
                        (byte)(v.recordsFlows() ? 1 : 0), table, v.table().length, v4, ids, backends.length);
                    if (rc < 0)
                    {
                        throw new IllegalStateException("pmx_cb_add_vip failed for " + v.text());
                    }
                }
            }
        }
        catch (final RuntimeException | Error e)
        {
            throw e;
        }
        catch (final Throwable t)
        {
            throw new IllegalStateException(t);
        }
    }

    @Override
    public void onStart()
    {
        if (cpu >= 0)
        {
            Lcore.setAffinity(cpu);
        }
        Lcore.register();
        registered = true;
    }

    @Override
    public int doWork()
    {
        try
        {
            return (int)POLL.invokeExact(handle);
        }
        catch (final Throwable t)
        {
            throw new IllegalStateException(t);
        }
    }

    /** Sends what the TX buffer holds (the loop stops; on the loop's thread). */
    public void flush()
    {
        try
        {
            FLUSH.invokeExact(handle);
        }
        catch (final Throwable t)
        {
            throw new IllegalStateException(t);
        }
    }

    @Override
    public void onClose()
    {
        if (registered)
        {
            flush();
            Lcore.unregister();
            registered = false;
        }
    }

    /** @return one of the counters ({@link #RX}, ...); any thread (plain reads of the loop's counters). */
    public long counter(final int which)
    {
        try
        {
            return (long)COUNTER.invokeExact(handle, which);
        }
        catch (final Throwable t)
        {
            throw new IllegalStateException(t);
        }
    }

    /** Frees the loop's memory (after it stopped). */
    public void destroy()
    {
        try
        {
            DESTROY.invokeExact(handle);
        }
        catch (final Throwable t)
        {
            throw new IllegalStateException(t);
        }
    }

    @Override
    public String roleName()
    {
        return role;
    }
}
