package io.panamux.slowpath;

import io.panamux.fastpath.PanamuxVersion;
import io.panamux.slowpath.admin.CtlCommand;
import io.panamux.slowpath.store.PoolCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;

/**
 * Entry point of {@code ./panamux run} and {@code ./panamux ctl}: the daemon's class path
 * ({@code slowpath/target/lib}), without the tools of {@code perf}.
 */
@Command(name = "panamux", mixinStandardHelpOptions = true, subcommands = {RunCommand.class, CtlCommand.class, PoolCommand.class},
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
        final int rc = withVersion(new CommandLine(new Main())).execute(args);
        System.out.flush();
        System.err.flush();
        // DPDK's threads are not daemons: exit explicitly with the command's code.
        Runtime.getRuntime().halt(rc);
    }

    /**
     * Gives {@code command} and every subcommand under it the project's {@code --version} (picocli prints
     * nothing for a command without a version provider).
     *
     * @param command the root of a command tree.
     * @return {@code command}.
     */
    public static CommandLine withVersion(final CommandLine command)
    {
        final IVersionProvider version = () -> new String[] {PanamuxVersion.line()};
        command.getCommandSpec().versionProvider(version);
        for (final CommandLine sub : command.getSubcommands().values())
        {
            withVersion(sub);
        }
        return command;
    }
}
