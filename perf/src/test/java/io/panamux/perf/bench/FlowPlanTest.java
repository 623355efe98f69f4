package io.panamux.perf.bench;

import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FlowPlanTest
{
    @Test
    void liveFlowsAreVisitedInTurnAndNeverOpen()
    {
        final FlowPlan plan = new FlowPlan(5, 0, 1, 0);
        for (int i = 0; i < 23; i++)
        {
            plan.next();
            assertEquals(i % 5, plan.flowId());
            assertFalse(plan.opening());
        }
        assertEquals(0, plan.newFlows());
    }

    @Test
    void synFloodOpensANewFlowEveryPacketFromItsOwnRange()
    {
        final FlowPlan plan = new FlowPlan(0, 1.0, 7, 1000);
        for (int i = 0; i < 100; i++)
        {
            plan.next();
            assertEquals(1000 + i, plan.flowId());
            assertTrue(plan.opening());
        }
        assertEquals(100, plan.newFlows());
    }

    @Test
    void newFlowRatioIsHonouredAndNewIdsNeverCollideWithLiveOnes()
    {
        final int live = 1000;
        final FlowPlan plan = new FlowPlan(live, 0.25, 99, 0);
        final Set<Long> fresh = new HashSet<>();
        long expectedLive = 0;
        final int n = 200_000;
        for (int i = 0; i < n; i++)
        {
            plan.next();
            if (plan.opening())
            {
                assertTrue(plan.flowId() >= live, "new flows start after the live range");
                assertTrue(fresh.add(plan.flowId()), "a new flow id is used once");
            }
            else
            {
                assertEquals(expectedLive, plan.flowId(), "live flows keep their turn between new ones");
                expectedLive = (expectedLive + 1) % live;
            }
        }
        final double share = (double)plan.newFlows() / n;
        assertTrue(Math.abs(share - 0.25) < 0.01, "share of new flows " + share);
        assertEquals(fresh.size(), plan.newFlows());
    }

    @Test
    void flowIdsMapToDistinctClientTuples()
    {
        final Set<Long> tuples = new HashSet<>();
        for (final long id : new long[] {0, 1, 0xFF_FFFF, 1L << 24, (1L << 24) + 1, 10_000_000, 64_511L << 24})
        {
            final int address = FlowPlan.sourceAddress(id);
            final int port = FlowPlan.sourcePort(id);
            assertEquals(FlowPlan.CLIENT_NETWORK, address & 0xFF00_0000, "clients are in 10.0.0.0/8");
            assertTrue(port >= FlowPlan.FIRST_PORT && port <= 65535);
            assertTrue(tuples.add(((long)address << 16) | port), "id " + id + " repeats a tuple");
        }
        assertNotEquals(FlowPlan.sourcePort(0), FlowPlan.sourcePort(1L << 24));
    }

    @Test
    void aPlanNeedsLiveFlowsOrOnlyNewOnes()
    {
        assertThrows(IllegalArgumentException.class, () -> new FlowPlan(0, 0.5, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new FlowPlan(10, 1.5, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new FlowPlan(-1, 0, 1, 0));
    }
}
