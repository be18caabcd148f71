#!/bin/bash
# One 3,000,000-byte photo uploaded by the SDK vs the same bytes over plain TCP, across a weak link made by the
# weaklink tools (two network namespaces): the gateway and a TCP sink in wl-srv, the client in wl-cli. Needs root.
# See loadtest/README.md.
#
# Headline cases: cuts made in the kernel by the weaklink's cut.sh on the gateway's port (the same cuts any protocol
# would get), every 10 s for 1 s:
#   no-cuts      no cuts
#   cut-both     both ends see the cut (client reset, gateway's socket destroyed)
#   cut-client   the client is reset, the gateway's socket stays open (half-open)
# Extras, cuts by an in-process proxy in wl-cli between the SDK and the link (it also counts the chunk bytes re-sent):
#   proxy-reset      both ends reset at once
#   proxy-half-open  the connection freezes, the gateway's side stays open, the SDK is told NotifyNetworkChanged()
# The tus protocol's reference server (@tus/server + @tus/file-store, in wl-srv on TUS_PORT) and client (tus-js-client
# in wl-cli), loadtest/weaklink/tus/ (npm ci on first use), the same photo, the same kernel cuts on the tus port, the
# same counters; the client retries every 250 ms:
#   tus-no-cuts tus-cut-both tus-cut-client            one PATCH for the whole file (chunkSize Infinity)
#   tus64k-no-cuts tus64k-cut-both tus64k-cut-client   64 KiB PATCHes
#
#   sudo loadtest/weaklink/run.sh                       # config B, the three headline cases and tus with one PATCH
#   CASES="no-cuts cut-both cut-client" sudo loadtest/weaklink/run.sh   # the SDK alone
#   REPEAT=3 sudo loadtest/weaklink/run.sh              # each case 3 times: medians per case
#   CONFIG=A CASES="no-cuts cut-both" sudo loadtest/weaklink/run.sh
#   CASES=all sudo loadtest/weaklink/run.sh             # headline cases, tus (one PATCH and 64 KiB) and the proxy extras
#   TRACE=1 CASES=cut-both sudo loadtest/weaklink/run.sh   # cuts and acknowledgements with times, the gateway's upload log
#   PCAP=1 CASES="cut-both tus-cut-both" sudo loadtest/weaklink/run.sh   # also the bytes TCP had in flight at each cut
#
# Links (weaklink.sh's variables; each can be overridden):
#   CONFIG=B (default)  up 1 Mbit/s, 200 ms one-way, 5 % loss; down 1 Mbit/s
#   CONFIG=A            up 1 Mbit/s, 200 ms one-way, 5 % loss; down 1 Mbit/s, 200 ms one-way (400 ms round trip)
# WEAKLINK: the weaklink tools' directory (default ../shared/tools/weaklink from the repository root).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
WEAKLINK=${WEAKLINK:-$ROOT/../shared/tools/weaklink}
[ -f "$WEAKLINK" ] && WEAKLINK=$(dirname "$WEAKLINK")   # the path of weaklink.sh itself works too
WEAKLINK=$(cd "$WEAKLINK" 2>/dev/null && pwd) || { echo "no weaklink tools at ${WEAKLINK}: set WEAKLINK to their directory" >&2; exit 1; }
CONFIG=${CONFIG:-B}
case $CONFIG in
  A) down_delay=200 ;;
  B) down_delay=0 ;;
  *) echo "CONFIG is A or B" >&2; exit 2 ;;
esac
export UP_RATE=${UP_RATE-1mbit} UP_DELAY_MS=${UP_DELAY_MS-200} UP_LOSS_PCT=${UP_LOSS_PCT-5}
export DOWN_RATE=${DOWN_RATE-1mbit} DOWN_DELAY_MS=${DOWN_DELAY_MS-$down_delay} DOWN_LOSS_PCT=${DOWN_LOSS_PCT-0}
export WEAKLINK_DESCRIPTION="config $CONFIG: up ${UP_RATE} ${UP_DELAY_MS} ms ${UP_LOSS_PCT}% loss; down ${DOWN_RATE} ${DOWN_DELAY_MS} ms ${DOWN_LOSS_PCT}% loss"
CASES=${CASES:-"no-cuts cut-both cut-client tus-no-cuts tus-cut-both tus-cut-client"}
[ "$CASES" = all ] && CASES="no-cuts cut-both cut-client tus-no-cuts tus-cut-both tus-cut-client tus64k-no-cuts tus64k-cut-both tus64k-cut-client proxy-reset proxy-half-open"
CUT_EVERY=${CUT_EVERY:-10s}
REPEAT=${REPEAT:-1}
PHOTO_BYTES=${PHOTO_BYTES:-3000000}
CHUNK=${CHUNK:-}   # the SDK's InitialChunkBytes (default: the SDK's own)
WINDOW=${WINDOW:-} # a cap on the SDK's unacknowledged bytes, MaxUnacknowledgedBytes (default: the SDK's own)
TRACE=${TRACE:-}   # TRACE=1: the client prints cuts and acknowledgements with times; the gateway logs its uploads
PCAP=${PCAP:-}     # PCAP=1: capture each upload on wl-c (tcpdump) and report the bytes in flight at each cut (inflight.py)
PORT=5080 SINK_PORT=5081 TUS_PORT=5082 SERVER=192.0.2.2

[[ "$REPEAT" =~ ^[1-9][0-9]*$ ]] || { echo "REPEAT must be a positive whole number" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "run as root (network namespaces, tc, iptables)" >&2; exit 1; }
for tool in ip tc iptables socat gcc ethtool ss ${PCAP:+tcpdump python3}; do
  command -v $tool >/dev/null || { echo "missing $tool: apt-get install -y iproute2 iptables libnetfilter-queue-dev ethtool iputils-ping socat gcc${PCAP:+ tcpdump python3}" >&2; exit 1; }
done
for case in $CASES; do
  case $case in
    no-cuts|cut-both|cut-client|proxy-reset|proxy-half-open) ;;
    tus-no-cuts|tus-cut-both|tus-cut-client|tus64k-no-cuts|tus64k-cut-both|tus64k-cut-client) TUS=1 ;;
    *) echo "unknown case $case" >&2; exit 2 ;;
  esac
done
TUS_DIR="$HERE/tus"
if [ -n "${TUS:-}" ]; then
  command -v node >/dev/null || { echo "the tus cases need node and npm (apt-get install -y nodejs npm)" >&2; exit 1; }
  # npm ci when the packages are missing or older than the lock file.
  if [ ! -d "$TUS_DIR/node_modules" ] || [ "$TUS_DIR/package-lock.json" -nt "$TUS_DIR/node_modules" ]; then
    (cd "$TUS_DIR" && npm ci --no-audit --no-fund >/dev/null) && touch "$TUS_DIR/node_modules"
  fi
fi

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
  "$WEAKLINK/weaklink.sh" down >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

"$WEAKLINK/weaklink.sh" down >/dev/null 2>&1 || true
"$WEAKLINK/weaklink.sh" up

ip netns exec wl-srv dotnet "$GATEWAY_DLL" --urls "http://0.0.0.0:$PORT" --Edge:Transport:AllowCleartext true --Edge:DataDirectory "$WORK/gateway" \
  --Edge:Auth:SigningKey "$KEY" --Logging:LogLevel:Default Warning \
  ${TRACE:+--Logging:LogLevel:Edge.Gateway.Uploads Debug --Logging:Console:TimestampFormat "HH:mm:ss.fff "} >"$WORK/gateway.log" 2>&1 &
PIDS+=($!)
ip netns exec wl-srv dotnet "$FLEET_DLL" tcp-sink --port $SINK_PORT >"$WORK/sink.log" 2>&1 &
PIDS+=($!)
if [ -n "${TUS:-}" ]; then
  ip netns exec wl-srv node "$TUS_DIR/server.mjs" $TUS_PORT "$WORK/tus" >"$WORK/tus.log" 2>&1 &
  PIDS+=($!)
fi

echo "waiting for the gateway and the sink in wl-srv..."
for _ in $(seq 1 120); do
  if ip netns exec wl-srv bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT && exec 4<>/dev/tcp/127.0.0.1/$SINK_PORT" 2>/dev/null; then break; fi
  sleep 0.5
done

# The median of a column of numbers (the lower middle one for an even count).
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }

SUMMARY="$WORK/summary"
: >"$SUMMARY"
for case in $CASES; do
  case $case in
    no-cuts) extra=() ;;
    cut-both) extra=(--cut-every "$CUT_EVERY" --kernel-cuts "$WEAKLINK/cut.sh" --cut-mode both) ;;
    cut-client) extra=(--cut-every "$CUT_EVERY" --kernel-cuts "$WEAKLINK/cut.sh" --cut-mode client) ;;
    proxy-reset) extra=(--cut-every "$CUT_EVERY" --cut-mode reset) ;;
    proxy-half-open) extra=(--cut-every "$CUT_EVERY" --cut-mode half-open) ;;
    tus*)
      extra=(--method tus --tus-endpoint "http://$SERVER:$TUS_PORT/files/" --tus-chunk-bytes "$([[ $case == tus64k-* ]] && echo 65536 || echo 0)")
      case $case in
        *-cut-both) extra+=(--cut-every "$CUT_EVERY" --kernel-cuts "$WEAKLINK/cut.sh" --cut-mode both) ;;
        *-cut-client) extra+=(--cut-every "$CUT_EVERY" --kernel-cuts "$WEAKLINK/cut.sh" --cut-mode client) ;;
      esac ;;
  esac
  for run in $(seq 1 "$REPEAT"); do
    echo "== $case (run $run of $REPEAT, config $CONFIG)"
    if [ -n "$PCAP" ]; then
      port=$([[ $case == tus* ]] && echo $TUS_PORT || echo $PORT)
      ip netns exec wl-cli tcpdump -i wl-c -n -s 96 -U -w "$WORK/$case.$run.pcap" "tcp port $port" 2>/dev/null &
      TCPDUMP=$!
      sleep 0.5
    fi
    # A run that fails (a client that never finishes) is reported and the others go on.
    if ! ip netns exec wl-cli dotnet "$FLEET_DLL" weaklink-upload --gateway "http://$SERVER:$PORT" --sink "$SERVER:$SINK_PORT" \
      --signing-key "$KEY" --photo-bytes "$PHOTO_BYTES" --case "$case" --wire-device wl-c ${CHUNK:+--initial-chunk-bytes "$CHUNK"} ${WINDOW:+--max-unacknowledged-bytes "$WINDOW"} \
      ${TRACE:+--trace true} "${extra[@]}" | tee "$WORK/$case.$run.out"; then
      echo "[$case] run $run of $REPEAT FAILED (see its output above)" | tee -a "$SUMMARY"
    fi
    grep -E "^\[$case\] (plain TCP|SDK upload|tus upload)" "$WORK/$case.$run.out" >>"$SUMMARY"
    if [ -n "$PCAP" ]; then
      sleep 0.5; kill "$TCPDUMP" 2>/dev/null; wait "$TCPDUMP" 2>/dev/null
      python3 "$HERE/inflight.py" "$WORK/$case.$run.pcap" "$port" "$case" | tee -a "$SUMMARY"
    fi
  done
  if [ "$REPEAT" -gt 1 ]; then
    sdk=$(grep -hE "^\[$case\] (SDK|tus) upload" "$WORK/$case".*.out || true)
    ratios=$(echo "$sdk" | sed -E 's/.*ratio ([0-9.]+).*/\1/')
    line="[$case] medians of $REPEAT runs: ratio $(echo "$ratios" | median) (all: $(echo $ratios))"
    line+=", plain TCP $(grep -hE "^\[$case\] plain TCP" "$WORK/$case".*.out | sed -E 's/.*TCP: ([0-9.]+) s.*/\1/' | median) s"
    line+=", $([[ $case == tus* ]] && echo tus || echo SDK) $(echo "$sdk" | sed -E 's/.*upload: ([0-9.]+) s.*/\1/' | median) s"
    if [[ "$case" != *no-cuts ]]; then
      line+=", cuts $(echo "$sdk" | sed -E 's/.*cuts ([0-9]+).*/\1/' | median)"
      line+=", wire beyond plain TCP per cut $(echo "$sdk" | sed -nE 's/.*\(per cut ([0-9,-]+) B;.*/\1/p' | tr -d , | median) B"
      line+=" ($(echo "$sdk" | sed -nE 's/.*B; ([0-9,-]+) B without retransmissions\).*/\1/p' | tr -d , | median) B without retransmissions)"
      # Seconds each cut cost: (SDK time - plain TCP time) / cuts, per run; and that less the outage itself (the time
      # cut.sh took from cut to restore, which a loaded machine stretches past the 1 s it asks for).
      line+=", extra s per cut $(echo "$sdk" | while read -r l; do
        t=$(echo "$l" | sed -E 's/.*upload: ([0-9.]+) s.*/\1/'); r=$(echo "$l" | sed -E 's/.*ratio ([0-9.]+).*/\1/'); c=$(echo "$l" | sed -E 's/.*cuts ([0-9]+).*/\1/')
        awk -v t="$t" -v r="$r" -v c="$c" 'BEGIN { if (c > 0) printf "%.2f\n", (t - t / r) / c }'
      done | median)"
      if echo "$sdk" | grep -q "outage "; then
        line+=" (outage $(echo "$sdk" | sed -nE 's/.*outage ([0-9.]+) s per cut.*/\1/p' | median) s)"
      fi
    fi
    echo "$line" >>"$SUMMARY"
  fi
done

echo
echo "== summary ($WEAKLINK_DESCRIPTION; cuts every $CUT_EVERY for 1 s; targets: <= 1.03x without cuts, <= 1.19x with cuts, <= 30 KB on the wire per cut beyond plain TCP)"
cat "$SUMMARY"
if [ -n "$TRACE" ]; then
  echo "-- gateway log"; cat "$WORK/gateway.log"
fi
if grep -qiE "error|exception" "$WORK/gateway.log"; then
  echo "-- gateway log (errors):"; grep -iE "error|exception" "$WORK/gateway.log" | head -20
fi
