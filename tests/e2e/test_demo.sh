#!/usr/bin/env bash
# scripts/demo.sh against a live server on a fresh database:
#   1. --auto (oathtool types the code): every step passes, the QR code is
#      drawn in the terminal, and it decodes (the ANSI blocks turned back into
#      an image for zbarimg) to the otpauth URI the step printed;
#   2. as a person runs it, in a pseudo-terminal: the demo shows the QR code and
#      asks for the code; a wrong code is refused and asked again, the right one
#      (computed from the URI the demo printed) gets the token, and the demo
#      finishes.
# Environment: IT_SERVER_BIN, IT_MYSQL_SOCKET.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init demo
for tool in qrencode oathtool zbarimg; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (scripts/deps.sh test installs it)"
done
cd "$E2E_ROOT"
e2e_make_db
e2e_start_server "mysql://app:app@localhost/$DB?socket=$IT_MYSQL_SOCKET"

# --- 1. --auto ----------------------------------------------------------------------
step "scripts/demo.sh --auto $BASE"
NO_COLOR=1 scripts/demo.sh --auto "$BASE" >"$TMP/auto.out" 2>&1 || { cat "$TMP/auto.out"; fail "demo.sh --auto failed"; }
grep -q '^Done\.' "$TMP/auto.out" || fail "demo.sh --auto did not finish"
steps="$(grep -c '^==> ' "$TMP/auto.out")"
[[ $steps -ge 10 ]] || fail "only $steps steps printed"
for what in 'POST "$B/signup"' 'POST "$B/login"' 'POST "$B/verify-2fa"' 'POST "$B/products"' \
            'GET "$B/products?limit=' 'PUT "$B/products/' '/history"' 'DELETE "$B/products/' \
            'HTTP 412' 'ETag: "2"' 'rel="next"' 'recovery_code' '"recovery_codes_left":9' \
            'POST "$B/logout"' 'Token has been revoked'; do
  grep -qF -- "$what" "$TMP/auto.out" || fail "the demo output lacks $what"
done
URI="$(grep -m1 -E '^otpauth://totp/' "$TMP/auto.out")" || fail "no otpauth URI printed"
# the terminal QR code: the lines of block characters, back to a PNG for zbarimg
"$E2E_PY" - "$TMP/auto.out" "$TMP/term-qr.pgm" <<'PYEOF' || fail "no QR code drawn in the terminal"
import re, sys
lines = [re.sub(r"\x1b\[[0-9;]*m", "", l.rstrip("\n")) for l in open(sys.argv[1], encoding="utf-8")]
rows = [l for l in lines if l.strip() and set(l) <= set("█▀▄ ")]
rows = [r for r in rows if len(r) > 20]
if len(rows) < 10:
    sys.exit(1)
width = max(len(r) for r in rows)
# each character is two pixels high: upper and lower half; █ is light (ANSIUTF8 draws light on dark)
px = []
for r in rows:
    r = r.ljust(width)
    top = [255 if c in "█▀" else 0 for c in r]
    bottom = [255 if c in "█▄" else 0 for c in r]
    px += [top, bottom]
scale = 4
with open(sys.argv[2], "wb") as f:
    f.write(b"P5 %d %d 255\n" % (width * scale, len(px) * scale))
    for row in px:
        line = bytes(v for v in row for _ in range(scale))
        for _ in range(scale):
            f.write(line)
PYEOF
DECODED="$(zbarimg --raw -q "$TMP/term-qr.pgm" 2>/dev/null)" || fail "zbarimg cannot read the terminal QR code"
[[ "${DECODED%$'\n'}" == "$URI" ]] || fail "the terminal QR code says $DECODED, not $URI"
step "--auto: $steps steps, and the terminal QR code decodes to the printed otpauth URI"

# --- 2. as a person: a pseudo-terminal, a wrong code, then the right one ------------------
step "scripts/demo.sh in a pseudo-terminal, typing a wrong code and then the right one"
"$E2E_PY" - "$BASE" "$TMP/tty.out" <<'PYEOF' || { tail -n 40 "$TMP/tty.out"; fail "the interactive demo did not go as a person would see it"; }
import os, pty, re, select, subprocess, sys, time
base, log = sys.argv[1], open(sys.argv[2], "wb")
pid, fd = pty.fork()
if pid == 0:
    os.environ["NO_COLOR"] = "1"
    os.execvp("scripts/demo.sh", ["scripts/demo.sh", base])
out = b""
def wait_for(pattern, seconds=30):
    global out
    end = time.time() + seconds
    while time.time() < end:
        m = re.search(pattern, out)
        if m:
            return m
        r, _, _ = select.select([fd], [], [], 0.5)
        if r:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
            log.write(chunk); log.flush()
    sys.exit(f"timed out waiting for {pattern!r}")
uri = wait_for(rb"otpauth://totp/\S+secret=([A-Z2-7]+)\S*").group(1).decode()
wait_for(rb"type the 6-digit code: ")
goods = {subprocess.run(["oathtool", "--totp", "-b", "-N", f"now {d:+d} seconds", uri],
                        capture_output=True, text=True).stdout.strip() for d in (-30, 0, 30)}
wrong = next(f"{n:06d}" for n in range(1000000) if f"{n:06d}" not in goods)
os.write(fd, (wrong + "\r").encode())
wait_for(rb"HTTP 401[\s\S]*invalid_code[\s\S]*Not accepted[\s\S]*type the 6-digit code: ")   # asked again
right = subprocess.run(["oathtool", "--totp", "-b", uri], capture_output=True, text=True).stdout.strip()
os.write(fd, (right + "\r").encode())
wait_for(rb"HTTP 200[^\n]*\n\{\"access_token\"")
wait_for(rb"Done\.", 60)
_, status = os.waitpid(pid, 0)
sys.exit(0 if os.waitstatus_to_exitcode(status) == 0 else 1)
PYEOF
step "interactive: QR code shown, wrong code refused and asked again, right code accepted, demo finished"

e2e_stop_server
step "OK"
