package io.panamux.dpdk;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** The process's CPUs, from which the MUX places its workers. */
class LcoreTest
{
    @Test
    void aKernelCpuListGivesEveryCpuOfItsRanges()
    {
        assertArrayEquals(new int[] {0}, Lcore.cpuList("0"));
        assertArrayEquals(new int[] {0, 1, 2, 3, 8, 10, 11}, Lcore.cpuList("0-3,8,10-11"));
        assertArrayEquals(new int[] {1, 5}, Lcore.cpuList("5,1"));
    }

    @Test
    void theProcessCpusAreThoseOfAThreadNothingPinned()
    {
        // No EAL in this JVM: the test thread has the process's affinity.
        assertArrayEquals(Lcore.affinity(), Lcore.processCpus());
    }
}
