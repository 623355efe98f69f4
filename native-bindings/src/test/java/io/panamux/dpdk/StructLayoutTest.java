package io.panamux.dpdk;

import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Compiles {@code src/test/c/struct_layout.c} against the installed DPDK headers, runs it, and checks
 * that every struct offset, size and constant the Java bindings use equals the C value. A wrong
 * constant in any {@code *Descriptor} class fails this test with the name and both values.
 */
class StructLayoutTest
{
    @TempDir
    Path tmp;

    @Test
    void everyJavaConstantMatchesTheInstalledHeaders() throws Exception
    {
        final Map<String, Long> c = cValues(tmp);
        assertTrue(c.size() >= 40, "the C program printed too few values: " + c.keySet());
        final List<String> mismatches = compare(c);
        assertTrue(mismatches.isEmpty(), "Java constants differ from DPDK's headers:\n" + String.join("\n", mismatches));
    }

    @Test
    void aWrongConstantIsReported()
    {
        final Map<String, Long> c = new LinkedHashMap<>();
        c.put("MbufDescriptor.DATA_LEN_OFFSET", 41L);
        c.put("MbufDescriptor.PKT_LEN_OFFSET", 36L);
        final List<String> mismatches = compare(c);
        assertEquals(1, mismatches.size(), mismatches.toString());
        assertTrue(mismatches.get(0).contains("DATA_LEN_OFFSET"));
        assertFalse(compare(Map.of("NoSuchDescriptor.X", 1L)).isEmpty(), "an unknown name must be reported");
    }

    /** @return one line per name whose Java value differs from (or is missing for) the C value. */
    static List<String> compare(final Map<String, Long> c)
    {
        final List<String> out = new ArrayList<>();
        for (final Map.Entry<String, Long> e : c.entrySet())
        {
            final String name = e.getKey();
            final Long java = javaValue(name);
            if (java == null)
            {
                out.add(name + ": no such Java constant");
            }
            else if (java.longValue() != e.getValue().longValue())
            {
                out.add(name + ": Java " + java + ", C " + e.getValue());
            }
        }
        return out;
    }

    private static Long javaValue(final String name)
    {
        if ("Lcore.ID_ANY_UNSIGNED".equals(name))
        {
            return Integer.toUnsignedLong(Lcore.ID_ANY);
        }
        final int dot = name.indexOf('.');
        try
        {
            final Class<?> type = Class.forName("io.panamux.dpdk." + name.substring(0, dot), false,
                StructLayoutTest.class.getClassLoader());
            final Field f = type.getField(name.substring(dot + 1));
            final Object v = f.get(null);
            return ((Number)v).longValue();
        }
        catch (final ReflectiveOperationException | RuntimeException e)
        {
            return null;
        }
    }

    static Map<String, Long> cValues(final Path dir) throws IOException, InterruptedException
    {
        final Path src = Path.of("src/test/c/struct_layout.c").toAbsolutePath();
        final Path exe = dir.resolve("struct_layout");
        final String cflags = run(List.of("pkg-config", "--cflags", "libdpdk")).trim();
        final List<String> cc = new ArrayList<>(List.of("gcc", "-O0", "-o", exe.toString(), src.toString()));
        cc.addAll(List.of(cflags.split("\\s+")));
        run(cc);
        final Map<String, Long> values = new LinkedHashMap<>();
        for (final String line : run(List.of(exe.toString())).split("\n"))
        {
            final String[] kv = line.trim().split(" ");
            if (kv.length == 2)
            {
                values.put(kv[0], Long.parseUnsignedLong(kv[1]));
            }
        }
        return values;
    }

    private static String run(final List<String> command) throws IOException, InterruptedException
    {
        final Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "timed out: " + command);
        assertEquals(0, p.exitValue(), command + " failed:\n" + out);
        return out;
    }

}
