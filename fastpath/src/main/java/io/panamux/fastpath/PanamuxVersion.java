package io.panamux.fastpath;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The version of this build (the Maven project version, written into {@code version.properties} when the
 * module is built): what every command's {@code --version} prints and what the package is named after.
 * It lives in {@code fastpath} because the MUX, the host agent and the tools all have it on their class path.
 */
public final class PanamuxVersion
{
    private static final String VERSION = load();

    private PanamuxVersion()
    {
    }

    /** @return the version, e.g. {@code 0.1.0-SNAPSHOT}. */
    public static String version()
    {
        return VERSION;
    }

    /** @return the line {@code --version} prints: the version, the JVM and the Java version it runs on. */
    public static String line()
    {
        return "panamux " + VERSION + " (Java " + Runtime.version() + ", " + System.getProperty("java.vm.name") + ")";
    }

    private static String load()
    {
        try (InputStream in = PanamuxVersion.class.getResourceAsStream("version.properties"))
        {
            if (in == null)
            {
                throw new IllegalStateException("version.properties is not on the class path: build fastpath with Maven");
            }
            final Properties p = new Properties();
            p.load(in);
            return p.getProperty("version");
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException(e);
        }
    }
}
