package io.panamux.perf.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code bench generate --pcap} writes the generator's traffic for replay tools; tshark (an independent
 * decoder) reads it back: the asked number of frames, the size mix, only the VIPs, valid checksums,
 * SYNs for new connections.
 */
class GeneratePcapTest
{
    @TempDir
    Path dir;

    @Test
    void writesTheGeneratorsTrafficAsAPcapThatTsharkDecodes() throws Exception
    {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/tshark")), "tshark decodes the capture");
        final Path pcap = dir.resolve("gen.pcap");
        final Process gen = new ProcessBuilder(BenchQuickTest.javaCommand("bench", "generate", "--pcap", pcap.toString(), "--packets", "500",
            "--flows", "40", "--new-flow-ratio", "0.2", "--sizes", "64,594,64,1494", "--vip", "192.0.2.10:80/tcp", "--vip", "192.0.2.11:53/udp",
            "--vip", "[2001:db8::10]:443/tcp")).redirectErrorStream(true).start();
        final String out = new String(gen.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(gen.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, gen.exitValue(), out);

        final Process t = new ProcessBuilder("tshark", "-r", pcap.toString(), "-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE",
            "-o", "udp.check_checksum:TRUE", "-T", "fields", "-E", "separator=;", "-e", "frame.len", "-e", "ip.dst", "-e", "ipv6.dst", "-e",
            "tcp.dstport", "-e", "udp.dstport", "-e", "tcp.flags", "-e", "ip.checksum.status", "-e", "tcp.checksum.status", "-e",
            "udp.checksum.status").redirectError(ProcessBuilder.Redirect.DISCARD).start();
        final String text = new String(t.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(t.waitFor(60, TimeUnit.SECONDS));
        final List<String[]> frames = new ArrayList<>();
        for (final String line : text.split("\n"))
        {
            if (!line.isBlank())
            {
                frames.add(line.split(";", -1));
            }
        }
        assertEquals(500, frames.size(), "exactly --packets frames");
        final Map<String, Integer> perVip = new HashMap<>();
        int syn = 0;
        int tcp = 0;
        for (final String[] f : frames)
        {
            final int len = Integer.parseInt(f[0]);
            final String vip = f[1].isEmpty() ? "[" + f[2] + "]:" + f[3] : f[1] + ":" + (f[3].isEmpty() ? f[4] : f[3]);
            perVip.merge(vip, 1, Integer::sum);
            // IPv6/TCP frames are raised to their headers plus the trailer (82 bytes) when the mix asks for less.
            assertTrue(Set.of(64, 82, 594, 1494).contains(len), "frame length " + len);
            if (!f[6].isEmpty())
            {
                assertEquals("1", f[6], "IPv4 header checksum good");
            }
            if (!f[5].isEmpty())
            {
                tcp++;
                assertEquals("1", f[7], "TCP checksum good");
                final int flags = Integer.decode(f[5]);
                if (flags == 0x02)
                {
                    syn++;
                }
                else
                {
                    assertEquals(0x18, flags, "an established flow sends ACK|PSH");
                }
            }
            else
            {
                assertEquals("1", f[8], "UDP checksum good");
            }
        }
        assertEquals(Set.of("192.0.2.10:80", "192.0.2.11:53", "[2001:db8::10]:443"), perVip.keySet(), "only the VIPs, each of them");
        assertTrue(syn >= 40 * 2 / 3, "every TCP flow opens with a SYN, and some reopen: " + syn + " of " + tcp);
        assertTrue(syn < tcp, "most TCP packets are in established flows");
    }
}
