package io.panamux.slowpath.pool;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;

import io.panamux.slowpath.config.HostPort;
import io.panamux.slowpath.config.IpAddress;
import io.panamux.slowpath.config.StoreSettings;
import io.panamux.slowpath.store.EtcdCluster;
import io.panamux.slowpath.store.EtcdStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Membership from leases against a real 3-member etcd cluster ({@link EtcdCluster}, Debian's etcd-server): MUXes
 * (here, their memberships, each with its own client as separate processes would have) see each other join; one
 * whose process dies (its client gone without revoking: the lease runs out) leaves the others' view within the
 * lease + 2 s; a clean stop leaves at once; with etcd down the last view stays and the store is reported
 * unreachable; when etcd is back after longer than the lease, every member registers again with a new lease.
 */
class EtcdPoolMembershipTest
{
    private static final int LEASE_SECONDS = 2;
    private static EtcdCluster cluster;
    private final List<AutoCloseable> open = new ArrayList<>();
    private final ByteArrayOutputStream log = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(log, true, StandardCharsets.UTF_8);

    @BeforeAll
    static void startCluster()
    {
        assumeTrue(EtcdCluster.available(), "etcd-server is not installed (ci/env.sh installs it)");
        cluster = EtcdCluster.start(3);
    }

    @AfterAll
    static void stopCluster()
    {
        if (cluster != null)
        {
            cluster.close();
        }
    }

    @AfterEach
    void closeAll() throws Exception
    {
        for (int i = open.size() - 1; i >= 0; i--)
        {
            open.get(i).close();
        }
        if (cluster != null && !cluster.isRunning(0))
        {
            cluster.startAll();
        }
    }

    /** A MUX's membership with its own etcd client. */
    private record Node(EtcdStore store, EtcdPoolMembership membership)
    {
    }

    private Node node(final String prefix, final String address)
    {
        final StoreSettings settings = cluster.settings(prefix, LEASE_SECONDS);
        final EtcdStore store = EtcdStore.connect(settings);
        final EtcdPoolMembership m = new EtcdPoolMembership(store, settings, IpAddress.parse(address), "mux-" + address,
            Optional.of(new HostPort(IpAddress.parse("127.0.0.1"), 9000 + Integer.parseInt(address.substring(address.lastIndexOf('.') + 1)))),
            out);
        open.add(store);
        open.add(m);
        return new Node(store, m);
    }

    private static List<IpAddress> addresses(final String... a)
    {
        return java.util.Arrays.stream(a).map(IpAddress::parse).toList();
    }

    /** @return the milliseconds it took, failing after {@code limitMs}. */
    private long await(final String what, final long limitMs, final BooleanSupplier done) throws InterruptedException
    {
        final long start = System.nanoTime();
        while (!done.getAsBoolean())
        {
            if ((System.nanoTime() - start) / 1_000_000 > limitMs)
            {
                throw new AssertionError(what + " not within " + limitMs + " ms; log:\n" + log.toString(StandardCharsets.UTF_8));
            }
            Thread.sleep(20);
        }
        return (System.nanoTime() - start) / 1_000_000;
    }

    @Test
    void membersJoinAndADeadOneLeavesWithinTheLease() throws Exception
    {
        final Node a = node("/t/members/a", "10.0.0.1");
        final Node b = node("/t/members/a", "10.0.0.2");
        await("both see both", 5000, () -> a.membership().members().equals(addresses("10.0.0.1", "10.0.0.2")) &&
            b.membership().members().equals(addresses("10.0.0.1", "10.0.0.2")));
        final List<IpAddress> seen = a.membership().members();
        Thread.sleep(300);
        assertSame(seen, a.membership().members(), "the same list object while nothing changes (PoolRing compares by identity)");
        assertEquals("127.0.0.1:9002", a.membership().peerEndpoints().get(IpAddress.parse("10.0.0.2")).toString());

        // The applied revision reaches the others through the member's value.
        b.membership().appliedRevision(42);
        await("B's revision seen by A", 3000, () -> a.membership().status().members().stream()
            .anyMatch(m -> m.address().equals(IpAddress.parse("10.0.0.2")) && m.revision() == 42));

        // B dies: its client is gone without revoking anything; the lease runs out.
        final long died = System.nanoTime();
        b.store().close();
        final long left = await("B leaves A's view", (LEASE_SECONDS + 2) * 1000L,
            () -> a.membership().members().equals(addresses("10.0.0.1")));
        System.out.printf("membership: a dead member left after %d ms (lease %d s)%n", (System.nanoTime() - died) / 1_000_000, LEASE_SECONDS);
        assertTrue(left <= (LEASE_SECONDS + 2) * 1000L);
        assertEquals("10.0.0.2", a.membership().status().departed().get(0).member().address().toString());

        // A new one joins.
        final Node c = node("/t/members/a", "10.0.0.3");
        await("C joins", 5000, () -> a.membership().members().equals(addresses("10.0.0.1", "10.0.0.3")));
        // A clean stop revokes the lease: gone at once, not after the lease.
        final long stopped = System.nanoTime();
        c.membership().close();
        await("C leaves at once", 1500, () -> a.membership().members().equals(addresses("10.0.0.1")));
        System.out.printf("membership: a stopped member left after %d ms%n", (System.nanoTime() - stopped) / 1_000_000);
    }

    @Test
    void aPartitionedMemberLeavesAndRegistersAgainAndAnOutageChangesNothing() throws Exception
    {
        final Node a = node("/t/members/b", "10.0.1.1");
        // B talks to etcd member 2 only: killing that member partitions B from a cluster that goes on.
        final StoreSettings onlyTwo = StoreSettings.plain(List.of(cluster.endpoint(2)), "/t/members/b", LEASE_SECONDS);
        final EtcdStore bStore = EtcdStore.connect(onlyTwo);
        final EtcdPoolMembership b = new EtcdPoolMembership(bStore, onlyTwo, IpAddress.parse("10.0.1.2"), "mux-b",
            Optional.empty(), out);
        open.add(bStore);
        open.add(b);
        await("both see both", 5000, () -> a.membership().members().size() == 2 && b.members().size() == 2);
        final long bLease = b.registration().lease();

        // One of three etcd members killed (not B's): nothing changes.
        cluster.kill(1);
        Thread.sleep(LEASE_SECONDS * 1000L + 1000);
        assertEquals(2, a.membership().members().size());
        // A's client may have been talking to the killed member: its next calls go to another one.
        await("A reaches the quorum that is left", 6000, () -> a.membership().status().reachable());
        assertEquals(bLease, b.registration().lease(), "B's lease was kept alive");
        cluster.restart(1);

        // B partitioned from etcd: its lease runs out and A sees it leave; B keeps its last view.
        final List<IpAddress> bView = b.members();
        final long cut = System.nanoTime();
        cluster.kill(2);
        await("B leaves A's view", (LEASE_SECONDS + 2) * 1000L, () -> a.membership().members().size() == 1);
        System.out.printf("membership: a partitioned member left after %d ms (lease %d s)%n", (System.nanoTime() - cut) / 1_000_000,
            LEASE_SECONDS);
        await("B notices", 8000, () -> !b.status().reachable());
        assertSame(bView, b.members(), "the last known members stay while etcd is unreachable");
        assertTrue(b.status().problem().isPresent());

        // Reconnected: B registers again with a new lease and both see both.
        cluster.restart(2);
        await("B registered again", 20000, () -> b.status().reachable() && b.status().registered() && b.registration().lease() != bLease);
        await("both see both again", 5000, () -> a.membership().members().size() == 2 && b.members().size() == 2);
        assertEquals(2, b.registration().registrations());
        assertTrue(log.toString(StandardCharsets.UTF_8).contains("registering again") ||
            log.toString(StandardCharsets.UTF_8).contains("expired"), log.toString(StandardCharsets.UTF_8));

        // etcd fully down: the views stay, the store is reported unreachable; back, both are registered.
        final List<IpAddress> aView = a.membership().members();
        cluster.killAll();
        await("A notices", 8000, () -> !a.membership().status().reachable());
        Thread.sleep(LEASE_SECONDS * 1000L);
        assertSame(aView, a.membership().members());
        cluster.startAll();
        await("both registered and seeing both", 20000, () -> a.membership().status().reachable() && a.membership().status().registered() &&
            b.status().registered() && a.membership().members().size() == 2 && b.members().size() == 2);
    }

    @Test
    void aValueThatIsNotAMemberIsRefusedAndShown() throws Exception
    {
        final Node a = node("/t/members/c", "10.0.2.1");
        await("A registered", 5000, () -> a.membership().status().registered());
        cluster.etcdctl("put", "/t/members/c/members/10.0.2.9", "{\"address\": \"10.0.2.8\"}");
        await("refused and shown", 3000, () -> a.membership().status().invalid().containsKey("/t/members/c/members/10.0.2.9"));
        assertEquals(addresses("10.0.2.1"), a.membership().members());
    }
}
