#!/usr/bin/env bash
# Install (or name) the Debian packages this project needs.
#
#   scripts/deps.sh run    build + run the server (make run)
#   scripts/deps.sh test   the above plus what the tests need (make test)
#
# Silent and exit 0 when everything is installed. When something is missing:
# as root, apt-get installs it (Debian's own packages only); otherwise the
# exact apt-get line is printed and the exit status is 1.
# DEPS_ASSUME_NONROOT=1 behaves as if not root (to check that path).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# The one list of packages. Keep it in sync with CMakeLists.txt / tests/.
RUN_PACKAGES=(
  build-essential cmake pkg-config
  libcivetweb-dev libmariadb-dev libmariadb-dev-compat libssl-dev libcrypt-dev
  libcjson-dev libqrencode-dev libpng-dev libjwt-dev
  mariadb-server mariadb-client
  galera-4 rsync iproute2
  curl ca-certificates
  nodejs
)
TEST_PACKAGES=(
  "${RUN_PACKAGES[@]}"
  libcmocka-dev valgrind
  zbar-tools oathtool qrencode
  python3 python3-jwt python3-bcrypt python3-prometheus-client python3-yaml
  clang libclang-rt-14-dev
  openssl nginx docker-compose
  chromium
)

usage() { echo "usage: $0 run|test" >&2; exit 2; }
[[ $# -eq 1 ]] || usage
case "$1" in
  run)  wanted=("${RUN_PACKAGES[@]}") ;;
  test) wanted=("${TEST_PACKAGES[@]}") ;;
  *)    usage ;;
esac
# npm (scripts/npm-ci.sh: Redoc's bundle, which the build compiles in for
# /docs, and the test tools): NodeSource's nodejs bundles it, Debian's nodejs
# does not (Debian's package npm). Ask for it only when missing.
if ! command -v npm >/dev/null 2>&1; then
  wanted+=(npm)
fi

missing_packages() {
  local p status
  for p in "${wanted[@]}"; do
    status="$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)"
    [[ "$status" == "install ok installed" ]] || printf '%s\n' "$p"
  done
}

mapfile -t missing < <(missing_packages)
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ "$(id -u)" -ne 0 || "${DEPS_ASSUME_NONROOT:-0}" == 1 ]]; then
  echo "deps: missing Debian packages: ${missing[*]}" >&2
  echo "deps: install them with:" >&2
  echo "sudo apt-get install -y ${missing[*]}"
  exit 1
fi

echo "deps: installing missing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${missing[@]}"

mapfile -t still < <(missing_packages)
if [[ ${#still[@]} -ne 0 ]]; then
  echo "deps: still missing after apt-get install: ${still[*]}" >&2
  exit 1
fi
echo "deps: all packages installed"
