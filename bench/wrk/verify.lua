-- verify.lua - POST /verify-2fa for many users, each with an open login
-- challenge (seeded by bench/run.sh). All bench users share one TOTP secret,
-- so one code per 30-second step serves them all; run.sh precomputes the codes
-- with oathtool into BENCH_CODES, lines "<step> <right code> <wrong code>"
-- (the wrong code matches none of steps-1, step, step+1).
--
-- BENCH_CODE_MODE=right: every request uses a user not used before in this
-- run (users BENCH_USER_FIRST..BENCH_USER_LAST, one contiguous block per wrk
-- thread), so each is the full success path: SELECT, TOTP check, the
-- conditional UPDATE, JWT issue -> 200. A user is accepted once per step and
-- the challenge then closes, which is why users are never reused.
-- BENCH_CODE_MODE=wrong: the same users cycled, wrong code -> 401 invalid_code
-- (SELECT, TOTP check, the failure UPDATE).
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local prefix = os.getenv("BENCH_USER_PREFIX") or "bv"
local first = tonumber(os.getenv("BENCH_USER_FIRST"))
local last = tonumber(os.getenv("BENCH_USER_LAST"))
local nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")
local mode = os.getenv("BENCH_CODE_MODE") or "right"
local right, wrong = {}, {}
for line in io.lines(os.getenv("BENCH_CODES")) do
  local step, r, w = line:match("^(%d+) (%d+) (%d+)$")
  if step then
    right[tonumber(step)] = r
    wrong[tonumber(step)] = w
  end
end
local next_user, block_first, block_last

function init(args)
  local block = math.floor((last - first + 1) / nthreads)
  block_first = first + (tid or 0) * block
  block_last = block_first + block - 1
  next_user = block_first
end

function request()
  local u = next_user
  next_user = next_user + 1
  if next_user > block_last then next_user = block_first end
  local step = math.floor(os.time() / 30)
  local code = (mode == "right" and right or wrong)[step] or "000000"
  local body = string.format('{"username":"%s%06d","code":"%s"}', prefix, u, code)
  return wrk.format(nil, "/verify-2fa", nil, body)
end
