package io.panamux.perf.traffic;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

import io.panamux.dpdk.Burst;
import io.panamux.dpdk.Lcore;
import io.panamux.dpdk.Mbuf;
import io.panamux.dpdk.Memory;
import org.HdrHistogram.Recorder;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.NanoClock;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A DPDK traffic generator on the same bindings as the MUX: sends client flows to VIPs on one port and
 * receives what comes back on the same port (the MUX's output, when the MUX's gateway is this port),
 * measuring the time each packet spent between the two from the send time carried in its trailer.
 *
 * <p>When rate-limited, the send time written into a packet is when it was <em>due</em>, not when it
 * left, so a stall of the generator or the MUX shows in the latency (no coordinated omission). Runs as an
 * Agrona agent on its own pinned lcore thread; allocates nothing per packet.
 */
public final class TrafficGenerator implements Agent
{
    private static final VarHandle SENT;
    private static final VarHandle RECEIVED;
    private static final VarHandle TX_REFUSED;
    private static final VarHandle ALLOC_FAILED;

    static
    {
        try
        {
            final MethodHandles.Lookup l = MethodHandles.lookup();
            SENT = l.findVarHandle(TrafficGenerator.class, "sent", long.class);
            RECEIVED = l.findVarHandle(TrafficGenerator.class, "received", long.class);
            TX_REFUSED = l.findVarHandle(TrafficGenerator.class, "txRefused", long.class);
            ALLOC_FAILED = l.findVarHandle(TrafficGenerator.class, "allocFailed", long.class);
        }
        catch (final ReflectiveOperationException e)
        {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final TrafficProfile profile;
    private final int port;
    private final long pool;
    private final int cpu;
    private final NanoClock clock;
    private final Recorder latency;
    private final MemorySegment txBurst;
    private final long txBurstAddress;
    private final MemorySegment rxBurst;
    private final long rxBurstAddress;
    private final int[] flowTarget;
    private final int[] flowSrcV4;
    private final long[] flowSrcLo;
    private final int[] flowSrcPort;
    private final boolean[] flowOpen;
    private final int[] flowSeq;
    private final int[] sizes;
    private final long newFlowThreshold;
    private long rng;
    private int sizeIndex;
    private volatile boolean sending = true;
    private volatile long requestedRate;
    private long rate;
    private long rateStartNs;
    private long rateStartSent;

    private long sent;
    private long received;
    private long txRefused;
    private long allocFailed;
    private long synSent;

    /**
     * @param profile what to send.
     * @param port    the generator's DPDK port (queue 0).
     * @param pool    the mempool to allocate frames from (address of {@code struct rte_mempool}).
     * @param cpu     CPU to pin the generator's thread to, or -1.
     * @param clock   time source of send times and latency.
     * @param latency where latencies (ns) are recorded; read by another thread with interval histograms.
     */
    public TrafficGenerator(final TrafficProfile profile, final int port, final long pool, final int cpu, final NanoClock clock,
        final Recorder latency)
    {
        this.profile = profile;
        this.port = port;
        this.pool = pool;
        this.cpu = cpu;
        this.clock = clock;
        this.latency = latency;
        this.txBurst = Arena.global().allocate(JAVA_LONG, profile.burst());
        this.txBurstAddress = txBurst.address();
        this.rxBurst = Arena.global().allocate(JAVA_LONG, 64);
        this.rxBurstAddress = rxBurst.address();
        final int flows = profile.flows();
        this.flowTarget = new int[flows];
        this.flowSrcV4 = new int[flows];
        this.flowSrcLo = new long[flows];
        this.flowSrcPort = new int[flows];
        this.flowOpen = new boolean[flows];
        this.flowSeq = new int[flows];
        this.rng = profile.seed() | 1;
        for (int f = 0; f < flows; f++)
        {
            flowTarget[f] = f % profile.targets().size();
            // Clients 10.128.0.0/9 and fd00:c::/64, one address per flow.
            flowSrcV4[f] = 0x0A80_0000 | (f & 0x7F_FFFF);
            flowSrcLo[f] = f + 1;
            flowSrcPort[f] = 1024 + (int)(next() % 64000);
        }
        this.sizes = profile.frameSizes().clone();
        // next() gives 63 random bits; the top 53 of them, compared with ratio * 2^53, make the draw.
        this.newFlowThreshold = (long)(profile.newFlowRatio() * (1L << 53));
        this.requestedRate = profile.ratePps();
        this.rate = -1;
    }

    /** Changes the rate (packets per second, 0 for as fast as possible) from any thread. */
    public void rate(final long pps)
    {
        requestedRate = pps;
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
        final int got = receive();
        return sending ? send() + got : got;
    }

    private int send()
    {
        final long nowNs = clock.nanoTime();
        int n = profile.burst();
        final long requested = requestedRate;
        if (requested != rate)
        {
            rate = requested;
            rateStartNs = nowNs;
            rateStartSent = sent;
        }
        long dueBase = 0;
        if (rate > 0)
        {
            final long due = (long)((nowNs - rateStartNs) * (rate / 1e9)) - (sent - rateStartSent);
            if (due <= 0)
            {
                return 0;
            }
            n = (int)Math.min(n, due);
            dueBase = sent - rateStartSent;
        }
        if (!Burst.allocBulk(pool, txBurst, n))
        {
            ALLOC_FAILED.setOpaque(this, allocFailed + 1);
            return 0;
        }
        for (int i = 0; i < n; i++)
        {
            final long m = Memory.getI64(txBurstAddress + 8L * i);
            final long sendNs = rate > 0 ? rateStartNs + (long)((dueBase + i) * (1e9 / rate)) : nowNs;
            writeFrame(m, sendNs);
        }
        final int accepted = Burst.tx(port, 0, txBurst, n);
        if (accepted < n)
        {
            Burst.freeTail(txBurst, accepted, n);
            TX_REFUSED.setOpaque(this, txRefused + (n - accepted));
        }
        // Refused packets count as sent when rate-limited: they were due, and the next burst must not resend them.
        SENT.setOpaque(this, sent + (rate > 0 ? n : accepted));
        return n;
    }

    private void writeFrame(final long m, final long sendNs)
    {
        final int f = (int)(next() % flowTarget.length);
        final TrafficProfile.Target t = profile.targets().get(flowTarget[f]);
        int flags = 0;
        if (t.protocol() == ClientFrames.TCP)
        {
            if (!flowOpen[f] || (newFlowThreshold > 0 && (next() >>> 10) < newFlowThreshold))
            {
                if (flowOpen[f])
                {
                    // A new connection from the same client: a new source port, hence a new 5-tuple.
                    flowSrcPort[f] = 1024 + (int)(next() % 64000);
                }
                flowOpen[f] = true;
                flowSeq[f] = (int)next();
                flags = ClientFrames.SYN;
                synSent++;
            }
            else
            {
                flags = ClientFrames.ACK | ClientFrames.PSH;
            }
        }
        else if (newFlowThreshold > 0 && (next() >>> 10) < newFlowThreshold)
        {
            flowSrcPort[f] = 1024 + (int)(next() % 64000);
        }
        int size = sizes[sizeIndex];
        sizeIndex = sizeIndex + 1 == sizes.length ? 0 : sizeIndex + 1;
        size = Math.max(size, ClientFrames.minimumLength(t.v6(), t.protocol()));
        Mbuf.length(m, size);
        final long data = Mbuf.dataAddress(m);
        final int seq = flowSeq[f]++;
        if (t.v6())
        {
            ClientFrames.ipv6(data, size, profile.dstMac(), profile.srcMac(), 0xFD00_000C_0000_0000L, flowSrcLo[f], t.v6Hi(), t.v6Lo(),
                t.protocol(), flowSrcPort[f], t.port(), flags, seq, sendNs);
        }
        else
        {
            ClientFrames.ipv4(data, size, profile.dstMac(), profile.srcMac(), flowSrcV4[f], t.v4(), t.protocol(), flowSrcPort[f],
                t.port(), flags, seq, sendNs);
        }
    }

    private int receive()
    {
        final int n = Burst.rx(port, 0, rxBurst, 64);
        if (n == 0)
        {
            return 0;
        }
        final long nowNs = clock.nanoTime();
        for (int i = 0; i < n; i++)
        {
            final long m = Memory.getI64(rxBurstAddress + 8L * i);
            final long sendNs = ClientFrames.sendTime(Mbuf.dataAddress(m), Mbuf.dataLength(m));
            final long l = nowNs - sendNs;
            if (l >= 0 && l < 60_000_000_000L)
            {
                latency.recordValue(l);
            }
        }
        Burst.freeTail(rxBurst, 0, n);
        RECEIVED.setOpaque(this, received + n);
        return n;
    }

    private long next()
    {
        // xorshift64*: fast, allocation-free, repeatable from the profile's seed.
        long x = rng;
        x ^= x >>> 12;
        x ^= x << 25;
        x ^= x >>> 27;
        rng = x;
        return (x * 0x2545F4914F6CDD1DL) >>> 1;
    }

    /** Stops sending; the generator keeps receiving until closed (to drain what is in flight). */
    public void stopSending()
    {
        sending = false;
    }

    @Override
    public void onClose()
    {
        Lcore.unregister();
    }

    @Override
    public String roleName()
    {
        return "panamux-traffic-generator";
    }

    /** @return packets sent (any thread). */
    public long sent()
    {
        return (long)SENT.getOpaque(this);
    }

    /** @return packets received back (any thread). */
    public long received()
    {
        return (long)RECEIVED.getOpaque(this);
    }

    /** @return packets the port refused to send (any thread). */
    public long txRefused()
    {
        return (long)TX_REFUSED.getOpaque(this);
    }

    /** @return bursts not sent because the pool was empty (any thread). */
    public long allocFailures()
    {
        return (long)ALLOC_FAILED.getOpaque(this);
    }

    /** @return TCP connections opened (SYNs sent); read after the generator stopped. */
    public long synSent()
    {
        return synSent;
    }
}
