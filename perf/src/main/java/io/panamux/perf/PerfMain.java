package io.panamux.perf;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of {@code ./panamux demo} and {@code ./panamux bench}: the embedded default with its
 * built-in traffic generator, and the performance harness. Both live in {@code perf} because they drive
 * the MUX with the traffic generator, which is perf's.
 */
@Command(name = "panamux", mixinStandardHelpOptions = true,
    subcommands = {DemoCommand.class, BenchCommand.class},
    description = "panamux demo and performance harness")
public final class PerfMain implements Runnable
{
    @Override
    public void run()
    {
        new CommandLine(this).usage(System.out);
    }

    /**
     * Runs a command and exits with its code.
     *
     * @param args {@code demo ...} or {@code bench ...}.
     */
    public static void main(final String[] args)
    {
        final int rc = new CommandLine(new PerfMain()).execute(args);
        System.out.flush();
        // DPDK's threads are not daemons: exit explicitly with the command's code.
        Runtime.getRuntime().halt(rc);
    }
}
