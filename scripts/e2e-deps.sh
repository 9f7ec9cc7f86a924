#!/usr/bin/env bash
# Installs what the end-to-end suite (internal/e2e, `make e2e`) needs:
#   - the pinned Claude Code client, with npm, into the git-ignored .e2e/
#     (project-local: no global install, no download outside the npm registry,
#     no postinstall script), linked as .e2e/bin/claude;
#   - Debian packages the suite runs: iptables (the egress guard), git,
#     python3 (test hooks, the stub MCP server), and the programs the benign
#     corpus cases run as the test user (jq, make, node and npm; LocalPrograms
#     in internal/e2e/corpus.go);
#   - the unprivileged test user the client runs as.
# Idempotent, and fast when everything is already there. The Debian packages
# and the user need root; the client install does not.
set -euo pipefail
cd "$(dirname "$0")/.."

CLIENT_PKG=@anthropic-ai/claude-code
CLIENT_VERSION=2.1.330
PREFIX=.e2e
E2E_USER=${WARDEN_E2E_USER:-wardene2e}

say() { printf 'e2e-deps: %s\n' "$*"; }
die() {
	printf 'e2e-deps: error: %s\n' "$1" >&2
	[ $# -gt 1 ] && printf 'e2e-deps: try: %s\n' "$2" >&2
	exit 1
}
is_root() { [ "$(id -u)" = 0 ]; }

# native_pkg names the npm package holding this platform's native binary.
native_pkg() {
	case "$(uname -s)-$(uname -m)" in
	Linux-x86_64) echo "$CLIENT_PKG-linux-x64" ;;
	Linux-aarch64 | Linux-arm64) echo "$CLIENT_PKG-linux-arm64" ;;
	*) die "no Claude Code native package for $(uname -s)-$(uname -m)" "run the e2e suite on Linux x86_64 or arm64" ;;
	esac
}

# client_ok reports whether .e2e/bin/claude runs and is the pinned version.
client_ok() {
	local v
	[ -x "$PREFIX/bin/claude" ] || return 1
	v=$("$PREFIX/bin/claude" --version 2>/dev/null) || return 1
	[ "${v%% *}" = "$CLIENT_VERSION" ]
}

install_client() {
	command -v npm >/dev/null 2>&1 || {
		is_root || die "npm is not installed" "install Node.js and npm, or run this script as root to install Debian's npm"
		apt_install npm
	}
	local native
	native=$(native_pkg) || exit 1
	say "installing $CLIENT_PKG@$CLIENT_VERSION into $PREFIX/ with npm"
	mkdir -p "$PREFIX"
	# --ignore-scripts: the postinstall only copies the native binary over the
	# bin/claude.exe placeholder; the binary itself comes from the platform
	# package, an optional dependency fetched from the registry like any other.
	local log
	log=$(mktemp)
	if ! timeout 900 npm install --prefix "$PREFIX" --no-save --no-package-lock --ignore-scripts \
		--no-audit --no-fund "$CLIENT_PKG@$CLIENT_VERSION" >"$log" 2>&1; then
		cat "$log" >&2
		rm -f "$log"
		die "npm could not install $CLIENT_PKG@$CLIENT_VERSION" \
			"check that the npm registry is reachable (npm view $CLIENT_PKG@$CLIENT_VERSION version), then rerun make e2e-deps"
	fi
	# The package declares node >=22 but ships a native binary: the engine
	# warning on older Node is expected and harmless.
	grep -v -e EBADENGINE -e 'Unknown user config' "$log" || true
	rm -f "$log"
	local bin="$PREFIX/node_modules/$native/claude"
	[ -x "$bin" ] || die "npm did not install $native (expected $bin)" \
		"check that the npm registry is reachable (npm view $CLIENT_PKG@$CLIENT_VERSION version) and rerun make e2e-deps"
	mkdir -p "$PREFIX/bin"
	ln -sfn "../node_modules/$native/claude" "$PREFIX/bin/claude"
	client_ok || die "$PREFIX/bin/claude does not report version $CLIENT_VERSION" "remove $PREFIX/ and rerun make e2e-deps"
}

APT_UPDATED=
apt_install() {
	is_root || die "missing Debian packages: $*" "run as root: sudo make e2e-deps"
	if [ -z "$APT_UPDATED" ]; then
		say "apt-get update"
		apt-get update -qq
		APT_UPDATED=1
	fi
	say "apt-get install $*"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# The client first: it needs no root, so a developer without root still
# gets it and learns below what else is missing.
client_ok || install_client

missing=()
command -v iptables >/dev/null 2>&1 || [ -x /usr/sbin/iptables ] || missing+=(iptables)
command -v git >/dev/null 2>&1 || missing+=(git)
# The test hooks run as the test user, who cannot see a python3 under /root.
[ -x /usr/bin/python3 ] || missing+=(python3)
# user_has reports whether the test user's PATH (/usr/local/bin:/usr/bin:/bin)
# holds program.
user_has() { [ -x "/usr/local/bin/$1" ] || [ -x "/usr/bin/$1" ] || [ -x "/bin/$1" ]; }
user_has jq || missing+=(jq)
user_has make || missing+=(make)
user_has node || missing+=(nodejs)
user_has npm || missing+=(npm)
[ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"

if ! id -u "$E2E_USER" >/dev/null 2>&1; then
	is_root || die "test user $E2E_USER does not exist" "run as root: sudo make e2e-deps"
	say "creating user $E2E_USER"
	useradd --user-group --no-create-home --home-dir /nonexistent --shell /bin/bash "$E2E_USER"
fi
[ "$(id -u "$E2E_USER")" != 0 ] || die "test user $E2E_USER is root" "remove that user or set WARDEN_E2E_USER to an unprivileged one"

say "ok: $PREFIX/bin/claude $("$PREFIX/bin/claude" --version), user $E2E_USER ($(id -u "$E2E_USER")), $(iptables --version)"
