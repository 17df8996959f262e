#!/usr/bin/env bash
# Docker files, checked without a Docker engine (none runs here):
#   1. docker-compose.yml: Debian's docker-compose (1.29) `config` accepts it with
#      a .env made from .env.example, with and without the "scale" and "cluster"
#      profiles, and refuses to render without JWT_SECRET_KEY; the rendered file
#      has what docs/docker.md promises (mysql:8.4 with a healthcheck and a named
#      volume, the server waiting for it to be healthy, the scale profile's
#      second replica and nginx; the cluster profile's three mariadb:10.11 Galera
#      nodes with their wsrep settings, healthchecks and volumes, exactly one
#      that bootstraps, and a server whose DATABASE_URL names the three). db1's
#      bootstrap wrapper and the nodes' healthcheck, as rendered, are run with
#      stand-ins for the image's entrypoint and client: the wrapper adds
#      --wsrep-new-cluster on a first start and after a last clean stop only,
#      the healthcheck passes for a Synced, ready node only.
#   2. Dockerfile: two stages on debian:bookworm-slim, a non-root USER, a
#      HEALTHCHECK on /healthz; its build stage's COPY set is enough to build
#      the server (copied to a scratch directory and built there with the build
#      stage's cmake command); its runtime stage installs the Debian package of
#      every shared library that binary loads, and libmariadb3 with its
#      caching_sha2_password plugin.
#   3. docker/nginx/scale.conf: Debian's nginx runs it (upstream names and the
#      listen port swapped for loopback ones) in front of two real servers on
#      one database, and answers round-robin from both.
# What only a Docker engine can show (pulling images, building, MySQL 8.4's
# first start) is not run here: docs/docker.md says so.
#
# Environment: IT_SERVER_BIN, IT_MYSQL_SOCKET (root without password).
set -euo pipefail

NAME=compose
E2E_NAME=$NAME
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PY=/usr/bin/python3
NGINX=/usr/sbin/nginx
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

[[ -n "${IT_SERVER_BIN:-}" && -x "${IT_SERVER_BIN:-}" ]] || fail "IT_SERVER_BIN is not set or not executable"
[[ -n "${IT_MYSQL_SOCKET:-}" ]] || fail "IT_MYSQL_SOCKET is not set"
for tool in docker-compose cmake curl mariadb dpkg apt-cache "$PY" "$NGINX"; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (scripts/deps.sh test installs it)"
done
"$PY" -c 'import yaml' || fail "python3-yaml is missing (a dependency of docker-compose)"

TMP="$(mktemp -d "${TMPDIR:-/tmp}/e2e-$NAME.XXXXXX")"
DB="e2e_compose_$$_$RANDOM"
DB_MADE=0
PIDS=()
cleanup() {
  local rc=$? pid
  for pid in "${PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [[ $rc -ne 0 ]]; then
    for f in "$TMP"/*.log; do [[ -f "$f" ]] && { echo "--- $f" >&2; tail -n 20 "$f" >&2; }; done
  fi
  if [[ $DB_MADE == 1 ]]; then sqlroot "DROP DATABASE IF EXISTS \`$DB\`" || true; fi
  rm -rf "$TMP"
  exit "$rc"
}
trap cleanup EXIT

# --- 1. docker-compose.yml ---------------------------------------------------------
step "$(docker-compose version --short 2>/dev/null | head -n1 | sed 's/^/docker-compose /')"
# a .env as a user makes it from .env.example: the required values filled in
sed -e 's/^JWT_SECRET_KEY=.*/JWT_SECRET_KEY=0123456789abcdef0123456789abcdef0123456789abcdef/' \
    -e 's/^MYSQL_ROOT_PASSWORD=.*/MYSQL_ROOT_PASSWORD=root-pw-for-the-test/' \
    -e 's/^MYSQL_PASSWORD=.*/MYSQL_PASSWORD=app-pw-for-the-test/' .env.example >"$TMP/test.env"
compose() { docker-compose --env-file "$1" -f docker-compose.yml "${@:2}"; }

compose "$TMP/test.env" config -q 2>"$TMP/config.log" || fail "docker-compose config: $(cat "$TMP/config.log")"
compose "$TMP/test.env" --profile scale config -q 2>"$TMP/config.log" \
  || fail "docker-compose --profile scale config: $(cat "$TMP/config.log")"
compose "$TMP/test.env" --profile cluster config -q 2>"$TMP/config.log" \
  || fail "docker-compose --profile cluster config: $(cat "$TMP/config.log")"
[[ "$(compose "$TMP/test.env" config --profiles | sort | tr '\n' ' ')" == "cluster scale " ]] \
  || fail "the profiles should be 'cluster' and 'scale': $(compose "$TMP/test.env" config --profiles)"
step "docker-compose config accepts docker-compose.yml (default, --profile scale, --profile cluster)"

# .env.example as committed has no JWT_SECRET_KEY: rendering must refuse
if compose .env.example config -q 2>"$TMP/nokey.log"; then
  fail "docker-compose config rendered without JWT_SECRET_KEY"
fi
grep -q 'JWT_SECRET_KEY' "$TMP/nokey.log" || fail "the error does not name JWT_SECRET_KEY: $(cat "$TMP/nokey.log")"
step "without JWT_SECRET_KEY (.env.example as committed) docker-compose config refuses"

compose "$TMP/test.env" config >"$TMP/rendered.yml"
"$PY" - "$TMP/rendered.yml" <<'PYEOF' || fail "the rendered docker-compose.yml lacks something (above)"
import sys, yaml
c = yaml.safe_load(open(sys.argv[1]))
s = c["services"]
problems = []
def need(cond, what):
    if not cond:
        problems.append(what)
db, api = s.get("db", {}), s.get("api", {})
need(db.get("image") == "mysql:8.4", "db runs mysql:8.4")
need("healthcheck" in db and db["healthcheck"].get("test"), "db has a healthcheck")
need(any(str(v).startswith("db-data:") or (isinstance(v, dict) and v.get("source") == "db-data")
         for v in db.get("volumes", [])), "db keeps /var/lib/mysql in the named volume db-data")
need("db-data" in (c.get("volumes") or {}), "the named volume db-data is declared")
need(not db.get("profiles") and not api.get("profiles"), "db and api run without a profile")
need(api.get("build") is not None, "api is built from the Dockerfile")
need(api.get("depends_on", {}).get("db", {}).get("condition") == "service_healthy", "api waits for db to be healthy")
env = api.get("environment", {})
need(env.get("DATABASE_URL", "").startswith("mysql://app:app-pw-for-the-test@db:3306/"), "api's DATABASE_URL points at db")
need(len(env.get("JWT_SECRET_KEY", "")) >= 32, "api gets JWT_SECRET_KEY from .env")
need(env.get("HOST") == "0.0.0.0", "api listens on all interfaces in its container")
need("healthcheck" in api, "api has a healthcheck")
api2, lb = s.get("api2", {}), s.get("lb", {})
need(api2.get("profiles") == ["scale"] and lb.get("profiles") == ["scale"], "api2 and lb are in the scale profile")
need(api2.get("environment") == env, "api2 has the same environment as api")
need(api2.get("depends_on", {}).get("api", {}).get("condition") == "service_healthy", "api2 starts after api is healthy")
need(lb.get("image") == "nginx:stable", "lb runs nginx:stable")
need({k: v.get("condition") for k, v in lb.get("depends_on", {}).items()} ==
     {"api": "service_healthy", "api2": "service_healthy"}, "lb waits for both replicas")
need(any("scale.conf" in str(v) and "/etc/nginx/nginx.conf" in str(v) for v in lb.get("volumes", [])),
     "lb mounts docker/nginx/scale.conf as nginx.conf")
for p in problems:
    print("compose: missing:", p)
sys.exit(1 if problems else 0)
PYEOF
step "rendered: mysql:8.4 (healthcheck, volume db-data), api waits for it; scale: api2 + nginx"

# The cluster profile, as rendered with --profile cluster. Its scripts come out
# of the rendered file with Compose's $$ turned back into $, as the engine runs them.
compose "$TMP/test.env" --profile cluster config >"$TMP/rendered-cluster.yml"
mkdir -p "$TMP/cluster"
"$PY" - "$TMP/rendered-cluster.yml" "$TMP/cluster" <<'PYEOF' || fail "the cluster profile lacks something (above)"
import sys, yaml
c = yaml.safe_load(open(sys.argv[1]))
out = sys.argv[2]
s = c["services"]
problems = []
def need(cond, what):
    if not cond:
        problems.append(what)
nodes = ["db1", "db2", "db3"]
need(all(n in s for n in nodes), "three nodes db1, db2, db3")
want = ["--wsrep-on=ON", "--wsrep-provider=/usr/lib/galera/libgalera_smm.so",
        "--wsrep-cluster-address=gcomm://db1,db2,db3", "--binlog-format=ROW",
        "--innodb-autoinc-lock-mode=2", "--wsrep-sst-method=mariabackup",
        "--default-storage-engine=InnoDB"]
boots = []
for n in nodes:
    d = s.get(n, {})
    need(d.get("image") == "mariadb:10.11", f"{n} runs mariadb:10.11")
    need(d.get("profiles") == ["cluster"], f"{n} is in the cluster profile only")
    cmd = d.get("command") or []
    need(cmd[:1] == ["mariadbd"], f"{n} runs mariadbd")
    for w in want:
        need(w in cmd, f"{n} has {w}")
    # mariadb-backup state transfers: the donor logs in as mysql@localhost by unix_socket
    need("--wsrep-sst-auth=mysql:" in cmd, f"{n} has --wsrep-sst-auth=mysql:")
    env = d.get("environment", {})
    need(env.get("MARIADB_MYSQL_LOCALHOST_USER") == "1"
         and "RELOAD" in env.get("MARIADB_MYSQL_LOCALHOST_GRANTS", ""),
         f"{n} makes mysql@localhost with the grants of a state transfer")
    need(env.get("MARIADB_USER") == "app" and env.get("MARIADB_PASSWORD") == "app-pw-for-the-test",
         f"{n} makes the app user from .env")
    hc = d.get("healthcheck", {}).get("test") or []
    need(hc[:1] == ["CMD-SHELL"] and "wsrep_local_state_comment" in hc[-1]
         and "wsrep_ready" in hc[-1], f"{n}'s healthcheck asks for Synced and wsrep_ready")
    vols = [v if isinstance(v, str) else f"{v.get('source')}:{v.get('target')}" for v in d.get("volumes", [])]
    need(any(v.startswith(f"{n}-data:/var/lib/mysql") for v in vols),
         f"{n} keeps /var/lib/mysql in the named volume {n}-data")
    need(f"{n}-data" in (c.get("volumes") or {}), f"the named volume {n}-data is declared")
    text = " ".join(map(str, cmd + (d.get("entrypoint") or [])))
    if "--wsrep-new-cluster" in text:
        boots.append(n)
need(boots == ["db1"], f"exactly one node bootstraps, db1 (found: {boots})")
ep = s.get("db1", {}).get("entrypoint") or []
need(ep[:2] == ["bash", "-c"] and len(ep) == 4, "db1's entrypoint is bash -c SCRIPT NAME")
need("docker-entrypoint.sh" in (ep[2] if len(ep) > 2 else ""), "db1's wrapper runs the image's entrypoint")
need(s.get("db2", {}).get("depends_on", {}).get("db1", {}).get("condition") == "service_healthy",
     "db2 joins once db1 is healthy")
need(s.get("db3", {}).get("depends_on", {}).get("db2", {}).get("condition") == "service_healthy",
     "db3 joins once db2 is healthy")
api, capi = s.get("api", {}), s.get("api-cluster", {})
need(capi.get("profiles") == ["cluster"], "api-cluster is in the cluster profile")
need(capi.get("build") is not None, "api-cluster is built from the Dockerfile")
cenv = dict(capi.get("environment", {}))
url = cenv.pop("DATABASE_URL", "")
need(url == "mysql://app:app-pw-for-the-test@db1:3306,db2:3306,db3:3306/data_integrity_task",
     f"api-cluster's DATABASE_URL names the three nodes ({url})")
aenv = dict(api.get("environment", {}))
aenv.pop("DATABASE_URL", None)
need(cenv == aenv, "api-cluster has api's environment but DATABASE_URL")
need({k: v.get("condition") for k, v in capi.get("depends_on", {}).items()} ==
     {n: "service_healthy" for n in nodes}, "api-cluster waits for the three nodes")
need("healthcheck" in capi, "api-cluster has a healthcheck")
need(any(str(p.get("target") if isinstance(p, dict) else p).endswith("5000") for p in capi.get("ports", [])),
     "api-cluster publishes port 5000")
for n in nodes:
    need(n not in c["services"].get("api", {}).get("depends_on", {}), "api does not depend on the cluster")
if len(ep) > 2:
    open(f"{out}/bootstrap.sh", "w").write(ep[2].replace("$$", "$"))
    open(f"{out}/bootstrap.args", "w").write("\n".join(s["db1"]["command"]) + "\n")
hc = s.get("db1", {}).get("healthcheck", {}).get("test") or []
if hc:
    open(f"{out}/healthcheck.sh", "w").write(hc[-1].replace("$$", "$"))
for p in problems:
    print("compose: cluster profile: missing:", p)
sys.exit(1 if problems else 0)
PYEOF
step "rendered --profile cluster: db1-3 mariadb:10.11 with wsrep (gcomm://db1,db2,db3, ROW, autoinc 2, mariabackup), healthchecks, volumes; db1 alone bootstraps; api-cluster names the three"

# db1's wrapper, with a stand-in for the image's docker-entrypoint.sh that prints
# its arguments, and the data folder moved to a scratch one.
CL="$TMP/cluster"
mkdir -p "$CL/bin" "$CL/data"
printf '#!/bin/sh\nprintf "%%s\\n" "$@"\n' >"$CL/bin/docker-entrypoint.sh"
chmod +x "$CL/bin/docker-entrypoint.sh"
sed "s#/var/lib/mysql#$CL/data#g" "$CL/bootstrap.sh" >"$CL/bootstrap-test.sh"
grep -q "$CL/data/grastate.dat" "$CL/bootstrap-test.sh" || fail "db1's wrapper does not look at /var/lib/mysql/grastate.dat"
mapfile -t DB1_ARGS <"$CL/bootstrap.args"
boot_args() { PATH="$CL/bin:$PATH" bash -c "$(cat "$CL/bootstrap-test.sh")" db1 "${DB1_ARGS[@]}"; }
out="$(boot_args)"
[[ "$(head -n1 <<<"$out")" == mariadbd && "$(tail -n1 <<<"$out")" == --wsrep-new-cluster ]] \
  || fail "db1's first start (no grastate.dat) should add --wsrep-new-cluster: $out"
[[ "$(grep -c . <<<"$out")" == $((${#DB1_ARGS[@]} + 1)) ]] || fail "db1's wrapper changed its arguments: $out"
printf '# GALERA saved state\nversion: 2.1\nuuid: x\nseqno: -1\nsafe_to_bootstrap: 0\n' >"$CL/data/grastate.dat"
out="$(boot_args)"
grep -q -- --wsrep-new-cluster <<<"$out" && fail "db1 with safe_to_bootstrap: 0 must join, not bootstrap"
[[ "$(grep -c . <<<"$out")" == "${#DB1_ARGS[@]}" ]] || fail "db1's wrapper changed its arguments: $out"
sed -i 's/^safe_to_bootstrap: 0/safe_to_bootstrap: 1/' "$CL/data/grastate.dat"
out="$(boot_args)"
[[ "$(tail -n1 <<<"$out")" == --wsrep-new-cluster ]] || fail "db1 with safe_to_bootstrap: 1 should bootstrap: $out"
step "db1's wrapper: bootstraps on a first start and after a last clean stop, joins otherwise"

# The nodes' healthcheck, with a stand-in for the client that answers as a node would.
printf '#!/bin/sh\nprintf "wsrep_local_state_comment\\t%%s\\nwsrep_ready\\t%%s\\n" "$FAKE_STATE" "$FAKE_READY"\n' >"$CL/bin/mariadb"
chmod +x "$CL/bin/mariadb"
health() { PATH="$CL/bin:$PATH" MARIADB_USER=app MARIADB_PASSWORD=pw FAKE_STATE=$1 FAKE_READY=$2 sh -c "$(cat "$CL/healthcheck.sh")"; }
health Synced ON || fail "the healthcheck fails a Synced, ready node"
for st in "Joining OFF" "Donor/Desynced ON" "Synced OFF" "Initialized OFF"; do
  # shellcheck disable=SC2086  # two words on purpose
  if health $st; then fail "the healthcheck passes a node that is '$st'"; fi
done
step "the nodes' healthcheck: healthy when Synced and ready only (Joining, Donor, not ready: unhealthy)"

# --- 2. Dockerfile -----------------------------------------------------------------------
"$PY" - Dockerfile "$TMP" <<'PYEOF' || fail "Dockerfile (above)"
import re, sys
text = open(sys.argv[1]).read()
tmp = sys.argv[2]
lines = re.sub(r"\\\n", " ", text).splitlines()
stages, cur = [], None
for line in lines:
    s = line.strip()
    if not s or s.startswith("#"):
        continue
    word, _, rest = s.partition(" ")
    if word.upper() == "FROM":
        cur = {"from": rest.split()[0], "as": rest.split()[2] if " AS " in rest.upper() else None, "ins": []}
        stages.append(cur)
    elif cur is not None:
        cur["ins"].append((word.upper(), rest.strip()))
problems = []
if len(stages) != 2 or any(st["from"] != "debian:bookworm-slim" for st in stages):
    problems.append("two stages, both FROM debian:bookworm-slim")
build, run = stages[0], stages[-1]
users = [r for w, r in run["ins"] if w == "USER"]
if not users or users[-1].split(":")[0] in ("root", "0"):
    problems.append("the runtime stage ends with a non-root USER")
hc = [r for w, r in run["ins"] if w == "HEALTHCHECK"]
if not hc or "/healthz" not in hc[-1]:
    problems.append("a HEALTHCHECK on /healthz")
if not any(w == "COPY" and "--from=" + (build["as"] or "0") in r for w, r in run["ins"]):
    problems.append("the runtime stage copies the binary from the build stage")
def apt_packages(stage):
    pk = []
    for w, r in stage["ins"]:
        if w == "RUN":
            for m in re.finditer(r"apt-get install ((?:\s*-\S+)*)\s+([^&|;]+)", r):
                pk += m.group(2).split()
    return pk
with open(f"{tmp}/runtime-packages", "w") as f:
    f.write("\n".join(apt_packages(run)) + "\n")
with open(f"{tmp}/build-copies", "w") as f:
    for w, r in build["ins"]:
        if w == "COPY" and not r.startswith("--"):
            parts = r.split()
            for src in parts[:-1]:
                f.write(f"{src}\t{parts[-1]}\n")
with open(f"{tmp}/build-cmds", "w") as f:
    for w, r in build["ins"]:
        if w == "RUN" and r.startswith("cmake "):
            f.write(r + "\n")
for p in problems:
    print("compose: Dockerfile needs:", p)
sys.exit(1 if problems else 0)
PYEOF
step "Dockerfile: two bookworm-slim stages, non-root USER, HEALTHCHECK on /healthz"

# The build stage, without Docker: only what it COPYs, built with its own commands.
mkdir -p "$TMP/ctx/src"
while IFS=$'\t' read -r src dest; do
  case "$dest" in ./|.) d="$TMP/ctx/src" ;; *) d="$TMP/ctx/src/${dest%/}" ;; esac
  [[ -e "$src" ]] || fail "the Dockerfile copies $src, which does not exist"
  if [[ -d "$src" ]]; then mkdir -p "$d"; cp -r "$src/." "$d/"
  else
    if [[ "$dest" == */ || "$dest" == . || "$dest" == ./ ]]; then mkdir -p "$d"; cp "$src" "$d/"
    else mkdir -p "$(dirname "$d")"; cp "$src" "$d"; fi
  fi
done <"$TMP/build-copies"
build_cmd="$(sed -e 's#/build#'"$TMP"'/ctx/build#g' "$TMP/build-cmds")"
step "build stage without Docker: $(wc -l <"$TMP/build-copies") COPY sources, then: ${build_cmd//$TMP/\$TMP}"
(cd "$TMP/ctx/src" && bash -euo pipefail -c "$build_cmd") >"$TMP/build.log" 2>&1 \
  || fail "the Dockerfile's build stage does not build from what it copies: $(tail -n 20 "$TMP/build.log")"
BIN="$TMP/ctx/build/integrity-server"
[[ -x "$BIN" && -d "$TMP/ctx/build/tls-compat" ]] || fail "the build stage did not make integrity-server and tls-compat/"

# Every shared library the binary (and its TLS shims) loads must come from a
# package the runtime stage installs, or from one those depend on.
mapfile -t RUNTIME_PKGS <"$TMP/runtime-packages"
apt-cache depends --recurse --installed --no-recommends --no-suggests --no-conflicts \
  --no-breaks --no-replaces --no-enhances "${RUNTIME_PKGS[@]}" 2>/dev/null \
  | grep -v '^ ' | sed 's/:.*//' | sort -u >"$TMP/closure"
missing=()
while read -r lib; do
  # usrmerge: a file may be registered under /lib or under /usr/lib
  pkg="$(dpkg -S "$lib" 2>/dev/null | head -n1 | cut -d: -f1 || true)"
  [[ -n "$pkg" ]] || pkg="$(dpkg -S "$(readlink -f "$lib")" 2>/dev/null | head -n1 | cut -d: -f1 || true)"
  [[ -n "$pkg" ]] || { missing+=("$lib(no package)"); continue; }
  grep -qx "$pkg" "$TMP/closure" || missing+=("$lib($pkg)")
done < <(ldd "$BIN" "$TMP"/ctx/build/tls-compat/*.so | awk '$2 == "=>" && $3 ~ /^\// {print $3}' | sort -u)
[[ ${#missing[@]} -eq 0 ]] || fail "the runtime stage does not install: ${missing[*]}"
grep -qx libmariadb3 "$TMP/runtime-packages" || fail "the runtime stage does not install libmariadb3"
grep -q '/plugin/caching_sha2_password\.so$' <(dpkg -L libmariadb3) \
  || fail "libmariadb3 has no caching_sha2_password.so"
step "runtime stage installs every library the binary loads (${RUNTIME_PKGS[*]}); libmariadb3 ships caching_sha2_password.so"

# --- 3. docker/nginx/scale.conf in front of two real servers ---------------------------------
sqlroot "CREATE DATABASE \`$DB\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
DB_MADE=1
declare -A PORTS
for name in api api2; do
  PORTS[$name]="$(e2e_free_port)"
  env -i PATH="$PATH" ${ASAN_OPTIONS:+ASAN_OPTIONS="$ASAN_OPTIONS"} \
    ${UBSAN_OPTIONS:+UBSAN_OPTIONS="$UBSAN_OPTIONS"} \
    DATABASE_URL="mysql://app:app@localhost/$DB?socket=$IT_MYSQL_SOCKET" HOST=127.0.0.1 \
    PORT="${PORTS[$name]}" JWT_SECRET_KEY="compose-test-key:0123456789abcdefghijklmn" BCRYPT_COST=4 \
    "$IT_SERVER_BIN" >"$TMP/server-$name.log" 2>&1 &
  PIDS+=($!)
  up=0
  for _ in $(seq 1 200); do
    if curl -fsS --max-time 2 -o /dev/null "http://127.0.0.1:${PORTS[$name]}/readyz" 2>/dev/null; then up=1; break; fi
    sleep 0.1
  done
  [[ $up == 1 ]] || fail "server $name did not become ready"
done
LB_PORT="$(e2e_free_port)"
mkdir -p "$TMP/nginx/logs"
# the committed file, with only the container addresses replaced
sed -e "s/server api:5000;/server 127.0.0.1:${PORTS[api]};/" \
    -e "s/server api2:5000;/server 127.0.0.1:${PORTS[api2]};/" \
    -e "s/listen 80;/listen 127.0.0.1:$LB_PORT;/" \
    -e "s/^worker_processes auto;/worker_processes 1;/" \
    -e "s#pid /tmp/nginx.pid;#pid $TMP/nginx/nginx.pid;#" \
    -e "s#^http {#http {\n    client_body_temp_path $TMP/nginx/body;\n    proxy_temp_path $TMP/nginx/proxy;\n    fastcgi_temp_path $TMP/nginx/fastcgi;\n    uwsgi_temp_path $TMP/nginx/uwsgi;\n    scgi_temp_path $TMP/nginx/scgi;#" \
    docker/nginx/scale.conf >"$TMP/nginx/nginx.conf"
grep -q "127.0.0.1:${PORTS[api2]}" "$TMP/nginx/nginx.conf" || fail "scale.conf has no 'server api2:5000;' upstream"
grep -q "listen 127.0.0.1:$LB_PORT" "$TMP/nginx/nginx.conf" || fail "scale.conf does not 'listen 80;'"
"$NGINX" -t -q -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/logs/error.log" 2>"$TMP/nginx-t.log" \
  || fail "nginx -t rejects docker/nginx/scale.conf: $(cat "$TMP/nginx-t.log")"
"$NGINX" -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/logs/error.log" \
  -g 'daemon off;' >"$TMP/nginx.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do
  curl -fsS --max-time 2 -o /dev/null "http://127.0.0.1:$LB_PORT/healthz" 2>/dev/null && break
  sleep 0.1
done
declare -A SEEN=()
for i in 1 2 3 4; do
  up="$(curl -fsS --max-time 5 -D - -o "$TMP/body" "http://127.0.0.1:$LB_PORT/readyz" | tr -d '\r' \
        | sed -n 's/^[Xx]-[Uu]pstream: //p')" || fail "GET /readyz through nginx failed"
  grep -q '"ready"' "$TMP/body" || fail "GET /readyz through nginx: $(cat "$TMP/body")"
  SEEN[$up]=1
done
[[ ${#SEEN[@]} -eq 2 ]] || fail "nginx did not spread 4 requests over both replicas: ${!SEEN[*]}"
code="$(curl -sS -o "$TMP/body" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
        --data '{"username": "compose_'$$'", "password": "compose-password"}' "http://127.0.0.1:$LB_PORT/signup")"
[[ "$code" == 201 ]] || fail "POST /signup through nginx: $code $(cat "$TMP/body")"
step "docker/nginx/scale.conf (Debian's nginx $("$NGINX" -v 2>&1 | sed 's#.*/##')): round-robin over ${!SEEN[*]}"
step "OK"
