package io.panamux.fastpath.packet;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Test-only writer of classic pcap files (microsecond timestamps, Ethernet link type). */
public final class PcapWriter
{
    private PcapWriter()
    {
    }

    /**
     * Writes {@code frames} to {@code file}, one record each, 1 ms apart.
     *
     * @param file   the pcap file to create.
     * @param frames Ethernet frames.
     * @throws IOException if the file cannot be written.
     */
    public static void write(final Path file, final List<byte[]> frames) throws IOException
    {
        int size = 24;
        for (final byte[] frame : frames)
        {
            size += 16 + frame.length;
        }
        final ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0xA1B2C3D4).putShort((short)2).putShort((short)4).putInt(0).putInt(0).putInt(65535).putInt(1);
        int index = 0;
        for (final byte[] frame : frames)
        {
            b.putInt(1_700_000_000).putInt(index++ * 1000).putInt(frame.length).putInt(frame.length).put(frame);
        }
        Files.write(file, b.array());
    }
}
