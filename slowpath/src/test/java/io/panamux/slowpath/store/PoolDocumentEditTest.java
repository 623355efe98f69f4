package io.panamux.slowpath.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import io.panamux.slowpath.config.BackendConfig;
import io.panamux.slowpath.config.ConfigLoader;
import io.panamux.slowpath.config.MachineLimits;
import io.panamux.slowpath.config.MuxConfig;
import io.panamux.slowpath.control.ChangeRejectedException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ctl backend} changes applied to a pool document's text: the result is read back by the same merge as
 * every MUX does, the rest of the document (the seed as written, the other VIP) stays, and the refusals are those
 * of a file-only MUX. And the cache file: written whole, read back, refused for another pool.
 */
class PoolDocumentEditTest
{
    private static final MachineLimits LIMITS = new MachineLimits(8L << 30, 512L << 20);
    private static final String LOCAL = """
        mux: { name: m, address: 10.0.0.10, address6: "2001:db8::a" }
        dataplane: { eal: [], port: 0, gateway-mac: "02:00:00:00:00:fe" }
        store: { etcd: { endpoints: ["http://127.0.0.1:2379"], prefix: /p } }
        """;
    private static final String DOCUMENT = """
        pool:
          hash-seed: 0x5eed
          maglev-table-size: 251
        vips:
          - address: 192.0.2.10
            port: 80
            protocol: tcp
            backends:
              - { address: 10.1.0.1, weight: 1 }
              - { address: 10.1.0.2, weight: 2 }
          - address: "2001:db8::10"
            port: 443
            protocol: tcp
            backends:
        """;

    private static MuxConfig merge(final String document)
    {
        return ConfigLoader.merge(LOCAL, "mux.yaml", document, "doc", LIMITS);
    }

    private static String edit(final String document, final String kind, final String vip, final String address, final int weight)
        throws ChangeRejectedException
    {
        return PoolDocumentEdit.apply(document, merge(document), PoolDocumentEdit.Kind.of(kind), vip, address, weight);
    }

    @Test
    void eachChangeReadsBackAsIntended() throws Exception
    {
        String doc = edit(DOCUMENT, "add", "192.0.2.10:80/tcp", "10.1.0.3", 5);
        MuxConfig c = merge(doc);
        assertEquals(new BackendConfig(io.panamux.slowpath.config.IpAddress.parse("10.1.0.3"), 5), c.vips().get(0).backends().get(2));
        assertEquals(0x5eedL, c.mux().hashSeed());
        assertTrue(doc.contains("hash-seed: 0x5eed"), "the seed stays as written:\n" + doc);

        doc = edit(doc, "drain", "192.0.2.10:80/tcp", "10.1.0.2", 0);
        c = merge(doc);
        assertTrue(c.vips().get(0).backends().get(1).draining());
        assertEquals(2, c.vips().get(0).backends().get(1).weight(), "a drained backend keeps its weight");

        doc = edit(doc, "weight", "192.0.2.10:80/tcp", "10.1.0.2", 7);
        c = merge(doc);
        assertFalse(c.vips().get(0).backends().get(1).draining(), "a weight ends the draining");
        assertEquals(7, c.vips().get(0).backends().get(1).weight());

        doc = edit(doc, "remove", "192.0.2.10:80/tcp", "10.1.0.1", 0);
        c = merge(doc);
        assertEquals(2, c.vips().get(0).backends().size());
        assertEquals("10.1.0.2", c.vips().get(0).backends().get(0).address().toString());

        // A VIP whose backends: is empty gets its first one.
        doc = edit(doc, "add", "[2001:db8::10]:443/tcp", "2001:db8::1", 1);
        assertEquals("2001:db8::1", merge(doc).vips().get(1).backends().get(0).address().toString());
    }

    @Test
    void theRefusalsAreAFileOnlyMuxs()
    {
        assertEquals(ChangeRejectedException.Reason.CONFLICT, assertThrows(ChangeRejectedException.class, () -> edit(DOCUMENT, "add", "192.0.2.10:80/tcp", "10.1.0.1", 1))
            .reason());
        assertEquals(ChangeRejectedException.Reason.NOT_FOUND, assertThrows(ChangeRejectedException.class, () -> edit(DOCUMENT, "remove", "192.0.2.10:80/tcp", "10.9.9.9", 1))
            .reason());
        assertEquals(ChangeRejectedException.Reason.NOT_FOUND, assertThrows(ChangeRejectedException.class, () -> edit(DOCUMENT, "drain", "192.0.2.11:80/tcp", "10.1.0.1", 1))
            .reason());
        assertEquals(ChangeRejectedException.Reason.INVALID, assertThrows(ChangeRejectedException.class, () -> edit(DOCUMENT, "weight", "192.0.2.10:80/tcp", "10.1.0.1", -1))
            .reason());
        assertEquals(ChangeRejectedException.Reason.INVALID, assertThrows(ChangeRejectedException.class, () -> edit(DOCUMENT, "add", "192.0.2.10/tcp", "10.1.0.7", 1))
            .reason());
    }

    @Test
    void theCacheFileIsReplacedWholeAndBelongsToOnePool(@TempDir final Path dir) throws Exception
    {
        final PoolCacheFile cache = new PoolCacheFile(dir.resolve("sub/pool.yaml"));
        assertTrue(cache.read("/p/config").isEmpty());
        cache.write("/p/config", 7, DOCUMENT);
        cache.write("/p/config", 9, DOCUMENT + "# nine\n");
        final PoolCacheFile.Cached read = cache.read("/p/config").orElseThrow();
        assertEquals(9, read.revision());
        assertEquals(DOCUMENT + "# nine\n", read.document());
        assertEquals(1, Files.list(dir.resolve("sub")).count(), "no temporary file left beside it");
        assertThrows(java.io.IOException.class, () -> cache.read("/q/config"));
    }
}
