#!/usr/bin/env bash
# Counts the instructions one whole hook process executes, and the page
# faults it takes, which, unlike wall time, hold on a loaded machine: the stdin-only Go baseline, a
# program linking warden-hook's packages without deciding
# (bench/startup/hookfloor), and warden-hook on captured hook inputs
# (../shared/fixtures/hooks). Median of RUNS runs (default 7) under
# valgrind --tool=callgrind. docs/benchmarks.md explains the figures.
#
#   scripts/hookinstr.sh            build bin/warden-hook, count, print a table
#
# Needs valgrind (Debian package valgrind) and GNU time (/usr/bin/time). GODEBUG=asyncpreemptoff=1
# keeps callgrind from tripping over Go's preemption signals; it does not
# change the work counted.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-7}
FIXTURES=${FIXTURES:-../shared/fixtures/hooks}
command -v valgrind >/dev/null || { echo "hookinstr: valgrind not found: apt-get install valgrind" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "hookinstr: /usr/bin/time not found: apt-get install time" >&2; exit 1; }
[ -d "$FIXTURES" ] || { echo "hookinstr: no fixtures in $FIXTURES (set FIXTURES)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
make -s build >/dev/null
sed -n '/^const baselineSource = `/,/^`/p' bench/hookbench/main.go | sed '1s/^const baselineSource = `//; $d' >"$tmp/baseline.go"
go build -o "$tmp/baseline" "$tmp/baseline.go"
go build -o "$tmp/hookfloor" ./bench/startup/hookfloor

count() { # program input [args...]
	local prog=$1 in=$2
	shift 2
	for _ in $(seq "$RUNS"); do
		rm -f "$tmp/spool.jsonl"
		GODEBUG=asyncpreemptoff=1 valgrind --tool=callgrind --callgrind-out-file=/dev/null "$prog" "$@" <"$in" 2>&1 >/dev/null |
			awk '/I *refs:/ {gsub(",", "", $NF); print $NF}'
	done | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

faults() { # program input [args...]: minor page faults, median of RUNS
	local prog=$1 in=$2
	shift 2
	for _ in $(seq "$RUNS"); do
		rm -f "$tmp/spool.jsonl"
		/usr/bin/time -f '%R' -o "$tmp/time.out" "$prog" "$@" <"$in" >/dev/null 2>&1 || true
		tail -1 "$tmp/time.out"
	done | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

printf '| program | input | instructions (median of %d) | page faults (median of %d) |\n| --- | --- | ---: | ---: |\n' "$RUNS" "$RUNS"
first="$FIXTURES/pretooluse-bash.json"
printf '| stdin-only baseline | %s | %s | %s |\n' "$(basename "$first")" "$(count "$tmp/baseline" "$first")" "$(faults "$tmp/baseline" "$first")"
printf '| hookfloor (links, does not decide) | %s | %s | %s |\n' "$(basename "$first")" "$(count "$tmp/hookfloor" "$first")" "$(faults "$tmp/hookfloor" "$first")"
for f in pretooluse-bash pretooluse-bash-env pretooluse-edit posttooluse-bash; do
	in="$FIXTURES/$f.json"
	[ -f "$in" ] || continue
	printf '| warden-hook | %s | %s | %s |\n' "$f.json" "$(count bin/warden-hook "$in" --spool "$tmp/spool.jsonl")" "$(faults bin/warden-hook "$in" --spool "$tmp/spool.jsonl")"
done
