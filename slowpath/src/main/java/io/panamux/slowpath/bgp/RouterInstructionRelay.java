package io.panamux.slowpath.bgp;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import io.panamux.slowpath.config.IpAddress;

/**
 * Drives a {@link BirdRouterControl} from the router instructions a running MUX prints
 * ({@code panamux: router: announce 192.0.2.10:80/tcp}, {@code route-direct KEY BACKEND}, {@code route-to-pool
 * KEY}, {@code withdraw KEY}, the lines of {@code InProcessRouterControl}), read on standard input and
 * copied to standard output. At end of input (the MUX exited, however) it stops the speaker, so the routers
 * withdraw the MUX at once.
 *
 * <p>This is the bridge used until {@code ./panamux run} builds a {@link BirdRouterControl} itself from a
 * {@code router.bgp} section: {@code ./panamux run --config F | java ... RouterInstructionRelay --local-as
 * 65000 --neighbor 198.18.11.1:65000 --router-id 198.18.11.2 --run-directory DIR}.
 */
@Command(name = "bgp-relay", mixinStandardHelpOptions = true,
    description = "Applies a MUX's router instructions (read on stdin) to a BIRD BGP speaker")
public final class RouterInstructionRelay implements Callable<Integer>
{
    private static final String PREFIX = "panamux: router: ";

    @Option(names = "--local-as", required = true, description = "the MUX's AS number")
    long localAs;

    @Option(names = "--router-id", required = true, description = "the speaker's router id (the MUX's IPv4 address)")
    String routerId;

    @Option(names = "--neighbor", required = true, description = "ADDRESS:AS of a router to peer with (repeatable)")
    List<String> neighbors;

    @Option(names = "--hold", defaultValue = "3", description = "BGP hold time in seconds (default 3)")
    int holdSeconds;

    @Option(names = "--run-directory", required = true, description = "where the speaker's configuration and socket go")
    Path runDirectory;

    @Override
    public Integer call() throws Exception
    {
        final List<BgpSettings.Neighbor> peers = new ArrayList<>();
        for (final String n : neighbors)
        {
            final int colon = n.lastIndexOf(':');
            peers.add(new BgpSettings.Neighbor(IpAddress.parse(n.substring(0, colon)), Long.parseLong(n.substring(colon + 1))));
        }
        final BgpSettings settings = new BgpSettings(localAs, IpAddress.parse(routerId), peers, holdSeconds, runDirectory,
            BgpSettings.DEFAULT_BIRD, BgpSettings.DEFAULT_BIRDC);
        try (BirdRouterControl control = BirdRouterControl.start(settings, System.out);
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)))
        {
            String line;
            while ((line = in.readLine()) != null)
            {
                System.out.println(line);
                apply(control, line);
            }
            System.out.println("panamux: bgp: the MUX's output ended: withdrawing");
        }
        return 0;
    }

    /**
     * Applies one line of MUX output, if it is a router instruction.
     *
     * @return whether it was one.
     */
    static boolean apply(final io.panamux.slowpath.router.RouterControl control, final String line)
    {
        final int at = line.indexOf(PREFIX);
        if (at < 0)
        {
            return false;
        }
        final String[] words = line.substring(at + PREFIX.length()).trim().split(" +");
        if (words.length < 2)
        {
            return false;
        }
        final String key = words[1];
        final IpAddress vip = IpAddress.parse(key.startsWith("[") ? key.substring(1, key.indexOf(']')) : key.substring(0, key.lastIndexOf(':')));
        switch (words[0])
        {
            case "announce" -> control.announce(key, vip);
            case "withdraw" -> control.withdraw(key, vip);
            case "route-to-pool" -> control.routeToPool(key, vip);
            case "route-direct" ->
            {
                if (words.length < 3)
                {
                    return false;
                }
                control.routeDirect(key, vip, IpAddress.parse(words[2]));
            }
            default ->
            {
                return false;
            }
        }
        return true;
    }

    /**
     * Runs the relay and exits with its code.
     *
     * @param args the command line.
     */
    public static void main(final String[] args)
    {
        System.exit(new CommandLine(new RouterInstructionRelay()).execute(args));
    }
}
