package io.panamux.perf.e2e;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import io.panamux.dpdk.Eal;
import io.panamux.dpdk.EthPort;
import io.panamux.dpdk.Vdev;
import io.panamux.fastpath.WorkerCounters;
import io.panamux.perf.traffic.ClientFrames;
import io.panamux.slowpath.Mux;
import io.panamux.slowpath.MuxStats;
import io.panamux.slowpath.config.ConfigLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Issue 9: frames longer than an mbuf's data room (2048 bytes) arrive as chained mbufs where the device
 * scatters them ({@code net_pcap} always does). The worker reads only the first segment, so it drops a chain,
 * counted as {@code multi_segment}, and frees every segment of it; the frames around it are forwarded.
 */
class MultiSegmentFrameTest
{
    private static final int VIP = 0xC000020A;       // 192.0.2.10
    private static final int CLIENT = 0xC6336407;    // 198.51.100.7

    @TempDir
    Path dir;

    @Test
    void aChainedFrameIsDroppedAsMultiSegmentWithEverySegmentFreed() throws Exception
    {
        Eal.ensureInitialised(Eal.virtualDeviceArgs(512));
        final Path in = dir.resolve("in.pcap");
        final Path out = dir.resolve("out.pcap");
        // Two frames of 3000 and 4500 bytes (2 and 3 segments of 2048) among three of minimum size.
        final int[] lengths = {3000, ClientFrames.minimumLength(false, ClientFrames.TCP), 64, 4500, 80};
        final ByteArrayOutputStream pcap = new ByteArrayOutputStream();
        final ByteBuffer header = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        header.putInt(0xA1B2C3D4).putShort((short)2).putShort((short)4).putInt(0).putInt(0).putInt(65535).putInt(1);
        pcap.write(header.array());
        try (Arena arena = Arena.ofConfined())
        {
            for (int i = 0; i < lengths.length; i++)
            {
                final MemorySegment frame = arena.allocate(lengths[i]);
                ClientFrames.ipv4(frame.address(), lengths[i], 0x020000000002L, 0x020000000001L, CLIENT, VIP, ClientFrames.TCP, 20_000 + i, 80,
                    ClientFrames.SYN, 1, 0);
                final ByteBuffer record = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
                record.putInt(1).putInt(i).putInt(lengths[i]).putInt(lengths[i]);
                pcap.write(record.array());
                pcap.write(frame.toArray(JAVA_BYTE));
            }
        }
        try (OutputStream o = Files.newOutputStream(in))
        {
            o.write(pcap.toByteArray());
        }
        final EthPort port = Vdev.create("net_pcap_mseg", "rx_pcap=" + in + ",tx_pcap=" + out);
        final String yaml = """
            mux:
              name: mseg
              address: 10.0.0.10
            dataplane:
              eal: []
              port: 0
              workers: 1
              gateway-mac: "02:00:00:00:00:fe"
              flow-table: { capacity: 4096, idle-timeout-seconds: 300 }
            vips:
              - address: 192.0.2.10
                port: 80
                protocol: tcp
                backends:
                  - { address: 10.1.0.1 }
            """;
        final Mux mux = Mux.start(ConfigLoader.parse(yaml, "mseg.yaml"), port, new PrintStream(OutputStream.nullOutputStream()));
        final MuxStats stats;
        try
        {
            await().atMost(Duration.ofSeconds(20)).until(() -> mux.workerCounters().getFirst().get(WorkerCounters.RX_PACKETS) >= lengths.length);
        }
        finally
        {
            mux.close();
            stats = mux.stats();
            Vdev.remove("net_pcap_mseg");
        }
        assertEquals(lengths.length, stats.rxPackets(), "every frame was received");
        assertEquals(2L, stats.drops().getOrDefault("multi_segment", 0L), "both long frames dropped as chained: " + stats.drops());
        assertEquals(2L, stats.totalDrops(), "nothing else dropped: " + stats.drops());
        assertEquals(3L, stats.txPackets(), "the three others forwarded");
        assertEquals(3, records(out), "and written by the device");
        // Every segment of both chains is back: a free of the first segment alone would leave 1 + 2 out.
        assertEquals(0L, stats.mbufsInUse(), "mbufs in use at close");
    }

    private static int records(final Path pcap) throws Exception
    {
        final ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(pcap)).order(ByteOrder.LITTLE_ENDIAN);
        int n = 0;
        int at = 24;
        while (at + 16 <= b.limit())
        {
            at += 16 + b.getInt(at + 8);
            n++;
        }
        return n;
    }
}
