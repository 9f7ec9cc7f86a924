#!/usr/bin/env bash
# A throwaway PostgreSQL for Warden's store tests and benchmarks.
#
#   eval "$(bash scripts/postgres.sh start)"   # start or reuse; exports WARDEN_TEST_DATABASE_URL
#   bash scripts/postgres.sh url               # print the URL of the running cluster
#   bash scripts/postgres.sh status            # exit 0 when it answers
#   bash scripts/postgres.sh stop              # stop it, keep its data directory
#   bash scripts/postgres.sh clean             # stop it and remove its data directory
#
# The cluster listens on 127.0.0.1 only (and a Unix socket in its data
# directory), trusts every local connection, and runs as a non-root OS user:
# the invoking user, or under root the "postgres" user of Debian's package
# (created when missing). It needs initdb, pg_ctl and postgres; when none are
# found and we are root, it installs Debian's postgresql package.
#
# start is idempotent and fast when the cluster already runs. stdout carries
# only the export line; progress goes to stderr.
#
# Settings (environment): WARDEN_PG_DIR (data directory, default
# ${TMPDIR:-/tmp}/warden-pg), WARDEN_PG_PORT (default 55432).
set -euo pipefail

dir="${WARDEN_PG_DIR:-${TMPDIR:-/tmp}/warden-pg}"
port="${WARDEN_PG_PORT:-55432}"
db=warden
superuser=warden

log() { echo "postgres.sh: $*" >&2; }
die() { log "$*"; exit 1; }

# bindir prints the directory holding initdb, pg_ctl and postgres.
bindir() {
	local d
	for d in "$(pg_config --bindir 2>/dev/null || true)" $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5,5nr) /usr/local/pgsql/bin; do
		if [[ -n "$d" && -x "$d/initdb" && -x "$d/pg_ctl" && -x "$d/postgres" ]]; then
			echo "$d"
			return 0
		fi
	done
	if command -v initdb >/dev/null && command -v pg_ctl >/dev/null && command -v postgres >/dev/null; then
		dirname "$(readlink -f "$(command -v postgres)")"
		return 0
	fi
	return 1
}

install_server() {
	[[ "$(id -u)" == 0 ]] || die "no PostgreSQL server found (initdb, pg_ctl, postgres); install Debian's postgresql package"
	command -v apt-get >/dev/null || die "no PostgreSQL server found and no apt-get to install one"
	log "installing Debian's postgresql package"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2
	apt-get install -y -qq --no-install-recommends postgresql >&2
}

# run runs a command as the cluster's OS user.
osuser=""
run() {
	if [[ -z "$osuser" ]]; then
		"$@"
	else
		runuser -u "$osuser" -- "$@"
	fi
}

setup_user() {
	if [[ "$(id -u)" != 0 ]]; then
		return
	fi
	osuser=postgres
	if ! id -u "$osuser" >/dev/null 2>&1; then
		log "creating OS user $osuser"
		useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin "$osuser"
	fi
}

url() { echo "postgres://$superuser@127.0.0.1:$port/$db?sslmode=disable"; }

running() { [[ -n "${bin:-}" ]] && run "$bin/pg_ctl" status -D "$dir" >/dev/null 2>&1; }

start() {
	if ! bin="$(bindir)"; then
		install_server
		bin="$(bindir)" || die "postgresql installed but initdb, pg_ctl and postgres not found"
	fi
	setup_user
	if running; then
		log "already running in $dir on port $(cat "$dir/warden-port")"
		port="$(cat "$dir/warden-port")"
		echo "export WARDEN_TEST_DATABASE_URL='$(url)'"
		return
	fi
	if [[ ! -f "$dir/PG_VERSION" ]]; then
		if [[ -d "$dir" && -n "$(ls -A "$dir")" ]]; then
			die "$dir is not empty and holds no cluster; remove it or set WARDEN_PG_DIR"
		fi
		log "initdb $dir ($("$bin/postgres" --version))"
		mkdir -p "$dir"
		chmod 700 "$dir"
		[[ -z "$osuser" ]] || chown "$osuser:" "$dir"
		run "$bin/initdb" -D "$dir" -U "$superuser" --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$dir.initdb.log" 2>&1 ||
			{ cat "$dir.initdb.log" >&2; die "initdb failed"; }
		rm -f "$dir.initdb.log"
		# Trust local connections only: the Unix socket and 127.0.0.1.
		run sh -c "printf '%s\n' 'local all all trust' 'host all all 127.0.0.1/32 trust' > '$dir/pg_hba.conf'"
		run sh -c "cat >> '$dir/postgresql.conf'" <<-EOF
			listen_addresses = '127.0.0.1'
			unix_socket_directories = '$dir'
			max_connections = 200
			logging_collector = off
		EOF
	fi
	run sh -c "echo $port > '$dir/warden-port'"
	log "starting on 127.0.0.1:$port"
	if ! run "$bin/pg_ctl" start -D "$dir" -w -t 60 -o "-p $port" -l "$dir/server.log" >&2; then
		tail -n 20 "$dir/server.log" >&2 || true
		die "PostgreSQL did not start (port $port taken? set WARDEN_PG_PORT)"
	fi
	if ! run "$bin/psql" -h "$dir" -p "$port" -U "$superuser" -d postgres -Atqc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
		run "$bin/psql" -h "$dir" -p "$port" -U "$superuser" -d postgres -qc "CREATE DATABASE $db" >&2
	fi
	echo "export WARDEN_TEST_DATABASE_URL='$(url)'"
}

stop() {
	bin="$(bindir)" || { log "no PostgreSQL server installed"; return 0; }
	setup_user
	if running; then
		run "$bin/pg_ctl" stop -D "$dir" -m fast -w >&2
	else
		log "not running"
	fi
}

case "${1:-start}" in
start) start ;;
url)
	[[ -f "$dir/warden-port" ]] || die "not started"
	port="$(cat "$dir/warden-port")"
	url
	;;
status)
	bin="$(bindir)" || exit 1
	setup_user
	running
	;;
stop) stop ;;
clean)
	stop
	rm -rf "$dir"
	;;
*) die "usage: $0 start|url|status|stop|clean" ;;
esac
