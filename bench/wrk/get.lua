-- get.lua - GET with the bearer token.
--   URL path as given (GET /products, or the 401 path without BENCH_TOKEN),
--   or, with BENCH_ID_MAX=N, GET /products/<id> cycling N ids:
--   BENCH_ID_FIRST + k * BENCH_ID_STEP for k = 0..N-1 (defaults 1 and 1: ids
--   1..N; on a Galera cluster a node's ids step by the cluster's size).
-- With BENCH_STOP_AFTER=N each thread stops after N responses (the
-- 1,000,000-request memory run); the count is reported as "counted".
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")

local id_max = tonumber(os.getenv("BENCH_ID_MAX") or "0")
local id_first = tonumber(os.getenv("BENCH_ID_FIRST") or "1")
local id_step = tonumber(os.getenv("BENCH_ID_STEP") or "1")
local stop_after = tonumber(os.getenv("BENCH_STOP_AFTER") or "0")
local n = 0

function init(args)
  n = (tid or 0) * 7919
end

if id_max > 0 then
  -- Each request is formatted once and reused: the load generator shares the
  -- machine's 2 cores with the server and MariaDB, so its cost is kept down.
  local reqs = {}
  function request()
    n = n + 1
    local k = n % id_max
    local r = reqs[k]
    if not r then
      r = wrk.format("GET", "/products/" .. (id_first + k * id_step))
      reqs[k] = r
    end
    return r
  end
end

if stop_after > 0 then
  counted = 0
  function response(status, headers, body)
    counted = counted + 1
    if counted >= stop_after then
      wrk.thread:stop()
    end
  end
end
