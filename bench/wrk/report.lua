-- report.lua - shared by every wrk script of bench/run.sh (loaded with dofile).
-- done() prints one line "BENCHJSON {...}" that run.sh parses with jq:
-- requests, seconds, req/s, latency percentiles in ms, socket errors and
-- the count of responses with a status >= 400 (wrk's "Non-2xx or 3xx").
--
-- Environment: BENCH_TOKEN (a JWT) adds "Authorization: Bearer <token>".

local token = os.getenv("BENCH_TOKEN")
if token and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end

-- Each wrk thread has its own Lua state; setup() runs in the main state and
-- numbers them, so scripts can give each thread its own slice of ids/users.
local threads = {}
local thread_count = 0
function setup(thread)
  thread:set("tid", thread_count)
  thread_count = thread_count + 1
  table.insert(threads, thread)
end

local function ms(us) return us / 1000.0 end

function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  local e = summary.errors
  local extra = ""
  -- Scripts may count things per thread in a global "counted" (a number).
  local counted = 0
  for _, t in ipairs(threads) do
    local c = t:get("counted")
    if c then counted = counted + c end
  end
  io.write(string.format(
    'BENCHJSON {"requests":%d,"seconds":%.3f,"rps":%.1f,' ..
    '"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"p999_ms":%.3f,"max_ms":%.3f,"mean_ms":%.3f,' ..
    '"err_connect":%d,"err_read":%d,"err_write":%d,"err_timeout":%d,"status_ge_400":%d,' ..
    '"counted":%d,"bytes":%d}\n',
    summary.requests, secs, summary.requests / secs,
    ms(latency:percentile(50)), ms(latency:percentile(90)), ms(latency:percentile(99)),
    ms(latency:percentile(99.9)), ms(latency.max), ms(latency.mean),
    e.connect, e.read, e.write, e.timeout, e.status, counted, summary.bytes))
end
