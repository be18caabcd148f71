#!/bin/bash
# One 3,000,000-byte photo uploaded by the SDK vs the same bytes over plain TCP, across a weak link made by
# /work/shared/tools/weaklink (two network namespaces): the gateway and a TCP sink in wl-srv, the client in wl-cli.
# Three cases: no cuts; a cut every 10 s that both ends see (reset); a cut every 10 s that leaves the gateway's
# side half-open while the SDK is told the network changed. Needs root. See loadtest/README.md.
#
#   sudo loadtest/weaklink/run.sh                 # all three cases
#   CASES="no-cuts" sudo loadtest/weaklink/run.sh
#   REPEAT=3 sudo loadtest/weaklink/run.sh        # each case 3 times, median ratio per case
#
# Link (env, weaklink.sh's names): 1 Mbit/s each way, 200 ms one-way delay each way, 5 % loss on the uplink.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
WEAKLINK=${WEAKLINK:-/work/shared/tools/weaklink/weaklink.sh}
export UP_RATE=${UP_RATE-1mbit} UP_DELAY_MS=${UP_DELAY_MS-200} UP_LOSS_PCT=${UP_LOSS_PCT-5}
export DOWN_RATE=${DOWN_RATE-1mbit} DOWN_DELAY_MS=${DOWN_DELAY_MS-200} DOWN_LOSS_PCT=${DOWN_LOSS_PCT-0}
export WEAKLINK_DESCRIPTION="up ${UP_RATE} ${UP_DELAY_MS} ms ${UP_LOSS_PCT}% loss; down ${DOWN_RATE} ${DOWN_DELAY_MS} ms ${DOWN_LOSS_PCT}% loss"
CASES=${CASES:-"no-cuts cut-reset cut-half-open"}
CUT_EVERY=${CUT_EVERY:-10s}
REPEAT=${REPEAT:-1}
PHOTO_BYTES=${PHOTO_BYTES:-3000000}
CHUNK=${CHUNK:-}   # the SDK's InitialChunkBytes (default: the SDK's own)
TRACE=${TRACE:-}   # TRACE=1: the client prints cuts and acknowledgements with times; the gateway logs its uploads
PORT=5080 SINK_PORT=5081 SERVER=192.0.2.2

[[ "$REPEAT" =~ ^[1-9][0-9]*$ ]] || { echo "REPEAT must be a positive whole number" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "run as root (network namespaces, tc, iptables)" >&2; exit 1; }
for tool in ip tc iptables socat gcc ethtool; do
  command -v $tool >/dev/null || { echo "missing $tool: apt-get install -y iproute2 iptables libnetfilter-queue-dev ethtool iputils-ping socat gcc" >&2; exit 1; }
done

if [ "${SKIP_BUILD:-}" != 1 ]; then
  dotnet build "$ROOT/loadtest/Edge.Fleet" -c Release -v q -nologo >/dev/null
fi
GATEWAY_DLL="$ROOT/src/Edge.Gateway/bin/Release/net10.0/Edge.Gateway.dll"
FLEET_DLL="$ROOT/loadtest/Edge.Fleet/bin/Release/net10.0/Edge.Fleet.dll"
WORK=$(mktemp -d /tmp/edge-weaklink.XXXXXX)
KEY=$(head -c 32 /dev/urandom | base64)
PIDS=()

cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  sleep 0.5
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  "$WEAKLINK" down >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

"$WEAKLINK" down >/dev/null 2>&1 || true
"$WEAKLINK" up

ip netns exec wl-srv dotnet "$GATEWAY_DLL" --urls "http://0.0.0.0:$PORT" --Edge:DataDirectory "$WORK/gateway" \
  --Edge:Auth:SigningKey "$KEY" --Logging:LogLevel:Default Warning \
  ${TRACE:+--Logging:LogLevel:Edge.Gateway.Uploads Debug --Logging:Console:TimestampFormat "HH:mm:ss.fff "} >"$WORK/gateway.log" 2>&1 &
PIDS+=($!)
ip netns exec wl-srv dotnet "$FLEET_DLL" tcp-sink --port $SINK_PORT >"$WORK/sink.log" 2>&1 &
PIDS+=($!)

echo "waiting for the gateway and the sink in wl-srv..."
for _ in $(seq 1 120); do
  if ip netns exec wl-srv bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT && exec 4<>/dev/tcp/127.0.0.1/$SINK_PORT" 2>/dev/null; then break; fi
  sleep 0.5
done

SUMMARY="$WORK/summary"
: >"$SUMMARY"
for case in $CASES; do
  case $case in
    no-cuts) extra=() ;;
    cut-reset) extra=(--cut-every "$CUT_EVERY" --cut-mode reset) ;;
    cut-half-open) extra=(--cut-every "$CUT_EVERY" --cut-mode half-open) ;;
    *) echo "unknown case $case" >&2; exit 2 ;;
  esac
  for run in $(seq 1 "$REPEAT"); do
    echo "== $case (run $run of $REPEAT)"
    ip netns exec wl-cli dotnet "$FLEET_DLL" weaklink-upload --gateway "http://$SERVER:$PORT" --sink "$SERVER:$SINK_PORT" \
      --signing-key "$KEY" --photo-bytes "$PHOTO_BYTES" --case "$case" ${CHUNK:+--initial-chunk-bytes "$CHUNK"} ${TRACE:+--trace true} "${extra[@]}" | tee "$WORK/$case.$run.out"
    grep -E "^\[$case\] (plain TCP|SDK upload)" "$WORK/$case.$run.out" >>"$SUMMARY"
  done
  if [ "$REPEAT" -gt 1 ]; then
    # The median of the runs' ratios (the lower middle one for an even count).
    ratios=$(grep -hE "^\[$case\] SDK upload" "$WORK/$case".*.out | sed -E 's/.*ratio ([0-9.]+).*/\1/' | sort -n)
    median=$(echo "$ratios" | sed -n "$(( (REPEAT + 1) / 2 ))p")
    echo "[$case] median ratio of $REPEAT runs: $median (all: $(echo $ratios))" >>"$SUMMARY"
  fi
done

echo
echo "== summary ($WEAKLINK_DESCRIPTION; targets: <= 1.05x without cuts, <= 1.15x with cuts, <= 1 chunk re-sent per cut)"
cat "$SUMMARY"
if [ -n "$TRACE" ]; then
  echo "-- gateway log"; cat "$WORK/gateway.log"
fi
if grep -qiE "error|exception" "$WORK/gateway.log"; then
  echo "-- gateway log (errors):"; grep -iE "error|exception" "$WORK/gateway.log" | head -20
fi
