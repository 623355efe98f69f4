package io.panamux.perf;

import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./panamux demo [--seconds N]}: the embedded default. */
@Command(name = "demo", mixinStandardHelpOptions = true, description = "Runs the MUX on DPDK virtual devices with built-in client traffic")
public final class DemoCommand implements Callable<Integer>
{
    @Option(names = "--seconds", defaultValue = "10", description = "how long to run")
    int seconds;

    @Override
    public Integer call()
    {
        return 1;
    }
}
