package io.panamux.slowpath.store;

import java.util.function.Consumer;

import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.support.CloseableClient;
import io.grpc.stub.StreamObserver;
import io.panamux.slowpath.store.EtcdStore.Subscription;

import static io.panamux.slowpath.store.EtcdStore.describe;

/** Keep-alives of one lease, moved to a new client when the store replaces it. */
final class ResumingKeepAlive implements Subscription
{
    private final EtcdStore store;
    private final long lease;
    private final Consumer<String> onExpired;
    private CloseableClient handle;
    private boolean stopped;

    ResumingKeepAlive(final EtcdStore store, final long lease, final Consumer<String> onExpired)
    {
        this.store = store;
        this.lease = lease;
        this.onExpired = onExpired;
    }

    /*
     * As ResumingWatch: jetcd calls the observer (expired) holding its own lock, so no jetcd call (keepAlive,
     * close) is made here while holding this object's monitor.
     */
    void restart()
    {
        final CloseableClient old;
        synchronized (this)
        {
            if (stopped)
            {
                return;
            }
            old = handle;
            handle = null;
        }
        if (old != null)
        {
            old.close();
        }
        final ResumingKeepAlive self = this;
        final CloseableClient opened = store.client().getLeaseClient().keepAlive(lease, new StreamObserver<LeaseKeepAliveResponse>()
        {
            @Override
            public void onNext(final LeaseKeepAliveResponse response)
            {
                if (response.getTTL() <= 0)
                {
                    self.expired("lease " + Long.toHexString(lease) + " expired");
                }
            }

            @Override
            public void onError(final Throwable error)
            {
                self.expired("lease " + Long.toHexString(lease) + ": " + describe(error));
            }

            @Override
            public void onCompleted()
            {
            }
        });
        final CloseableClient unwanted;
        synchronized (this)
        {
            // Closed, or restarted again, meanwhile: keep only the newest.
            unwanted = stopped ? opened : handle;
            if (!stopped)
            {
                handle = opened;
            }
        }
        if (unwanted != null)
        {
            unwanted.close();
        }
    }

    private void expired(final String why)
    {
        synchronized (this)
        {
            if (stopped)
            {
                return;
            }
        }
        onExpired.accept(why);
    }

    @Override
    public void close()
    {
        final CloseableClient old;
        synchronized (this)
        {
            stopped = true;
            old = handle;
            handle = null;
        }
        store.forget(this);
        if (old != null)
        {
            old.close();
        }
    }
}
