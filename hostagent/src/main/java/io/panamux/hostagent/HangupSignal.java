package io.panamux.hostagent;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;

/**
 * Runs an action on each {@code SIGHUP} (the reload signal of daemons and of {@code systemctl reload}).
 *
 * <p>The JDK's only way is {@code sun.misc.Signal} (module {@code jdk.unsupported}, exported and kept for this
 * use); it is reached by reflection because javac warns on every direct use of it and the build turns warnings
 * into errors. The action runs on a thread the JVM starts for the signal.
 */
final class HangupSignal
{
    private HangupSignal()
    {
    }

    /**
     * @param action what to do on each SIGHUP.
     * @return null, or why the handler could not be installed (the JVM has no {@code sun.misc.Signal}, or the
     * signal is taken, e.g. with {@code -Xrs}).
     */
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
            signal.getMethod("handle", signal, handler).invoke(null, signal.getConstructor(String.class).newInstance("HUP"), proxy);
            return null;
        }
        catch (final ReflectiveOperationException | RuntimeException e)
        {
            return "SIGHUP cannot be handled here: " + e;
        }
    }
}
