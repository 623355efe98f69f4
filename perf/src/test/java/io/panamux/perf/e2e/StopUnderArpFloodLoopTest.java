package io.panamux.perf.e2e;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import io.panamux.dpdk.Eal;
import io.panamux.dpdk.EthPort;
import io.panamux.dpdk.Vdev;
import io.panamux.fastpath.WorkerCounters;
import io.panamux.slowpath.Mux;
import io.panamux.slowpath.arp.ArpFloodPcap;
import io.panamux.slowpath.config.ConfigLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 9 item 3, many times over: the MUX stopped while ARP requests for its address pour in ({@code net_pcap}
 * {@code infinite_rx}) gets every mbuf back, at whatever point of its duty cycles the stop falls. In one
 * process, so that a stop costs a fraction of a second and {@value #STOPS} of them (at random moments) fit in
 * the suite; {@code StopUnderControlTrafficTest} does the same through {@code ./panamux run}, a few times.
 */
class StopUnderArpFloodLoopTest
{
    private static final int STOPS = 40;

    @TempDir
    Path dir;

    @Test
    void everyStopUnderAnArpFloodGivesEveryMbufBack() throws Exception
    {
        Eal.ensureInitialised(Eal.virtualDeviceArgs(512));
        final Path pcap = dir.resolve("arp.pcap");
        ArpFloodPcap.write(pcap, 64);
        final String yaml = """
            mux:
              name: stoploop
              address: 10.0.0.10
            dataplane:
              eal: []
              port: 0
              workers: 1
              gateway-mac: "02:00:00:00:00:fe"
              flow-table: { capacity: 4096, idle-timeout-seconds: 300 }
            vips: []
            """;
        final SplittableRandom random = new SplittableRandom(9);
        final List<String> leaks = new ArrayList<>();
        long toControl = 0;
        for (int i = 0; i < STOPS; i++)
        {
            final String name = "net_pcap_stop" + i;
            final EthPort port = Vdev.create(name, "rx_pcap=" + pcap + ",infinite_rx=1");
            final ByteArrayOutputStream log = new ByteArrayOutputStream();
            final Mux mux = Mux.start(ConfigLoader.parse(yaml, "stoploop.yaml"), port, new PrintStream(log, true));
            try
            {
                // Anywhere from the first duty cycles to a few hundred milliseconds of flood.
                Thread.sleep(random.nextInt(20, 300));
                toControl += mux.workerCounters().getFirst().get(WorkerCounters.TO_CONTROL);
            }
            finally
            {
                mux.close();
                Vdev.remove(name);
            }
            if (mux.mbufsInUseAtClose() != 0)
            {
                leaks.add("stop " + i + ": " + mux.mbufsInUseAtClose() + " mbufs not back; its log:\n" + log);
            }
        }
        assertEquals(List.of(), leaks);
        assertTrue(toControl > STOPS * 100L, "the workers handed ARP requests to the control thread: " + toControl);
    }
}
