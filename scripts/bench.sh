#!/usr/bin/env bash
# Measures Warden's speed (`make bench`); docs/benchmarks.md explains the
# figures and the targets.
#
#   scripts/bench.sh           build, measure, print
#   scripts/bench.sh --write   also rewrite the measured section of
#                              docs/benchmarks.md (between the bench markers)
#
# Steps: install jq from Debian if it is missing; build bin/warden; run the
# Go micro-benchmarks of the engine, the shell parser and the hook; time
# whole `warden hook` processes with bench/hookbench, paired with a Go
# baseline and the bash+jq reference hook (bench/jq-hook.sh).
#
# It only measures: a slow or loaded machine gives slow figures, never a
# failure. It exits 1 when a step itself fails (build error, failing
# benchmark, hook runs that crash or answer garbage); then --write leaves
# docs/benchmarks.md alone.
#
# Environment:
#   BENCH_N          hookbench iterations (default 1000)
#   BENCH_INPUTS     hookbench inputs (default testdata/corpus)
#   BENCH_BENCHTIME  go test -benchtime (default 1s)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

DOC=docs/benchmarks.md
BEGIN='<!-- bench:begin -->'
END='<!-- bench:end -->'
N=${BENCH_N:-1000}
INPUTS=${BENCH_INPUTS:-testdata/corpus}
BENCHTIME=${BENCH_BENCHTIME:-1s}
PKGS=(./internal/engine/ ./internal/shell/ ./internal/hook/ ./internal/clientstate/)

say() { printf 'bench: %s\n' "$*" >&2; }
die() {
	printf 'bench: error: %s\n' "$1" >&2
	[ $# -gt 1 ] && printf 'bench: try: %s\n' "$2" >&2
	exit 1
}

write=0
for arg in "$@"; do
	case "$arg" in
	--write) write=1 ;;
	-h | --help)
		sed -n '2,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//'
		exit 0
		;;
	*)
		printf 'bench: unknown argument %q\nusage: scripts/bench.sh [--write]\n' "$arg" >&2
		exit 2
		;;
	esac
done

# ensure_tools installs the Debian packages the benchmark runs and that are
# missing; it runs apt-get update only when it has something to install.
ensure_tools() {
	command -v go >/dev/null || die "go is not in PATH" "install the Go toolchain named in go.mod"
	local need=()
	command -v jq >/dev/null || need+=(jq)
	[ ${#need[@]} -eq 0 ] && return 0
	local sudo=()
	if [ "$(id -u)" != 0 ]; then
		sudo -n true 2>/dev/null || die "missing Debian packages: ${need[*]}" "sudo apt-get install ${need[*]}"
		sudo=(sudo -n)
	fi
	say "apt-get update"
	"${sudo[@]}" apt-get update -qq || die "apt-get update failed"
	say "apt-get install ${need[*]}"
	DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null ||
		die "apt-get install ${need[*]} failed"
}

cpu_model() {
	local m
	m=$(grep -m1 -E '^(model name|Hardware|cpu model)' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//')
	printf '%s\n' "${m:-$(uname -m)}"
}

# show prints a command so that it can be pasted into a shell.
show() {
	local out=() a
	for a in "$@"; do
		if [[ "$a" =~ ^[A-Za-z0-9_./:=,@%+-]+$ ]]; then
			out+=("$a")
		else
			out+=("'${a//\'/\'\\\'\'}'")
		fi
	done
	printf '%s\n' "${out[*]}"
}

load_average() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown; }

# ops_table turns `go test -bench` output into a Markdown table with
# operations per second: for an engine benchmark whose op is one decision,
# that is decisions per second on one core (the benchmarks run with -cpu 1).
ops_table() {
	awk '
	/^pkg: / { pkg = $2; sub(".*/warden/", "", pkg) }
	/^Benchmark/ && / ns\/op/ {
		if (!header) {
			print "| package | benchmark | ns/op | ops/s (1 core) | B/op | allocs/op |"
			print "| --- | --- | ---: | ---: | ---: | ---: |"
			header = 1
		}
		ns = ""; bop = "-"; aop = "-"
		for (i = 3; i < NF; i++) {
			if ($(i+1) == "ns/op") ns = $i
			if ($(i+1) == "B/op") bop = $i
			if ($(i+1) == "allocs/op") aop = $i
		}
		ops = (ns > 0) ? sprintf("%.0f", 1e9 / ns) : "-"
		name = $1
		gsub(/\|/, "\\|", name) # a pipe in a sub-benchmark name would end the cell
		printf "| %s | %s | %s | %s | %s | %s |\n", pkg, name, ns, ops, bop, aop
	}
	END { if (!header) print "(no benchmarks yet)" }'
}

ensure_tools

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=()

date_utc=$(date -u '+%Y-%m-%d %H:%M UTC')
go_version=$(go version)
cpu="$(cpu_model) ($(nproc) CPUs available), $(uname -sr)"
load_start=$(load_average)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain --untracked-files=no -- . ":(exclude)$DOC" 2>/dev/null)" ]; then
	commit="$commit with uncommitted changes"
fi
say "$date_utc; $go_version; $cpu; load average $load_start; commit $commit"
read -r load1 _ <<<"$load_start"
if awk -v l="$load1" -v n="$(nproc)" 'BEGIN { exit !(l + 0 > n / 2) }' 2>/dev/null; then
	say "warning: load average $load1 on $(nproc) CPUs: absolute times will be noisy; the paired ratio is the figure to read"
fi

build_cmd=(make build)
micro_cmd=(go test -run '^$' -bench . -benchmem -cpu 1 -benchtime "$BENCHTIME" "${PKGS[@]}")
# warden-hook is what Claude Code starts per call; warden hook beside it;
# and a call warden-hook hands to warden because the policy has a CEL
# condition for its tool.
hookbin_cmd=(go run ./bench/hookbench -warden bin/warden-hook -args "--spool {spool}" -inputs "$INPUTS" -jq-hook bench/jq-hook.sh -n "$N" -markdown)
hook_cmd=(go run ./bench/hookbench -warden bin/warden -inputs "$INPUTS" -n "$N" -inittrace 0 -markdown)
cat >"$tmp/cond.yaml" <<'POLICY'
version: 1
name: bench-condition
revision: "1"
default_tier: t
conditions:
  - {id: no-prod-ssh, decision: deny, reason: no ssh to production, tools: [Bash], when: 'action.commands.exists(c, c.program == "ssh")'}
tiers: [{name: t}]
POLICY
# Compiled, as warden compile wires it: warden-hook hands over only the
# calls the condition applies to (every call under a YAML policy file).
condjson_cmd=(bin/warden compile --policy "$tmp/cond.yaml" --out "$tmp/cond")
handoff_cmd=(go run ./bench/hookbench -warden bin/warden-hook -args "--policy $tmp/cond/warden-policy.json --spool {spool}" -inputs "$INPUTS" -n "$(( N / 2 ))" -inittrace 0 -markdown)
# Start-up decomposition: programs that only read stdin but link the hook's
# parsing libraries with cobra (lean) and without (hooklibs), those plus
# cel-go (cel), and every package warden-hook links (hookfloor: their init,
# not all their code), paired like warden.
startup_n=$(( N / 2 ))
lean_build=(go build -o "$tmp/lean" ./bench/startup/lean)
cel_build=(go build -o "$tmp/cel" ./bench/startup/cel)
hooklibs_build=(go build -o "$tmp/hooklibs" ./bench/startup/hooklibs)
hookfloor_build=(go build -o "$tmp/hookfloor" ./bench/startup/hookfloor)
lean_cmd=(go run ./bench/hookbench -warden "$tmp/lean" -args "" -inputs "$INPUTS" -n "$startup_n" -inittrace 0 -markdown)
cel_cmd=(go run ./bench/hookbench -warden "$tmp/cel" -args "" -inputs "$INPUTS" -n "$startup_n" -inittrace 0 -markdown)
hooklibs_cmd=(go run ./bench/hookbench -warden "$tmp/hooklibs" -args "" -inputs "$INPUTS" -n "$startup_n" -inittrace 0 -markdown)
hookfloor_cmd=(go run ./bench/hookbench -warden "$tmp/hookfloor" -args "" -inputs "$INPUTS" -n "$startup_n" -inittrace 0 -markdown)

hook_ok=1
say "$(show "${build_cmd[@]}")"
if ! "${build_cmd[@]}"; then
	failed+=("build")
	hook_ok=0
fi

say "$(show "${micro_cmd[@]}")"
"${micro_cmd[@]}" 2>&1 | tee "$tmp/micro.txt"
[ "${PIPESTATUS[0]}" -eq 0 ] || failed+=("micro-benchmarks")

if [ "$hook_ok" = 1 ] && ! bin/warden-hook --help >/dev/null 2>&1; then
	say "bin/warden-hook is not available: skipping the whole-process benchmark"
	failed+=("warden-hook missing")
	hook_ok=0
fi
if [ "$hook_ok" = 1 ]; then
	say "$(show "${condjson_cmd[@]}")"
	"${condjson_cmd[@]}" >/dev/null || failed+=("compile the condition policy")
	for v in hookbin hook handoff; do
		c="${v}_cmd[@]"
		say "$(show "${!c}")"
		"${!c}" | tee "$tmp/$v.md"
		[ "${PIPESTATUS[0]}" -eq 0 ] || failed+=("hookbench $v")
	done
fi

for v in hooklibs hookfloor lean cel; do
	b="${v}_build[@]"
	c="${v}_cmd[@]"
	say "$(show "${!b}")"
	if "${!b}"; then
		say "$(show "${!c}")"
		"${!c}" | tee "$tmp/$v.md"
		[ "${PIPESTATUS[0]}" -eq 0 ] || failed+=("startup $v")
	else
		failed+=("build $v")
	fi
done

printf '\nMicro-benchmarks (-cpu 1):\n\n'
ops_table <"$tmp/micro.txt"

if [ ${#failed[@]} -gt 0 ]; then
	say "failed: ${failed[*]}"
	[ "$write" = 1 ] && say "not writing $DOC: a step failed, and its figures would describe that failure"
	exit 1
fi
[ "$write" = 1 ] || exit 0

# --write: replace the lines between the markers, keeping everything else.
if [ "$(grep -cxF "$BEGIN" "$DOC")" != 1 ] || [ "$(grep -cxF "$END" "$DOC")" != 1 ]; then
	die "$DOC must contain the lines $BEGIN and $END exactly once each"
fi
# shellcheck disable=SC2016 # the backquotes are Markdown
{
	printf '\nMeasured %s by `scripts/bench.sh --write` at commit %s.\n\n' "$date_utc" "$commit"
	printf -- '- CPU: %s\n' "$cpu"
	printf -- '- Go: `%s`\n' "$go_version"
	printf -- '- load average (1, 5, 15 min) before measuring: %s\n' "$load_start"
	printf -- '- commands:\n\n  ```sh\n'
	printf '  %s\n' "$(show "${build_cmd[@]}")" "$(show "${micro_cmd[@]}")" "$(show "${hookbin_cmd[@]}")" "$(show "${hook_cmd[@]}")" "$(show "${condjson_cmd[@]}")" "$(show "${handoff_cmd[@]}")"
	printf '  ```\n\n### Whole hook process: warden-hook (what Claude Code runs)\n\n'
	cat "$tmp/hookbin.md"
	printf '\n### warden hook (the same command in the full binary)\n\n'
	cat "$tmp/hook.md"
	printf '\n### A call warden-hook hands to warden (the policy has a CEL condition for Bash)\n\n'
	cat "$tmp/handoff.md"
	printf '\n### Start-up decomposition\n\n'
	printf 'Programs that only read stdin, each paired with the baseline: the\n'
	printf 'third-party libraries warden-hook links (`bench/startup/hooklibs`:\n'
	printf 'mvdan.cc/sh, doublestar), every package warden-hook links\n'
	printf '(`bench/startup/hookfloor`: their initialisation, not all their code),\n'
	printf 'those plus cobra and yaml, as warden links them (`bench/startup/lean`), and those plus cel-go\n'
	printf '(`bench/startup/cel`). Labelled "warden" by hookbench; the program is\n'
	printf 'the one named here. %s, %s, %s and %s.\n\n' "$(show "${hooklibs_cmd[@]}")" "$(show "${hookfloor_cmd[@]}")" "$(show "${lean_cmd[@]}")" "$(show "${cel_cmd[@]}")"
	printf '**hooklibs**\n\n'
	sed -n '/Per process, start to exit/,/Targets (reported/p' "$tmp/hooklibs.md" | sed '1d;$d'
	printf '\n**hookfloor**\n\n'
	sed -n '/Per process, start to exit/,/Targets (reported/p' "$tmp/hookfloor.md" | sed '1d;$d'
	printf '\n**lean**\n\n'
	sed -n '/Per process, start to exit/,/Targets (reported/p' "$tmp/lean.md" | sed '1d;$d'
	printf '\n**cel**\n\n'
	sed -n '/Per process, start to exit/,/Targets (reported/p' "$tmp/cel.md" | sed '1d;$d'
	printf '\n### Engine, parser and hook micro-benchmarks\n\n'
	ops_table <"$tmp/micro.txt"
	printf '\n'
} >"$tmp/section.md"
awk -v begin="$BEGIN" -v end="$END" -v section="$tmp/section.md" '
	$0 == begin { print; while ((getline line < section) > 0) print line; skip = 1; next }
	$0 == end { skip = 0 }
	!skip { print }' "$DOC" >"$tmp/doc.md" || die "rewrite $DOC failed"
if ! { cp "$tmp/doc.md" "$DOC.tmp" && mv "$DOC.tmp" "$DOC"; }; then
	die "write $DOC failed"
fi
say "wrote the measured section of $DOC"
