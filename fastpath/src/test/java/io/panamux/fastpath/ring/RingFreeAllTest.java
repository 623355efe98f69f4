package io.panamux.fastpath.ring;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * At stop, {@link WorkerToControl#freeAll} and {@link ControlToWorker#freeAll} free every mbuf still queued,
 * wherever the ring's head stands. A record that does not fit before the end of the buffer leaves a padding
 * record there and goes to the start; Agrona's {@code read} never reads past the end in one call, so a read
 * that starts at such padding returns 0 messages while records wait after the wrap. Stopping at the first
 * read that returned 0 left them (and their mbufs) behind: the stop-time leak seen once under an ARP flood
 * (issue 9 item 3: 909 freed, 6 not back).
 */
class RingFreeAllTest
{
    /** 1024 bytes hold 14 records of 72 bytes: 16 bytes of padding at every wrap. */
    private static final int CAPACITY = 1024;

    @Test
    void workerToControlFreesEveryFrameWhereverTheHeadStands()
    {
        for (int consumedFirst = 0; consumedFirst < 40; consumedFirst++)
        {
            final WorkerToControl ring = new WorkerToControl(CAPACITY);
            long next = 1;
            for (int i = 0; i < consumedFirst; i++)
            {
                ring.toControl(next++);
                // A read that meets the padding at the end consumes only that: read again for the record.
                while (ring.ring().read((type, b, index, length) ->
                {
                }, 1) == 0)
                {
                    // The padding only.
                }
            }
            final List<Long> queued = new ArrayList<>();
            while (ring.toControl(next))
            {
                queued.add(next++);
            }
            final List<Long> freed = new ArrayList<>();
            assertEquals(queued.size(), ring.freeAll(freed::add), "records left after " + consumedFirst + " read one by one");
            assertEquals(queued, freed);
            assertEquals(0, ring.ring().size(), "empty");
        }
    }

    @Test
    void controlToWorkerFreesEverySendWhereverTheHeadStands()
    {
        for (int consumedFirst = 0; consumedFirst < 40; consumedFirst++)
        {
            final ControlToWorker ring = new ControlToWorker(CAPACITY);
            long next = 1;
            for (int i = 0; i < consumedFirst; i++)
            {
                ring.send(next++);
                while (ring.drain((type, b, index, length) ->
                {
                }, 1) == 0)
                {
                    // The padding only.
                }
            }
            final List<Long> queued = new ArrayList<>();
            while (ring.send(next))
            {
                queued.add(next++);
                // Flow records carry no mbuf: not freed, and not in the way of the sends after them.
                ring.putFlow(false, 0, 1, 0, 2, 3, 4, 6, 0, 0);
            }
            final List<Long> freed = new ArrayList<>();
            assertEquals(queued.size(), ring.freeAll(freed::add), "sends left after " + consumedFirst + " read one by one");
            assertEquals(queued, freed);
        }
    }
}
