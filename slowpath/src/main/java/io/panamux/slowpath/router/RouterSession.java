package io.panamux.slowpath.router;

/**
 * A {@link RouterControl} with a session to the routers in front of the pool (the BGP speaker,
 * {@code io.panamux.slowpath.bgp.BirdRouterControl}). A MUX given one owns it: at its {@code close()} it ends the
 * session first, so that the routers withdraw the MUX while its workers still forward, and it ends it at once when
 * the MUX cannot start.
 */
public interface RouterSession extends RouterControl, AutoCloseable
{
    /** Ends the session: the routers stop sending to this MUX. Never fails; a second call does nothing. */
    @Override
    void close();
}
