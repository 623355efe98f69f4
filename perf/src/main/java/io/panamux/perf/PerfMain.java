package io.panamux.perf;

import io.panamux.hostagent.HostAgentMain;
import io.panamux.slowpath.Main;
import io.panamux.slowpath.RunCommand;
import io.panamux.slowpath.admin.CtlCommand;
import io.panamux.slowpath.store.PoolCommand;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of {@code ./panamux demo} and {@code ./panamux bench}: the embedded default with its
 * built-in traffic generator, and the performance harness. Both live in {@code perf} because they drive
 * the MUX with the traffic generator, which is perf's. It also holds the whole command tree ({@code run},
 * {@code ctl} and {@code hostagent} too), so {@code panamux -h}, {@code --version} and
 * {@code generate-completion} (a bash/zsh completion script, made by picocli) cover every command; the
 * launcher runs {@code run}, {@code ctl} and {@code hostagent} from their own, smaller class paths.
 */
@Command(name = "panamux", mixinStandardHelpOptions = true,
    subcommands = {RunCommand.class, CtlCommand.class, PoolCommand.class, DemoCommand.class, BenchCommand.class, HostAgentMain.class,
        AutoComplete.GenerateCompletion.class},
    description = "panamux: a layer-4 load-balancer MUX on DPDK")
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
        final int rc = commandLine().execute(args);
        System.out.flush();
        // DPDK's threads are not daemons: exit explicitly with the command's code.
        Runtime.getRuntime().halt(rc);
    }

    /** @return the whole command tree, every command with {@code -h} and {@code --version}. */
    public static CommandLine commandLine()
    {
        final CommandLine root = new CommandLine(new PerfMain());
        // The completion script is for the shell, not a command operators look for in the help.
        root.getSubcommands().get("generate-completion").getCommandSpec().usageMessage().hidden(true);
        return Main.withVersion(root);
    }
}
