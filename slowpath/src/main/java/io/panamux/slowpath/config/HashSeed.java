package io.panamux.slowpath.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;

import io.panamux.common.auth.MessageAuthenticator;

/**
 * Where the pool's flow-hash seed ({@code mux.hash-seed}) comes from when the file gives none. A seed that
 * anyone can read in the source lets anyone choose source ports that all hash to one backend, so there is no
 * fixed default for a running MUX:
 * <ul>
 *   <li>with a shared key (a file's {@code peers.key}: every pool of more than one MUX has one; or a pool document's
 *       {@code pool.peers-key}, on every node of the pool, with a {@code peers} section or not: {@link #forPool}), the
 *       seed is derived from the pool's shared key: the first 8 bytes of HMAC-SHA256(key, {@value #DERIVATION_LABEL}). Every MUX with
 *       the key computes the same seed, with no new file to copy and nothing for an outsider to learn;</li>
 *   <li>without one (a pool of one MUX), a random seed is made at first start and kept in
 *       {@code FILE.hash-seed} next to the configuration file, so restarts keep it (a new seed would move
 *       every stateless flow). Host agents that select at the source must be given it ({@code hash-seed}).</li>
 * </ul>
 * Configurations parsed from text with no file (the demo, tests) keep {@link Mux#DEFAULT_HASH_SEED}.
 */
public final class HashSeed
{
    /** The HMAC input of the derivation: a label, so the seed is not any other value keyed the same way. */
    public static final String DERIVATION_LABEL = "panamux mux.hash-seed v1";

    /** Where a MUX's seed came from, as {@code ctl vips --json} and the start-up log show it. */
    public enum Source
    {
        /** {@code mux.hash-seed} in the file. */
        CONFIGURED("configured"),
        /** Derived from {@code peers.key}: the same on every MUX with the key. */
        DERIVED_FROM_PEERS_KEY("derived from peers.key"),
        /** Made at first start and kept next to the configuration file. */
        GENERATED("generated"),
        /** The public default: only for configurations with no file (demo, tests). */
        DEFAULT("default");

        private final String text;

        Source(final String text)
        {
            this.text = text;
        }

        /** @return how logs and the admin API name it. */
        public String text()
        {
            return text;
        }
    }

    private HashSeed()
    {
    }

    /**
     * The pool's seed, by one rule on every node of the pool, MUX or host agent (ARCHITECTURE.md §7: the seed is a
     * pool-wide value, so it may depend only on pool-wide values): the configured seed ({@code mux.hash-seed}, or the
     * document's {@code pool.hash-seed}) when there is one; else, when the pool has a shared key ({@code peers.key}, or
     * the document's {@code pool.peers-key}, whether or not this node's file has a {@code peers} section), the seed
     * derived from it; else {@code mux} as it is ({@link Source#DEFAULT}: a file-only MUX then makes one,
     * {@code ConfigLoader.load}).
     *
     * @param mux     the {@code mux} section as read.
     * @param poolKey the pool's shared key, or null when the pool has none.
     * @return {@code mux} with the pool's seed.
     */
    public static Mux forPool(final Mux mux, final byte[] poolKey)
    {
        if (mux.hashSeedSource() != Source.DEFAULT || poolKey == null)
        {
            return mux;
        }
        return new Mux(mux.name(), mux.address(), mux.address6(), mux.pool(), derive(poolKey), Source.DERIVED_FROM_PEERS_KEY);
    }

    /**
     * @param peersKey the pool's shared HMAC key.
     * @return the seed every MUX with that key derives.
     */
    public static long derive(final byte[] peersKey)
    {
        final byte[] out = MessageAuthenticator.hmac(peersKey, DERIVATION_LABEL.getBytes(StandardCharsets.US_ASCII));
        long seed = 0;
        for (int i = 0; i < 8; i++)
        {
            seed = (seed << 8) | (out[i] & 0xFF);
        }
        return seed;
    }

    /**
     * @param configFile the configuration file.
     * @return the file that keeps the generated seed: {@code FILE.hash-seed} beside it.
     */
    public static Path fileFor(final Path configFile)
    {
        return configFile.resolveSibling(configFile.getFileName() + ".hash-seed");
    }

    /**
     * Reads the seed kept in {@code file}, or makes one and writes it there (readable by the owner only).
     *
     * @return the seed.
     * @throws ConfigException when the file cannot be read, written or parsed.
     */
    public static long loadOrCreate(final Path file)
    {
        try
        {
            if (!Files.exists(file))
            {
                final long seed = new SecureRandom().nextLong();
                try
                {
                    Files.writeString(file, "0x" + Long.toHexString(seed) + "\n", StandardCharsets.US_ASCII,
                        StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                    return seed;
                }
                catch (final FileAlreadyExistsException raced)
                {
                    // Another process made it first: its seed is the one.
                }
            }
            final String text = Files.readString(file, StandardCharsets.US_ASCII).trim();
            if (!text.startsWith("0x"))
            {
                throw new ConfigException(file + ": not a hash seed (0x and 16 hex digits): '" + text + "'");
            }
            return Long.parseUnsignedLong(text.substring(2), 16);
        }
        catch (final NumberFormatException e)
        {
            throw new ConfigException(file + ": not a hash seed (0x and 16 hex digits)");
        }
        catch (final IOException e)
        {
            throw new ConfigException(file + ": cannot keep the generated hash seed (" + e + "); set mux.hash-seed, or peers.key");
        }
    }
}
