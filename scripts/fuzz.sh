#!/usr/bin/env bash
# Runs every native fuzz target of the parsers of untrusted input, each for
# FUZZTIME (default 5m for the Bash analysis, 1m for the others).
# Crashers are written by go test under the package's testdata/fuzz/; commit
# them as regression seeds.
set -euo pipefail
cd "$(dirname "$0")/.."
long="${FUZZTIME:-5m}"
short="${FUZZTIME_SHORT:-1m}"
run() { # package target time
  echo "== go test -fuzz=$2 -fuzztime=$3 $1"
  go test -run='^$' -fuzz="^$2\$" -fuzztime="$3" "$1"
}
run ./internal/shell FuzzAnalyze "$long"
run ./internal/hook FuzzRun "$short"
run ./internal/record FuzzRedact "$short"
run ./internal/policy FuzzParse "$short"
run ./internal/fixture FuzzParse "$short"
run ./internal/detect FuzzParse "$short"
run ./internal/e2e FuzzParseStream "$short"
run ./internal/otlp FuzzDecodeLogsJSON "$short"
run ./internal/otlp FuzzDecodeLogsProto "$short"
run ./internal/otlp FuzzDecodeMetrics "$short"
run ./internal/engine FuzzMakefile "$short"
run ./internal/engine FuzzJustfile "$short"
run ./internal/engine FuzzTaskfile "$short"
run ./internal/scan FuzzParseJSON "$short"
run ./internal/scan FuzzRepoConfig "$short"
run ./internal/scan FuzzCIWorkflow "$short"
run ./internal/console FuzzVisible "$short"
run ./internal/imagetest FuzzParseDockerfile "$short"
