#!/usr/bin/env bash
# The real Python `huggingface_hub` through Orchard's pull-through cache (docs/mirror.md).
#
# Usage: scripts/check-python-mirror.sh HFH_SRC
#
# HFH_SRC and the Python dependencies as for scripts/check-python-client.sh. Starts hub A (the
# upstream) and hub B (`orchard serve --upstream A`), lets the script fill A through A, reads
# everything through B with HF_ENDPOINT=B (phase "online"), stops A, and reads it all again through
# B with a fresh client cache (phase "upstream-down"): the same bytes must come back.
set -euo pipefail
[ $# -eq 1 ] || { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
HFH_SRC=$(cd "$1" && pwd)
PYTHON=${PYTHON:-/usr/bin/python3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PORT_A=${PORT_A:-8191}
PORT_B=${PORT_B:-8192}

A_PID="" B_PID=""
SCRATCH=$(mktemp -d -t orchard-pymirror.XXXXXX)
cleanup() {
  for p in $A_PID $B_PID; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$SCRATCH"
}
trap cleanup EXIT

[ -n "${ORCHARD_SKIP_BUILD:-}" ] || (cd "$ROOT" && npx tsc -p .)
CLI="node $ROOT/dist/src/cli/main.js"
$CLI user create alice --admin --data "$SCRATCH/a" >/dev/null
TOKEN=$($CLI token create --user alice --write --data "$SCRATCH/a")
$CLI serve --port "$PORT_A" --host 127.0.0.1 --data "$SCRATCH/a" >"$SCRATCH/a.log" 2>&1 &
A_PID=$!
$CLI serve --port "$PORT_B" --host 127.0.0.1 --data "$SCRATCH/b" --upstream "http://127.0.0.1:$PORT_A" >"$SCRATCH/b.log" 2>&1 &
B_PID=$!
for url in "http://127.0.0.1:$PORT_A" "http://127.0.0.1:$PORT_B"; do
  for _ in $(seq 50); do curl -fs -o /dev/null "$url/healthz" && break; sleep 0.2; done
done

run() {
  env PYTHONPATH="$HFH_SRC" HF_TOKEN="$TOKEN" HF_HOME="$SCRATCH/hf-home-$1" HF_HUB_DISABLE_XET=1 HF_HUB_DISABLE_TELEMETRY=1 \
    HF_HUB_DISABLE_PROGRESS_BARS=1 ORCHARD_A="http://127.0.0.1:$PORT_A" HF_ENDPOINT="http://127.0.0.1:$PORT_B" \
    ORCHARD_STATE="$SCRATCH/state.json" "$PYTHON" "$ROOT/scripts/check-python-mirror.py" "$1"
}
status=0
run online || status=$?
if [ "$status" -eq 0 ]; then
  kill "$A_PID"; wait "$A_PID" 2>/dev/null || true; A_PID=""
  run upstream-down || status=$?
fi
if [ "$status" -ne 0 ]; then echo "--- mirror log ---" >&2; tail -n 40 "$SCRATCH/b.log" >&2; fi
exit "$status"
