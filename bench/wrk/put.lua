-- put.lua - PUT /products/<id> (a partial update of price and quantity),
-- cycling ids 1..BENCH_ID_MAX, without If-Match (last write wins).
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")

wrk.headers["Content-Type"] = "application/json"
local id_max = tonumber(os.getenv("BENCH_ID_MAX") or "100")
local n = 0

function init(args)
  n = (tid or 0) * 7919
end

function request()
  n = n + 1
  local body = string.format('{"price":%d.%02d,"quantity":%d}', 10 + n % 990, n % 100, n % 500)
  return wrk.format("PUT", "/products/" .. ((n % id_max) + 1), nil, body)
end
