package io.panamux.sys;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * The daemons' log format: every line the process prints through {@code System.out} and {@code System.err}
 * gets a UTC timestamp and a level, {@code 2026-12-06T19:40:01.123Z INFO  panamux: ...}: {@code INFO} on
 * standard output, {@code WARN} on standard error for lines that say they are a warning, {@code ERROR} for
 * the rest of standard error. The daemons already write one line per event to these two streams (the
 * control thread's {@code PrintStream log} is {@code System.out}); prefixing them here is the whole setup,
 * with no logging library and no change at the call sites. Lines a packet can cause are rate limited where
 * they are written ({@link LineRateLimit}). DPDK's own lines go to the native streams and are not prefixed.
 */
public final class LogLines
{
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private LogLines()
    {
    }

    /** Replaces {@code System.out} and {@code System.err} with line-prefixing streams (once, at start). */
    public static void install()
    {
        System.setOut(new PrintStream(new Prefixing(System.out, false), true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(new Prefixing(System.err, true), true, StandardCharsets.UTF_8));
    }

    /**
     * @param line    a line without its end.
     * @param stderr  whether it was written to standard error.
     * @param instant when.
     * @return the line as logged.
     */
    public static String format(final String line, final boolean stderr, final Instant instant)
    {
        final String level = !stderr ? "INFO " : line.contains("warning") ? "WARN " : "ERROR";
        return TIME.format(instant) + " " + level + " " + line;
    }

    /** Collects bytes up to a newline, then writes the prefixed line whole to the original stream. */
    private static final class Prefixing extends OutputStream
    {
        private final PrintStream out;
        private final boolean stderr;
        private final ByteArrayOutputStream line = new ByteArrayOutputStream(256);

        Prefixing(final PrintStream out, final boolean stderr)
        {
            this.out = out;
            this.stderr = stderr;
        }

        @Override
        public synchronized void write(final int b)
        {
            if (b == '\n')
            {
                out.println(format(line.toString(StandardCharsets.UTF_8), stderr, Instant.now()));
                line.reset();
            }
            else
            {
                line.write(b);
            }
        }

        @Override
        public synchronized void write(final byte[] b, final int off, final int len)
        {
            for (int i = off; i < off + len; i++)
            {
                write(b[i]);
            }
        }

        @Override
        public synchronized void flush()
        {
            out.flush();
        }
    }
}
