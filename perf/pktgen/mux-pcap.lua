-- panamux load test with pktgen-DPDK replaying a capture written by the built-in generator:
--   ./panamux bench generate --pcap imix.pcap --packets 100000 --flows 10000 --sizes 64,594,64,594,64,1494,64,594,64,594,64,64
-- so pktgen sends exactly the built-in generator's flows, SYNs and size mix (at pktgen's speed).
--
-- Start pktgen with the capture on port 0 (-s P:FILE) and this script:
--   pktgen <EAL args> -- -T -P -m "[1].0" -s 0:imix.pcap -f perf/pktgen/mux-pcap.lua
-- Settings from the environment: PORT (0), RATES (percent steps, default 25,50,100), STEP_MS (5000),
-- RESULTS (pktgen-results.csv).
-- The capture's destination MAC is the generator's --dst-mac: give it the MUX port's MAC in the lab.

package.path = package.path .. ";?.lua;test/?.lua;app/?.lua;"
-- Pktgen.lua (in pktgen's source tree) adds helpers such as printf; run from that tree to have it, but
-- nothing here needs more than the built-in "pktgen" table.
pcall(require, "Pktgen")
local printf = printf or function(...) io.write(string.format(...)) end

local function env(name, default)
    local v = os.getenv(name)
    if v == nil or v == "" then
        return default
    end
    return v
end

local port = env("PORT", "0")
local step_ms = tonumber(env("STEP_MS", "5000"))
local results = env("RESULTS", "pktgen-results.csv")
local rates = {}
for r in string.gmatch(env("RATES", "25,50,100"), "[^,]+") do
    rates[#rates + 1] = tonumber(r)
end

pktgen.stop(port)
pktgen.pcap(port, "on")
pktgen.set(port, "count", 0)

local out = io.open(results, "a")
out:write("source,rate_percent,tx_pps,rx_pps,tx_mbits,rx_mbits\n")
printf("%8s %12s %12s %10s %10s\n", "rate %", "tx pps", "rx pps", "tx Mbit/s", "rx Mbit/s")
for _, rate in ipairs(rates) do
    pktgen.set(port, "rate", rate)
    pktgen.clr()
    pktgen.start(port)
    pktgen.delay(1000)
    local samples, tx, rx, txb, rxb = 0, 0, 0, 0, 0
    local t = 1000
    while t < step_ms do
        pktgen.delay(1000)
        t = t + 1000
        local s = pktgen.portStats(port, "rate")[tonumber(port)]
        tx, rx = tx + s.pkts_tx, rx + s.pkts_rx
        txb, rxb = txb + s.mbits_tx, rxb + s.mbits_rx
        samples = samples + 1
    end
    pktgen.stop(port)
    pktgen.delay(500)
    local n = math.max(samples, 1)
    printf("%8d %12.0f %12.0f %10.0f %10.0f\n", rate, tx / n, rx / n, txb / n, rxb / n)
    out:write(string.format("pcap,%d,%.0f,%.0f,%.0f,%.0f\n", rate, tx / n, rx / n, txb / n, rxb / n))
    out:flush()
end
out:close()
if env("QUIT", "1") == "1" then
    pktgen.quit()
end
