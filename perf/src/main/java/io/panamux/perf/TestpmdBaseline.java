package io.panamux.perf;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The C baseline of every throughput figure: {@code dpdk-testpmd --forward-mode=io} (or another mode)
 * on the same virtual devices, run for a fixed time in the same run as the Java figure it is compared
 * with, because these machines are noisy. Forwarding starts when testpmd prints its forwarding setup;
 * the packet count is testpmd's "Accumulated forward statistics" after SIGINT; the rate is count over
 * the wall time between the two.
 */
public final class TestpmdBaseline
{
    private static final Pattern ACCUMULATED_RX = Pattern.compile("RX-packets:\\s+(\\d+)");

    /** What one testpmd run measured. */
    public record Result(String mode, long packets, double seconds, double mpps, List<String> command)
    {
    }

    private TestpmdBaseline()
    {
    }

    /** @return the testpmd binary, or null when it is not installed. */
    public static String binary()
    {
        for (final String p : new String[] {"/usr/bin/dpdk-testpmd", "/usr/local/bin/dpdk-testpmd"})
        {
            if (new java.io.File(p).canExecute())
            {
                return p;
            }
        }
        return null;
    }

    /**
     * Runs testpmd for {@code seconds}.
     *
     * @param vdevs        devices, e.g. {@code ["net_null0"]}: with one port, {@code --port-topology=loop}.
     * @param forwardMode  io, macswap, ...
     * @param mainCpu      CPU of testpmd's main lcore.
     * @param forwardCpu   CPU of its one forwarding lcore.
     * @param extraEal     extra EAL arguments (e.g. hugepages), may be empty.
     */
    public static Result run(final List<String> vdevs, final String forwardMode, final int mainCpu, final int forwardCpu,
        final double seconds, final List<String> extraEal) throws IOException, InterruptedException
    {
        final String bin = binary();
        if (bin == null)
        {
            throw new IllegalStateException("dpdk-testpmd is not installed (apt-get install -y dpdk-dev)");
        }
        // stdbuf: testpmd block-buffers a piped stdout, and the start of forwarding must be seen when it happens.
        final List<String> cmd = new ArrayList<>(List.of("stdbuf", "-oL", bin, "-l", mainCpu + "," + forwardCpu, "--main-lcore", Integer.toString(mainCpu),
            "--no-pci", "--no-shconf", "--file-prefix=pmxtp" + ProcessHandle.current().pid(), "--log-level=lib.eal:error"));
        if (extraEal.isEmpty())
        {
            cmd.addAll(List.of("--no-huge", "-m", "1024"));
        }
        cmd.addAll(extraEal);
        for (final String v : vdevs)
        {
            cmd.add("--vdev=" + v);
        }
        cmd.addAll(List.of("--", "--forward-mode=" + forwardMode, "--nb-cores=1", "--burst=32", "--total-num-mbufs=16384",
            "--stats-period=0", "--txd=1024", "--rxd=1024"));
        if (vdevs.size() == 1)
        {
            cmd.add("--port-topology=loop");
        }
        final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        final List<String> lines = new ArrayList<>();
        long startNs = 0;
        long stopNs = 0;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)))
        {
            String line;
            while ((line = in.readLine()) != null)
            {
                lines.add(line);
                if (startNs == 0 && line.contains("packet forwarding packets/burst"))
                {
                    startNs = System.nanoTime();
                    final Thread stopper = new Thread(() ->
                    {
                        try
                        {
                            Thread.sleep((long)(seconds * 1000));
                            new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start().waitFor();
                        }
                        catch (final IOException | InterruptedException e)
                        {
                            p.destroy();
                        }
                    }, "testpmd-stopper");
                    stopper.setDaemon(true);
                    stopper.start();
                }
                if (stopNs == 0 && line.contains("Telling cores to stop"))
                {
                    stopNs = System.nanoTime();
                }
            }
        }
        if (!p.waitFor(30, TimeUnit.SECONDS))
        {
            p.destroyForcibly();
        }
        long packets = -1;
        for (int i = 0; i < lines.size(); i++)
        {
            if (lines.get(i).contains("Accumulated forward statistics") && i + 1 < lines.size())
            {
                final Matcher m = ACCUMULATED_RX.matcher(lines.get(i + 1));
                if (m.find())
                {
                    packets = Long.parseLong(m.group(1));
                }
            }
        }
        if (startNs == 0 || stopNs == 0 || packets < 0)
        {
            throw new IllegalStateException("dpdk-testpmd did not report forwarding statistics; its output:\n"
                + String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size())));
        }
        final double secs = (stopNs - startNs) / 1e9;
        return new Result(forwardMode, packets, secs, packets / secs / 1e6, cmd);
    }
}
