package io.panamux.perf.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * One named measurement of {@code ./panamux bench}.
 *
 * @param name         the name on the command line and in the JSON.
 * @param title        a one-line title for the report.
 * @param kind         how it is measured.
 * @param workers      MUX workers (forwarding cores).
 * @param liveFlows    established client flows cycled through (0: every packet is a new flow).
 * @param newFlowRatio share of packets that open a new connection.
 * @param tracking     the VIP's {@code flow-tracking}: {@code on-change} or {@code always}.
 * @param capacity     flow-table capacity (all workers together).
 * @param backendChange true to add a backend after start, so the VIP runs in its stateful phase.
 * @param frameSizes   frame sizes cycled through (memif scenarios; the null device uses 64).
 * @param loads        offered loads as fractions of the measured maximum (latency scenario).
 */
public record Scenario(String name, String title, Kind kind, int workers, long liveFlows, double newFlowRatio, String tracking,
    int capacity, boolean backendChange, List<Integer> frameSizes, List<Double> loads)
{
    /** How a scenario is measured. */
    public enum Kind
    {
        /** The foundation's Java RX/read/TX loop against testpmd io on {@code net_null}. */
        L2FWD,
        /** The MUX fast path on {@code net_null} fed by {@link FrameReplay}, against testpmd io on the same device. */
        PIPELINE,
        /** The MUX over {@code net_memif} driven by the generator in another process, against testpmd io there. */
        MEMIF_THROUGHPUT,
        /** Latency through the MUX over {@code net_memif} at offered loads, against testpmd io there. */
        MEMIF_LATENCY,
        /**
         * pktgen-DPDK's rate sweep over {@code net_memif} against the MUX and against testpmd io
         * ({@link PktgenRunner}); run only when named, since it builds pktgen the first time.
         */
        PKTGEN
    }

    /**
     * IMIX 7:4:1 of 64, 594 and 1494 bytes, interleaved: the classic 1514-byte top less the 20 bytes of
     * IPIP, so the encapsulated packet fits the 1500-byte MTU of {@code net_memif}, whose largest frame
     * is 1518 bytes (a larger one would get an ICMP "fragmentation needed" reply, by design).
     */
    public static final List<Integer> IMIX = List.of(64, 594, 64, 594, 64, 1494, 64, 594, 64, 594, 64, 64);

    /**
     * The scenarios of a run, in the order they run (grouped by device so testpmd sessions are reused).
     *
     * @param cpus      CPUs available: the N of the N-worker scenario.
     * @param flowScale multiplies flow counts and table sizes (1 for the real figures; tests use less).
     */
    public static List<Scenario> all(final int cpus, final double flowScale)
    {
        final List<Scenario> s = new ArrayList<>();
        final List<Integer> small = List.of(64);
        s.add(new Scenario("l2fwd", "Foundation: Java RX -> read Ethernet/IPv4 -> TX", Kind.L2FWD, 1, 0, 0, "on-change", 0, false,
            small, List.of()));
        s.add(new Scenario("stateless", "Stateless pipeline (Maglev only), 1 worker", Kind.PIPELINE, 1, scaled(100_000, flowScale), 0,
            "on-change", scaled(1 << 20, flowScale), false, small, List.of()));
        s.add(new Scenario("always-1m", "flow-tracking always, 1M live flows, 1 worker", Kind.PIPELINE, 1, scaled(1_000_000, flowScale), 0,
            "always", scaled(1_250_000, flowScale), false, small, List.of()));
        s.add(new Scenario("always-10m", "flow-tracking always, 10M live flows, 1 worker", Kind.PIPELINE, 1, scaled(10_000_000, flowScale),
            0, "always", scaled(12_500_000, flowScale), false, small, List.of()));
        s.add(new Scenario("new-flows", "New-flow rate: every packet a SYN on a new 5-tuple (SYN flood shape), always tracking",
            Kind.PIPELINE, 1, 0, 1.0, "always", scaled(1 << 20, flowScale), false, small, List.of()));
        s.add(new Scenario("stateful-phase", "VIP in its stateful phase after a backend change, 1M flows, 1% new", Kind.PIPELINE, 1,
            scaled(1_000_000, flowScale), 0.01, "on-change", scaled(1_250_000, flowScale), true, small, List.of()));
        if (cpus > 1)
        {
            s.add(new Scenario("workers-n", "Stateless pipeline, " + cpus + " workers (all CPUs)", Kind.PIPELINE, cpus,
                scaled(100_000, flowScale), 0, "on-change", scaled(1 << 20, flowScale), false, small, List.of()));
        }
        s.add(new Scenario("imix", "Mixed packet sizes (IMIX 7:4:1 of 64/594/1494) over net_memif from another process",
            Kind.MEMIF_THROUGHPUT, 1, scaled(10_000, flowScale), 0.01, "on-change", scaled(1 << 20, flowScale), false, IMIX, List.of()));
        s.add(new Scenario("latency", "Latency through the MUX over net_memif at 10/50/90% of the measured maximum",
            Kind.MEMIF_LATENCY, 1, scaled(10_000, flowScale), 0.01, "on-change", scaled(1 << 20, flowScale), false, small,
            List.of(0.1, 0.5, 0.9)));
        s.add(new Scenario("pktgen", "pktgen-DPDK's rate sweep over net_memif: the MUX and testpmd io under the C generator's load "
            + "(run only when named)", Kind.PKTGEN, 1, scaled(10_000, flowScale), 0, "on-change", scaled(1 << 20, flowScale), false, small,
            List.of()));
        return s;
    }

    private static int scaled(final long n, final double scale)
    {
        return (int)Math.max(1000, Math.round(n * scale));
    }

    /** @return the VIP configuration of this scenario as YAML (the MUX's own file format). */
    public String configYaml(final boolean changed)
    {
        final StringBuilder b = new StringBuilder();
        b.append("mux:\n  name: bench\n  address: 10.0.0.10\n");
        b.append("dataplane:\n  eal: []\n  port: 0\n  workers: ").append(workers).append('\n');
        b.append("  gateway-mac: \"02:00:00:00:00:fe\"\n");
        b.append("  flow-table: { capacity: ").append(Math.max(1024, capacity)).append(", idle-timeout-seconds: 300 }\n");
        b.append("vips:\n  - address: 192.0.2.10\n    port: 80\n    protocol: tcp\n    encapsulation: ipip\n");
        b.append("    flow-tracking: ").append(tracking).append('\n');
        b.append("    backends:\n");
        final int backends = changed ? 9 : 8;
        for (int i = 1; i <= backends; i++)
        {
            b.append("      - { address: 10.1.0.").append(i).append(" }\n");
        }
        return b.toString();
    }
}
