package io.panamux.dpdk;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Loads the panamux shim (which pulls in DPDK's shared libraries) and binds native functions.
 *
 * <p>The shim is found, in order, at the path in the system property {@code panamux.shim}, next to the
 * classes on the class path, or inside the jar (extracted once to a temporary file). Every binding is a
 * {@code static final MethodHandle} in the class that uses it; this class only resolves them.
 */
@SuppressWarnings("restricted") // binding native code is this module's purpose
public final class Dpdk
{
    /** The shim's resource path inside the native-bindings jar or classes directory. */
    public static final String SHIM_RESOURCE = "/native/linux-x86_64/libpanamux_shim.so";

    /** The C linker. */
    public static final Linker LINKER = Linker.nativeLinker();

    /** Symbols of the shim and, through its link dependencies, of every DPDK library it binds. */
    public static final SymbolLookup LOOKUP;

    /** Symbols of the C library (affinity, errno strings). */
    public static final SymbolLookup LIBC = LINKER.defaultLookup();

    private static final MethodHandle RTE_STRERROR;

    static
    {
        final Path shim = locateShim();
        LOOKUP = SymbolLookup.libraryLookup(shim, Arena.global());
        RTE_STRERROR = downcall("rte_strerror", FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    }

    private Dpdk()
    {
    }

    /**
     * Binds a function of the shim or of DPDK.
     *
     * @param name       the C symbol.
     * @param descriptor its signature.
     * @return the downcall handle.
     * @throws DpdkException when the symbol does not exist.
     */
    public static MethodHandle downcall(final String name, final FunctionDescriptor descriptor)
    {
        return LINKER.downcallHandle(find(name), descriptor);
    }

    /**
     * Binds a short, non-blocking function that never calls back into Java as a critical downcall
     * (no thread-state transition: 3 ns instead of 10 ns per call, DPDK-FFM.md). Only for bursts,
     * bulk alloc/free and similar per-burst calls.
     */
    public static MethodHandle criticalDowncall(final String name, final FunctionDescriptor descriptor)
    {
        return LINKER.downcallHandle(find(name), descriptor, Linker.Option.critical(false));
    }

    /** Binds a C library function. */
    public static MethodHandle libcDowncall(final String name, final FunctionDescriptor descriptor)
    {
        final MemorySegment symbol = LIBC.find(name)
            .orElseThrow(() -> new DpdkException("C library symbol not found: " + name));
        return LINKER.downcallHandle(symbol, descriptor);
    }

    /** @return the address of an exported symbol (function or variable). */
    public static MemorySegment find(final String name)
    {
        return LOOKUP.find(name).orElseThrow(
            () -> new DpdkException("DPDK symbol not found: " + name + " (is DPDK 22.11 installed? apt-get install dpdk)"));
    }

    /** @return DPDK's description of an error number. */
    public static String strerror(final int errno)
    {
        try
        {
            final MemorySegment s = (MemorySegment)RTE_STRERROR.invokeExact(errno);
            return s.reinterpret(4096).getString(0);
        }
        catch (final Throwable t)
        {
            return "errno " + errno;
        }
    }

    /** Turns a throwable from {@code invokeExact} into an unchecked exception. */
    static RuntimeException rethrow(final Throwable t)
    {
        if (t instanceof RuntimeException r)
        {
            return r;
        }
        if (t instanceof Error e)
        {
            throw e;
        }
        return new IllegalStateException(t);
    }

    private static Path locateShim()
    {
        final String override = System.getProperty("panamux.shim");
        if (override != null && !override.isEmpty())
        {
            return Path.of(override);
        }
        return nativeLibrary(Dpdk.class, SHIM_RESOURCE, "build native-bindings first");
    }

    /**
     * A native library of ours packed as a class-path resource, as a file {@link SymbolLookup#libraryLookup}
     * can load: the resource itself when the class path is a directory, else a copy in
     * {@code java.io.tmpdir/panamux-native-USER/}, one per content (named by its SHA-256) and reused by every
     * process: the JVM exits through {@code Runtime.halt} (DPDK's threads are not daemons), so a per-process
     * temporary file would never be deleted.
     *
     * @param owner    the class whose loader has the resource.
     * @param resource its absolute resource name, e.g. {@value #SHIM_RESOURCE}.
     * @param howToGet what to build when it is missing (for the error).
     * @return the file.
     * @throws DpdkException when the resource is missing or cannot be copied.
     */
    public static Path nativeLibrary(final Class<?> owner, final String resource, final String howToGet)
    {
        final URL url = owner.getResource(resource);
        if (url == null)
        {
            throw new DpdkException(resource + " is not on the class path; " + howToGet);
        }
        try
        {
            if ("file".equals(url.getProtocol()))
            {
                return Path.of(url.toURI());
            }
            final byte[] bytes;
            try (InputStream in = url.openStream())
            {
                bytes = in.readAllBytes();
            }
            final String digest = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes), 0, 12);
            final String name = resource.substring(resource.lastIndexOf('/') + 1);
            final Path dir = Path.of(System.getProperty("java.io.tmpdir"), "panamux-native-" + System.getProperty("user.name"));
            final Path target = dir.resolve(name.replaceFirst("\\.so$", "") + "-" + digest + ".so");
            if (!Files.isRegularFile(target) || Files.size(target) != bytes.length)
            {
                Files.createDirectories(dir);
                final Path tmp = Files.createTempFile(dir, "lib", ".tmp");
                Files.write(tmp, bytes);
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
            return target;
        }
        catch (final IOException | URISyntaxException | NoSuchAlgorithmException e)
        {
            throw new DpdkException("cannot load " + url + ": " + e);
        }
    }
}
