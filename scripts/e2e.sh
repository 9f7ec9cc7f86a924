#!/usr/bin/env bash
# Runs the end-to-end suite (internal/e2e, build tag e2e): the real Claude
# Code client, as an unprivileged user, against the scripted model, with
# hooks wired to every event. `make e2e` builds bin/warden first.
#
# Under CI (CI set and not false/0) the dependencies are always ensured with
# scripts/e2e-deps.sh, and anything missing fails the run. Locally the
# dependencies are installed when the client is missing and the npm
# registry is reachable; when it is not, the suite is skipped with a notice.
# Extra `go test` flags: E2E_GOFLAGS (e.g. E2E_GOFLAGS='-v -run TestClient_Batch').
set -euo pipefail
cd "$(dirname "$0")/.."

CLIENT_VERSION=2.1.330
CLIENT=.e2e/bin/claude

in_ci() { [ -n "${CI:-}" ] && [ "${CI}" != false ] && [ "${CI}" != 0 ]; }

client_ok() {
	local v
	[ -x "$CLIENT" ] || return 1
	v=$("$CLIENT" --version 2>/dev/null) || return 1
	[ "${v%% *}" = "$CLIENT_VERSION" ]
}

npm_reachable() {
	command -v npm >/dev/null 2>&1 &&
		timeout 60 npm view "@anthropic-ai/claude-code@$CLIENT_VERSION" version >/dev/null 2>&1
}

if in_ci; then
	bash scripts/e2e-deps.sh
elif ! client_ok; then
	if npm_reachable; then
		bash scripts/e2e-deps.sh
	else
		echo "e2e: SKIPPED: Claude Code $CLIENT_VERSION is not installed in .e2e/ and the npm registry is not reachable."
		echo "e2e: run 'make e2e-deps' (as root) once it is; under CI this is a failure, not a skip."
		exit 0
	fi
fi
client_ok || {
	echo "e2e: error: $CLIENT is missing or not Claude Code $CLIENT_VERSION after installing" >&2
	echo "e2e: try: rm -rf .e2e && make e2e-deps" >&2
	exit 1
}

# `make vet` runs without the e2e tag; vet the tagged files here.
go vet -tags e2e ./internal/e2e/...
# shellcheck disable=SC2086 # E2E_GOFLAGS is a list of flags.
exec go test -tags e2e -count=1 -timeout 30m ${E2E_GOFLAGS:-} ./internal/e2e/...
