package io.panamux.perf.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.panamux.perf.TestpmdBaseline;

/**
 * One interactive {@code dpdk-testpmd} process kept for a series of measured windows, so that windows
 * of testpmd and of the Java loop can alternate on the same CPU without paying testpmd's start-up each
 * time. Between windows testpmd's forwarding cores wait in a blocking read and use no CPU.
 *
 * <p>Commands go to testpmd's standard input ({@code start}, {@code stop}, {@code quit}); its output is
 * line-buffered with {@code stdbuf -oL}. A window's figures are testpmd's own: the accumulated RX/TX
 * counts of the forwarding run and, with {@code --record-core-cycles}, the TSC cycles its forwarding
 * cores spent in polls that received packets. {@code start} flushes RX queues and resets those counts.
 */
public final class TestpmdSession implements AutoCloseable
{
    private static final AtomicInteger SEQUENCE = new AtomicInteger();
    private static final Pattern RX_LINE = Pattern.compile("RX-packets:\\s+(\\d+)\\s+RX-dropped:\\s+(\\d+)");
    private static final Pattern TX_LINE = Pattern.compile("TX-packets:\\s+(\\d+)\\s+TX-dropped:\\s+(\\d+)");
    private static final Pattern CYCLES_LINE = Pattern.compile(
        "CPU cycles/packet=([0-9.]+) \\((?:total|busy) cycles=(\\d+) / total \\S+ packets=(\\d+)\\) at (\\d+) MHz");
    private static final long START_TIMEOUT_MS = 60_000;
    private static final long COMMAND_TIMEOUT_MS = 30_000;
    private static final String END_OF_LINES = "\u0000eof";

    /**
     * What one forwarding window measured.
     *
     * @param rxPackets       packets received by the forwarding cores.
     * @param rxDropped       packets the ports dropped on RX (queue full, no mbuf).
     * @param txPackets       packets sent.
     * @param txDropped       packets the ports refused on TX (freed by testpmd).
     * @param seconds         wall time between forwarding start and stop as seen in testpmd's output.
     * @param busyCycles      TSC cycles of the forwarding cores in polls that received packets.
     * @param cyclePackets    packets those cycles are divided by (testpmd's "total io packets").
     * @param tscMhz          TSC frequency testpmd reports.
     */
    public record Window(long rxPackets, long rxDropped, long txPackets, long txDropped, double seconds, long busyCycles,
        long cyclePackets, long tscMhz)
    {
        /** @return busy cycles per packet, or NaN without packets. */
        public double cyclesPerPacket()
        {
            return cyclePackets == 0 ? Double.NaN : (double)busyCycles / cyclePackets;
        }

        /** @return packets received per wall second, in millions. */
        public double wallMpps()
        {
            return seconds <= 0 ? 0 : rxPackets / seconds / 1e6;
        }
    }

    private final Process process;
    private final OutputStream stdin;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final Deque<String> tail = new ArrayDeque<>();
    private final List<String> command;
    private long startNs;

    private TestpmdSession(final Process process, final List<String> command)
    {
        this.process = process;
        this.stdin = process.getOutputStream();
        this.command = List.copyOf(command);
        final Thread reader = new Thread(this::readOutput, "testpmd-output");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Starts testpmd in interactive mode and waits until it is ready for commands.
     *
     * @param vdevs        {@code --vdev} values (e.g. {@code net_null0,size=64}).
     * @param appArguments testpmd's own arguments (forward mode, cores, queues, pool, topology).
     * @param mainCpu      CPU of testpmd's main lcore (it sleeps on its prompt).
     * @param forwardCpus  CPU of each forwarding lcore.
     * @param memory       EAL memory arguments: empty for {@code --no-huge -m 256}.
     */
    public static TestpmdSession start(final List<String> vdevs, final List<String> appArguments, final int mainCpu, final int[] forwardCpus,
        final List<String> memory) throws IOException
    {
        final String bin = TestpmdBaseline.binary();
        if (bin == null)
        {
            throw new IllegalStateException("dpdk-testpmd is not installed (apt-get install -y dpdk)");
        }
        final StringBuilder lcores = new StringBuilder("0@").append(mainCpu);
        for (int i = 0; i < forwardCpus.length; i++)
        {
            lcores.append(',').append(i + 1).append('@').append(forwardCpus[i]);
        }
        // stdbuf: testpmd block-buffers a piped stdout, and each window's end must be seen when it happens.
        final List<String> cmd = new ArrayList<>(List.of("stdbuf", "-oL", bin, "--lcores=" + lcores, "--no-pci", "--no-shconf",
            "--no-telemetry", "--file-prefix=pmxtp" + ProcessHandle.current().pid() + "_" + SEQUENCE.incrementAndGet(),
            "--log-level=lib.eal:error"));
        cmd.addAll(memory.isEmpty() ? List.of("--no-huge", "-m", "256") : memory);
        for (final String v : vdevs)
        {
            cmd.add("--vdev=" + v);
        }
        cmd.add("--");
        cmd.add("-i");
        cmd.addAll(appArguments);
        cmd.add("--record-core-cycles");
        final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        final TestpmdSession s = new TestpmdSession(p, cmd);
        try
        {
            // Interactive testpmd prints its prompt without a newline; a command's echo makes the line.
            s.send("show config fwd");
            s.await("forwards packets on", START_TIMEOUT_MS);
        }
        catch (final RuntimeException e)
        {
            s.close();
            throw e;
        }
        return s;
    }

    /**
     * @param port a testpmd port id.
     * @return whether testpmd reports the port's link up now ({@code show port info}): a memif or vhost port
     *         is up only once its peer process has connected, and what testpmd sends before is dropped.
     */
    public boolean linkUp(final int port)
    {
        send("show port info " + port);
        final List<String> seen = await("Link status:", COMMAND_TIMEOUT_MS);
        return seen.getLast().contains("up");
    }

    /** Starts forwarding; {@link #stop()} ends the window. */
    public void begin()
    {
        lines.clear();
        send("start");
        await("packet forwarding packets/burst", COMMAND_TIMEOUT_MS);
        startNs = System.nanoTime();
    }

    /** Stops forwarding and returns what the window measured. */
    public Window stop()
    {
        send("stop");
        await("Telling cores to stop", COMMAND_TIMEOUT_MS);
        final long stopNs = System.nanoTime();
        final List<String> report = await("Done.", COMMAND_TIMEOUT_MS);
        return parse(report, (stopNs - startNs) / 1e9);
    }

    /** Forwards for {@code seconds} and returns what it measured. */
    public Window forward(final double seconds) throws InterruptedException
    {
        begin();
        final long remainingNs = (long)(seconds * 1e9) - (System.nanoTime() - startNs);
        if (remainingNs > 0)
        {
            TimeUnit.NANOSECONDS.sleep(remainingNs);
        }
        return stop();
    }

    /** @return testpmd's process id ({@code stdbuf} runs it in its own place). */
    public long pid()
    {
        return process.pid();
    }

    /** @return the command line testpmd was started with. */
    public List<String> command()
    {
        return command;
    }

    static Window parse(final List<String> report, final double seconds)
    {
        long rx = -1;
        long rxDropped = 0;
        long tx = -1;
        long txDropped = 0;
        long cycles = 0;
        long cyclePackets = 0;
        long mhz = 0;
        boolean accumulated = false;
        for (final String line : report)
        {
            if (line.contains("Accumulated forward statistics"))
            {
                accumulated = true;
                continue;
            }
            if (accumulated)
            {
                final Matcher r = RX_LINE.matcher(line);
                if (rx < 0 && r.find())
                {
                    rx = Long.parseLong(r.group(1));
                    rxDropped = Long.parseLong(r.group(2));
                }
                final Matcher t = TX_LINE.matcher(line);
                if (tx < 0 && t.find())
                {
                    tx = Long.parseLong(t.group(1));
                    txDropped = Long.parseLong(t.group(2));
                }
            }
            final Matcher c = CYCLES_LINE.matcher(line);
            if (c.find())
            {
                cycles = Long.parseLong(c.group(2));
                cyclePackets = Long.parseLong(c.group(3));
                mhz = Long.parseLong(c.group(4));
            }
        }
        if (rx < 0 || tx < 0)
        {
            throw new IllegalStateException("testpmd printed no accumulated forward statistics:\n" + String.join("\n", report));
        }
        return new Window(rx, rxDropped, tx, txDropped, seconds, cycles, cyclePackets, mhz);
    }

    private void send(final String line)
    {
        try
        {
            stdin.write((line + "\n").getBytes(StandardCharsets.US_ASCII));
            stdin.flush();
        }
        catch (final IOException e)
        {
            throw new IllegalStateException("testpmd is gone (" + e.getMessage() + "); its last output:\n" + tailText(), e);
        }
    }

    private List<String> await(final String marker, final long timeoutMs)
    {
        final List<String> seen = new ArrayList<>();
        final long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        while (true)
        {
            final long left = deadline - System.nanoTime();
            final String line;
            try
            {
                line = left <= 0 ? null : lines.poll(left, TimeUnit.NANOSECONDS);
            }
            catch (final InterruptedException e)
            {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted waiting for testpmd", e);
            }
            if (line == null || END_OF_LINES.equals(line))
            {
                throw new IllegalStateException("testpmd " + (line == null ? "did not print \"" + marker + "\" in " + timeoutMs + " ms"
                    : "exited") + "; its last output:\n" + tailText());
            }
            seen.add(line);
            if (line.contains(marker))
            {
                return seen;
            }
        }
    }

    private void readOutput()
    {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)))
        {
            String line;
            while ((line = in.readLine()) != null)
            {
                synchronized (tail)
                {
                    tail.addLast(line);
                    if (tail.size() > 60)
                    {
                        tail.removeFirst();
                    }
                }
                lines.add(line);
            }
        }
        catch (final IOException e)
        {
            // The process is gone; the waiting side reports it with the output seen so far.
        }
        lines.add(END_OF_LINES);
    }

    private String tailText()
    {
        synchronized (tail)
        {
            return String.join("\n", tail);
        }
    }

    /** Quits testpmd (stops ports, frees its memory) and waits for it to exit. */
    @Override
    public void close()
    {
        try
        {
            if (process.isAlive())
            {
                send("quit");
                stdin.close();
            }
            if (!process.waitFor(20, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        }
        catch (final IOException | RuntimeException e)
        {
            process.destroyForcibly();
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
