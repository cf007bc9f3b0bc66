#!/usr/bin/env bash
# The demo behind `make demo`: start the sandbox, sync the bundled example media, print the
# manifest, prove a hosted URL serves the file, then walk the quick-start checklist.
# Everything happens in ./demo and on loopback; nothing leaves this machine.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
fail() { printf '\033[31mdemo failed: %s\033[0m\n' "$*" >&2; exit 1; }

port=$(python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
work=demo
rm -rf "$work" && mkdir -p "$work"
cp -R examples/media "$work/media"

step "Start the sandbox (an emulator of the Media Library API) on port $port"
mediasync sandbox --port "$port" --token demo-token --location-id DemoLocation00000001 \
  >"$work/sandbox.log" 2>&1 &
sandbox_pid=$!
trap 'kill "$sandbox_pid" 2>/dev/null || true; wait "$sandbox_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  grep -q '^sandbox: base_url=' "$work/sandbox.log" && break
  kill -0 "$sandbox_pid" 2>/dev/null || fail "the sandbox did not start: $(cat "$work/sandbox.log")"
  sleep 0.1
done
base_url=$(sed -n 's/^sandbox: base_url=//p' "$work/sandbox.log")
[ -n "$base_url" ] || fail "the sandbox printed no base URL"
echo "sandbox at $base_url"

cat >"$work/mediasync.toml" <<TOML
[remote]
location_id = "DemoLocation00000001"
base_url = "$base_url"
root_folder = "mediasync-demo"

[local]
path = "media"
TOML
export MEDIASYNC_TOKEN=demo-token
export MEDIASYNC_CONFIG="$work/mediasync.toml"

step "1. List the library (empty)"
mediasync ls

step "2. Upload: mediasync sync"
mediasync sync

step "Manifest: what you paste into emails, blogs and funnels"
mediasync manifest --format csv

step "3. Verify a hosted URL serves the same bytes as the local file"
mediasync manifest --format json | python -c '
import json, sys, urllib.request
rows = json.load(sys.stdin)
row = next(r for r in rows if r["path"].endswith(".png"))
with urllib.request.urlopen(row["url"]) as response:
    body, kind = response.read(), response.headers["Content-Type"]
local = open("demo/media/" + row["path"], "rb").read()
assert body == local, "hosted bytes differ from the local file"
print("%s -> %d bytes, %s, identical to %s" % (row["url"], len(body), kind, row["path"]))
'

step "4. List again: the folders and files are there"
mediasync ls

step "A second sync sends nothing"
mediasync sync

step "5. Delete a local file and sync"
rm "$work/media/audio/beep.wav"
mediasync sync

step "6. List shows it gone"
listing=$(mediasync ls)
echo "$listing"
if grep -q 'beep.wav' <<<"$listing"; then fail "beep.wav is still listed"; fi

step "Demo complete: the sandbox stops now. Try your own folder next (see README)."
