package io.panamux.hostagent;

import static io.panamux.hostagent.TestFrames.ip;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

import io.panamux.fastpath.encap.TunnelEncapsulator;
import io.panamux.fastpath.snapshot.ForwardingSnapshot;
import io.panamux.fastpath.snapshot.SnapshotSlot;
import io.panamux.fastpath.snapshot.Vip;
import io.panamux.slowpath.admin.MaglevDigest;
import io.panamux.slowpath.config.ConfigException;
import io.panamux.slowpath.config.ConfigLoader;
import io.panamux.slowpath.config.HashSeed;
import io.panamux.slowpath.config.MachineLimits;
import io.panamux.slowpath.config.MuxConfig;
import io.panamux.slowpath.config.VipConfig;
import io.panamux.slowpath.control.BackendIds;
import io.panamux.slowpath.control.SnapshotPublisher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A host agent's file with a {@code store} section (ARCHITECTURE.md §7): the store section is the MUX's, the
 * pool-wide keys are refused, and the VIPs it selects for, the pool's VIPs, seed and table size come from the
 * pool document, validated by the MUX's parser (the same messages, naming the document).
 */
class HostAgentStoreConfigTest
{
    private static final String FILE = """
        agent: { name: c2, address: 198.18.2.2 }
        pool: { muxes: [198.18.11.2] }
        select: ["192.0.2.13:80/tcp"]
        dataplane:
          network: "net_af_packet0,iface=eth0"
          host: "net_tap0,iface=pmx0"
          gateway-mac: "02:98:00:00:15:01"
        store:
          etcd:
            endpoints: ["http://127.0.0.1:2379"]
            prefix: /panamux/pools/a
            cache-file: /tmp/never-written.yaml
        """;
    private static final String DOCUMENT = """
        pool: { hash-seed: 0xabc, maglev-table-size: 251 }
        vips:
          - address: 192.0.2.10
            port: 80
            protocol: tcp
            backends: [ { address: 10.1.0.9 } ]
          - address: 192.0.2.13
            port: 80
            protocol: tcp
            encapsulation: gre
            backends:
              - { address: 10.1.0.1, weight: 2 }
              - { address: 10.1.0.2, drain: true }
        """;
    private static final String NAME = "etcd:/panamux/pools/a/config@7";

    @TempDir
    Path dir;

    @Test
    void theDocumentGivesTheSelectionTheSeedAndTheTableSize() throws Exception
    {
        final Path file = write(FILE);
        assertEquals("/panamux/pools/a", HostAgentConfigLoader.storeOf(file).orElseThrow().prefix());
        final HostAgentConfig c = HostAgentConfigLoader.loadMerged(file, DOCUMENT, NAME);
        assertEquals(0xabc, c.hashSeed());
        assertEquals(251, c.maglevTableSize());
        assertEquals(List.of("192.0.2.10:80/tcp", "192.0.2.13:80/tcp"), c.pool().vips().stream().map(Object::toString).toList());
        assertEquals(1, c.vips().size());
        final HostAgentConfig.SourceVip vip = c.vips().get(0);
        assertEquals("192.0.2.13:80/tcp", vip.key());
        assertEquals(TunnelEncapsulator.GRE, vip.encapsulation());
        // A drained backend is in the table with weight 0, as MaglevBackends builds it on the MUX.
        assertEquals(List.of(new HostAgentConfig.SourceBackend(ip("10.1.0.1"), 2), new HostAgentConfig.SourceBackend(ip("10.1.0.2"), 0)),
            vip.backends());
        // select: all, and a seed derived from the pool's key as on every MUX with peers.
        final HostAgentConfig all = HostAgentConfigLoader.loadMerged(write(FILE.replace("select: [\"192.0.2.13:80/tcp\"]", "select: all")),
            DOCUMENT.replace("hash-seed: 0xabc,", "peers-key: \"hex:" + "ab".repeat(32) + "\","), NAME);
        assertEquals(2, all.vips().size());
        assertEquals(HashSeed.derive(HexFormat.of().parseHex("ab".repeat(32))), all.hashSeed());
    }

    /**
     * The pool's seed is pool-wide (ARCHITECTURE.md §7): on a document with {@code pool.peers-key} and no
     * {@code pool.hash-seed}, a MUX with a {@code peers} section, a MUX without one (a pool's only MUX) and a host agent
     * derive the same seed from the key, and build the same Maglev table. Before the fix the MUX without {@code peers}
     * kept the public default seed, and an invalid key was refused only by the MUX with {@code peers}.
     */
    @Test
    void muxesWithAndWithoutPeersAndAnAgentGetThePoolsSeedAndTable() throws Exception
    {
        final String key = "hex:" + "5a".repeat(32);
        final String document = DOCUMENT.replace("hash-seed: 0xabc,", "peers-key: \"" + key + "\",");
        final String mux = """
            mux: { name: m1, address: 10.0.0.10 }
            dataplane: { eal: ["--no-huge"], port: 0, gateway-mac: "02:00:00:00:00:fe" }
            store: { etcd: { endpoints: ["http://127.0.0.1:2379"], prefix: /panamux/pools/a } }
            """;
        final MuxConfig withPeers = ConfigLoader.merge(mux + "peers: { listen: \"10.0.0.10:9470\" }\n", "m1.yaml", document, NAME,
            MachineLimits.current());
        final MuxConfig alone = ConfigLoader.merge(mux.replace("m1", "m2").replace("10.0.0.10", "10.0.0.11"), "m2.yaml", document, NAME,
            MachineLimits.current());
        final HostAgentConfig agent = HostAgentConfigLoader.loadMerged(write(FILE), document, NAME);

        final long seed = HashSeed.derive(HexFormat.of().parseHex("5a".repeat(32)));
        assertEquals(seed, withPeers.mux().hashSeed(), "the MUX with peers");
        assertEquals(seed, alone.mux().hashSeed(), "the MUX without peers");
        assertEquals(HashSeed.Source.DERIVED_FROM_PEERS_KEY, alone.mux().hashSeedSource());
        assertEquals(seed, agent.hashSeed(), "the host agent");

        final String vip = "192.0.2.13:80/tcp";
        final String digest = muxDigest(withPeers, vip);
        assertEquals(digest, muxDigest(alone, vip));
        try (SourceSelector selector = new SourceSelector(agent.vips(), agent.hashSeed(), agent.maglevTableSize(), agent.guePort(), 4096, 300))
        {
            assertEquals(digest, MaglevDigest.of(agent.hashSeed(), agent.maglevTableSize(), selector.vip(0)));
        }

        // The key is validated by every node, whether it has peers or not: the document is the same for all.
        final String badKey = DOCUMENT.replace("hash-seed: 0xabc,", "peers-key: \"hex:5a\",");
        for (final String local : List.of(mux, mux + "peers: { listen: \"10.0.0.10:9470\" }\n"))
        {
            final ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.merge(local, "m.yaml", badKey, NAME,
                MachineLimits.current()));
            assertTrue(e.getMessage().contains(NAME + ":1: pool.peers-key: is 1 bytes"), e.getMessage());
        }
        assertThrows(ConfigException.class, () -> HostAgentConfigLoader.loadMerged(write(FILE), badKey, NAME));
    }

    /**
     * A VIP's GUE port is pool-wide: on one document, MUXes whose files set different {@code dataplane.gue-port}s send a
     * GUE VIP without {@code gue-port} to the same port, the document's {@code pool.gue-port} (else 6080), and a VIP with
     * its own {@code gue-port} to that one; the snapshot's VIP carries it to the workers, and the host agent, which
     * decapsulates on its {@code dataplane.gue-port}, takes the same port from the document. Before the fix each MUX used
     * its own {@code dataplane.gue-port}.
     */
    @Test
    void muxesWithDifferentDataplaneGuePortsSendAVipToTheDocumentsPort() throws Exception
    {
        final String document = """
            vips:
              - address: 192.0.2.13
                port: 80
                protocol: tcp
                encapsulation: gue
                backends: [ { address: 10.1.0.1 } ]
              - address: 192.0.2.14
                port: 80
                protocol: tcp
                encapsulation: gue
                gue-port: 7000
                backends: [ { address: 10.1.0.2 } ]
            """;
        final String mux = """
            mux: { name: m1, address: 10.0.0.10 }
            dataplane: { eal: ["--no-huge"], port: 0, gateway-mac: "02:00:00:00:00:fe", gue-port: 6081 }
            store: { etcd: { endpoints: ["http://127.0.0.1:2379"], prefix: /panamux/pools/a } }
            """;
        final String other = mux.replace("m1", "m2").replace("10.0.0.10", "10.0.0.11").replace("6081", "6082");
        for (final int poolPort : new int[] {TunnelEncapsulator.DEFAULT_GUE_PORT, 6090})
        {
            final String doc = poolPort == TunnelEncapsulator.DEFAULT_GUE_PORT ? document
                : "pool: { gue-port: " + poolPort + " }\n" + document;
            final MuxConfig first = ConfigLoader.merge(mux, "m1.yaml", doc, NAME, MachineLimits.current());
            final MuxConfig second = ConfigLoader.merge(other, "m2.yaml", doc, NAME, MachineLimits.current());
            for (final MuxConfig c : List.of(first, second))
            {
                assertEquals(List.of(poolPort, 7000), c.vips().stream().map(VipConfig::guePort).toList(), c.mux().name());
                final ForwardingSnapshot s = new SnapshotPublisher(new SnapshotSlot(ForwardingSnapshot.empty(0)), new BackendIds(1))
                    .apply(c, 0);
                assertEquals(List.of(poolPort, 7000), Arrays.stream(s.vips()).map(Vip::guePort).toList(), c.mux().name());
            }
            final String agentFile = FILE.replace("gateway-mac: \"02:98:00:00:15:01\"",
                "gateway-mac: \"02:98:00:00:15:01\"\n  gue-port: " + poolPort);
            final HostAgentConfig agent = HostAgentConfigLoader.loadMerged(write(agentFile), doc, NAME);
            assertEquals(poolPort, agent.guePort());
            assertEquals(List.of(poolPort, 7000), agent.poolGuePorts());
            assertArrayEquals(new int[] {poolPort, 7000}, agent.decapsulatedGuePorts());
            // An agent whose own dataplane.gue-port is another one still opens what the MUXes send.
            assertArrayEquals(new int[] {6089, poolPort, 7000}, HostAgentConfigLoader.loadMerged(write(FILE.replace(
                "select: [\"192.0.2.13:80/tcp\"]\n", "").replace("gateway-mac: \"02:98:00:00:15:01\"",
                "gateway-mac: \"02:98:00:00:15:01\"\n  gue-port: 6089")), doc, NAME).decapsulatedGuePorts());
            assertEquals(List.of("192.0.2.13:80/tcp"), agent.vips().stream().map(HostAgentConfig.SourceVip::key).toList());
        }
        final ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.merge(mux, "m1.yaml",
            "pool: { gue-port: 0 }\n" + document, NAME, MachineLimits.current()));
        assertTrue(e.getMessage().contains(NAME + ":1: pool.gue-port:"), e.getMessage());
    }

    private static String muxDigest(final MuxConfig config, final String vip)
    {
        final SnapshotPublisher publisher = new SnapshotPublisher(new SnapshotSlot(ForwardingSnapshot.empty(0)), new BackendIds(1));
        return MaglevDigest.of(publisher.apply(config, 0), vip);
    }

    @Test
    void anInvalidDocumentIsRefusedWithTheMuxesMessage() throws Exception
    {
        final Path file = write(FILE);
        final ConfigException e = assertThrows(ConfigException.class, () -> HostAgentConfigLoader.loadMerged(file,
            DOCUMENT.replace("weight: 2", "weight: heavy"), NAME));
        assertEquals(List.of(NAME + ":12: vips[1].backends[0].weight: must be an integer >= 0, got \"heavy\""), e.errors());
    }

    @Test
    void poolWideKeysSelectionsAndAStoreWithoutDocumentAreRefused() throws Exception
    {
        assertRefused(FILE + "hash-seed: 0x5eed\n", "hash-seed: not allowed with store");
        assertRefused(FILE + "vips: []\n", "vips: not allowed with store");
        assertRefused(FILE.replace("muxes: [198.18.11.2] }", "muxes: [198.18.11.2], vips: [\"192.0.2.13:80/tcp\"] }"),
            "pool.vips: not allowed with store");
        assertRefused(FILE.replace("192.0.2.13:80/tcp", "192.0.2.99:80/tcp"), ":3: select[0]: 192.0.2.99:80/tcp is not a VIP of the pool document " + NAME);
        final IllegalArgumentException noDocument = assertThrows(IllegalArgumentException.class,
            () -> HostAgentConfigLoader.load(write(FILE)));
        assertTrue(noDocument.getMessage().contains(":8: store: this file takes the pool's VIPs from its document in etcd"), noDocument.getMessage());
        final IllegalArgumentException selectWithoutStore = assertThrows(IllegalArgumentException.class,
            () -> HostAgentConfigLoader.load(write(FILE.substring(0, FILE.indexOf("store:")))));
        assertTrue(selectWithoutStore.getMessage().contains(":3: select: is only for an agent with store"), selectWithoutStore.getMessage());
        final IllegalArgumentException badStore = assertThrows(IllegalArgumentException.class,
            () -> HostAgentConfigLoader.storeOf(write(FILE.replace("prefix: /panamux/pools/a", "prefix: pools"))));
        assertTrue(badStore.getMessage().contains(":11: store.etcd.prefix:"), badStore.getMessage());
    }

    private void assertRefused(final String text, final String message) throws Exception
    {
        final Path file = write(text);
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HostAgentConfigLoader.loadMerged(file, DOCUMENT,
            NAME));
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    private Path write(final String text) throws Exception
    {
        final Path file = Files.createTempFile(dir, "agent", ".yaml");
        Files.writeString(file, text);
        return file;
    }
}
