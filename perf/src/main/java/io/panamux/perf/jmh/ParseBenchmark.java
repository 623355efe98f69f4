package io.panamux.perf.jmh;

import io.panamux.dpdk.Mbuf;
import io.panamux.dpdk.MbufDescriptor;
import io.panamux.dpdk.Memory;
import io.panamux.fastpath.encap.TunnelEncapsulator;
import io.panamux.fastpath.packet.PacketInfo;
import io.panamux.fastpath.packet.PacketParser;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * Cost of {@link PacketParser#parse} on one 64-byte-class packet in off-heap memory, and of parse plus
 * {@link TunnelEncapsulator#encapsulate} on a fake mbuf (the fields DPDK's {@code rte_mbuf} has, in
 * native memory). The encapsulating benchmark also restores the mbuf's data offset, lengths and
 * Ethernet header before each packet (a handful of stores), because encapsulation rewrote them.
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED --add-exports java.base/jdk.internal.misc=ALL-UNNAMED \
 *   -cp "perf/target/classes:perf/target/lib/*" org.openjdk.jmh.Main ParseBenchmark -f 1 -wi 2 -i 3
 * </pre>
 *
 * Bounds checks ({@code panamux.checks}) are off, as in production.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED",
    "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED"})
public class ParseBenchmark
{
    private static final int HEADROOM = 128;
    private static final int BUFFER = HEADROOM + 2048;
    private static final long PORT_MAC = 0x02_00_00_00_00_0AL;
    private static final long ROUTER_MAC = 0x02_00_00_00_00_01L;

    /** A frame of each shape in native memory, parsed in place. */
    @State(Scope.Thread)
    public static class Frames
    {
        /** ipv4_tcp, ipv6_tcp or vlan_ipv4_tcp. */
        @Param({"ipv4_tcp", "ipv6_tcp", "vlan_ipv4_tcp"})
        public String shape;

        final PacketParser parser = new PacketParser();
        final PacketInfo info = new PacketInfo();
        Arena arena;
        long address;
        int length;

        /** Builds the frame. */
        @Setup(Level.Trial)
        public void setUp()
        {
            arena = Arena.ofShared();
            final byte[] frame = frame(shape);
            address = arena.allocate(frame.length, 64).address();
            length = frame.length;
            Memory.copyFromArray(frame, 0, address, frame.length);
        }

        /** Frees the frame. */
        @TearDown(Level.Trial)
        public void tearDown()
        {
            arena.close();
        }
    }

    /** A fake mbuf holding one frame, and an encapsulator. */
    @State(Scope.Thread)
    public static class Mbufs
    {
        /** ipv4_tcp, ipv6_tcp or vlan_ipv4_tcp. */
        @Param({"ipv4_tcp", "ipv6_tcp", "vlan_ipv4_tcp"})
        public String shape;

        /** ipip, gre, gue (outer IPv4) or gue6 (outer IPv6, with the UDP checksum over the packet). */
        @Param({"ipip", "gue", "gue6"})
        public String encapsulation;

        final PacketParser parser = new PacketParser();
        final PacketInfo info = new PacketInfo();
        final TunnelEncapsulator encapsulator = new TunnelEncapsulator(PORT_MAC, 0x02_00_00_00_00_FEL,
            0x0A00_000A, 0x2001_0DB8_0000_0000L, 0xAL, 1500);
        Arena arena;
        long mbuf;
        int length;
        int type;
        boolean outerV6;
        long ethernet0;
        int ethernet8;
        int ethernet12;

        /** Builds the mbuf. */
        @Setup(Level.Trial)
        public void setUp()
        {
            arena = Arena.ofShared();
            final byte[] frame = frame(shape);
            length = frame.length;
            mbuf = arena.allocate(MbufDescriptor.SIZEOF + BUFFER, 64).address();
            Memory.putI64(mbuf + MbufDescriptor.BUF_ADDR_OFFSET, mbuf + MbufDescriptor.SIZEOF);
            Memory.putU16(mbuf + MbufDescriptor.BUF_LEN_OFFSET, BUFFER);
            Memory.putU16(mbuf + MbufDescriptor.NB_SEGS_OFFSET, 1);
            restore();
            Memory.copyFromArray(frame, 0, Mbuf.dataAddress(mbuf), frame.length);
            final long data = Mbuf.dataAddress(mbuf);
            ethernet0 = Memory.getI64(data);
            ethernet8 = Memory.getI32(data + 8);
            ethernet12 = Memory.getU16(data + 12);
            type = encapsulation.startsWith("gue") ? TunnelEncapsulator.GUE :
                "gre".equals(encapsulation) ? TunnelEncapsulator.GRE : TunnelEncapsulator.IPIP;
            outerV6 = encapsulation.endsWith("6");
        }

        /** Puts the frame back as it arrived: data offset, lengths and the Ethernet header. */
        void restore()
        {
            Memory.putU16(mbuf + MbufDescriptor.DATA_OFF_OFFSET, HEADROOM);
            Memory.putU16(mbuf + MbufDescriptor.DATA_LEN_OFFSET, length);
            Memory.putI32(mbuf + MbufDescriptor.PKT_LEN_OFFSET, length);
            final long data = mbuf + MbufDescriptor.SIZEOF + HEADROOM;
            Memory.putI64(data, ethernet0);
            Memory.putI32(data + 8, ethernet8);
            Memory.putU16(data + 12, ethernet12);
        }

        /** Frees the mbuf. */
        @TearDown(Level.Trial)
        public void tearDown()
        {
            arena.close();
        }
    }

    /** @return the verdict folded with the fields a worker reads next, so nothing is dead code. */
    @Benchmark
    public int parse(final Frames frames)
    {
        final PacketInfo info = frames.info;
        final int verdict = frames.parser.parse(frames.address, frames.length, info);
        return verdict + info.srcPort + info.dstPort + info.dstV4 + (int)info.dstLo + info.protocol;
    }

    /** @return the verdict of parse after restoring the mbuf: the baseline of {@link #parseAndEncapsulate}. */
    @Benchmark
    public int restoreAndParse(final Mbufs mbufs)
    {
        mbufs.restore();
        final long mbuf = mbufs.mbuf;
        final PacketInfo info = mbufs.info;
        return mbufs.parser.parse(Mbuf.dataAddress(mbuf), Mbuf.dataLength(mbuf), info) + info.srcPort;
    }

    /** @return the verdict of parse and encapsulate, plus the new data length. */
    @Benchmark
    public int parseAndEncapsulate(final Mbufs mbufs)
    {
        mbufs.restore();
        final long mbuf = mbufs.mbuf;
        final PacketInfo info = mbufs.info;
        final int verdict = mbufs.parser.parse(Mbuf.dataAddress(mbuf), Mbuf.dataLength(mbuf), info);
        final long hash = info.srcV4 * 0x9E37_79B9_7F4A_7C15L + info.srcPort;
        return verdict + mbufs.encapsulator.encapsulate(mbuf, info, mbufs.type, TunnelEncapsulator.DEFAULT_GUE_PORT, mbufs.outerV6,
            0x0A01_0001, 0x2001_0DB8_0001_0000L, 1L, hash) + Mbuf.dataLength(mbuf);
    }

    /** @return a minimum-size frame of the shape: TCP with a few payload bytes, 60 to 78 bytes. */
    static byte[] frame(final String shape)
    {
        final boolean v6 = shape.contains("ipv6");
        final boolean tagged = shape.startsWith("vlan");
        final ByteBuffer b = ByteBuffer.allocate(128);
        b.putShort((short)(PORT_MAC >>> 32)).putInt((int)PORT_MAC);
        b.putShort((short)(ROUTER_MAC >>> 32)).putInt((int)ROUTER_MAC);
        if (tagged)
        {
            b.putShort((short)0x8100).putShort((short)100);
        }
        final int tcpLength = 20 + 6;
        if (v6)
        {
            b.putShort((short)0x86DD);
            b.putInt(0x6000_0000).putShort((short)tcpLength).put((byte)6).put((byte)64);
            b.putLong(0x2001_0DB8_000C_0000L).putLong(7).putLong(0x2001_0DB8_0100_0000L).putLong(0x10);
        }
        else
        {
            b.putShort((short)0x0800);
            b.putInt(0x4500_0000 | (20 + tcpLength)).putInt(0x1234_4000).putInt(0x4006_0000);
            b.putInt(0xC633_6407).putInt(0xC000_020A);
        }
        b.putShort((short)40000).putShort((short)80).putInt(1).putInt(0).putShort((short)0x5018)
            .putShort((short)65535).putInt(0);
        b.put(new byte[6]);
        final byte[] frame = new byte[Math.max(60, b.position())];
        System.arraycopy(b.array(), 0, frame, 0, b.position());
        return frame;
    }
}
