-- post.lua - POST /products with a realistic JSON body (the name varies).
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local n = 0

function init(args)
  n = (tid or 0) * 100000000
end

function request()
  n = n + 1
  local body = string.format(
    '{"name":"Bench product %d","description":"Created by bench/wrk/post.lua",' ..
    '"price":%d.%02d,"quantity":%d}', n, 10 + n % 990, n % 100, n % 500)
  return wrk.format("POST", "/products", nil, body)
end
