package io.panamux.dpdk;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Ethdev control calls on real DPDK virtual devices created at run time: device info, configuration
 * limits turned into clear errors, MTU, promiscuous mode, link, counters, RSS reporting, device removal.
 */
class EthPortTest
{
    private static PacketPool pool;

    @BeforeAll
    static void start()
    {
        Eal.ensureInitialised(Eal.virtualDeviceArgs(256));
        Lcore.register();
        pool = PacketPool.create("ept_pool", 4095, 64, PacketPool.DEFAULT_DATA_ROOM, 0);
    }

    @AfterAll
    static void stop()
    {
        assertEquals(0, pool.inUse());
        pool.close();
        Lcore.unregister();
    }

    @Test
    void aNullDeviceReceivesCountsAndStops()
    {
        final EthPort port = Vdev.create("net_null_ept0", "size=64");
        try
        {
            final EthPort.DeviceInfo info = port.info();
            assertEquals("net_null", info.driverName());
            final EthPort.Configuration c = port.configure(1, 1, 0);
            assertFalse(c.rss(), "one queue needs no RSS");
            port.setupRxQueue(0, 512, pool);
            port.setupTxQueue(0, 512);
            port.start();
            port.promiscuous(true);
            assertTrue(port.link().up());
            try (Arena arena = Arena.ofConfined())
            {
                final MemorySegment burst = arena.allocate(JAVA_LONG, 32);
                long received = 0;
                for (int i = 0; i < 10; i++)
                {
                    final int n = Burst.rx(port.id(), 0, burst, 32);
                    received += n;
                    assertEquals(n, Burst.tx(port.id(), 0, burst, n), "net_null accepts everything");
                }
                assertEquals(320, received, "net_null fills every burst");
                assertEquals(320, port.stats().rxPackets());
                assertEquals(320, port.stats().txPackets());
                port.resetStats();
                assertEquals(0, port.stats().rxPackets());
            }
            port.stop();
        }
        finally
        {
            port.close();
            Vdev.remove("net_null_ept0");
        }
        assertEquals(0, pool.inUse(), "closing the port returned its mbufs");
    }

    @Test
    void askingForMoreQueuesThanTheDeviceHasIsAClearError()
    {
        final EthPort port = Vdev.create("net_null_ept1", "");
        try
        {
            final int max = port.info().maxRxQueues();
            final DpdkException e = assertThrows(DpdkException.class, () -> port.configure(max + 1, 1, 0));
            assertTrue(e.getMessage().contains("supports at most " + max + " RX"), e.getMessage());
        }
        finally
        {
            port.close();
            Vdev.remove("net_null_ept1");
        }
    }

    @Test
    void severalQueuesOnADeviceWithoutRssAreReportedAsSuch()
    {
        final EthPort port = Vdev.create("net_null_ept2", "");
        try
        {
            final EthPort.Configuration c = port.configure(2, 2, 0);
            assertEquals(port.info().supportsRss(), c.rss());
            if (!c.rss())
            {
                assertTrue(c.note().contains("has no RSS"), c.note());
            }
        }
        finally
        {
            port.close();
            Vdev.remove("net_null_ept2");
        }
    }

    @Test
    void mtuIsReadAndSet()
    {
        final EthPort port = Vdev.create("net_ring_ept3", "");
        try
        {
            port.configure(1, 1, 9000);
            assertEquals(9000, port.mtu(), "the MTU given at configuration");
            // net_ring has no set_mtu operation: DPDK's ENOTSUP comes out as a clear error.
            final DpdkException e = assertThrows(DpdkException.class, () -> port.mtu(1500));
            assertEquals(95, e.errno(), e.getMessage());
        }
        finally
        {
            port.close();
            Vdev.remove("net_ring_ept3");
        }
    }

    @Test
    void aDpdkErrorCarriesDpdksOwnErrorString()
    {
        final DpdkException e = assertThrows(DpdkException.class, () -> EthPort.byName("no_such_device"));
        assertTrue(e.getMessage().startsWith("rte_eth_dev_get_port_by_name(no_such_device) failed: "), e.getMessage());
        assertTrue(e.errno() > 0);
        final DpdkException v = assertThrows(DpdkException.class, () -> Vdev.create("net_nonexistent_driver0", ""));
        assertTrue(v.getMessage().contains("rte_vdev_init(net_nonexistent_driver0)"), v.getMessage());
    }
}
