-- panamux load test with pktgen-DPDK (23.06.x, DPDK 22.11): a rate sweep of client flows to one VIP.
--
-- pktgen sends on port PORT; the MUX encapsulates and sends to its gateway, which in both set-ups of
-- perf/pktgen/README.md is pktgen's own port, so what comes back on PORT is what the MUX forwarded.
-- For each rate step it prints (and appends to RESULTS) the offered and returned packets per second.
--
-- Run (under a terminal: pktgen needs one, see README):
--   pktgen <EAL args> -- -T -P -m "[1].0" -f perf/pktgen/mux-load.lua
-- Settings come from the environment so one script serves the lab and memif:
--   MUX_MAC   destination MAC: the MUX port's (memif: any, the MUX does not filter on it)
--   VIP       the VIP (default 192.0.2.10), VIP_PORT (default 80), PROTO (tcp|udp, default tcp)
--   SIZE      frame size without FCS (default 64)
--   FLOWS     client source addresses cycled through, one flow each (default 10000)
--   RATES     comma-separated percentages of the link rate (default 10,25,50,75,100)
--   STEP_MS   milliseconds per rate step (default 5000), RESULTS file (default pktgen-results.csv)

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
local mux_mac = env("MUX_MAC", "02:00:00:00:00:01")
local vip = env("VIP", "192.0.2.10")
local vip_port = tonumber(env("VIP_PORT", "80"))
local proto = env("PROTO", "tcp")
local size = tonumber(env("SIZE", "64"))
local flows = tonumber(env("FLOWS", "10000"))
local step_ms = tonumber(env("STEP_MS", "5000"))
local results = env("RESULTS", "pktgen-results.csv")

local rates = {}
for r in string.gmatch(env("RATES", "10,25,50,75,100"), "[^,]+") do
    rates[#rates + 1] = tonumber(r)
end

-- Clients 10.0.0.1 .. 10.0.0.1 + FLOWS - 1: one flow per source address, as the built-in generator.
local function ip_plus(base, n)
    local a, b, c, d = string.match(base, "(%d+)%.(%d+)%.(%d+)%.(%d+)")
    local v = ((tonumber(a) * 256 + tonumber(b)) * 256 + tonumber(c)) * 256 + tonumber(d) + n
    return string.format("%d.%d.%d.%d", (v >> 24) & 255, (v >> 16) & 255, (v >> 8) & 255, v & 255)
end
local src_first = "10.0.0.1"
local src_last = ip_plus(src_first, flows - 1)

pktgen.stop(port)
pktgen.reset(port)
pktgen.clr()

-- The range stream: addresses and ports step per packet, sizes fixed. In pktgen 23.06 the range
-- settings are the functions of the pktgen.range table (pktgen.range.dst_mac, ...); the top-level
-- pktgen table has none of them (pktgen.dst_mac is nil there and stops the script).
local range = pktgen.range
if range == nil or range.dst_mac == nil then
    error("this pktgen has no pktgen.range.dst_mac: mux-load.lua is written for pktgen 23.06.x")
end
range.dst_mac(port, "start", mux_mac)
range.src_ip(port, "start", src_first)
range.src_ip(port, "inc", "0.0.0.1")
range.src_ip(port, "min", src_first)
range.src_ip(port, "max", src_last)
range.dst_ip(port, "start", vip)
range.dst_ip(port, "inc", "0.0.0.0")
range.dst_ip(port, "min", vip)
range.dst_ip(port, "max", vip)
range.src_port(port, "start", 1024)
range.src_port(port, "inc", 0)
range.src_port(port, "min", 1024)
range.src_port(port, "max", 1024)
range.dst_port(port, "start", vip_port)
range.dst_port(port, "inc", 0)
range.dst_port(port, "min", vip_port)
range.dst_port(port, "max", vip_port)
range.ip_proto(port, proto)
range.pkt_size(port, "start", size)
range.pkt_size(port, "inc", 0)
range.pkt_size(port, "min", size)
range.pkt_size(port, "max", size)
pktgen.set_range(port, "on")
pktgen.set(port, "count", 0)
pktgen.set(port, "burst", 32)

-- Wait (bounded) until the forwarder answers before the first step: its memif socket listens as soon as the
-- device exists, but the link comes up only once the forwarder has started its port (a MUX on a loaded machine
-- took seconds more, and the first step then measured 0 pps). One per cent of the link rate, until packets
-- come back or 20 s have passed.
pktgen.set(port, "rate", 1)
pktgen.start(port)
local waited = 0
while waited < 20000 do
    pktgen.delay(500)
    waited = waited + 500
    if pktgen.portStats(port, "rate")[tonumber(port)].pkts_rx > 0 then
        break
    end
end
pktgen.stop(port)
pktgen.delay(500)
printf("forwarder answering after %d ms\n", waited)

local out = io.open(results, "a")
out:write("rate_percent,size,flows,tx_pps,rx_pps,rx_over_tx\n")
printf("%8s %12s %12s %8s\n", "rate %", "tx pps", "rx pps", "rx/tx")
for _, rate in ipairs(rates) do
    pktgen.set(port, "rate", rate)
    pktgen.clr()
    pktgen.start(port)
    -- The first second ramps up and fills queues: sample the rate over the rest of the step.
    pktgen.delay(1000)
    local samples, tx, rx = 0, 0, 0
    local t = 1000
    while t < step_ms do
        pktgen.delay(1000)
        t = t + 1000
        local s = pktgen.portStats(port, "rate")[tonumber(port)]
        tx = tx + s.pkts_tx
        rx = rx + s.pkts_rx
        samples = samples + 1
    end
    pktgen.stop(port)
    pktgen.delay(500)
    local tx_pps = samples > 0 and tx / samples or 0
    local rx_pps = samples > 0 and rx / samples or 0
    local ratio = tx_pps > 0 and rx_pps / tx_pps or 0
    printf("%8d %12.0f %12.0f %8.3f\n", rate, tx_pps, rx_pps, ratio)
    out:write(string.format("%d,%d,%d,%.0f,%.0f,%.4f\n", rate, size, flows, tx_pps, rx_pps, ratio))
    out:flush()
end
out:close()
printf("results appended to %s\n", results)
if env("QUIT", "1") == "1" then
    pktgen.quit()
end
