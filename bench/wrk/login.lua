-- login.lua - POST /login with the right password for a pool of users
-- (BENCH_USER_PREFIX + 0..BENCH_POOL-1, 2FA confirmed: the answer is the
-- "enter the code" JSON). Each request costs one bcrypt at BCRYPT_COST.
-- A pool rather than one user keeps the failure counter (raised before the
-- bcrypt, lowered after a good password) of any one account low.
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"
local prefix = os.getenv("BENCH_USER_PREFIX") or "bl"
local pool = tonumber(os.getenv("BENCH_POOL") or "64")
local password = os.getenv("BENCH_PASSWORD")
local n = 0

function init(args)
  n = (tid or 0) * 31
end

function request()
  n = n + 1
  local body = string.format('{"username":"%s%06d","password":"%s"}', prefix, n % pool, password)
  return wrk.format(nil, "/login", nil, body)
end
