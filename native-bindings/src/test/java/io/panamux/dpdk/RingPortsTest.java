package io.panamux.dpdk;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Real DPDK on virtual devices: packets written into mbufs on one ring port arrive byte for byte on
 * the other, the mbuf flyweight's prepend/adjust move the data as {@code rte_pktmbuf_*} do, and every
 * mbuf returns to the pool.
 */
class RingPortsTest
{
    private static PacketPool pool;
    private static RingPorts ports;

    @BeforeAll
    static void start()
    {
        Eal.ensureInitialised(Eal.virtualDeviceArgs(256));
        Lcore.register();
        pool = PacketPool.create("rpt_pool", 4095, 64, PacketPool.DEFAULT_DATA_ROOM, Eal.socketId());
        ports = RingPorts.create("rpt", 1, 1024);
        for (final EthPort p : new EthPort[] {ports.a(), ports.b()})
        {
            final EthPort.Configuration c = p.configure(1, 1, 0);
            assertEquals(1, c.rxQueues());
            p.setupRxQueue(0, 512, pool);
            p.setupTxQueue(0, 512);
            p.start();
        }
    }

    @AfterAll
    static void stop()
    {
        for (final EthPort p : new EthPort[] {ports.a(), ports.b()})
        {
            p.stop();
            p.close();
        }
        ports.close();
        assertEquals(0, pool.inUse(), "mbufs leaked");
        pool.close();
        Lcore.unregister();
    }

    @Test
    void packetsCrossFromOnePortToTheOtherIntact()
    {
        final int n = 32;
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment burst = PacketPool.burstArray(arena, n);
            assertTrue(Burst.allocBulk(pool.address(), burst, n));
            assertEquals(n, pool.inUse());
            for (int i = 0; i < n; i++)
            {
                final long m = burst.getAtIndex(JAVA_LONG, i);
                assertTrue(Mbuf.length(m, 64 + i));
                final long data = Mbuf.dataAddress(m);
                for (int b = 0; b < 64 + i; b++)
                {
                    Memory.putU8(data + b, i + b);
                }
            }
            assertEquals(n, Burst.tx(ports.a().id(), 0, burst, n));

            final MemorySegment rx = PacketPool.burstArray(arena, n);
            final int got = Burst.rx(ports.b().id(), 0, rx, n);
            assertEquals(n, got);
            for (int i = 0; i < got; i++)
            {
                final long m = rx.getAtIndex(JAVA_LONG, i);
                assertEquals(64 + i, Mbuf.dataLength(m));
                assertEquals(64 + i, Mbuf.packetLength(m));
                assertEquals(1, Mbuf.segments(m));
                final long data = Mbuf.dataAddress(m);
                for (int b = 0; b < 64 + i; b++)
                {
                    assertEquals((i + b) & 0xFF, Memory.getU8(data + b));
                }
            }
            Burst.freeTail(rx, 0, got);
            assertEquals(0, pool.inUse());
            assertEquals(n, ports.a().stats().txPackets() - 0, "ring port counts what it sent");
        }
    }

    @Test
    void prependAndAdjustMoveTheDataWithinTheHeadroom()
    {
        final long m = Burst.alloc(pool.address());
        assertNotEquals(0, m);
        try
        {
            assertTrue(Mbuf.length(m, 100));
            final int headroom = Mbuf.headroom(m);
            assertEquals(128, headroom, "DPDK's default headroom");
            final long data = Mbuf.dataAddress(m);
            final long outer = Mbuf.prepend(m, 20);
            assertEquals(data - 20, outer);
            assertEquals(120, Mbuf.dataLength(m));
            assertEquals(120, Mbuf.packetLength(m));
            assertEquals(0, Mbuf.prepend(m, headroom), "more than the headroom is refused");
            assertEquals(120, Mbuf.dataLength(m), "a refused prepend changes nothing");
            assertEquals(data, Mbuf.adjust(m, 20));
            assertEquals(100, Mbuf.dataLength(m));
            assertEquals(PacketPool.DEFAULT_DATA_ROOM - headroom - 100, Mbuf.tailroom(m));
        }
        finally
        {
            Burst.free(m);
        }
        assertEquals(0, pool.inUse());
    }

    @Test
    void deviceInfoAndLinkAreRead()
    {
        final EthPort.DeviceInfo info = ports.b().info();
        assertEquals("net_ring", info.driverName());
        assertTrue(info.maxRxQueues() >= 1);
        assertTrue(ports.b().link().up(), "a started ring port has its link up");
        assertNotEquals(-1, Lcore.id(), "the test thread is a registered lcore");
    }
}
