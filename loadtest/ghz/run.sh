#!/bin/bash
# Runs every ghz config in this folder against a gateway, each twice: through server reflection (NAME.json) and
# through the proto files (NAME.proto.json, --proto with import paths protos/). ghz is the one on PATH, else $GHZ, else
# ../shared/tools/ghz/ghz from the repository root (a static release binary). Starts a gateway on 127.0.0.1:5080
# (PORT=... for another port; embedded mode, its own data directory and signing key) unless GATEWAY=host:port is given, in which case
# SIGNING_KEY=<the gateway's Edge:Auth:SigningKey> is needed to mint the token. Prepares the data files first
# (Edge.LoadTest prepare-ghz: a token, a RecordScans batch, a SubmitProof naming an uploaded photo, an Upload stream).
#
#   loadtest/ghz/run.sh                       # all configs
#   CONFIGS="recordscans upload" loadtest/ghz/run.sh
#   GATEWAY=10.0.0.5:5080 SIGNING_KEY=... loadtest/ghz/run.sh
#   GHZ=/opt/ghz/ghz loadtest/ghz/run.sh
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT"    # the configs name their files relative to the repository root
CONFIGS=${CONFIGS:-"health-check findmissingblobs getmanifest recordscans submitproof upload"}
if command -v ghz >/dev/null; then
  GHZ=$(command -v ghz)
else
  GHZ=${GHZ:-$ROOT/../shared/tools/ghz/ghz}
fi
OUT=${OUT:-$ROOT/loadtest/results/ghz-$(date -u +%Y%m%dT%H%M%SZ)}
WORK=$(mktemp -d /tmp/edge-ghz.XXXXXX)
GATEWAY_PID=

cleanup() {
  [ -n "$GATEWAY_PID" ] && kill "$GATEWAY_PID" 2>/dev/null && wait "$GATEWAY_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

dotnet build loadtest/Edge.LoadTest -c Release -v q -nologo >/dev/null
if [ -z "${GATEWAY:-}" ]; then
  GATEWAY=127.0.0.1:${PORT:-5080}
  SIGNING_KEY=$(head -c 32 /dev/urandom | base64)
  dotnet src/Edge.Gateway/bin/Release/net10.0/Edge.Gateway.dll --urls "http://$GATEWAY" --Edge:Transport:AllowCleartext true \
    --Edge:DataDirectory "$WORK/gateway" \
    --Edge:Auth:SigningKey "$SIGNING_KEY" --Logging:LogLevel:Default Warning >"$WORK/gateway.log" 2>&1 &
  GATEWAY_PID=$!
  for _ in $(seq 1 120); do (exec 3<>"/dev/tcp/${GATEWAY%:*}/${GATEWAY#*:}") 2>/dev/null && break; sleep 0.5; done
fi
: "${SIGNING_KEY:?set SIGNING_KEY to the signing key of the gateway (Edge:Auth:SigningKey)}"

dotnet loadtest/Edge.LoadTest/bin/Release/net10.0/Edge.LoadTest.dll prepare-ghz --gateway "$GATEWAY" \
  --signing-key "$SIGNING_KEY" --out loadtest/ghz/data | grep -v '^EDGE_TOKEN='

# Every config done once as ghz would do it, short of the load (keys, durations, the call by reflection or proto,
# the data parsed strictly, a few calls that must end OK), so a broken config fails here and not an hour into a run.
dotnet loadtest/Edge.LoadTest/bin/Release/net10.0/Edge.LoadTest.dll ghz-check --gateway "$GATEWAY" --data loadtest/ghz/data

if [ ! -x "$GHZ" ]; then
  cat >&2 <<MSG
no ghz at $GHZ, so nothing was measured (the configs were checked above). The data files are ready in
loadtest/ghz/data. Put a ghz release binary (https://github.com/bojand/ghz/releases) on PATH or name it in GHZ; this
script then runs, for each of:
$CONFIGS
  ghz --config loadtest/ghz/NAME.json          (server reflection)
  ghz --config loadtest/ghz/NAME.proto.json    (protos/ as import path)
MSG
  exit 127
fi
echo "ghz: $GHZ ($("$GHZ" --version 2>&1))"

mkdir -p "$OUT"
for name in $CONFIGS; do
  for variant in "" .proto; do
    config="loadtest/ghz/$name$variant.json"
    [ -f "$config" ] || continue
    # The configs say 127.0.0.1:5080; point a copy at the gateway under test.
    sed "s/\"host\": \"127.0.0.1:5080\"/\"host\": \"$GATEWAY\"/" "$config" >"$WORK/config.json"
    echo "== $name${variant:- (reflection)}"
    "$GHZ" --config "$WORK/config.json" | tee "$OUT/$name$variant.txt"
  done
done
echo "reports in $OUT"
