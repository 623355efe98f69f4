package io.panamux.slowpath.store;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import io.panamux.slowpath.store.EtcdStore.Subscription;
import io.panamux.slowpath.store.EtcdStore.WatchListener;

import static io.panamux.slowpath.store.EtcdStore.bytes;
import static io.panamux.slowpath.store.EtcdStore.describe;
import static io.panamux.slowpath.store.EtcdStore.entry;

/**
 * One logical watch over possibly many jetcd watches: reopened from the next revision when one ends or the
 * client is replaced. Each jetcd watch reports through its own generation, so a replaced one that still
 * says something is not heard.
 */
final class ResumingWatch implements Subscription
{
    /** How long a broken watch waits before it is opened again. */
    private static final long REWATCH_DELAY_MS = 500;

    private final EtcdStore store;
    private final String key;
    private final boolean prefix;
    private final WatchListener listener;
    private long nextRevision;
    private Watch.Watcher watcher;
    private int generation;
    private boolean stopped;

    ResumingWatch(final EtcdStore store, final String key, final boolean prefix, final WatchListener listener)
    {
        this.store = store;
        this.key = key;
        this.prefix = prefix;
        this.listener = listener;
    }

    /*
     * Lock order: jetcd calls this watch's listener (events, broken) while holding its own lock, so this
     * watch never calls into jetcd (watch(), close()) while holding its monitor; otherwise a watch opened
     * while the old one reports an error deadlocks both, and close() with them. The monitor guards only
     * the fields; generation tells a callback or an opening that it has been overtaken.
     */
    void open(final long fromRevision)
    {
        final Watch.Watcher old;
        final int gen;
        synchronized (this)
        {
            if (stopped || store.isClosed())
            {
                return;
            }
            old = takeWatcher();
            nextRevision = fromRevision;
            gen = ++generation;
        }
        closeQuietly(old);
        final WatchOption.Builder option = WatchOption.builder().withRevision(fromRevision);
        if (prefix)
        {
            option.isPrefix(true);
        }
        final Watch.Watcher opened;
        try
        {
            opened = store.client().getWatchClient().watch(bytes(key), option.build(), new Watch.Listener()
            {
                @Override
                public void onNext(final WatchResponse response)
                {
                    events(gen, response);
                }

                @Override
                public void onError(final Throwable error)
                {
                    broken(gen, error);
                }

                @Override
                public void onCompleted()
                {
                    broken(gen, null);
                }
            });
        }
        catch (final RuntimeException ex)
        {
            listener.onInterrupted("watch " + key + ": " + describe(ex));
            schedule(gen);
            return;
        }
        final boolean kept;
        synchronized (this)
        {
            // Overtaken meanwhile (closed, broken, or opened again): this one is not wanted.
            kept = !stopped && gen == generation;
            if (kept)
            {
                watcher = opened;
            }
        }
        if (!kept)
        {
            closeQuietly(opened);
        }
    }

    private synchronized void events(final int gen, final WatchResponse response)
    {
        if (stopped || gen != generation)
        {
            return;
        }
        // A watch reopened after a break may be told again what an earlier one already reported.
        final long floor = nextRevision;
        for (final WatchEvent event : response.getEvents())
        {
            final KeyValue kv = event.getKeyValue();
            if (kv.getModRevision() < floor)
            {
                continue;
            }
            nextRevision = Math.max(nextRevision, kv.getModRevision() + 1);
            if (event.getEventType() == WatchEvent.EventType.PUT)
            {
                listener.onPut(entry(kv));
            }
            else if (event.getEventType() == WatchEvent.EventType.DELETE)
            {
                listener.onDelete(kv.getKey().toString(StandardCharsets.UTF_8), kv.getModRevision());
            }
        }
    }

    private void broken(final int gen, final Throwable error)
    {
        final Throwable cause = error instanceof CompletionException ? error.getCause() : error;
        final Watch.Watcher old;
        final int current;
        synchronized (this)
        {
            if (stopped || gen != generation)
            {
                return;
            }
            old = takeWatcher();
            // Also when the watcher was not stored yet: its opening sees it was overtaken and closes it.
            current = ++generation;
            if (cause instanceof CompactedException compacted)
            {
                listener.onCompacted(compacted.getCompactedRevision());
                nextRevision = compacted.getCompactedRevision();
            }
            else
            {
                listener.onInterrupted("watch " + key + ": " + (cause == null ? "ended by etcd" : describe(cause)));
            }
        }
        closeQuietly(old);
        schedule(current);
    }

    private void schedule(final int gen)
    {
        if (store.isClosed())
        {
            return;
        }
        try
        {
            store.rewatch().schedule(() -> reopenIfCurrent(gen), REWATCH_DELAY_MS, TimeUnit.MILLISECONDS);
        }
        catch (final RejectedExecutionException ex)
        {
            // The store is closing.
        }
    }

    private void reopenIfCurrent(final int gen)
    {
        final long from;
        synchronized (this)
        {
            // A restart meanwhile opened a newer one already.
            if (gen != generation || watcher != null)
            {
                return;
            }
            from = nextRevision;
        }
        open(from);
    }

    /** Moves the watch to the current client, from the next revision it has not reported. */
    void restart()
    {
        final long from;
        synchronized (this)
        {
            from = nextRevision;
        }
        open(from);
    }

    /** @return the watcher, now detached (its callbacks are of an old generation from now on), or null. */
    private Watch.Watcher takeWatcher()
    {
        final Watch.Watcher w = watcher;
        if (w != null)
        {
            watcher = null;
            generation++;
        }
        return w;
    }

    private static void closeQuietly(final Watch.Watcher w)
    {
        if (w == null)
        {
            return;
        }
        try
        {
            w.close();
        }
        catch (final RuntimeException ex)
        {
            // Already broken: nothing to release.
        }
    }

    @Override
    public void close()
    {
        final Watch.Watcher old;
        synchronized (this)
        {
            stopped = true;
            old = takeWatcher();
        }
        store.forget(this);
        closeQuietly(old);
    }
}
