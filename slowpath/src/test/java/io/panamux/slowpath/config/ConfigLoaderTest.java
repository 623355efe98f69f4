package io.panamux.slowpath.config;

import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigLoaderTest
{
    private static final String MINIMAL = """
        mux:
          name: mux-b
          address: 10.0.0.20
        dataplane:
          eal: []
          port: 1
          workers: 2
          flow-table: { capacity: 65536, idle-timeout-seconds: 60 }
          gateway: 10.0.0.1
        """;

    @TempDir
    Path tempDir;

    @Test
    void architectureExampleParsesToTheExpectedModel() throws URISyntaxException
    {
        final MuxConfig config = ConfigLoader.load(resource("architecture-example.yaml"));

        final Mux mux = config.mux();
        assertEquals("mux-a", mux.name());
        assertEquals(IpAddress.ofIpv4(0x0A00_000A), mux.address());
        assertEquals(0x0A00_000A, mux.address().ipv4());
        assertEquals(Optional.of(IpAddress.ofIpv6(0x2001_0DB8_0000_0000L, 0xAL)), mux.address6());
        assertEquals("2001:db8::a", mux.address6().orElseThrow().toString());
        assertEquals(List.of(IpAddress.ofIpv4(0x0A00_000A)), mux.pool());
        assertEquals(0x5EEDL, mux.hashSeed());

        final Dataplane dataplane = config.dataplane();
        assertEquals(List.of("--no-huge", "-m", "512", "--no-pci", "--vdev=net_ring0"), dataplane.eal());
        assertEquals(0, dataplane.port());
        assertEquals(1, dataplane.workers());
        assertEquals(OptionalLong.of(0x0200_0000_00FEL), dataplane.gatewayMac());
        assertEquals(new FlowTableConfig(1048576, 300), dataplane.flowTable());
        assertEquals(65537, dataplane.maglevTableSize());
        assertEquals(OptionalInt.empty(), dataplane.mtu());
        assertEquals(32, dataplane.burstSize());
        assertEquals(6080, dataplane.guePort());

        assertEquals(1, config.vips().size());
        final VipConfig vip = config.vips().get(0);
        assertEquals(IpAddress.ofIpv4(0xC000_020A), vip.address());
        assertEquals(80, vip.port());
        assertEquals(Protocol.TCP, vip.protocol());
        assertEquals(6, vip.protocol().ipProtocol());
        assertEquals(Encapsulation.IPIP, vip.encapsulation());
        assertEquals(FlowTracking.ON_CHANGE, vip.flowTracking());
        assertEquals(6080, vip.guePort());
        assertEquals(List.of(
            new BackendConfig(IpAddress.ofIpv4(0x0A01_0001), 1),
            new BackendConfig(IpAddress.ofIpv4(0x0A01_0002), 2)), vip.backends());
        assertEquals("192.0.2.10:80/tcp", vip.key());

        assertEquals(IpAddress.ofIpv4(0x7F00_0001), config.admin().listenAddress());
        assertEquals(9480, config.admin().listenPort());
        assertEquals(Optional.empty(), config.admin().token());
        assertEquals("127.0.0.1:9480", config.admin().listen());

        assertEquals(List.of(), config.warnings());
    }

    @Test
    void defaultsApplyToEverythingLeftOut()
    {
        final MuxConfig config = ConfigLoader.parse(MINIMAL, "minimal.yaml");

        assertEquals(Optional.empty(), config.mux().address6());
        assertEquals(List.of(IpAddress.parse("10.0.0.20")), config.mux().pool());
        assertEquals(Mux.DEFAULT_HASH_SEED, config.mux().hashSeed());
        assertEquals(0x70616E616D7578L, config.mux().hashSeed());
        assertEquals(List.of(), config.dataplane().eal());
        assertEquals(OptionalLong.empty(), config.dataplane().gatewayMac());
        assertEquals(65537, config.dataplane().maglevTableSize());
        assertEquals(OptionalInt.empty(), config.dataplane().mtu());
        assertEquals(32, config.dataplane().burstSize());
        assertEquals(6080, config.dataplane().guePort());
        assertEquals(List.of(), config.vips());
        assertEquals(Admin.defaults(), config.admin());
        assertEquals("127.0.0.1:9480", config.admin().listen());
        assertEquals(List.of(), config.warnings());
    }

    @Test
    void workersAndFlowTableHaveTheArchitectureExampleDefaults()
    {
        final String without = """
            mux:
              name: mux-c
              address: 10.0.0.20
            dataplane:
              eal: []
              port: 0
              gateway: 10.0.0.1
            """;
        final Dataplane dataplane = ConfigLoader.parse(without, "lean.yaml").dataplane();
        assertEquals(1, dataplane.workers());
        assertEquals(new FlowTableConfig(1048576, 300), dataplane.flowTable());
        assertEquals(FlowTableConfig.defaults(), dataplane.flowTable());

        // Each key of the section on its own: the other keeps its default.
        assertEquals(new FlowTableConfig(1048576, 60), ConfigLoader.parse(
            without + "  flow-table: { idle-timeout-seconds: 60 }\n", "lean.yaml").dataplane().flowTable());
        assertEquals(new FlowTableConfig(4096, 300), ConfigLoader.parse(
            without + "  flow-table: { capacity: 4096 }\n", "lean.yaml").dataplane().flowTable());
        assertEquals(FlowTableConfig.defaults(), ConfigLoader.parse(
            without + "  flow-table:\n", "lean.yaml").dataplane().flowTable());
    }

    @Test
    void vipDefaultsAndInheritedGuePort()
    {
        final MuxConfig config = ConfigLoader.parse(MINIMAL + """
              gue-port: 7000
              mtu: 1500
              burst-size: 64
            vips:
              - address: 192.0.2.1
                port: 53
                protocol: udp
                encapsulation: gue
                backends:
                  - address: 10.1.0.1
              - address: 192.0.2.1
                port: 53
                protocol: tcp
                encapsulation: gue
                flow-tracking: always
                gue-port: 7001
                backends:
              - address: 192.0.2.1
                port: 54
                protocol: udp
                encapsulation: gre
                backends: []
            admin:
            """, "mux.yaml");

        final VipConfig udp = config.vips().get(0);
        assertEquals(Protocol.UDP, udp.protocol());
        assertEquals(17, udp.protocol().ipProtocol());
        assertEquals(Encapsulation.GUE, udp.encapsulation());
        assertEquals(FlowTracking.ON_CHANGE, udp.flowTracking());
        assertEquals(7000, udp.guePort());
        assertEquals(List.of(new BackendConfig(IpAddress.parse("10.1.0.1"), BackendConfig.DEFAULT_WEIGHT)), udp.backends());

        final VipConfig tcp = config.vips().get(1);
        assertEquals(FlowTracking.ALWAYS, tcp.flowTracking());
        assertEquals(7001, tcp.guePort());
        assertEquals(List.of(), tcp.backends());

        assertEquals(Encapsulation.GRE, config.vips().get(2).encapsulation());
        assertEquals(OptionalInt.of(1500), config.dataplane().mtu());
        assertEquals(64, config.dataplane().burstSize());
        assertEquals(Admin.defaults(), config.admin());
    }

    @Test
    void ipv6VipsAndBackendsWithAddress6()
    {
        final MuxConfig config = ConfigLoader.parse("""
            mux:
              name: mux-6
              address: 10.0.0.1
              address6: 2001:DB8:0:0:0:0:0:A
              pool: [10.0.0.2, 10.0.0.1]
              hash-seed: 18446744073709551615
            dataplane:
              eal: [-m, 512]
              port: 0
              workers: 1
              gateway-mac: 10:20:30:40:50:59
              flow-table: { capacity: 16, idle-timeout-seconds: 1, new-flows-per-second: 0 }
            vips:
              - address: "2001:db8:1::10"
                port: 443
                protocol: tcp
                backends:
                  - { address: "2001:db8:2::1", weight: 0 }
                  - { address: 10.1.0.1, weight: 0x10 }
            admin: { listen: "[::1]:0" }
            peers: { listen: "10.0.0.1:9470", key: "hex:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f" }
            """, "mux.yaml");

        assertEquals("2001:db8::a", config.mux().address6().orElseThrow().toString());
        assertEquals(List.of(IpAddress.parse("10.0.0.2"), IpAddress.parse("10.0.0.1")), config.mux().pool());
        assertEquals(-1L, config.mux().hashSeed());
        assertEquals(List.of("-m", "512"), config.dataplane().eal());
        assertEquals(new FlowTableConfig(16, 1, 0), config.dataplane().flowTable(), "new-flows-per-second 0: no SYN-flood guard");
        // Unquoted, YAML 1.1 would resolve this to a sexagesimal integer; it must stay a MAC.
        assertEquals(OptionalLong.of(0x1020_3040_5059L), config.dataplane().gatewayMac());

        final VipConfig vip = config.vips().get(0);
        assertTrue(vip.address().ipv6());
        assertEquals(0x2001_0DB8_0001_0000L, vip.address().high());
        assertEquals(0x10L, vip.address().low());
        assertEquals("[2001:db8:1::10]:443/tcp", vip.key());
        assertEquals(new BackendConfig(IpAddress.ofIpv6(0x2001_0DB8_0002_0000L, 1), 0), vip.backends().get(0));
        assertEquals(16, vip.backends().get(1).weight());

        assertEquals(IpAddress.ofIpv6(0, 1), config.admin().listenAddress());
        assertEquals(0, config.admin().listenPort());
        assertEquals("[::1]:0", config.admin().listen());
    }

    @Test
    void publicAdminWithTokenIsAcceptedAndNeverPrintsTheToken()
    {
        final MuxConfig config = ConfigLoader.parse(MINIMAL + "admin: { listen: \"0.0.0.0:9480\", token: s3cret-t0ken }\n",
            "mux.yaml");

        assertEquals(Optional.of("s3cret-t0ken"), config.admin().token());
        assertTrue(config.admin().listenAddress().isUnspecified());
        assertFalse(config.toString().contains("s3cret-t0ken"), config.toString());
        assertTrue(config.admin().toString().contains("<redacted>"));
    }

    @Test
    void warnsAboutSmallMaglevTablesAndUnusedGuePorts()
    {
        final MuxConfig config = ConfigLoader.parse(MINIMAL + """
              maglev-table-size: 101
            vips:
              - address: 192.0.2.1
                port: 80
                protocol: tcp
                gue-port: 7001
                backends: [{ address: 10.1.0.1 }, { address: 10.1.0.2 }]
            """, "mux.yaml");

        assertEquals(List.of(
            "mux.yaml:15: vips[0].gue-port: used only with encapsulation gue; this VIP uses ipip",
            "mux.yaml:16: vips[0].backends: 2 backends with dataplane.maglev-table-size 101; Maglev balances evenly " +
            "only with a table at least 100 times the number of backends (a prime >= 200)"), config.warnings());
        assertEquals(101, config.dataplane().maglevTableSize());
    }

    @Test
    void maglevTableOfExactlyTheBackendCountIsAllowed()
    {
        final MuxConfig config = ConfigLoader.parse(MINIMAL + """
              maglev-table-size: 3
            vips:
              - address: 192.0.2.1
                port: 80
                protocol: tcp
                backends: [{ address: 10.1.0.1 }, { address: 10.1.0.2 }, { address: 10.1.0.3 }]
            """, "mux.yaml");

        assertEquals(3, config.dataplane().maglevTableSize());
        assertEquals(1, config.warnings().size());
    }

    @Test
    void parsingIsPureAndRepeatable()
    {
        assertEquals(ConfigLoader.parse(MINIMAL, "a.yaml"), ConfigLoader.parse(MINIMAL, "a.yaml"));
    }

    @Test
    void loadNamesTheFileAsGiven() throws Exception
    {
        final Path file = tempDir.resolve("bad.yaml");
        Files.writeString(file, MINIMAL.replace("workers: 2", "workers: -2"));

        final ConfigException ex = assertThrows(ConfigException.class, () -> ConfigLoader.load(file));

        assertEquals(file + ":7: dataplane.workers: must be an integer between 1 and 127, got \"-2\"", ex.getMessage());
    }

    @Test
    void loadReportsAMissingFileWithoutALine()
    {
        final Path file = tempDir.resolve("absent.yaml");

        final ConfigException ex = assertThrows(ConfigException.class, () -> ConfigLoader.load(file));

        assertEquals(file + ": cannot read: no such file", ex.getMessage());
    }

    @Test
    void loadRejectsInvalidUtf8AtItsLine() throws Exception
    {
        final Path file = tempDir.resolve("latin1.yaml");
        Files.write(file, MINIMAL.replace("mux-b", "mux-\u00e9").getBytes(StandardCharsets.ISO_8859_1));

        final ConfigException ex = assertThrows(ConfigException.class, () -> ConfigLoader.load(file));

        assertEquals(file + ":2: not UTF-8 text (byte 17)", ex.getMessage());
    }

    @Test
    void loadSkipsAByteOrderMark() throws Exception
    {
        final Path file = tempDir.resolve("bom.yaml");
        Files.writeString(file, "\uFEFF" + MINIMAL);

        assertEquals("mux-b", ConfigLoader.load(file).mux().name());
    }

    @Test
    void configExceptionNeedsAnError()
    {
        assertThrows(IllegalArgumentException.class, () -> new ConfigException(List.of()));
        assertEquals(List.of("a.yaml:1: x"), new ConfigException("a.yaml:1: x").errors());
    }

    /**
     * Issue 10 finding 8: with no mux.hash-seed a pool does not fall back on the public constant. Two MUXes of
     * a pool derive the same seed from their peers.key (another key, another seed); a MUX alone makes one at
     * first start and keeps it beside its file; only file-less configurations keep the constant.
     */
    @Test
    void withoutAHashSeedAPoolGetsOneOfItsOwnNotThePublicDefault() throws Exception
    {
        final String pool = """
            mux:
              name: NAME
              address: ADDRESS
              pool: [10.0.0.1, 10.0.0.2]
            dataplane: { eal: [], port: 0, workers: 1, gateway-mac: "02:00:00:00:00:fe", flow-table: { capacity: 1024, idle-timeout-seconds: 60 } }
            peers:
              listen: "ADDRESS:9470"
              key: "hex:KEY"
            """;
        final String key = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
        final Path m1 = tempDir.resolve("m1.yaml");
        final Path m2 = tempDir.resolve("m2.yaml");
        Files.writeString(m1, pool.replace("NAME", "m1").replace("ADDRESS", "10.0.0.1").replace("OTHER", "10.0.0.2").replace("KEY", key));
        Files.writeString(m2, pool.replace("NAME", "m2").replace("ADDRESS", "10.0.0.2").replace("OTHER", "10.0.0.1").replace("KEY", key));
        final Mux a = ConfigLoader.load(m1).mux();
        final Mux b = ConfigLoader.load(m2).mux();
        assertEquals(HashSeed.Source.DERIVED_FROM_PEERS_KEY, a.hashSeedSource());
        assertEquals(a.hashSeed(), b.hashSeed(), "every MUX with the key has the same seed");
        assertNotEquals(Mux.DEFAULT_HASH_SEED, a.hashSeed());
        assertEquals(HashSeed.derive(java.util.HexFormat.of().parseHex(key)), a.hashSeed());
        assertFalse(Files.exists(HashSeed.fileFor(m1)), "no file needed");
        Files.writeString(m2, Files.readString(m2).replace(key, key.replace('0', 'f')));
        assertNotEquals(a.hashSeed(), ConfigLoader.load(m2).mux().hashSeed(), "another pool's key, another seed");

        final Path alone = tempDir.resolve("alone.yaml");
        Files.writeString(alone, MINIMAL);
        final Mux first = ConfigLoader.load(alone).mux();
        assertEquals(HashSeed.Source.GENERATED, first.hashSeedSource());
        assertNotEquals(Mux.DEFAULT_HASH_SEED, first.hashSeed());
        assertTrue(Files.exists(HashSeed.fileFor(alone)));
        assertEquals(first.hashSeed(), ConfigLoader.load(alone).mux().hashSeed(), "kept across restarts and reloads");

        final Path other = tempDir.resolve("other.yaml");
        Files.writeString(other, MINIMAL);
        assertNotEquals(first.hashSeed(), ConfigLoader.load(other).mux().hashSeed(), "another MUX alone, another seed");

        Files.writeString(alone, MINIMAL.replace("address: 10.0.0.20", "address: 10.0.0.20\n  hash-seed: 0x5eed"));
        assertEquals(HashSeed.Source.CONFIGURED, ConfigLoader.load(alone).mux().hashSeedSource());
        assertEquals(0x5eedL, ConfigLoader.load(alone).mux().hashSeed(), "a configured seed wins");
        assertEquals(HashSeed.Source.DEFAULT, ConfigLoader.parse(MINIMAL, "minimal.yaml").mux().hashSeedSource());
    }

    private static Path resource(final String name) throws URISyntaxException
    {
        return Path.of(ConfigLoaderTest.class.getResource("/config/" + name).toURI());
    }
}
