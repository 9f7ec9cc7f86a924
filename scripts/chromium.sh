#!/usr/bin/env bash
# Debian's headless Chromium for the console's browser tests
# (internal/console/browser_test.go, driven by chromedp).
#
#   bash scripts/chromium.sh install   # install if missing; print its path
#   bash scripts/chromium.sh path      # print its path, exit 1 when missing
#
# The tests find the browser through WARDEN_CHROMIUM (set it to a binary of
# your own) or, failing that, chromium on PATH. install is idempotent and
# fast when the browser is there; stdout carries only the path, progress
# goes to stderr. It needs root and apt-get to install.
set -euo pipefail

log() { echo "chromium.sh: $*" >&2; }
die() { log "$*"; exit 1; }

find_browser() {
	local c
	for c in "${WARDEN_CHROMIUM:-}" chromium chromium-browser; do
		[[ -n "$c" ]] || continue
		if command -v "$c" >/dev/null 2>&1; then
			command -v "$c"
			return 0
		fi
	done
	return 1
}

install() {
	if find_browser; then
		return 0
	fi
	[[ "$(id -u)" == 0 ]] || die "no chromium found; install Debian's chromium package (apt-get install chromium) or set WARDEN_CHROMIUM"
	command -v apt-get >/dev/null || die "no chromium found and no apt-get to install it"
	log "installing Debian's chromium package"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2
	apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >&2
	find_browser || die "chromium installed but not found on PATH"
}

case "${1:-install}" in
install) install ;;
path) find_browser ;;
*) die "usage: $0 install|path" ;;
esac
