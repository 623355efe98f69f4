package io.panamux.slowpath;

import java.util.Arrays;
import java.util.List;

import io.panamux.dpdk.Lcore;
import io.panamux.fastpath.WorkerAgent;
import io.panamux.fastpath.snapshot.ForwardingSnapshot;
import io.panamux.fastpath.snapshot.SnapshotSlot;
import io.panamux.slowpath.config.ConfigLoader;
import io.panamux.slowpath.config.MuxConfig;
import io.panamux.slowpath.control.WorkerHandle;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The one assembly of the fast path ({@link DataPlane}), without DPDK: what the control side holds of each
 * worker is that worker's own rings, table and counters, and the builder refuses what it cannot wire.
 */
class DataPlaneTest
{
    private static final MuxConfig CONFIG = ConfigLoader.parse("""
        mux: { name: dp-test, address: 10.0.0.10, hash-seed: 0x5eed }
        dataplane:
          eal: []
          port: 0
          workers: 3
          gateway-mac: "02:00:00:00:00:fe"
          flow-table: { capacity: 30000, idle-timeout-seconds: 300 }
        vips: []
        """, "dp.yaml");

    private static SnapshotSlot slot()
    {
        return new SnapshotSlot(ForwardingSnapshot.empty(CONFIG.mux().hashSeed()));
    }

    @Test
    void theControlSideHoldsEachWorkersOwnRingsTableAndCounters()
    {
        try (DataPlane dp = DataPlane.builder(CONFIG, slot()).port(0, 0x02_00_00_00_00_01L, 1500).cpus(-1, -1, -1)
            .placementSeeds(1, 2, 3).build())
        {
            assertEquals(3, dp.agents().size(), "dataplane.workers");
            assertEquals(3, dp.handles().size());
            for (int q = 0; q < 3; q++)
            {
                final WorkerAgent worker = dp.agents().get(q);
                final WorkerHandle handle = dp.handles().get(q);
                assertEquals(q, handle.index());
                assertSame(worker.commands(), handle.commands(), "the ring the control thread writes is the worker's");
                assertSame(worker.toControl(), handle.records(), "the ring the control thread reads is the worker's");
                assertSame(worker.flows(), handle.flows());
                assertSame(worker.counters(), handle.counters());
                assertSame(worker.flows(), dp.flowTables().get(q));
                assertSame(worker.counters(), dp.counters().get(q));
            }
            assertEquals(CONFIG.dataplane().flowTable().capacityPerWorker(3), dp.capacityPerWorker());
            assertTrue(dp.flowTables().get(0).capacity() >= dp.capacityPerWorker(), "each table holds its share");
        }
    }

    @Test
    void theBuilderRefusesWhatItCannotWire()
    {
        assertThrows(IllegalStateException.class, () -> DataPlane.builder(CONFIG, slot()).build(), "no port");
        assertThrows(IllegalArgumentException.class, () -> DataPlane.builder(CONFIG, slot()).port(0, 1, 1500).cpus(-1).build(),
            "3 workers, 1 CPU");
        assertThrows(IllegalArgumentException.class, () -> DataPlane.builder(CONFIG, slot()).port(0, 1, 1500).cpus(-1, -1, -1)
            .placementSeeds(7).build(), "3 workers, 1 seed");
    }

    @Test
    void workersGoOnTheProcessCpusButTheFirst()
    {
        final int[] process = Lcore.processCpus();
        final int[] cpus = DataPlane.defaultCpus(5);
        assertEquals(5, cpus.length);
        if (process.length < 2)
        {
            assertArrayEquals(new int[] {-1, -1, -1, -1, -1}, cpus, "one CPU: not pinned");
            return;
        }
        final List<Integer> allowed = Arrays.stream(process).boxed().toList().subList(1, process.length);
        for (int q = 0; q < cpus.length; q++)
        {
            assertEquals(allowed.get(q % allowed.size()), cpus[q], "worker " + q);
        }
    }
}
