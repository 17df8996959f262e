-- delete.lua - DELETE /products/<id>, each id once: ids BENCH_DEL_FIRST ..
-- BENCH_DEL_LAST are split into one contiguous block per wrk thread
-- (BENCH_THREADS). Past its block a thread gets 404s, which count as
-- status_ge_400 in the report, so a too small block shows.
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")

local first = tonumber(os.getenv("BENCH_DEL_FIRST"))
local last = tonumber(os.getenv("BENCH_DEL_LAST"))
local nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")
local next_id, stop_id

function init(args)
  local block = math.floor((last - first + 1) / nthreads)
  next_id = first + (tid or 0) * block
  stop_id = next_id + block - 1
end

function request()
  local id = next_id
  next_id = next_id + 1
  if id > stop_id then id = last + 1000000000 end -- out of ids: a 404
  return wrk.format("DELETE", "/products/" .. id)
end
