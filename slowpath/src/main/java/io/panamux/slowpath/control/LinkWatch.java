package io.panamux.slowpath.control;

import java.io.PrintStream;
import java.util.function.Supplier;

import io.panamux.dpdk.EthPort;

/**
 * Watches the data port's link (control-thread duty): says at start when the link is down, and every change
 * after that, with the device's name, so an operator sees why nothing arrives (a memif peer that went away or
 * has not connected yet, a cable, a vhost-user backend that restarted) instead of a MUX that looks idle. Read
 * every {@link #INTERVAL_NS} with {@code rte_eth_link_get_nowait}, which never blocks the control thread.
 */
public final class LinkWatch implements ControlAgent.Duty
{
    /** Time between two readings of the link. */
    public static final long INTERVAL_NS = 250_000_000L;

    private final Supplier<EthPort.Link> link;
    private final String port;
    private final PrintStream log;
    private long nextNs = Long.MIN_VALUE;
    private boolean known;
    private boolean unsupported;
    private volatile boolean up;
    private volatile long changes;

    /**
     * @param link reads the link without waiting ({@link EthPort#link()}).
     * @param port how the log names the port (id and driver).
     * @param log  where the changes are said.
     */
    public LinkWatch(final Supplier<EthPort.Link> link, final String port, final PrintStream log)
    {
        this.link = link;
        this.port = port;
        this.log = log;
    }

    @Override
    public int doWork(final long nowNs)
    {
        if (unsupported || known && nowNs - nextNs < 0)
        {
            return 0;
        }
        nextNs = nowNs + INTERVAL_NS;
        final EthPort.Link l;
        try
        {
            l = link.get();
        }
        catch (final RuntimeException e)
        {
            // A driver without link state (-ENOTSUP): said once, not retried four times a second.
            unsupported = true;
            log.printf("panamux: %s: link state not available (%s): not watched%n", port, e.getMessage());
            return 1;
        }
        if (!known)
        {
            known = true;
            up = l.up();
            if (!up)
            {
                log.printf("panamux: %s: link down: nothing is received until it comes up (a memif or vhost-user peer not "
                    + "connected yet, a cable)%n", port);
            }
            return 1;
        }
        if (l.up() == up)
        {
            return 0;
        }
        up = l.up();
        changes++;
        if (up)
        {
            log.printf("panamux: %s: link up (%d Mbit/s)%n", port, l.speedMbps());
        }
        else
        {
            log.printf("panamux: %s: link down (the peer went away, or the cable)%n", port);
        }
        return 1;
    }

    /** @return whether the link was up at the last reading (false before the first). */
    public boolean up()
    {
        return up;
    }

    /** @return the changes seen since the first reading. */
    public long changes()
    {
        return changes;
    }
}
