package io.panamux.perf.e2e;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.IntPredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.panamux.fastpath.snapshot.Backend;
import io.panamux.fastpath.snapshot.ForwardingSnapshot;
import io.panamux.fastpath.snapshot.SnapshotSlot;
import io.panamux.fastpath.snapshot.Vip;
import io.panamux.flow.FlowHash;
import io.panamux.flow.MaglevTable;
import io.panamux.flow.OwnerRing;
import io.panamux.slowpath.config.ConfigLoader;
import io.panamux.slowpath.config.IpAddress;
import io.panamux.slowpath.control.BackendIds;
import io.panamux.slowpath.control.SnapshotPublisher;
import io.panamux.slowpath.control.SnapshotPublisher.BackendState;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End to end, flow ownership across a pool of three MUX processes ({@code ./panamux run}), each on its own
 * DPDK {@code net_af_packet} port over a veth pair this test creates, talking to each other over loopback
 * UDP (the peers section). A client (scapy, {@code src/test/python/pool_traffic.py}, on the other end of
 * every veth) sends one TCP connection's packets through different MUXes in turn while a backend is added
 * and another drained through {@code ctl}; scapy reports where each packet came out. Shown: no established
 * connection changes backend, owners were asked and answered (their counters), a flow learned by one MUX
 * is known to its owner, and new connections follow the new table. Expected backends are computed with
 * the product's own Maglev and owner-ring code from the same configuration.
 *
 * <p>Skipped only where a veth pair cannot be created (no root, no network namespace rights).
 */
class PoolOwnershipTest
{
    private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long SEED = 0x5EEDL;
    private static final String VIP = "192.0.2.10:80/tcp";
    private static final String CLIENT = "198.51.100.7";
    private static final List<String> MEMBERS = List.of("10.0.0.10", "10.0.0.11", "10.0.0.12");
    private static final String KEY = "hex:5f1d3c7a9b2e4f6081a3c5e7092b4d6f8e0a2c4e6f8091b3d5f7193b5d7f9102";
    private static final Pattern PEERS_LINE = Pattern.compile("panamux: peers: (.*)");

    @TempDir
    Path dir;

    private final String tag = String.valueOf(ProcessHandle.current().pid() % 100_000);
    private final List<String> created = new ArrayList<>();

    private String muxSide(final int i)
    {
        return "pmx" + tag + "m" + i;
    }

    private String clientSide(final int i)
    {
        return "pmx" + tag + "p" + i;
    }

    @Test
    void connectionsKeepTheirBackendAcrossMuxesWhileBackendsChange() throws Exception
    {
        final List<MuxProcess> muxes = new ArrayList<>();
        Client client = null;
        try
        {
            createVeths();
            final Plan plan = new Plan();
            final int[] adminPorts = {MuxProcess.freeTcpPort(), MuxProcess.freeTcpPort(), MuxProcess.freeTcpPort()};
            final int[] peerPorts = {MuxProcess.freeUdpPort(), MuxProcess.freeUdpPort(), MuxProcess.freeUdpPort()};
            for (int i = 0; i < 3; i++)
            {
                muxes.add(MuxProcess.start(dir, "mux-" + i, config(i, adminPorts, peerPorts), 120, true));
            }
            for (int i = 0; i < 3; i++)
            {
                // DPDK's af_packet driver names its PACKET_FANOUT group (pid ^ ifindex) & 0xffff: two MUX processes
                // of one network namespace collide when their pids differ as their interfaces' indexes do, and
                // the second is refused (EINVAL). Another process, another pid: start that one again.
                boolean started = muxes.get(i).awaitOutput("admin API on", 90, "could not set PACKET_FANOUT");
                for (int attempt = 1; !started && attempt < 4; attempt++)
                {
                    System.out.println("pool: " + muxes.get(i).name + " met another's af_packet fanout group; starting it again");
                    muxes.set(i, MuxProcess.start(dir, "mux-" + i, config(i, adminPorts, peerPorts), 120, true));
                    started = muxes.get(i).awaitOutput("admin API on", 90, "could not set PACKET_FANOUT");
                }
                final MuxProcess m = muxes.get(i);
                assertTrue(started, m.name + " did not start in 4 attempts:\n" + m.output());
                assertTrue(m.output().contains("flow ownership with 2 peer(s)"), m.output());
            }
            final Map<String, String> macs = new LinkedHashMap<>();
            for (int i = 0; i < 3; i++)
            {
                macs.put(clientSide(i), Files.readString(Path.of("/sys/class/net/" + muxSide(i) + "/address")).strip());
            }
            client = Client.start(macs);

            // C1 opens while the VIP is stateless: SYN through MUX 0.
            final int c1 = plan.c1;
            final String x1 = plan.before(c1);
            client.expect(via(0, c1, "S"), x1, null);

            ctlEverywhere(adminPorts, "backend", "add", VIP, "10.1.0.3");
            // Through MUX 2, which has never seen C1: it asks the owner (MUX 1), which sends the packet on.
            client.expect(via(2, c1, "A"), x1, 1);
            // Through the owner itself, then through MUX 0 (which saw only the stateless SYN): asks the owner.
            client.expect(via(1, c1, "A"), x1, 1);
            client.expect(via(0, c1, "A"), x1, 1);

            ctlEverywhere(adminPorts, "backend", "drain", VIP, x1);
            // Every MUX now has C1 recorded: it stays on the drained backend.
            client.expect(via(2, c1, "A"), x1, 2);
            client.expect(via(0, c1, "A"), x1, 0);
            client.expect(via(1, c1, "PA"), x1, 1);

            // C2 opens through MUX 0 on the new table; MUX 0 tells the owner (MUX 2), and a later packet through
            // MUX 1 gets the owner's learned answer rather than rule 2 (which would give another backend).
            final int c2 = plan.c2;
            final String y2 = plan.afterDrain(c2);
            client.expect(via(0, c2, "S"), y2, 0);
            // The learned flow waits up to learned-batch-interval-ms (10) in MUX 0; leave room for a busy machine.
            Thread.sleep(1000);
            client.expect(via(1, c2, "A"), y2, 2);

            // New connections follow the new table, never the drained backend.
            for (int k = 0; k < plan.fresh.size(); k++)
            {
                final int port = plan.fresh.get(k);
                final String expected = plan.afterDrain(port);
                assertNotEquals(x1, expected);
                client.expect(via(k % 3, port, "S"), expected, k % 3);
            }
        }
        finally
        {
            if (client != null)
            {
                client.stop();
            }
            for (final MuxProcess m : muxes)
            {
                m.stop();
            }
            deleteVeths();
        }

        final List<Map<String, Object>> peers = new ArrayList<>();
        for (final MuxProcess m : muxes)
        {
            System.out.println("---- " + m.name + "\n" + m.output());
            // SIGTERM: a clean stop exits 0.
            assertEquals(0, m.exitCode, m.name + " exit status " + m.exitCode);
            assertTrue(m.output().contains("panamux: stopped:"), m.name + " stopped cleanly");
            final JsonNode stats = JSON.readTree(m.statsJson.toFile());
            assertEquals(0, stats.get("mbufs_in_use").asLong(), m.name + ": no mbuf left in use");
            peers.add(peerCounters(m));
        }
        // The owner of C1 (MUX 1) was asked by MUX 2 and MUX 0, decided once by rule 2 and sent their packets on.
        assertTrue(count(peers.get(1), "queries_received") >= 2, "MUX 1 " + peers.get(1));
        assertTrue(count(peers.get(1), "answers_sent") >= 2, "MUX 1 " + peers.get(1));
        assertTrue(count(peers.get(1), "answers_by_rule2") >= 1, "MUX 1 " + peers.get(1));
        assertTrue(count(peers.get(1), "packets_forwarded") >= 2, "MUX 1 " + peers.get(1));
        assertTrue(count(peers.get(2), "queries_sent") >= 1 && count(peers.get(2), "queries_answered") >= 1, "MUX 2 " + peers.get(2));
        assertTrue(count(peers.get(0), "queries_sent") >= 1 && count(peers.get(0), "queries_answered") >= 1, "MUX 0 " + peers.get(0));
        // C2: learned by MUX 0, received by its owner MUX 2, which answered MUX 1 from what it learned.
        assertTrue(count(peers.get(0), "learned_sent") >= 1, "MUX 0 " + peers.get(0));
        assertTrue(count(peers.get(2), "learned_received") >= 1, "MUX 2 " + peers.get(2));
        assertTrue(count(peers.get(2), "answers_from_store") >= 1, "MUX 2 " + peers.get(2));
        assertTrue(count(peers.get(1), "queries_answered") >= 1, "MUX 1 " + peers.get(1));
        for (int i = 0; i < 3; i++)
        {
            assertEquals("{}", String.valueOf(nonZeroBad(peers.get(i))), "MUX " + i + ": no peer message was refused");
        }
    }

    /** What the pool must do, computed with panamux's own Maglev and owner ring from the same backends. */
    private static final class Plan
    {
        private final OwnerRing ring = new OwnerRing(MEMBERS, SEED);
        private final ForwardingSnapshot before;
        private final ForwardingSnapshot afterAdd;
        private final ForwardingSnapshot afterDrain;
        final int c1;
        final int c2;
        final List<Integer> fresh = new ArrayList<>();

        Plan()
        {
            final SnapshotSlot slot = new SnapshotSlot(ForwardingSnapshot.empty(SEED));
            final SnapshotPublisher publisher = new SnapshotPublisher(slot, new BackendIds(600_000_000_000L));
            publisher.apply(ConfigLoader.parse(vipsOnly(), "plan.yaml"), 0);
            before = slot.current();
            final SnapshotPublisher.VipState vip = publisher.vips().get(VIP);
            publisher.changeBackends(vip, List.of(state("10.1.0.1", false), state("10.1.0.2", false), state("10.1.0.3", false)), 1);
            afterAdd = publisher.publish(1);
            // C1: owned by MUX 1; the new table would move it (so only flow state keeps it where it is).
            c1 = port(40000, p -> owner(p) == 1 && !table(afterAdd, p).equals(table(before, p)));
            final String drained = table(before, c1);
            final List<BackendState> drain = new ArrayList<>();
            for (final String b : List.of("10.1.0.1", "10.1.0.2", "10.1.0.3"))
            {
                drain.add(state(b, b.equals(drained)));
            }
            publisher.changeBackends(vip, drain, 2);
            afterDrain = publisher.publish(2);
            // C2: owned by MUX 2; rule 2 after the drain (the table after the add) differs from the new table.
            c2 = port(c1 + 1, p -> owner(p) == 2 && !table(afterAdd, p).equals(table(afterDrain, p)));
            for (int p = c2 + 1; fresh.size() < 6; p++)
            {
                fresh.add(p);
            }
        }

        private static BackendState state(final String address, final boolean draining)
        {
            return new BackendState(IpAddress.parse(address), 1, draining);
        }

        private static String vipsOnly()
        {
            return """
                mux: { name: plan, address: 10.0.0.10, hash-seed: 0x5eed }
                dataplane: { eal: [], port: 0, workers: 1, gateway-mac: "02:00:00:00:00:fe",
                             flow-table: { capacity: 1024, idle-timeout-seconds: 300 } }
                vips:
                  - { address: 192.0.2.10, port: 80, protocol: tcp, backends: [ { address: 10.1.0.1 }, { address: 10.1.0.2 } ] }
                """;
        }

        private int port(final int from, final IntPredicate wanted)
        {
            for (int p = from; p < 65000; p++)
            {
                if (wanted.test(p))
                {
                    return p;
                }
            }
            throw new AssertionError("no such source port");
        }

        int owner(final int port)
        {
            return ring.owner(hash(port));
        }

        String before(final int port)
        {
            return table(before, port);
        }

        String afterDrain(final int port)
        {
            return table(afterDrain, port);
        }

        private static long hash(final int port)
        {
            return FlowHash.hashV4(SEED, IpAddress.parse(CLIENT).ipv4(), IpAddress.parse("192.0.2.10").ipv4(), port, 80, 6);
        }

        private static String table(final ForwardingSnapshot s, final int port)
        {
            final Vip v = s.vips()[0];
            final Backend b = v.backends()[MaglevTable.lookup(v.table(), hash(port))];
            return b.text();
        }
    }

    private String config(final int i, final int[] adminPorts, final int[] peerPorts)
    {
        final StringBuilder endpoints = new StringBuilder();
        for (int j = 0; j < 3; j++)
        {
            if (j != i)
            {
                endpoints.append(endpoints.isEmpty() ? "" : ", ").append(MEMBERS.get(j)).append(": \"127.0.0.1:").append(peerPorts[j])
                    .append('"');
            }
        }
        return """
            mux:
              name: mux-%d
              address: %s
              pool: [10.0.0.10, 10.0.0.11, 10.0.0.12]
              hash-seed: 0x5eed
            dataplane:
              eal: ["--no-huge", "-m", "256", "--no-pci", "--no-shconf", "--file-prefix=pmxpool%s%d", "-l", "0",
                    "--log-level=lib.eal:error", "--vdev=net_af_packet0,iface=%s"]
              port: 0
              workers: 1
              gateway-mac: "02:00:00:00:00:fe"
              flow-table: { capacity: 65536, idle-timeout-seconds: 300 }
            vips:
              - address: 192.0.2.10
                port: 80
                protocol: tcp
                backends:
                  - { address: 10.1.0.1 }
                  - { address: 10.1.0.2 }
            admin: { listen: "127.0.0.1:%d" }
            peers:
              listen: "127.0.0.1:%d"
              key: "%s"
              endpoints: { %s }
              # Three MUXes and their busy workers share two cores here: a generous wait for owners.
              query-timeout-ms: 1000
            """.formatted(i, MEMBERS.get(i), tag, i, muxSide(i), adminPorts[i], peerPorts[i], KEY, endpoints);
    }

    private Map<String, Object> via(final int mux, final int srcPort, final String flags)
    {
        final Map<String, Object> c = new LinkedHashMap<>();
        c.put("send", clientSide(mux));
        c.put("src", CLIENT);
        c.put("dst", "192.0.2.10");
        c.put("sport", srcPort);
        c.put("flags", flags);
        return c;
    }

    private void ctlEverywhere(final int[] adminPorts, final String... command) throws Exception
    {
        final List<Process> running = new ArrayList<>();
        for (final int port : adminPorts)
        {
            running.add(MuxProcess.startCtl("127.0.0.1:" + port, command));
        }
        for (final Process p : running)
        {
            MuxProcess.awaitCtl(p, String.join(" ", command));
        }
    }

    private static Map<String, Object> peerCounters(final MuxProcess m)
    {
        final Matcher matcher = PEERS_LINE.matcher(m.output());
        assertTrue(matcher.find(), m.name + " printed its peer counters at stop:\n" + m.output());
        final Map<String, Object> counters = new LinkedHashMap<>();
        for (final String pair : matcher.group(1).trim().split(" "))
        {
            final int eq = pair.indexOf('=');
            counters.put(pair.substring(0, eq), pair.substring(eq + 1));
        }
        return counters;
    }

    private static long count(final Map<String, Object> counters, final String name)
    {
        return Long.parseLong(String.valueOf(counters.get(name)));
    }

    private static Map<String, String> nonZeroBad(final Map<String, Object> counters)
    {
        final String text = String.valueOf(counters.get("bad_messages"));
        final Map<String, String> bad = new LinkedHashMap<>();
        for (final String pair : text.replace("{", "").replace("}", "").split(","))
        {
            final String[] kv = pair.split("=");
            if (kv.length == 2 && !kv[1].equals("0"))
            {
                bad.put(kv[0], kv[1]);
            }
        }
        return bad;
    }

    // ---- veths --------------------------------------------------------------------------------------------

    private void createVeths() throws Exception
    {
        for (int i = 0; i < 3; i++)
        {
            final Result r = run(List.of("ip", "link", "add", muxSide(i), "type", "veth", "peer", "name", clientSide(i)));
            Assumptions.assumeTrue(r.code == 0, "cannot create a veth pair here (root and network rights are needed): " + r.output);
            created.add(muxSide(i));
            for (final String side : List.of(muxSide(i), clientSide(i)))
            {
                // IPv6 off (where the kernel has it): no router solicitations or MLD reports reach the MUXes.
                final Path ipv6 = Path.of("/proc/sys/net/ipv6/conf/" + side + "/disable_ipv6");
                if (Files.exists(ipv6))
                {
                    Files.writeString(ipv6, "1");
                }
                assertEquals(0, run(List.of("ip", "link", "set", side, "up")).code);
            }
        }
    }

    private void deleteVeths() throws Exception
    {
        for (final String side : created)
        {
            run(List.of("ip", "link", "del", side));
        }
        created.clear();
    }

    // ---- processes ----------------------------------------------------------------------------------------

    /** The scapy client: one command, one answer. */
    private static final class Client
    {
        private final Process process;
        private final Writer in;
        private final BufferedReader out;
        private int nextTag = 100;

        private Client(final Process process)
        {
            this.process = process;
            this.in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
            this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        }

        static Client start(final Map<String, String> macs) throws IOException
        {
            final List<String> args = new ArrayList<>(List.of("/usr/bin/python3",
                ROOT.resolve("perf/src/test/python/pool_traffic.py").toString()));
            macs.forEach((iface, mac) -> args.add(iface + "=" + mac));
            final Client c = new Client(new ProcessBuilder(args).redirectError(ProcessBuilder.Redirect.INHERIT).start());
            final String ready = c.out.readLine();
            assertEquals("{\"ready\": true}", ready, "the scapy client started");
            return c;
        }

        /**
         * Sends one packet and checks where it came out.
         *
         * @param backend the outer destination it must have.
         * @param fromMux the MUX that must have sent it (its veth), or null for any.
         */
        void expect(final Map<String, Object> command, final String backend, final Integer fromMux) throws IOException
        {
            final int tag = nextTag++;
            command.put("tag", tag);
            command.put("wait", 5.0);
            in.write(JSON.writeValueAsString(command) + "\n");
            in.flush();
            final String line = out.readLine();
            final JsonNode answer = JSON.readTree(line);
            final String what = command + " -> " + line;
            System.out.println("pool: " + what);
            assertEquals(tag, answer.get("tag").asInt(), what);
            assertTrue(answer.get("missing") == null, "nothing came out: " + what);
            assertEquals(backend, answer.get("outer_dst").asText(), "backend: " + what);
            assertTrue(answer.get("inner_ok").asBoolean(), "the inner packet is the one sent: " + what);
            assertEquals(1, answer.get("copies").asInt(), "exactly one copy: " + what);
            if (fromMux != null)
            {
                assertEquals(MEMBERS.get(fromMux), answer.get("outer_src").asText(), "sent by MUX " + fromMux + ": " + what);
                assertTrue(answer.get("iface").asText().endsWith("p" + fromMux), "out of MUX " + fromMux + "'s port: " + what);
            }
        }

        void stop() throws InterruptedException
        {
            try
            {
                in.write("{\"quit\": true}\n");
                in.flush();
            }
            catch (final IOException e)
            {
                // Already gone.
            }
            if (!process.waitFor(10, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
            }
        }
    }

    private record Result(int code, String output)
    {
    }

    private static Result run(final List<String> command) throws IOException, InterruptedException
    {
        final Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS))
        {
            p.destroyForcibly();
            return new Result(-1, "timed out: " + command);
        }
        return new Result(p.exitValue(), output);
    }
}
