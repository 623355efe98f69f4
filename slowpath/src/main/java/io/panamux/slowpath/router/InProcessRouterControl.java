package io.panamux.slowpath.router;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.panamux.slowpath.config.IpAddress;

/**
 * A {@link RouterControl} that talks to no router: it records every instruction in order, keeps the
 * resulting route of each VIP, and optionally logs each instruction as a line. The MUX always runs with
 * one (its lines show what the router is told, by the BGP speaker when there is one, or would have been
 * told), and tests read {@link #instructions()} to check the order of the single-backend state machine.
 * Safe to read from any thread.
 */
public final class InProcessRouterControl implements RouterControl
{
    /** Kinds of instruction. */
    public enum Kind
    {
        /** {@link RouterControl#announce}. */
        ANNOUNCE,
        /** {@link RouterControl#withdraw}. */
        WITHDRAW,
        /** {@link RouterControl#routeDirect}. */
        ROUTE_DIRECT,
        /** {@link RouterControl#routeToPool}. */
        ROUTE_TO_POOL
    }

    /**
     * One instruction as given.
     *
     * @param kind    what was asked.
     * @param vipKey  the VIP.
     * @param backend the backend for {@link Kind#ROUTE_DIRECT}, else null.
     */
    public record Instruction(Kind kind, String vipKey, IpAddress backend)
    {
        @Override
        public String toString()
        {
            return kind.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-') + " " + vipKey + (backend == null ? "" : " " + backend);
        }
    }

    private final PrintStream log;
    private final List<Instruction> instructions = new ArrayList<>();
    private final Map<String, String> routes = new LinkedHashMap<>();

    /** Records without logging. */
    public InProcessRouterControl()
    {
        this(null);
    }

    /** @param log where each instruction is printed as {@code panamux: router: ...}, or null. */
    public InProcessRouterControl(final PrintStream log)
    {
        this.log = log;
    }

    @Override
    public synchronized void announce(final String vipKey, final IpAddress vip)
    {
        record(new Instruction(Kind.ANNOUNCE, vipKey, null));
        routes.put(vipKey, "pool");
    }

    @Override
    public synchronized void withdraw(final String vipKey, final IpAddress vip)
    {
        record(new Instruction(Kind.WITHDRAW, vipKey, null));
        routes.remove(vipKey);
    }

    @Override
    public synchronized void routeDirect(final String vipKey, final IpAddress vip, final IpAddress backend)
    {
        record(new Instruction(Kind.ROUTE_DIRECT, vipKey, backend));
        routes.put(vipKey, "direct " + backend);
    }

    @Override
    public synchronized void routeToPool(final String vipKey, final IpAddress vip)
    {
        record(new Instruction(Kind.ROUTE_TO_POOL, vipKey, null));
        routes.put(vipKey, "pool");
    }

    /** @return every instruction so far, oldest first. */
    public synchronized List<Instruction> instructions()
    {
        return List.copyOf(instructions);
    }

    /** @return how the router would route each announced VIP now: {@code pool} or {@code direct ADDRESS}. */
    public synchronized Map<String, String> routes()
    {
        return Map.copyOf(routes);
    }

    private void record(final Instruction instruction)
    {
        instructions.add(instruction);
        if (log != null)
        {
            log.println("panamux: router: " + instruction);
        }
    }
}
