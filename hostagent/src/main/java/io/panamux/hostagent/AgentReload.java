package io.panamux.hostagent;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A configuration and what the agent thread needs to switch to it ({@link HostAgent#reload}), built off that thread:
 * the tunnel sources, the decapsulator, the Fastpath key and, when the selected VIPs changed, a new source selector.
 *
 * @param config       the new configuration.
 * @param sources      its tunnel sources.
 * @param decapsulator its decapsulator.
 * @param messages     its Fastpath key, or null without Fastpath.
 * @param newSelector  whether the source-side selection changes (to {@code selector}).
 * @param selector     the new source selector, or null (none, or the selection is the same).
 */
record AgentReload(HostAgentConfig config, TunnelSources sources, Decapsulator decapsulator, RedirectMessage messages,
    boolean newSelector, SourceSelector selector)
{
    /**
     * @param running the configuration the agent runs with (or last accepted).
     * @param next    the new configuration (valid: the loader checked it).
     * @return what the agent thread switches to; the selected flows stay while the selected VIPs are the same.
     * @throws IllegalArgumentException when it changes a setting that needs a restart.
     */
    static AgentReload prepare(final HostAgentConfig running, final HostAgentConfig next)
    {
        final String why = restartNeeded(running, next);
        if (why != null)
        {
            throw new IllegalArgumentException(why + " cannot change while the agent runs (restart it); nothing was applied");
        }
        final TunnelSources nextSources = TunnelSources.of(next);
        final boolean sameSelection = next.vips().equals(running.vips()) && next.hashSeed() == running.hashSeed()
            && next.maglevTableSize() == running.maglevTableSize();
        final SourceSelector nextSelector = sameSelection || next.vips().isEmpty() ? null
            : new SourceSelector(next.vips(), next.hashSeed(), next.maglevTableSize(), next.flowCapacity(), next.idleTimeoutSeconds());
        return new AgentReload(next, nextSources, new Decapsulator(next.address(), next.address6(), next.guePort(), nextSources),
            next.fastpath().map(fp -> new RedirectMessage(fp.key())).orElse(null), !sameSelection, nextSelector);
    }

    /**
     * @return what differs between the two configurations that the agent cannot change while it runs (its
     * addresses, its devices, its tables' sizes, the Fastpath port and whether it accepts redirects at all),
     * or null.
     */
    static String restartNeeded(final HostAgentConfig running, final HostAgentConfig next)
    {
        final List<String> changed = new ArrayList<>();
        if (running.address() != next.address())
        {
            changed.add("agent.address");
        }
        if (!Objects.equals(running.address6(), next.address6()))
        {
            changed.add("agent.address6");
        }
        if (!running.eal().equals(next.eal()) || !running.networkDevice().equals(next.networkDevice())
            || !running.hostDevice().equals(next.hostDevice()) || running.gatewayMac() != next.gatewayMac() || running.mtu() != next.mtu()
            || running.burstSize() != next.burstSize() || running.guePort() != next.guePort())
        {
            changed.add("dataplane");
        }
        if (running.flowCapacity() != next.flowCapacity() || running.idleTimeoutSeconds() != next.idleTimeoutSeconds())
        {
            changed.add("flow-table");
        }
        final HostAgentConfig.Fastpath a = running.fastpath().orElse(null);
        final HostAgentConfig.Fastpath b = next.fastpath().orElse(null);
        if ((a == null) != (b == null) || a != null && (a.port() != b.port() || a.accept() != b.accept()))
        {
            changed.add("fastpath (on/off, port, accept)");
        }
        return changed.isEmpty() ? null : String.join(", ", changed);
    }

    /** Frees what it built, when the agent thread never took it (replaced by a newer reload, or the agent stopped). */
    void discard()
    {
        if (selector != null)
        {
            selector.close();
        }
    }
}
