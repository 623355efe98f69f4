package io.panamux.slowpath.arp;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;

/** The ARP flood the stop tests replay through {@code net_pcap infinite_rx=1}. */
public final class ArpFloodPcap
{
    private ArpFloodPcap()
    {
    }

    /** Writes a pcap file of {@code count} ARP requests for 10.0.0.10 from different senders. */
    public static void write(final Path file, final int count) throws IOException
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteBuffer header = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        header.putInt(0xA1B2C3D4).putShort((short)2).putShort((short)4).putInt(0).putInt(0).putInt(65535).putInt(1);
        out.write(header.array());
        for (int i = 0; i < count; i++)
        {
            final String mac = String.format("02aabbcc%04x", i);
            final byte[] bytes = HexFormat.of().parseHex("ffffffffffff" + mac + "0806" + "000108000604" + "0001" + mac
                + String.format("0a00%04x", 0x100 + i) + "000000000000" + "0a00000a");
            final byte[] frame = new byte[60];
            System.arraycopy(bytes, 0, frame, 0, bytes.length);
            final ByteBuffer record = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
            record.putInt(1).putInt(i).putInt(frame.length).putInt(frame.length);
            out.write(record.array());
            out.write(frame);
        }
        Files.write(file, out.toByteArray());
    }
}
