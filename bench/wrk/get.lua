-- get.lua - GET with the bearer token.
--   URL path as given (GET /products, or the 401 path without BENCH_TOKEN),
--   or, with BENCH_ID_MAX=N, GET /products/<id> cycling ids 1..N.
-- With BENCH_STOP_AFTER=N each thread stops after N responses (the
-- 1,000,000-request memory run); the count is reported as "counted".
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")

local id_max = tonumber(os.getenv("BENCH_ID_MAX") or "0")
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
    local id = (n % id_max) + 1
    local r = reqs[id]
    if not r then
      r = wrk.format("GET", "/products/" .. id)
      reqs[id] = r
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
