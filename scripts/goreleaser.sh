#!/usr/bin/env bash
# Runs GoReleaser on .goreleaser.yaml, installing the pinned version from
# the Go module proxy into .cache/bin first when it is missing.
#
#   bash scripts/goreleaser.sh check                       # validate the config (CI)
#   bash scripts/goreleaser.sh release --snapshot --clean  # build every archive into dist/
#
# The install is `go install` outside this module, so go.mod stays free of
# GoReleaser's dependencies. It compiles GoReleaser once (a few minutes on
# two cores); later runs reuse .cache/bin/goreleaser.
#
# Environment: GORELEASER_VERSION (default below).
set -euo pipefail
cd "$(dirname "$0")/.."

version="${GORELEASER_VERSION:-v2.17.0}"
bin="$PWD/.cache/bin"
exe="$bin/goreleaser"

installed_version() {
	"$exe" --version 2>/dev/null | awk '/^GitVersion:/ {print $2}'
}

if [[ ! -x "$exe" || "$(installed_version)" != "$version" ]]; then
	echo "goreleaser.sh: installing github.com/goreleaser/goreleaser/v2@$version into $bin" >&2
	mkdir -p "$bin"
	if ! GOBIN="$bin" go install "github.com/goreleaser/goreleaser/v2@$version"; then
		echo "goreleaser.sh: could not install goreleaser $version from the Go module proxy;" >&2
		echo "goreleaser.sh: check GOPROXY, or set GORELEASER_VERSION to a version the proxy serves" >&2
		exit 1
	fi
fi
exec "$exe" "$@"
