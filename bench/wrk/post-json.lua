-- wrk script shared by the HTTP benchmarks: POST a JSON body and, when wrk is done, write the exact
-- figures (microseconds, counts) as one JSON object to the file named by BENCH_WRK_OUT, so the harness
-- reads a structured result instead of scanning wrk's rounded text.
wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY") or '{"name":"bench"}'
wrk.headers["Content-Type"] = "application/json"
-- Extra headers, one "Name: value" per line (the async subject sends X-Fn-Invocation-Type: Event).
for name, value in string.gmatch(os.getenv("BENCH_HEADERS") or "", "([^:\n]+):%s*([^\n]*)") do
  wrk.headers[name] = value
end

local function num(x)
  return string.format("%.3f", x)
end

done = function(summary, latency, requests)
  local path = os.getenv("BENCH_WRK_OUT")
  if not path then return end
  local e = summary.errors
  local parts = {
    '"durationUs":' .. num(summary.duration),
    '"requests":' .. num(summary.requests),
    '"bytes":' .. num(summary.bytes),
    '"errors":{"connect":' .. num(e.connect) .. ',"read":' .. num(e.read) .. ',"write":' .. num(e.write)
      .. ',"status":' .. num(e.status) .. ',"timeout":' .. num(e.timeout) .. '}',
    '"latencyUs":{"min":' .. num(latency.min) .. ',"mean":' .. num(latency.mean) .. ',"max":' .. num(latency.max)
      .. ',"stdev":' .. num(latency.stdev) .. ',"p50":' .. num(latency:percentile(50))
      .. ',"p75":' .. num(latency:percentile(75)) .. ',"p90":' .. num(latency:percentile(90))
      .. ',"p99":' .. num(latency:percentile(99)) .. ',"p999":' .. num(latency:percentile(99.9)) .. '}',
  }
  local f = assert(io.open(path, "w"))
  f:write("{" .. table.concat(parts, ",") .. "}\n")
  f:close()
end
