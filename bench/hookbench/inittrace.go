package main

import (
	"bufio"
	"bytes"
	"cmp"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// initLine matches one line the runtime prints under GODEBUG=inittrace=1:
//
//	init internal/bytealg @0.008 ms, 0 ms clock, 0 bytes, 0 allocs
//
// @ is when the package's init started, counted from runtime start; clock
// is how long its init functions and variable initialisers ran.
var initLine = regexp.MustCompile(`^init (\S+) @([0-9.]+) ms, ([0-9.]+) ms clock, ([0-9]+) bytes, ([0-9]+) allocs$`)

// pkgInit is one package's init cost.
type pkgInit struct {
	pkg    string
	start  time.Duration // @: since runtime start
	clock  time.Duration
	bytes  int64
	allocs int64
}

// initTrace is one process's inittrace output.
type initTrace struct {
	pkgs []pkgInit
}

// total is the sum of every package's init clock.
func (t initTrace) total() time.Duration {
	var d time.Duration
	for _, p := range t.pkgs {
		d += p.clock
	}
	return d
}

// done is when the last init finished (@ + clock), counted from runtime
// start: roughly when main.main began.
func (t initTrace) done() time.Duration {
	var d time.Duration
	for _, p := range t.pkgs {
		d = max(d, p.start+p.clock)
	}
	return d
}

// byPackage returns one entry per package in init order. A package's init
// task runs once; summing guards against a runtime that printed one twice.
func (t initTrace) byPackage() []pkgInit {
	var out []pkgInit
	index := map[string]int{}
	for _, p := range t.pkgs {
		i, ok := index[p.pkg]
		if !ok {
			i = len(out)
			index[p.pkg] = i
			out = append(out, pkgInit{pkg: p.pkg, start: p.start})
		}
		out[i].clock += p.clock
		out[i].bytes += p.bytes
		out[i].allocs += p.allocs
	}
	return out
}

// parseInitTrace reads inittrace lines from a process's stderr and ignores
// every other line.
func parseInitTrace(stderr []byte) initTrace {
	var t initTrace
	sc := bufio.NewScanner(bytes.NewReader(stderr))
	for sc.Scan() {
		m := initLine.FindStringSubmatch(strings.TrimSpace(sc.Text()))
		if m == nil {
			continue
		}
		p := pkgInit{pkg: m[1], start: parseMS(m[2]), clock: parseMS(m[3])}
		p.bytes, _ = strconv.ParseInt(m[4], 10, 64)
		p.allocs, _ = strconv.ParseInt(m[5], 10, 64)
		t.pkgs = append(t.pkgs, p)
	}
	return t
}

// parseMS converts the runtime's millisecond figures ("0.008", "12").
func parseMS(s string) time.Duration {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0
	}
	return time.Duration(f * float64(time.Millisecond))
}

// initReport summarises several inittrace runs of one program.
type initReport struct {
	runs   int
	failed int
	total  time.Duration // median over runs of the summed init clock
	done   time.Duration // median over runs of the end of the last init
	pkgs   int           // packages with an init task
	// top lists the packages by median init clock, largest first.
	top []pkgInit
}

// summarizeInit combines traces: per package, the median clock, bytes and
// allocs over the runs; overall, the median of each run's totals. One run on
// a shared machine is noise; the median of a few is a figure.
func summarizeInit(traces []initTrace) initReport {
	r := initReport{runs: len(traces)}
	var totals, dones []time.Duration
	byPkg := map[string][]pkgInit{}
	var order []string
	for _, t := range traces {
		if len(t.pkgs) == 0 {
			r.failed++
			continue
		}
		totals = append(totals, t.total())
		dones = append(dones, t.done())
		for _, p := range t.byPackage() {
			if _, known := byPkg[p.pkg]; !known {
				order = append(order, p.pkg)
			}
			byPkg[p.pkg] = append(byPkg[p.pkg], p)
		}
	}
	if len(totals) == 0 {
		return r
	}
	r.total = medianDuration(totals)
	r.done = medianDuration(dones)
	r.pkgs = len(order)
	for _, pkg := range order {
		ps := byPkg[pkg]
		clocks := make([]time.Duration, len(ps))
		var bs, as []int64
		for i, p := range ps {
			clocks[i] = p.clock
			bs = append(bs, p.bytes)
			as = append(as, p.allocs)
		}
		r.top = append(r.top, pkgInit{pkg: pkg, clock: medianDuration(clocks), bytes: medianInt(bs), allocs: medianInt(as)})
	}
	// Stable: ties keep init order.
	slices.SortStableFunc(r.top, func(a, b pkgInit) int { return cmp.Compare(b.clock, a.clock) })
	return r
}

func medianDuration(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return percentile(s, 50)
}

func medianInt(xs []int64) int64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[(len(s)-1)/2]
}

// inittrace runs warden n times with GODEBUG=inittrace=1 on the first
// input and summarises what the runtime printed.
func (b *bench) inittrace(n int) initReport {
	env := withGODEBUG(os.Environ(), "inittrace=1")
	var traces []initTrace
	for range n {
		r := runOnce(b.warden.path, b.warden.args, env, b.inputs[0].data, b.cfg.timeout)
		traces = append(traces, parseInitTrace(r.stderr))
	}
	return summarizeInit(traces)
}

// withGODEBUG returns env with setting added to GODEBUG.
func withGODEBUG(env []string, setting string) []string {
	out := make([]string, 0, len(env)+1)
	found := false
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "GODEBUG="); ok {
			found = true
			if v != "" {
				kv = "GODEBUG=" + v + "," + setting
			} else {
				kv = "GODEBUG=" + setting
			}
		}
		out = append(out, kv)
	}
	if !found {
		out = append(out, "GODEBUG="+setting)
	}
	return out
}
