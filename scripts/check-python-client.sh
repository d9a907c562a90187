#!/usr/bin/env bash
# Run scripts/check-python-client.py (the real Python `huggingface_hub` against Orchard).
#
# Usage:
#   scripts/check-python-client.sh HFH_SRC [--endpoint URL --token TOKEN --other-token TOKEN]
#
# HFH_SRC is the folder that contains the `huggingface_hub` package, i.e. the `src/` folder of a
# huggingface_hub checkout, for example:
#   git clone https://github.com/huggingface/huggingface_hub /tmp/hfh && scripts/check-python-client.sh /tmp/hfh/src
# (an installed copy works too: pass its site-packages folder).
#
# Its dependencies must be importable by the Python used here ($PYTHON, default /usr/bin/python3,
# Debian's, so that apt packages are visible). On Debian/Ubuntu:
#   apt-get install -y python3-httpx python3-tqdm python3-yaml python3-filelock python3-fsspec \
#     python3-packaging python3-typing-extensions python3-click
# hf_xet is not needed: Orchard has no Xet, and HF_HUB_DISABLE_XET=1 is set below.
#
# Without --endpoint, the script builds the hub (npx tsc), creates a throwaway data folder with
# two users (alice, an admin with a write token, and bob), serves it on $PORT (default 8190),
# runs the check and stops the server. With --endpoint, it runs against that hub with the given
# tokens (--other-token must belong to a second user; it is used for the private-repo checks).
set -euo pipefail

usage() { sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }

[ $# -ge 1 ] || usage
HFH_SRC=$(cd "$1" && pwd)
shift
ENDPOINT="" TOKEN="" OTHER_TOKEN=""
while [ $# -gt 0 ]; do
  case "$1" in
    --endpoint) ENDPOINT=$2; shift 2 ;;
    --token) TOKEN=$2; shift 2 ;;
    --other-token) OTHER_TOKEN=$2; shift 2 ;;
    *) usage ;;
  esac
done

PYTHON=${PYTHON:-/usr/bin/python3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)

[ -d "$HFH_SRC/huggingface_hub" ] || { echo "no huggingface_hub package in $HFH_SRC" >&2; exit 2; }
if ! PYTHONPATH="$HFH_SRC" "$PYTHON" -c 'import huggingface_hub' 2>/dev/null; then
  echo "cannot import huggingface_hub from $HFH_SRC with $PYTHON; missing dependencies?" >&2
  PYTHONPATH="$HFH_SRC" "$PYTHON" -c 'import huggingface_hub' || true
  exit 2
fi

SERVER_PID=""
SCRATCH=$(mktemp -d -t orchard-pycheck.XXXXXX)
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$SCRATCH"
}
trap cleanup EXIT

if [ -z "$ENDPOINT" ]; then
  PORT=${PORT:-8190}
  (cd "$ROOT" && npx tsc -p .)
  DATA="$SCRATCH/data"
  CLI="node $ROOT/dist/src/cli/main.js"
  $CLI user create alice --admin --data "$DATA" >/dev/null
  $CLI user create bob --data "$DATA" >/dev/null
  TOKEN=$($CLI token create --user alice --write --data "$DATA")
  OTHER_TOKEN=$($CLI token create --user bob --write --data "$DATA")
  $CLI serve --port "$PORT" --host 127.0.0.1 --data "$DATA" >"$SCRATCH/server.log" 2>&1 &
  SERVER_PID=$!
  ENDPOINT="http://127.0.0.1:$PORT"
  for _ in $(seq 50); do
    curl -fs -o /dev/null "$ENDPOINT/api/whoami-v2" -H "authorization: Bearer $TOKEN" && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$SCRATCH/server.log" >&2; exit 1; }
    sleep 0.2
  done
fi
[ -n "$TOKEN" ] && [ -n "$OTHER_TOKEN" ] || { echo "--token and --other-token are required with --endpoint" >&2; exit 2; }

# HF_HOME in the scratch folder: a fresh cache, and no token or config from the user's home.
status=0
env PYTHONPATH="$HFH_SRC" \
  HF_ENDPOINT="$ENDPOINT" \
  HF_TOKEN="$TOKEN" \
  ORCHARD_OTHER_TOKEN="$OTHER_TOKEN" \
  HF_HOME="$SCRATCH/hf-home" \
  HF_HUB_DISABLE_XET=1 \
  HF_HUB_DISABLE_TELEMETRY=1 \
  HF_HUB_DISABLE_PROGRESS_BARS=1 \
  "$PYTHON" "$ROOT/scripts/check-python-client.py" || status=$?
if [ "$status" -ne 0 ] && [ -n "$SERVER_PID" ]; then
  echo "--- server log (last 40 lines) ---" >&2
  tail -n 40 "$SCRATCH/server.log" >&2
fi
exit "$status"
