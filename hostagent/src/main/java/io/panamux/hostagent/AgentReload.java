package io.panamux.hostagent;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import io.panamux.slowpath.control.BackendIds;

/**
 * A configuration and what the agent thread needs to switch to it ({@link HostAgent#reload}), built off that thread:
 * the tunnel sources, the decapsulator, the Fastpath key and, when the selection changed, the source selector's new
 * tables (installed into the running selector, whose recorded flows stay) or, when the agent selected for nothing
 * until now, a new selector.
 *
 * @param config       the new configuration.
 * @param sources      its tunnel sources.
 * @param decapsulator its decapsulator.
 * @param messages     its Fastpath key, or null without Fastpath.
 * @param newSelection whether the source-side selection changes (to {@code tables}).
 * @param tables       the selection's new tables, or null (it selects for nothing, or the selection is the same).
 * @param selector     a new selector with {@code tables} installed, when there was none to install them into; else null.
 */
record AgentReload(HostAgentConfig config, TunnelSources sources, Decapsulator decapsulator, RedirectMessage messages,
    boolean newSelection, SourceSelector.Tables tables, SourceSelector selector)
{
    /**
     * @param running the configuration the agent runs with (or last accepted).
     * @param next    the new configuration (valid: the loader checked it).
     * @param ids     the agent's backend ids (the caller serialises reloads).
     * @param nowNs   the agent's clock, for the quarantine of released ids.
     * @return what the agent thread switches to; the selected flows stay, on their backends while those are in
     *         {@code next} (as on a MUX: {@link SourceSelector}).
     * @throws IllegalArgumentException when it changes a setting that needs a restart.
     */
    static AgentReload prepare(final HostAgentConfig running, final HostAgentConfig next, final BackendIds ids, final long nowNs)
    {
        final String why = restartNeeded(running, next);
        if (why != null)
        {
            throw new IllegalArgumentException(why + " cannot change while the agent runs (restart it); nothing was applied");
        }
        final TunnelSources nextSources = TunnelSources.of(next);
        final boolean sameSelection = next.vips().equals(running.vips()) && next.hashSeed() == running.hashSeed()
            && next.maglevTableSize() == running.maglevTableSize();
        final SourceSelector.Tables tables = sameSelection ? null
            : SourceSelector.Tables.build(running.vips(), next.vips(), next.hashSeed(), next.maglevTableSize(), next.guePort(), ids,
                nowNs);
        final boolean selects = tables != null && !next.vips().isEmpty();
        // The flow table is made here, off the agent thread, when there is no running selector to keep.
        final SourceSelector selector = selects && running.vips().isEmpty()
            ? new SourceSelector(tables, next.flowCapacity(), next.idleTimeoutSeconds()) : null;
        return new AgentReload(next, nextSources, new Decapsulator(next.address(), next.address6(), next.decapsulatedGuePorts(), nextSources),
            next.fastpath().map(fp -> new RedirectMessage(fp.key())).orElse(null), !sameSelection, selects ? tables : null, selector);
    }

    /**
     * This reload in place of {@code replaced}, a reload the agent thread never took and that this one was prepared
     * against: the selection change of {@code replaced} is not lost. When this one keeps the selection, it carries
     * {@code replaced}'s change; when it installs tables and {@code replaced} made the selector (the agent selected for
     * nothing before), they go into that selector; else {@code replaced} is discarded.
     *
     * @return the reload to hand to the agent thread.
     */
    AgentReload following(final AgentReload replaced)
    {
        if (!newSelection)
        {
            return new AgentReload(config, sources, decapsulator, messages, replaced.newSelection(), replaced.tables(), replaced.selector());
        }
        if (replaced.selector() != null && tables != null && selector == null)
        {
            replaced.selector().install(tables);
            return new AgentReload(config, sources, decapsulator, messages, true, tables, replaced.selector());
        }
        replaced.discard();
        return this;
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
