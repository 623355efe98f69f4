package io.panamux.slowpath.config;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A MUX's file with a {@code store} section merged with its pool's document (ARCHITECTURE.md §7): the same
 * validation as one file, every message naming the file or the document it comes from, and the pool-wide keys
 * refused in the file.
 */
class PoolDocumentMergeTest
{
    private static final String FILE = "mux.yaml";
    private static final String DOC = "etcd:/p/config@7";
    private static final MachineLimits LIMITS = new MachineLimits(8L << 30, 512L << 20);

    private static final String LOCAL = """
        mux:
          name: mux-a
          address: 10.0.0.10
        dataplane:
          eal: ["--no-huge"]
          port: 0
          gateway-mac: "02:00:00:00:00:fe"
        peers:
          listen: "10.0.0.10:9470"
        store:
          etcd:
            endpoints: ["http://127.0.0.1:2379", "http://127.0.0.1:2479"]
            prefix: /panamux/pools/pool-a
            lease-seconds: 3
            cache-file: /var/lib/panamux/pool-a.yaml
        """;
    //  1 mux:             5 eal            9 listen         13 prefix
    //  2 name             6 port          10 store:         14 lease-seconds
    //  3 address          7 gateway-mac   11   etcd:        15 cache-file
    //  4 dataplane:       8 peers:        12     endpoints

    private static final String DOCUMENT = """
        pool:
          hash-seed: 0x1234
          maglev-table-size: 251
          peers-key: "hex:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
        vips:
          - address: 192.0.2.10
            port: 80
            protocol: tcp
            backends:
              - { address: 10.1.0.1, weight: 1 }
              - { address: 10.1.0.2, weight: 3 }
        """;
    //  1 pool:          5 vips:              9 backends:
    //  2 hash-seed      6 - address          10 - 10.1.0.1
    //  3 maglev         7 port               11 - 10.1.0.2
    //  4 peers-key      8 protocol

    @Test
    void theDocumentGivesTheVipsAndThePoolWideSettings()
    {
        final MuxConfig config = ConfigLoader.merge(LOCAL, FILE, DOCUMENT, DOC, LIMITS);
        assertEquals("mux-a", config.mux().name());
        assertEquals(0x1234L, config.mux().hashSeed());
        assertEquals(HashSeed.Source.CONFIGURED, config.mux().hashSeedSource());
        assertEquals(251, config.dataplane().maglevTableSize());
        assertEquals(1, config.vips().size());
        assertEquals(3, config.vips().get(0).backends().get(1).weight());
        final byte[] key = new byte[32];
        for (int i = 0; i < key.length; i++)
        {
            key[i] = (byte)i;
        }
        assertArrayEquals(key, config.peers().orElseThrow().key());
        final StoreSettings store = config.store().orElseThrow();
        assertEquals(List.of(URI.create("http://127.0.0.1:2379"), URI.create("http://127.0.0.1:2479")), store.endpoints());
        assertEquals("/panamux/pools/pool-a/config", store.configKey());
        assertEquals(3, store.leaseSeconds());
        assertEquals(Optional.of(Path.of("/var/lib/panamux/pool-a.yaml")), store.cacheFile());
    }

    @Test
    void aGuePortInTheFileIsSaidToChangeNothingWithAStore()
    {
        final String local = LOCAL.replace("  port: 0\n", "  port: 0\n  gue-port: 6081\n");
        final MuxConfig config = ConfigLoader.merge(local, FILE, DOCUMENT, DOC, LIMITS);
        assertEquals(List.of(6080), config.vips().stream().map(VipConfig::guePort).toList(), "the document's port, not the file's");
        assertEquals(1, config.warnings().size(), config.warnings().toString());
        final String warning = config.warnings().get(0);
        assertTrue(warning.startsWith(FILE + ":7:") && warning.contains("dataplane.gue-port") && warning.contains("pool.gue-port"),
            warning);
        assertEquals(List.of(), ConfigLoader.merge(LOCAL, FILE, DOCUMENT, DOC, LIMITS).warnings(),
            "no gue-port, no warning; and peers are not unused: the members are the leases, not mux.pool");
    }

    @Test
    void anEmptyDocumentIsAPoolWithoutVips()
    {
        final String local = LOCAL.replace("peers:\n  listen: \"10.0.0.10:9470\"\n", "");
        final MuxConfig config = ConfigLoader.merge(local, FILE, "", DOC, LIMITS);
        assertTrue(config.vips().isEmpty());
        assertEquals(Mux.DEFAULT_HASH_SEED, config.mux().hashSeed(), "every MUX of the pool takes the same default");
    }

    @Test
    void theSeedIsDerivedFromTheDocumentsKeyWhenItHasNoSeed()
    {
        final MuxConfig config = ConfigLoader.merge(LOCAL, FILE, DOCUMENT.replace("  hash-seed: 0x1234\n", ""), DOC, LIMITS);
        assertEquals(HashSeed.Source.DERIVED_FROM_PEERS_KEY, config.mux().hashSeedSource());
    }

    static Stream<Arguments> badMerges()
    {
        return Stream.of(
            Arguments.of("a VIP error names the document and its line",
                LOCAL, DOCUMENT.replace("weight: 3", "weight: heavy"),
                List.of(DOC + ":11: vips[0].backends[1].weight: must be an integer >= 0, got \"heavy\"")),
            Arguments.of("a pool-wide error names the document's key",
                LOCAL, DOCUMENT.replace("maglev-table-size: 251", "maglev-table-size: 250"),
                List.of(DOC + ":3: pool.maglev-table-size: must be a prime (Maglev's permutations need it), got \"250\"")),
            Arguments.of("an unknown key of the document",
                LOCAL, DOCUMENT + "extra: 1\n",
                List.of(DOC + ":12: unknown key \"extra\" (expected one of vips, pool)")),
            Arguments.of("an unknown pool key of the document",
                LOCAL, DOCUMENT.replace("  hash-seed: 0x1234\n", "  hash-sed: 0x1234\n"),
                List.of(DOC + ":2: pool: unknown key \"hash-sed\" (did you mean \"hash-seed\"?)")),
            Arguments.of("the peers need the document's key",
                LOCAL, DOCUMENT.replace("  peers-key: \"hex:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\"\n", ""),
                List.of(DOC + ":1: pool.peers-key: missing: the section peers of mux.yaml needs the pool's shared key from the pool document")),
            Arguments.of("vips in the file",
                LOCAL + "vips: []\n", DOCUMENT,
                List.of(FILE + ":16: vips: not allowed with store: the pool's VIPs are in its document in etcd (PREFIX/config; " +
                    "./panamux pool push)")),
            Arguments.of("a hash seed in the file",
                LOCAL.replace("  address: 10.0.0.10\n", "  address: 10.0.0.10\n  hash-seed: 7\n"), DOCUMENT.replace("  hash-seed: 0x1234\n", ""),
                List.of(FILE + ":4: mux.hash-seed: not allowed with store: the pool's hash-seed comes from its document in etcd " +
                    "(pool.hash-seed)")),
            Arguments.of("a pool in the file",
                LOCAL.replace("  address: 10.0.0.10\n", "  address: 10.0.0.10\n  pool: [10.0.0.10]\n"), DOCUMENT,
                List.of(FILE + ":4: mux.pool: not allowed with store: the pool's pool comes from the members' leases")),
            Arguments.of("a Maglev size in the file",
                LOCAL.replace("  port: 0\n", "  port: 0\n  maglev-table-size: 251\n"), DOCUMENT.replace("  maglev-table-size: 251\n", ""),
                List.of(FILE + ":7: dataplane.maglev-table-size: not allowed with store: the pool's maglev-table-size comes from its " +
                    "document in etcd (pool.maglev-table-size)")),
            Arguments.of("a peers key in the file",
                LOCAL.replace("  listen: \"10.0.0.10:9470\"\n", "  listen: \"10.0.0.10:9470\"\n  key: \"hex:00\"\n"),
                DOCUMENT.replace("  peers-key: \"hex:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\"\n", ""),
                List.of(FILE + ":10: peers.key: is 1 bytes; the shared key needs at least 32 (e.g. \"hex:\" and the output of openssl rand -hex 32)",
                    FILE + ":10: peers.key: not allowed with store: the pool's key comes from its document in etcd (pool.peers-key)")),
            Arguments.of("the document is no mapping",
                LOCAL, "- 1\n",
                List.of(DOC + ":1: the configuration must be a mapping of the sections vips, pool, got a list")),
            Arguments.of("a YAML error in the document",
                LOCAL, "vips: [\n",
                List.of(DOC + ":2: YAML syntax error: expected the node content, but found '<stream end>'")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badMerges")
    void aBadMergeIsRefusedNamingItsSource(final String name, final String local, final String document, final List<String> errors)
    {
        final ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.merge(local, FILE, document, DOC, LIMITS));
        assertEquals(errors, e.errors());
    }

    static Stream<Arguments> badStores()
    {
        return Stream.of(
            Arguments.of("    endpoints: []\n", FILE + ":12: store.etcd.endpoints: must name at least one etcd member"),
            Arguments.of("    endpoints: [\"127.0.0.1:2379\"]\n",
                FILE + ":12: store.etcd.endpoints[0]: must be a URL http://HOST:PORT or https://HOST:PORT, got \"127.0.0.1:2379\""),
            Arguments.of("    endpoints: [\"https://127.0.0.1:2379\"]\n",
                FILE + ":11: store.etcd: missing required key \"tls\" (an https:// endpoint needs at least tls.ca)"),
            Arguments.of("    prefix: panamux/\n",
                FILE + ":13: store.etcd.prefix: must start with / and not end with /, with letters, digits and . _ ~ - / only " +
                    "(e.g. /panamux/pools/pool-a), got \"panamux/\""),
            Arguments.of("    lease-seconds: 1\n", FILE + ":14: store.etcd.lease-seconds: must be an integer between 2 and 3600, got \"1\""),
            Arguments.of("    cache-file: pool-a.yaml\n",
                FILE + ":15: store.etcd.cache-file: must be an absolute path (the MUX may run from any directory), got \"pool-a.yaml\""));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badStores")
    void aBadStoreSectionIsRefused(final String line, final String error)
    {
        final String key = line.strip().substring(0, line.strip().indexOf(':'));
        final String local = LOCAL.lines().map(l -> l.strip().startsWith(key + ":") ? line.stripTrailing() : l)
            .reduce("", (a, b) -> a + b + "\n");
        final ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.merge(local, FILE, DOCUMENT, DOC, LIMITS));
        assertEquals(List.of(error), e.errors());
    }

    @Test
    void aFileWithAStoreIsNotAConfigurationByItself(@org.junit.jupiter.api.io.TempDir final Path dir) throws Exception
    {
        final Path file = dir.resolve("mux.yaml");
        java.nio.file.Files.writeString(file, LOCAL.replace("peers:\n  listen: \"10.0.0.10:9470\"\n", ""));
        final ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(file));
        assertTrue(e.getMessage().contains("store: this file takes its pool from etcd (/panamux/pools/pool-a/config)"), e.getMessage());
        assertEquals("/panamux/pools/pool-a", ConfigLoader.storeOf(file).orElseThrow().prefix());
    }
}
