package io.panamux.slowpath.arp;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End to end on DPDK's {@code net_pcap}: {@code ./panamux run} without a gateway MAC receives a request for
 * its own address and the gateway's reply; the output, decoded by tshark (not by panamux), holds its answer
 * and its question for the gateway, and the MUX reports the gateway's MAC as learnt.
 */
class ArpOnPcapTest
{
    private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();

    @TempDir
    Path dir;

    @Test
    void answersForItsAddressAndResolvesTheGateway() throws Exception
    {
        final Path in = dir.resolve("in.pcap");
        final Path out = dir.resolve("out.pcap");
        // Who has 10.0.0.10? tell 10.0.0.77; then the gateway 10.0.0.1 is at 02:aa:bb:cc:dd:01 (unsolicited).
        writePcap(in, List.of(
            arp("ffffffffffff", "02aabbccdd77", 1, "02aabbccdd77", "0a00004d", "000000000000", "0a00000a"),
            arp("ffffffffffff", "02aabbccdd01", 2, "02aabbccdd01", "0a000001", "000000000000", "0a00000a")));
        final Path config = dir.resolve("mux.yaml");
        Files.writeString(config, """
            mux:
              name: arp-e2e
              address: 10.0.0.10
            dataplane:
              eal: ["--no-huge", "-m", "256", "--no-pci", "--no-shconf", "--file-prefix=pmxarp%d", "-l", "0",
                    "--log-level=lib.eal:error", "--vdev=net_pcap0,rx_pcap=%s,tx_pcap=%s"]
              port: 0
              workers: 1
              gateway: 10.0.0.1
              flow-table: { capacity: 4096, idle-timeout-seconds: 300 }
            vips: []
            admin: { listen: "127.0.0.1:0" }
            """.formatted(ProcessHandle.current().pid(), in, out));

        final ProcessBuilder pb = new ProcessBuilder(ROOT.resolve("panamux").toString(), "run", "--config", config.toString(), "--duration",
            "4").redirectErrorStream(true).redirectOutput(dir.resolve("mux.log").toFile());
        pb.environment().put("PANAMUX_CLASSPATH", System.getProperty("java.class.path"));
        final Process mux = pb.start();
        assertTrue(mux.waitFor(120, TimeUnit.SECONDS), "panamux run --duration 4 ends");
        final String log = Files.readString(dir.resolve("mux.log"));
        System.out.println(log);
        assertEquals(0, mux.exitValue(), log);
        assertTrue(log.contains("panamux: gateway 10.0.0.1 is at 02:aa:bb:cc:dd:01"), log);

        final Process tshark = new ProcessBuilder("tshark", "-r", out.toString(), "-Y", "arp", "-T", "fields", "-E", "separator=,",
            "-e", "eth.dst", "-e", "eth.src", "-e", "arp.opcode", "-e", "arp.src.hw_mac", "-e", "arp.src.proto_ipv4", "-e",
            "arp.dst.hw_mac", "-e", "arp.dst.proto_ipv4").redirectError(ProcessBuilder.Redirect.DISCARD).start();
        final String decoded = new String(tshark.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(tshark.waitFor(60, TimeUnit.SECONDS));
        final String portMac = decoded.lines().findFirst().orElseThrow().split(",")[1];
        final List<String> lines = decoded.lines().toList();
        assertTrue(lines.contains("02:aa:bb:cc:dd:77," + portMac + ",2," + portMac + ",10.0.0.10,02:aa:bb:cc:dd:77,10.0.0.77"),
            "the reply to 10.0.0.77:\n" + decoded);
        assertTrue(lines.contains("ff:ff:ff:ff:ff:ff," + portMac + ",1," + portMac + ",10.0.0.10,00:00:00:00:00:00,10.0.0.1"),
            "who has the gateway:\n" + decoded);
        assertEquals(lines.size(), lines.stream().filter(l -> l.contains("," + portMac + ",")).count(), "every frame from the MUX");
    }

    private static byte[] arp(final String ethDst, final String ethSrc, final int op, final String senderMac, final String senderIp,
        final String targetMac, final String targetIp)
    {
        final byte[] bytes = HexFormat.of().parseHex(ethDst + ethSrc + "0806" + "000108000604" + String.format("%04x", op) + senderMac + senderIp + targetMac +
            targetIp);
        final byte[] padded = new byte[60];
        System.arraycopy(bytes, 0, padded, 0, bytes.length);
        return padded;
    }

    /** A classic pcap file (microsecond timestamps, Ethernet), one record per frame. */
    private static void writePcap(final Path file, final List<byte[]> frames) throws IOException
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteBuffer header = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        header.putInt(0xA1B2C3D4).putShort((short)2).putShort((short)4).putInt(0).putInt(0).putInt(65535).putInt(1);
        out.write(header.array());
        int second = 1;
        for (final byte[] f : frames)
        {
            final ByteBuffer record = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
            record.putInt(second++).putInt(0).putInt(f.length).putInt(f.length);
            out.write(record.array());
            out.write(f);
        }
        Files.write(file, out.toByteArray());
    }
}
