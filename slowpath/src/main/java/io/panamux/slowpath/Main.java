package io.panamux.slowpath;

import io.panamux.slowpath.admin.CtlCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of {@code ./panamux run} and {@code ./panamux ctl}.
 */
@Command(name = "panamux", mixinStandardHelpOptions = true, subcommands = {RunCommand.class, CtlCommand.class},
    description = "panamux: a layer-4 load-balancer MUX on DPDK")
public final class Main implements Runnable
{
    @Override
    public void run()
    {
        new CommandLine(this).usage(System.out);
    }

    /**
     * Runs a command and exits with its code.
     *
     * @param args the command line.
     */
    public static void main(final String[] args)
    {
        final int rc = new CommandLine(new Main()).execute(args);
        System.out.flush();
        System.err.flush();
        // DPDK's threads are not daemons: exit explicitly with the command's code.
        Runtime.getRuntime().halt(rc);
    }
}
