package io.panamux.perf.bench;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.panamux.dpdk.Burst;
import io.panamux.dpdk.Dpdk;
import io.panamux.dpdk.Lcore;
import io.panamux.perf.TestpmdBaseline;

import static java.lang.foreign.ValueLayout.ADDRESS;

/**
 * The machine and software a run measured on: CPU, cores, TSC, memory, hugepages, kernel, DPDK and JDK
 * versions, JVM options, garbage collectors. Written into the JSON next to every figure.
 */
@SuppressWarnings("restricted") // rte_version() returns a C string: reading it needs MemorySegment.reinterpret.
public final class Environment
{
    private Environment()
    {
    }

    /**
     * Collects the environment (EAL must be initialised: the TSC frequency and DPDK version come from it).
     *
     * @param ealArguments the bench process's EAL arguments.
     * @param hugepages    whether the run used hugepages.
     */
    public static Map<String, Object> collect(final List<String> ealArguments, final boolean hugepages)
    {
        final Map<String, Object> e = new LinkedHashMap<>();
        e.put("cpu_model", cpuField("model name"));
        e.put("cpus_online", Lcore.onlineCpus());
        e.put("cpu_flags_constant_tsc", cpuField("flags").contains("constant_tsc"));
        e.put("tsc_hz", Burst.tscHz());
        e.put("memory_total_mb", meminfo("MemTotal") / 1024);
        final Map<String, Object> huge = new LinkedHashMap<>();
        huge.put("used", hugepages);
        huge.put("total", meminfo("HugePages_Total"));
        huge.put("free", meminfo("HugePages_Free"));
        huge.put("size_kb", meminfo("Hugepagesize"));
        e.put("hugepages", huge);
        e.put("kernel", read("/proc/sys/kernel/osrelease"));
        e.put("os", osName());
        e.put("dpdk_version", dpdkVersion());
        e.put("dpdk_package", command("dpkg-query", "-W", "-f=${Version}", "dpdk"));
        e.put("testpmd", TestpmdBaseline.binary());
        e.put("eal_arguments", ealArguments);
        final Map<String, Object> jdk = new LinkedHashMap<>();
        jdk.put("version", Runtime.version().toString());
        jdk.put("vendor", System.getProperty("java.vendor"));
        jdk.put("vm", System.getProperty("java.vm.name") + " " + System.getProperty("java.vm.version"));
        jdk.put("home", System.getProperty("java.home"));
        jdk.put("arguments", ManagementFactory.getRuntimeMXBean().getInputArguments());
        final List<String> gcs = new ArrayList<>();
        for (final GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans())
        {
            gcs.add(gc.getName());
        }
        jdk.put("garbage_collectors", gcs);
        jdk.put("max_heap_mb", Runtime.getRuntime().maxMemory() / (1024 * 1024));
        e.put("jdk", jdk);
        e.put("panamux_checks", Boolean.getBoolean("panamux.checks"));
        e.put("git_commit", command("git", "-C", System.getProperty("user.dir"), "rev-parse", "--short", "HEAD"));
        return e;
    }

    /** @return DPDK's own version string ({@code rte_version()}), or "unknown". */
    public static String dpdkVersion()
    {
        try
        {
            final MethodHandle version = Dpdk.downcall("rte_version", FunctionDescriptor.of(ADDRESS));
            final MemorySegment s = (MemorySegment)version.invokeExact();
            return s.reinterpret(256).getString(0, StandardCharsets.US_ASCII);
        }
        catch (final Throwable t)
        {
            return "unknown";
        }
    }

    private static String cpuField(final String name)
    {
        try
        {
            for (final String line : Files.readAllLines(Path.of("/proc/cpuinfo")))
            {
                if (line.startsWith(name))
                {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        }
        catch (final IOException e)
        {
            // Not Linux, or no procfs: reported as empty.
        }
        return "";
    }

    private static long meminfo(final String key)
    {
        try
        {
            for (final String line : Files.readAllLines(Path.of("/proc/meminfo")))
            {
                if (line.startsWith(key + ":"))
                {
                    return Long.parseLong(line.substring(key.length() + 1).trim().split("\\s+")[0]);
                }
            }
        }
        catch (final IOException | NumberFormatException e)
        {
            // Reported as -1 below.
        }
        return -1;
    }

    private static String read(final String path)
    {
        try
        {
            return Files.readString(Path.of(path)).trim();
        }
        catch (final IOException e)
        {
            return "";
        }
    }

    private static String osName()
    {
        try
        {
            for (final String line : Files.readAllLines(Path.of("/etc/os-release")))
            {
                if (line.startsWith("PRETTY_NAME="))
                {
                    return line.substring("PRETTY_NAME=".length()).replace("\"", "");
                }
            }
        }
        catch (final IOException e)
        {
            // Reported as empty.
        }
        return "";
    }

    private static String command(final String... cmd)
    {
        try
        {
            final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            final String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0 ? text : "";
        }
        catch (final IOException e)
        {
            return "";
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
            return "";
        }
    }
}
