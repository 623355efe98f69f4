/**
 * The performance harness ({@code ./panamux bench}) and the traffic generator ({@code ./panamux bench
 * generate}): whole-system figures of the MUX, each next to {@code dpdk-testpmd --forward-mode=io}
 * measured in the same run on the same virtual devices. JMH ({@code io.panamux.perf.jmh}) stays the
 * tool for the cost of one component; this package measures the MUX as it runs.
 *
 * <h2>Running it</h2>
 * <pre>
 *   ./panamux bench --list                  the scenarios
 *   ./panamux bench --quick                 all of them, 1 s windows, 2 rounds (95 s on a quiet 2-CPU VM)
 *   ./panamux bench                         all of them, 3 s windows, 5 rounds, 3 memif rounds (7 minutes there)
 *   ./panamux bench stateless always-1m     some of them
 *   ./panamux bench --out DIR --seconds 5 --rounds 7 --no-hugepages
 *   ./panamux bench pktgen                  pktgen-DPDK's sweep against the MUX and testpmd (only when named)
 * </pre>
 * Runs use 2 MB hugepages ({@code --in-memory}) when enough are free or, as root, can be reserved through
 * {@code /proc/sys/vm/nr_hugepages} ({@link io.panamux.perf.bench.HugePages}; the pool is put back
 * afterwards), and 4 KB pages ({@code --no-huge}) otherwise; the first line and the report say which.
 * {@code --hugepages} fails the run without them, {@code --no-hugepages} measures on 4 KB pages.
 * Each run writes {@code bench.json} (every figure, every round, the environment: CPU, TSC, cores,
 * memory, hugepages, kernel, DPDK and JDK versions, JVM options) and {@code bench.html} (tables and
 * inline SVG plots, no script, nothing fetched) into {@code bench-results/<time>/} or {@code --out}.
 * While it runs it prints a line per measured window and a line per second inside Java windows.
 *
 * <h2>Scenarios</h2>
 * <table>
 *   <caption>What each scenario measures</caption>
 *   <tr><th>name</th><th>device</th><th>what</th></tr>
 *   <tr><td>l2fwd</td><td>net_null</td><td>the foundation: Java RX, read Ethernet/IPv4, TX
 *       ({@link io.panamux.perf.L2ForwardAgent})</td></tr>
 *   <tr><td>stateless</td><td>net_null</td><td>the MUX fast path, one worker, a VIP without flow
 *       state: parse, VIP lookup, flow hash, Maglev, IPIP encapsulation, buffered TX</td></tr>
 *   <tr><td>always-1m, always-10m</td><td>net_null</td><td>{@code flow-tracking: always} with 1M / 10M
 *       live flows cycled through, the table filled before measuring (mostly hits)</td></tr>
 *   <tr><td>new-flows</td><td>net_null</td><td>a SYN flood shape: every packet a SYN on a new 5-tuple,
 *       recorded (and, the table being full, evicting): the new-flow rate</td></tr>
 *   <tr><td>stateful-phase</td><td>net_null</td><td>a VIP after a backend was added: flows recorded,
 *       misses resolved through the previous Maglev table, 1% new connections</td></tr>
 *   <tr><td>workers-n</td><td>net_null</td><td>the stateless pipeline on every CPU, one worker each
 *       (testpmd with as many forwarding cores)</td></tr>
 *   <tr><td>imix</td><td>net_memif</td><td>forwarded rate with an IMIX of 64/594/1494 bytes, the
 *       generator in another process</td></tr>
 *   <tr><td>latency</td><td>net_memif</td><td>latency percentiles through the MUX at 10, 50 and 90% of
 *       the maximum measured in the same round, the generator rate-limited in another process</td></tr>
 *   <tr><td>pktgen</td><td>net_memif</td><td>run only when named: pktgen-DPDK's rate sweep
 *       ({@code perf/pktgen/run-memif.sh}) against the MUX, then against testpmd io in its place
 *       ({@link io.panamux.perf.bench.PktgenRunner}); pktgen is built once into
 *       {@code ~/.cache/panamux}</td></tr>
 * </table>
 *
 * <h2>How the fast path is fed, and what is counted</h2>
 * A MUX worker must not be limited by its generator, and must pay the same device cost as testpmd.
 * It polls a {@code net_null} port, which allocates mbufs on RX and frees them on TX but never writes
 * packet data; before each poll, on the worker's own core, a {@link io.panamux.perf.bench.FrameReplay}
 * writes the next client frames into the mbufs the RX burst will get (the per-lcore pool cache is last
 * in, first out). A {@link io.panamux.perf.bench.MeasuredAgent} counts the TSC cycles of the worker's
 * polls that received packets, and nothing else, the way {@code --record-core-cycles} counts testpmd's.
 * testpmd runs on the same {@code net_null} device with the same pool (size, cache, data room),
 * burst, descriptors and CPU ({@link io.panamux.perf.bench.DeviceSetup}).
 *
 * <p>Forwarding loops run on the last CPUs (one worker: CPU 1 of two); the bench JVM keeps its other
 * threads (main, JIT, GC, testpmd's output reader, EAL's) on CPU 0 and, as root, at nice 19 (the JIT
 * excepted), and the memif generator runs on CPU 0 in its own JVM, placed the same way
 * ({@link io.panamux.perf.bench.ThreadPlacement}). testpmd gets the same placement ({@code --lcores}:
 * main lcore on CPU 0, forwarding lcores where the Java loops run) and, like the forwarding threads,
 * normal priority.
 *
 * <h2>The C baseline</h2>
 * testpmd io does no work per packet, so its ratio says what the pipeline costs, not what Java costs. Every
 * MUX scenario on {@code net_null} but the stateful phase therefore also measures
 * {@link io.panamux.perf.bench.CBaseline}: the worker's work written in C as a DPDK developer would
 * ({@code perf/src/main/c/panamux_cbase.c}: l3fwd-em style bursts, prefetch of packet data and of the
 * flow-table buckets a flow lives in, the VIP table as the worker's open-addressing array, the same flow hash,
 * Maglev tables, flow-table layout and placement, encapsulation and TX buffering), compiled against the
 * installed DPDK at build time with {@code -march=native} (as DPDK's own build, and as C2 compiles the worker).
 * It does less bookkeeping than the worker: no per-backend, byte or drop-reason counters beyond a few, no
 * control-command ring, snapshot check or idle-flow sweep. It runs on the worker's CPU, fed by its own
 * replay and counted by its own {@link io.panamux.perf.bench.MeasuredAgent}, in a third window of each round
 * (testpmd, Java, C). <b>Java/C</b> ({@code java_over_c}: the median of each round's Java Mpps over its C
 * Mpps) is the headline ratio. {@code CBaselineEquivalenceTest} checks that both forward the same bursts
 * into the same bytes.
 *
 * <h2>How to read the figures</h2>
 * <ul>
 *   <li><b>Mpps</b> of a net_null scenario is per-core capacity: forwarding cores x TSC Hz / busy cycles
 *       per packet. For testpmd on net_null it equals the wall-clock rate (its core is never idle);
 *       both are in the JSON. For the MUX it is what the worker would forward if frames arrived for
 *       free: the replay costs about as much again, so the MUX's wall-clock rate ({@code java_wall_mpps})
 *       is about half of it.</li>
 *   <li><b>Cycles per packet</b> is the same figure upside down. The MUX's minus testpmd's is what the
 *       MUX's own work costs per packet on this machine.</li>
 *   <li><b>Ratio</b> is Java over testpmd. Windows alternate (testpmd, Java, testpmd, Java...) on the
 *       same CPU; each Java window is divided by the testpmd window just before it, and the reported
 *       ratio is the median of those, so a machine that slows down during the run does not bias it.</li>
 *   <li><b>Other CPU %</b> of a window is the share of all CPUs used by other processes meanwhile. On a
 *       shared machine, figures with more than ~10% are noise, and the report says so; take figures
 *       when {@code uptime} shows a load average below ~1.5 before starting.</li>
 *   <li><b>memif</b> figures come from the generator in another JVM: packets that came back through the
 *       forwarder. {@code bound} says whether a forwarder refused packets ({@code forwarder}) or the
 *       generator set the pace ({@code generator}); in the latter case the ratio only says both kept up.</li>
 *   <li><b>Latency</b> runs from a packet's intended send time (rate-limited generator: no coordinated
 *       omission) to its return, so it includes both memif copies and the generator's RX poll, for
 *       testpmd as for the MUX; the testpmd curve is the floor of the set-up. The MUX flushes its TX
 *       buffer at 32 packets or after 100 us, which sets the latency at low loads. {@code GC} counts
 *       collections of the MUX's JVM in the measured phase: each one stops the worker.</li>
 * </ul>
 *
 * <h2>The generator</h2>
 * {@link io.panamux.perf.bench.GenerateCommand} runs {@link io.panamux.perf.traffic.TrafficGenerator}
 * on any DPDK port: a {@code net_memif} client (another process than the MUX), a NIC in the lab
 * ({@code --eal "-a PCI"}), or {@code net_pcap} to write a capture for replay tools ({@code --pcap}).
 * Flows, new-flow ratio, size mix and rate are options; every frame carries its send time in its last 8
 * bytes, which encapsulation does not move, so latency is measured per packet. pktgen-DPDK scripts for
 * the same set-ups are in {@code perf/pktgen/}.
 */
package io.panamux.perf.bench;
