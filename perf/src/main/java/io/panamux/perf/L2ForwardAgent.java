package io.panamux.perf;

import java.lang.foreign.Arena;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.foreign.MemorySegment;

import io.panamux.dpdk.Burst;
import io.panamux.dpdk.Lcore;
import io.panamux.dpdk.Mbuf;
import io.panamux.dpdk.Memory;
import org.agrona.concurrent.Agent;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The minimal Java poll loop the foundation is measured with: RX burst, read the Ethernet type and the
 * IPv4 source, destination and protocol of every packet in place, TX burst back out, free what the driver
 * refuses. It is {@code dpdk-testpmd --forward-mode=io} plus a header read, in Java through the shim.
 */
public final class L2ForwardAgent implements Agent
{
    private final int rxPort;
    private final int txPort;
    private final int burst;
    private final int cpu;
    private final MemorySegment pkts;
    private final long pktsAddress;
    private static final VarHandle PACKETS;
    static
    {
        try
        {
            PACKETS = MethodHandles.lookup().findVarHandle(L2ForwardAgent.class, "packets", long.class);
        }
        catch (final ReflectiveOperationException e)
        {
            throw new ExceptionInInitializerError(e);
        }
    }

    private long packets;
    private long ipv4;
    private long checksum;

    /**
     * @param rxPort port to receive from (queue 0).
     * @param txPort port to send to (queue 0).
     * @param burst  packets per burst.
     * @param cpu    CPU to pin the polling thread to, or -1.
     */
    public L2ForwardAgent(final int rxPort, final int txPort, final int burst, final int cpu)
    {
        this.rxPort = rxPort;
        this.txPort = txPort;
        this.burst = burst;
        this.cpu = cpu;
        // A global-arena segment: no liveness check per access; read back through Memory's all-memory view.
        this.pkts = Arena.global().allocate(JAVA_LONG, burst);
        this.pktsAddress = pkts.address();
    }

    @Override
    public void onStart()
    {
        if (cpu >= 0)
        {
            Lcore.setAffinity(cpu);
        }
        Lcore.register();
    }

    @Override
    public int doWork()
    {
        final MemorySegment pkts = this.pkts;
        final int n = Burst.rx(rxPort, 0, pkts, burst);
        if (n == 0)
        {
            return 0;
        }
        long sum = checksum;
        long v4 = ipv4;
        for (int i = 0; i < n; i++)
        {
            final long data = Mbuf.dataAddress(Memory.getI64(pktsAddress + 8L * i));
            if (Memory.getU16Be(data + 12) == 0x0800)
            {
                v4++;
            }
            sum += Memory.getI32Be(data + 26) ^ Memory.getI32Be(data + 30) ^ Memory.getU8(data + 23);
        }
        checksum = sum;
        ipv4 = v4;
        final int sent = Burst.tx(txPort, 0, pkts, n);
        if (sent < n)
        {
            Burst.freeTail(pkts, sent, n);
        }
        // Opaque: the reporting thread sees a whole value; no fence on the poll loop.
        PACKETS.setOpaque(this, packets + sent);
        return n;
    }

    @Override
    public void onClose()
    {
        Lcore.unregister();
    }

    @Override
    public String roleName()
    {
        return "l2fwd";
    }

    /** @return packets forwarded so far (any thread). */
    public long packets()
    {
        return (long)PACKETS.getOpaque(this);
    }

    /** @return a value derived from every header read, so the reads cannot be optimised away. */
    public long checksum()
    {
        return checksum + ipv4;
    }
}
