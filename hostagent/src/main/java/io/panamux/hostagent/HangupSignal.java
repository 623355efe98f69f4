package io.panamux.hostagent;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;

/**
 * Runs an action on each {@code SIGHUP} (the reload signal of daemons and of {@code systemctl reload}).
 *
 * <p>The JDK's only way is {@code sun.misc.Signal} (module {@code jdk.unsupported}, exported and kept for this
 * use); it is reached by reflection because javac warns on every direct use of it and the build turns warnings
 * into errors. The action runs on a thread the JVM starts for the signal.
 *
 * <p>A process started with SIGHUP ignored (under {@code nohup}, or by a parent that ignores it) would never see
 * it: the JVM quietly declines to handle a signal that was ignored at start. The disposition is then reset to
 * the default first (libc {@code signal}, through FFM): with this handler installed, a hangup reloads and never
 * ends the process, which is what ignoring it was for.
 */
final class HangupSignal
{
    private static final int SIGHUP = 1;

    private HangupSignal()
    {
    }

    /**
     * @param action what to do on each SIGHUP.
     * @return null, or why the handler could not be installed (the JVM has no {@code sun.misc.Signal}, or the
     * signal is taken, e.g. with {@code -Xrs}).
     */
    // signal(2) through FFM: one call, with SIG_DFL, at start-up.
    @SuppressWarnings("restricted")
    static String install(final Runnable action)
    {
        try
        {
            final Class<?> signal = Class.forName("sun.misc.Signal");
            final Class<?> handler = Class.forName("sun.misc.SignalHandler");
            final InvocationHandler call = (proxy, method, args) ->
            {
                switch (method.getName())
                {
                    case "handle" -> action.run();
                    case "hashCode" -> {
                        return System.identityHashCode(proxy);
                    }
                    case "equals" -> {
                        return proxy == args[0];
                    }
                    case "toString" -> {
                        return "hostagent SIGHUP handler";
                    }
                    default -> {
                        return null;
                    }
                }
                return null;
            };
            final Object proxy = Proxy.newProxyInstance(HangupSignal.class.getClassLoader(), new Class<?>[] {handler}, call);
            final Method handle = signal.getMethod("handle", signal, handler);
            final Object hup = signal.getConstructor(String.class).newInstance("HUP");
            final Object ignored = handler.getField("SIG_IGN").get(null);
            if (handle.invoke(null, hup, proxy) == ignored)
            {
                // Ignored since the process started: the JVM installed nothing. Default, then ours.
                final Linker linker = Linker.nativeLinker();
                final MethodHandle reset = linker.downcallHandle(linker.defaultLookup().find("signal").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
                final MemorySegment previous = (MemorySegment)reset.invokeExact(SIGHUP, MemorySegment.NULL);
                if (previous.address() != 1 || handle.invoke(null, hup, proxy) == ignored)
                {
                    return "SIGHUP is ignored by this process and could not be taken back";
                }
            }
            return null;
        }
        catch (final Throwable e)
        {
            return "SIGHUP cannot be handled here: " + e;
        }
    }
}
