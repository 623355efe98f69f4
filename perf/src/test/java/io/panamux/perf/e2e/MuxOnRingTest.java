package io.panamux.perf.e2e;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.panamux.dpdk.Burst;
import io.panamux.dpdk.Eal;
import io.panamux.dpdk.EthPort;
import io.panamux.dpdk.Mbuf;
import io.panamux.dpdk.Memory;
import io.panamux.dpdk.PacketPool;
import io.panamux.dpdk.RingPorts;
import io.panamux.fastpath.WorkerCounters;
import io.panamux.perf.traffic.ClientFrames;
import io.panamux.slowpath.Mux;
import io.panamux.slowpath.config.ConfigLoader;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The MUX on {@code net_ring}, which {@link DeviceMatrixTest} cannot run (a ring port's queues do not leave the
 * process), with one and with two workers (issue 9 item 4). The client side sends SYNs on every queue; every
 * frame comes back IPIP-encapsulated from the MUX's address to the VIP's backend, every worker received its
 * queue's share, and no mbuf is left out of the MUX's pool at close. ({@code net_memif} with a server and a
 * client in one process never brought its link up here: {@link DeviceMatrixTest} runs memif, and virtio_user,
 * against a testpmd peer in another process.)
 */
class MuxOnRingTest
{
    private static final int VIP = 0xC000020A;       // 192.0.2.10
    private static final int BACKEND = 0x0A010001;   // 10.1.0.1
    private static final int MUX_ADDRESS = 0x0A00000A; // 10.0.0.10
    private static final int CLIENT = 0xC6336407;    // 198.51.100.7
    private static final int PER_QUEUE = 24;

    private static String config(final int workers)
    {
        return """
            mux:
              name: inproc%d
              address: 10.0.0.10
            dataplane:
              eal: []
              port: 0
              workers: %d
              gateway-mac: "02:00:00:00:00:fe"
              flow-table: { capacity: 65536, idle-timeout-seconds: 300 }
            vips:
              - address: 192.0.2.10
                port: 80
                protocol: tcp
                backends:
                  - { address: 10.1.0.1 }
            """.formatted(workers, workers);
    }

    @ParameterizedTest(name = "{0}, {1} worker(s)")
    @CsvSource({"net_ring, 1", "net_ring, 2"})
    void theMuxStartsAndForwardsWhatEveryQueueReceives(final String device, final int workers) throws Exception
    {
        Eal.ensureInitialised(Eal.virtualDeviceArgs(512));
        final String tag = "rg" + workers;
        final RingPorts rings = RingPorts.create("mx" + tag, workers, 1024);
        final EthPort muxPort = rings.b();
        final EthPort client = rings.a();
        final PacketPool pool = PacketPool.create("mx_cli" + tag, 2047, 0, PacketPool.DEFAULT_DATA_ROOM, 0);
        client.configure(workers, workers, 0);
        for (int q = 0; q < workers; q++)
        {
            client.setupRxQueue(q, 256, pool);
            client.setupTxQueue(q, 256);
        }
        client.start();
        final MemorySegment burst = Arena.ofAuto().allocate(JAVA_LONG, 64);
        final Mux mux = Mux.start(ConfigLoader.parse(config(workers), device + ".yaml"), muxPort, System.out);
        final List<long[]> frames = new ArrayList<>();
        try
        {
            for (int q = 0; q < workers; q++)
            {
                if (!Burst.allocBulk(pool.address(), burst, PER_QUEUE))
                {
                    throw new AssertionError("client pool empty");
                }
                final int length = ClientFrames.minimumLength(false, ClientFrames.TCP);
                for (int k = 0; k < PER_QUEUE; k++)
                {
                    final long m = burst.getAtIndex(JAVA_LONG, k);
                    Mbuf.length(m, length);
                    ClientFrames.ipv4(Mbuf.dataAddress(m), length, mux.portMac(), 0x020000000001L, CLIENT, VIP, ClientFrames.TCP,
                        10_000 + q * 1000 + k, 80, ClientFrames.SYN, 1, 0);
                }
                assertEquals(PER_QUEUE, Burst.tx(client.id(), q, burst, PER_QUEUE), "the device took every frame of queue " + q);
            }
            // Received in this thread: it is the one registered with DPDK.
            await().atMost(Duration.ofSeconds(10)).pollInSameThread().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(5)).until(() ->
            {
                for (int q = 0; q < workers; q++)
                {
                    final int n = Burst.rx(client.id(), q, burst, 64);
                    for (int k = 0; k < n; k++)
                    {
                        final long a = Mbuf.dataAddress(burst.getAtIndex(JAVA_LONG, k));
                        frames.add(new long[] {Memory.getU16Be(a + 12), Memory.getU8(a + 23), Memory.getI32Be(a + 26),
                            Memory.getI32Be(a + 30), Memory.getI32Be(a + 34 + 16)});
                    }
                    Burst.freeTail(burst, 0, n);
                }
                return frames.size() >= PER_QUEUE * workers;
            });
            assertEquals(PER_QUEUE * workers, frames.size(), "every SYN forwarded once");
            for (final long[] f : frames)
            {
                assertEquals(0x0800, f[0], "IPv4 outer header");
                assertEquals(4, f[1], "IP-in-IP");
                assertEquals(MUX_ADDRESS, (int)f[2], "outer source: the MUX");
                assertEquals(BACKEND, (int)f[3], "outer destination: the backend");
                assertEquals(VIP, (int)f[4], "inner destination unchanged: the VIP");
            }
            for (final WorkerCounters c : mux.workerCounters())
            {
                assertEquals(PER_QUEUE, c.get(WorkerCounters.RX_PACKETS), "each worker received its own queue's frames");
            }
            assertEquals(workers, mux.workerCounters().size());
        }
        finally
        {
            mux.close();
            client.stop();
            client.close();
            rings.close();
        }
        assertEquals(0, mux.mbufsInUseAtClose(), "no mbuf left out of the MUX's pool");
    }
}
