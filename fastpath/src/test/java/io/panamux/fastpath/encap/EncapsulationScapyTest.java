package io.panamux.fastpath.encap;

import io.panamux.fastpath.packet.DropReason;
import io.panamux.fastpath.packet.PcapWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.panamux.fastpath.packet.Frames.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Independent decoder: every encapsulated frame and ICMP reply of the {@link EncapFixtures} table goes
 * to a pcap file, and {@code src/test/python/check_tunnel_output.py} decodes it with scapy, recomputes
 * the checksums and compares the inner packet and quote with the inputs. Needs {@code /usr/bin/python3}
 * with scapy (Debian's python3-scapy, which CI installs): without it this test fails, it does not skip.
 */
class EncapsulationScapyTest
{
    private static final String PYTHON = "/usr/bin/python3";

    @TempDir
    Path directory;

    @Test
    void scapyAgreesWithEveryEncapsulationAndReply() throws Exception
    {
        final List<byte[]> frames = new ArrayList<>();
        final List<String> manifest = new ArrayList<>();
        try (Arena arena = Arena.ofConfined())
        {
            for (final EncapFixtures.Row row : EncapFixtures.rows())
            {
                if (row.verdict() != DropReason.NONE)
                {
                    continue;
                }
                final EncapFixtures.Outcome outcome = EncapFixtures.run(row, arena);
                assertEquals(DropReason.NONE, DropReason.of(outcome.verdict()), row.description());
                frames.add(outcome.output());
                final byte[] original = slice(row.input(), outcome.info().l3Offset, outcome.info().l3Length);
                manifest.add(row.action() == EncapFixtures.Action.ENCAPSULATE ?
                    encapEntry(row, original) : replyEntry(row, original));
            }
        }
        assertTrue(frames.size() > 30, "fixture rows to check: " + frames.size());

        final Path pcap = directory.resolve("tunnel-output.pcap");
        final Path json = directory.resolve("tunnel-output.json");
        PcapWriter.write(pcap, frames);
        Files.writeString(json, "[\n" + String.join(",\n", manifest) + "\n]\n");

        final Path script = Path.of(System.getProperty("basedir", "."), "src/test/python/check_tunnel_output.py");
        assertTrue(Files.isRegularFile(script), script.toString());
        assertTrue(Files.isExecutable(Path.of(PYTHON)), PYTHON + " is needed (with python3-scapy)");
        final Process process = new ProcessBuilder(PYTHON, script.toString(), pcap.toString(), json.toString())
            .redirectErrorStream(true).start();
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), "scapy check timed out");
        assertEquals(0, process.exitValue(), output);
        assertTrue(output.contains("checked " + frames.size() + " frames, 0 with problems"), output);
    }

    private static String encapEntry(final EncapFixtures.Row row, final byte[] inner) throws IOException
    {
        return "{" +
            field("kind", "encap") + "," +
            field("description", row.description()) + "," +
            field("type", row.typeName()) + "," +
            "\"outer\": " + (row.outerV6() ? 6 : 4) + "," +
            field("inner", hex(inner)) + "," +
            "\"df\": " + row.df() + "," +
            "\"tos\": " + tos(inner) + "," +
            field("mux4", v4(MUX)) + "," +
            field("backend4", v4(BACKEND)) + "," +
            field("mux6", v6(MUX6)) + "," +
            field("backend6", v6(BACKEND6)) + "," +
            field("gateway", mac(GATEWAY_MAC)) + "," +
            field("port_mac", mac(PORT_MAC)) + "," +
            "\"gue_port\": " + EncapFixtures.GUE_PORT +
            "}";
    }

    private static String replyEntry(final EncapFixtures.Row row, final byte[] original) throws IOException
    {
        final boolean v6 = (original[0] >>> 4) == 6;
        final byte[] input = row.input();
        final boolean tagged = (input[12] & 0xFF) == 0x81 && input[13] == 0;
        final int tci = tagged ? ((input[14] & 0xFF) << 8) | (input[15] & 0xFF) : -1;
        return "{" +
            field("kind", "reply") + "," +
            field("description", row.description()) + "," +
            "\"version\": " + (v6 ? 6 : 4) + "," +
            field("original", hex(original)) + "," +
            "\"mtu\": " + row.portMtu() + "," +
            "\"vlan_tci\": " + tci + "," +
            field("vip", v6 ? v6(VIP6) : v4(VIP)) + "," +
            field("client", v6 ? v6(CLIENT6) : v4(CLIENT)) + "," +
            field("router_mac", mac(ROUTER_MAC)) + "," +
            field("port_mac", mac(PORT_MAC)) +
            "}";
    }

    private static int tos(final byte[] ip)
    {
        return (ip[0] >>> 4) == 6 ? (((ip[0] & 0xF) << 4) | ((ip[1] & 0xFF) >>> 4)) : ip[1] & 0xFF;
    }

    private static String field(final String name, final String value)
    {
        return "\"" + name + "\": \"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private static String v4(final int address) throws IOException
    {
        return InetAddress.getByAddress(ByteBuffer.allocate(4).putInt(address).array()).getHostAddress();
    }

    private static String v6(final byte[] address) throws IOException
    {
        // The uncompressed form; the script compares addresses as bytes.
        return InetAddress.getByAddress(address).getHostAddress();
    }

    private static String mac(final long mac)
    {
        final StringBuilder s = new StringBuilder();
        for (int shift = 40; shift >= 0; shift -= 8)
        {
            if (s.length() > 0)
            {
                s.append(':');
            }
            s.append(String.format("%02x", (mac >>> shift) & 0xFF));
        }
        return s.toString();
    }
}
