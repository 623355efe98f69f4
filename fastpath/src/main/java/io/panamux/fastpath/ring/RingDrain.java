package io.panamux.fastpath.ring;

import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.ringbuffer.RingBuffer;

/** Reads a ring to its end once its producer has stopped (the MUX closing). */
final class RingDrain
{
    private RingDrain()
    {
    }

    /**
     * Hands every record left in {@code ring} to {@code handler}.
     *
     * <p>Until the consumer position stops moving, not until a read returns no message: Agrona's {@code read}
     * never goes past the end of the buffer in one call, and a record that did not fit there left a padding
     * record in its place, so a read that starts at that padding consumes it and returns 0 while records wait
     * after the wrap. (Stopping there left their mbufs out of the pool: issue 9 item 3's "6 not back".) A
     * record claimed and never committed stops the position too, so this ends even then.
     */
    static void drain(final RingBuffer ring, final MessageHandler handler)
    {
        long before;
        do
        {
            before = ring.consumerPosition();
            ring.read(handler);
        }
        while (ring.consumerPosition() != before);
    }
}
