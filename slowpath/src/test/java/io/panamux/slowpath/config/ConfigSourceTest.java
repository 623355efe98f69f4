package io.panamux.slowpath.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ConfigSourceTest
{
    private static final String CONFIG = """
        mux:
          name: mux-a
          address: 10.0.0.10
          pool: [10.0.0.12, 10.0.0.10, 10.0.0.11]
        dataplane:
          eal: []
          port: 0
          workers: 1
          flow-table: { capacity: 1024, idle-timeout-seconds: 300 }
          gateway: 10.0.0.1
        vips:
          - address: 192.0.2.10
            port: 80
            protocol: tcp
            backends:
              - { address: 10.1.0.1, weight: 1 }
        peers:
          listen: "0.0.0.0:9470"
          key: "base64:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
        """;

    @TempDir
    Path tempDir;

    @Test
    void reloadSeesTheFileAsItIsNow() throws Exception
    {
        final Path file = tempDir.resolve("mux.yaml");
        Files.writeString(file, CONFIG);
        final ConfigSource source = new FileConfigSource(file);

        final MuxConfig first = source.load();
        assertEquals(List.of(new BackendConfig(IpAddress.parse("10.1.0.1"), 1)), first.vips().get(0).backends());

        Files.writeString(file, CONFIG.replace("weight: 1 }", "weight: 5 }\n      - { address: 10.1.0.2 }"));
        final MuxConfig second = source.load();

        assertEquals(List.of(
            new BackendConfig(IpAddress.parse("10.1.0.1"), 5),
            new BackendConfig(IpAddress.parse("10.1.0.2"), 1)), second.vips().get(0).backends());
        assertEquals(first.mux(), second.mux());
        // The first result is a snapshot: the reload did not change it.
        assertEquals(1, first.vips().get(0).backends().size());
    }

    @Test
    void aBrokenReloadThrowsAndNamesTheFile() throws Exception
    {
        final Path file = tempDir.resolve("mux.yaml");
        Files.writeString(file, CONFIG);
        final FileConfigSource source = new FileConfigSource(file);
        source.load();

        Files.writeString(file, CONFIG.replace("protocol: tcp", "protocol: tcpp"));

        final ConfigException ex = assertThrows(ConfigException.class, source::load);
        assertEquals(file + ":14: vips[0].protocol: must be one of tcp, udp, got \"tcpp\"", ex.getMessage());
        assertEquals("file " + file, source.description());
        assertEquals(file, source.file());
    }

    @Test
    void staticMembershipIsThePoolInCanonicalOrder()
    {
        final MuxConfig config = ConfigLoader.parse(CONFIG, "mux.yaml");

        final PoolMembership membership = StaticPoolMembership.fromConfig(config);

        assertEquals(List.of(IpAddress.parse("10.0.0.12"), IpAddress.parse("10.0.0.10"), IpAddress.parse("10.0.0.11")),
            config.mux().pool());
        assertEquals(List.of(IpAddress.parse("10.0.0.10"), IpAddress.parse("10.0.0.11"), IpAddress.parse("10.0.0.12")),
            membership.members());
        assertThrows(UnsupportedOperationException.class, () -> membership.members().add(IpAddress.parse("10.0.0.13")));
    }

    @Test
    void membershipOrderDoesNotDependOnTheOrderWritten()
    {
        final List<IpAddress> written = List.of(IpAddress.parse("10.0.0.3"), IpAddress.parse("10.0.0.1"),
            IpAddress.parse("10.0.0.2"));

        assertEquals(new StaticPoolMembership(written).members(),
            new StaticPoolMembership(written.reversed()).members());
    }

    @Test
    void membershipRejectsDuplicatesAndEmptyPools()
    {
        assertThrows(IllegalArgumentException.class, () -> new StaticPoolMembership(List.of()));
        assertThrows(IllegalArgumentException.class, () -> new StaticPoolMembership(
            List.of(IpAddress.parse("10.0.0.1"), IpAddress.parse("10.0.0.2"), IpAddress.parse("10.0.0.1"))));
    }
}
