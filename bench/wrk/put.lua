-- put.lua - PUT /products/<id> (a partial update of price and quantity),
-- cycling ids 1..BENCH_ID_MAX, without If-Match (last write wins).
-- BENCH_ID_FIRST and BENCH_ID_STEP (defaults 1 and 1) as in get.lua: the ids
-- are BENCH_ID_FIRST + k * BENCH_ID_STEP for k = 0..BENCH_ID_MAX-1.
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")

wrk.headers["Content-Type"] = "application/json"
local id_max = tonumber(os.getenv("BENCH_ID_MAX") or "100")
local id_first = tonumber(os.getenv("BENCH_ID_FIRST") or "1")
local id_step = tonumber(os.getenv("BENCH_ID_STEP") or "1")
local n = 0

function init(args)
  n = (tid or 0) * 7919
end

function request()
  n = n + 1
  local body = string.format('{"price":%d.%02d,"quantity":%d}', 10 + n % 990, n % 100, n % 500)
  return wrk.format("PUT", "/products/" .. (id_first + (n % id_max) * id_step), nil, body)
end
