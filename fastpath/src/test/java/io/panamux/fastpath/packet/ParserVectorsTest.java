package io.panamux.fastpath.packet;

import io.panamux.dpdk.Memory;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Golden vectors made by scapy ({@code src/test/python/make_parser_vectors.py} writes
 * {@code packet/parser-vectors.txt}): frames from an independent packet builder, with the verdict and
 * fields the parser must report.
 */
class ParserVectorsTest
{
    /** One vector. */
    record Vector(byte[] frame, String verdict, Map<String, String> fields)
    {
    }

    static List<Arguments> vectors() throws IOException
    {
        final List<Arguments> vectors = new ArrayList<>();
        try (InputStream in = Objects.requireNonNull(ParserVectorsTest.class.getResourceAsStream(
            "/packet/parser-vectors.txt"), "parser-vectors.txt");
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)))
        {
            String line;
            while ((line = reader.readLine()) != null)
            {
                if (line.isBlank() || line.startsWith("#"))
                {
                    continue;
                }
                final String[] parts = line.split("\\|", -1);
                final Map<String, String> fields = new LinkedHashMap<>();
                for (final String pair : parts[3].split(","))
                {
                    if (!pair.isEmpty())
                    {
                        final int eq = pair.indexOf('=');
                        fields.put(pair.substring(0, eq), pair.substring(eq + 1));
                    }
                }
                vectors.add(Arguments.of(Named.of(parts[0],
                    new Vector(HexFormat.of().parseHex(parts[1]), parts[2], fields))));
            }
        }
        assertTrue(vectors.size() >= 25, "vectors: " + vectors.size());
        return vectors;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    void parserAgreesWithScapysFrames(final Vector vector) throws IOException
    {
        final PacketInfo info = new PacketInfo();
        final int verdict;
        try (Arena arena = Arena.ofConfined())
        {
            final long address = arena.allocate(vector.frame().length + 64, 64).address();
            Memory.copyFromArray(vector.frame(), 0, address, vector.frame().length);
            verdict = new PacketParser().parse(address, vector.frame().length, info);
        }
        assertEquals(vector.verdict(), DropReason.of(verdict).metricName(), info::toString);

        for (final Map.Entry<String, String> field : vector.fields().entrySet())
        {
            final String value = field.getValue();
            final String name = field.getKey();
            switch (name)
            {
                case "ip" -> assertEquals(Integer.parseInt(value), info.ipVersion, name);
                case "proto" -> assertEquals(Integer.parseInt(value), info.protocol, name);
                case "sport" -> assertEquals(Integer.parseInt(value), info.srcPort, name);
                case "dport" -> assertEquals(Integer.parseInt(value), info.dstPort, name);
                case "l3len" -> assertEquals(Integer.parseInt(value), info.l3Length, name);
                case "l4off" -> assertEquals(Integer.parseInt(value), info.l4Offset, name);
                case "flags" -> assertEquals(Integer.parseInt(value), info.tcpFlags, name);
                case "df" -> assertEquals("1".equals(value), info.ipv4DontFragment, name);
                case "frag" -> assertEquals("1".equals(value), info.isFragment, name);
                case "first" -> assertEquals("1".equals(value), info.isFirstFragment, name);
                case "fragid" -> assertEquals(Integer.parseInt(value), info.fragmentId, name);
                case "fragoff" -> assertEquals(Integer.parseInt(value), info.fragmentOffset, name);
                case "vlan" -> assertEquals(Integer.parseInt(value), info.vlanId, name);
                case "tos" -> assertEquals(Integer.parseInt(value), info.tos, name);
                case "icmp" -> assertEquals("1".equals(value), info.icmpError, name);
                case "icmptype" -> assertEquals(Integer.parseInt(value), info.icmpType, name);
                case "src" -> assertAddress(value, info.ipVersion, info.srcV4, info.srcHi, info.srcLo, name);
                case "dst" -> assertAddress(value, info.ipVersion, info.dstV4, info.dstHi, info.dstLo, name);
                default -> fail("unknown field " + name);
            }
        }
    }

    private static void assertAddress(
        final String text, final int version, final int v4, final long hi, final long lo, final String name)
    {
        if (version == 4)
        {
            assertEquals(Frames.ipv4(text), v4, name);
        }
        else
        {
            final byte[] expected = Frames.ipv6(text);
            assertEquals(Frames.high(expected), hi, name);
            assertEquals(Frames.low(expected), lo, name);
        }
    }
}
