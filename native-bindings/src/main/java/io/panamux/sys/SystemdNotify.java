package io.panamux.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * Tells systemd about the service's state ({@code sd_notify(3)}: {@code READY=1}, {@code STOPPING=1},
 * {@code STATUS=...}) when it runs as a {@code Type=notify} unit, i.e. when {@code NOTIFY_SOCKET} is set;
 * without it every call does nothing. The message is a datagram on an {@code AF_UNIX} socket, which
 * {@code java.nio} cannot send ({@code DatagramChannel} has no UNIX family), so it calls libsystemd's
 * {@code sd_notify} through the FFM API: from the service's own process, so systemd attributes it to the
 * main PID ({@code NotifyAccess=main}) with no race, unlike a {@code systemd-notify} child that may exit
 * before systemd reads its message.
 */
@SuppressWarnings("restricted") // binding native code is this module's purpose
public final class SystemdNotify
{
    private static final String SOCKET = System.getenv("NOTIFY_SOCKET");

    private SystemdNotify()
    {
    }

    /** @return whether a service manager is listening ({@code NOTIFY_SOCKET} is set). */
    public static boolean enabled()
    {
        return SOCKET != null && !SOCKET.isEmpty();
    }

    /**
     * Sends {@code state} (newline-separated assignments, e.g. {@code "READY=1\nSTATUS=forwarding"}).
     *
     * @param state what to tell.
     * @return empty when sent (or when no manager listens), else why not.
     */
    public static Optional<String> notify(final String state)
    {
        if (!enabled())
        {
            return Optional.empty();
        }
        final MethodHandle sdNotify = Binding.SD_NOTIFY;
        if (sdNotify == null)
        {
            return Optional.of("NOTIFY_SOCKET is set but libsystemd.so.0 could not be loaded: " + Binding.WHY);
        }
        try (Arena arena = Arena.ofConfined())
        {
            final int rc = (int)sdNotify.invokeExact(0, arena.allocateFrom(state));
            return rc > 0 ? Optional.empty() : Optional.of("sd_notify returned " + rc);
        }
        catch (final Throwable t)
        {
            return Optional.of("sd_notify failed: " + t);
        }
    }

    /** Loaded only when a manager listens: a process outside systemd never needs libsystemd. */
    private static final class Binding
    {
        static final MethodHandle SD_NOTIFY;
        static final String WHY;

        static
        {
            MethodHandle handle = null;
            String why = null;
            try
            {
                // The library lives as long as the process: a global arena, never closed.
                final SymbolLookup lib = SymbolLookup.libraryLookup("libsystemd.so.0", Arena.global());
                handle = Linker.nativeLinker().downcallHandle(lib.findOrThrow("sd_notify"),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
            }
            catch (final IllegalArgumentException | java.util.NoSuchElementException e)
            {
                why = e.getMessage();
            }
            SD_NOTIFY = handle;
            WHY = why;
        }
    }
}
