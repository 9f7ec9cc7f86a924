package main

import (
	"slices"
	"time"
)

// percentile returns the p-th percentile (0 < p <= 100) of sorted by the
// nearest-rank method: the smallest value with at least p% of the values at
// or below it. It never interpolates, so every figure reported is a time
// some run actually took. With fewer than 100 values p99 is the maximum.
func percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	// rank = ceil(p/100 * n), computed in integers to avoid 0.29*100
	// style rounding: p is given in hundredths of a percent.
	hp := int64(p*100 + 0.5)
	rank := int((hp*int64(n) + 9999) / 10000)
	rank = min(max(rank, 1), n)
	return sorted[rank-1]
}

// summary is the statistics of one program's successful runs.
type summary struct {
	n                  int
	p50, p90, p99, max time.Duration
	mean, cpuMean      time.Duration
	maxRSS             int64 // KiB, the largest peak RSS of any run
	// rssBound is true when maxRSS is not exact but an upper bound: the
	// run that reported it stayed at or below hookbench's own peak.
	rssBound bool
}

func summarize(samples []sample) summary {
	s := summary{n: len(samples)}
	if s.n == 0 {
		return s
	}
	walls := make([]time.Duration, 0, s.n)
	var sum, cpu time.Duration
	for _, x := range samples {
		walls = append(walls, x.wall)
		sum += x.wall
		cpu += x.cpu
		if x.maxRSS > s.maxRSS {
			s.maxRSS = x.maxRSS
			s.rssBound = x.maxRSS <= x.rssFloor
		}
	}
	slices.Sort(walls)
	s.p50 = percentile(walls, 50)
	s.p90 = percentile(walls, 90)
	s.p99 = percentile(walls, 99)
	s.max = walls[s.n-1]
	s.mean = sum / time.Duration(s.n)
	s.cpuMean = cpu / time.Duration(s.n)
	return s
}

// pairedRatios returns, for every iteration in which both a and b ran
// successfully, a's time divided by b's. Pairing cancels whatever slowed
// the machine during that iteration.
func pairedRatios(a, b *program) []float64 {
	bi := make(map[int]time.Duration, len(b.iter))
	for k, it := range b.iter {
		bi[it] = b.samples[k].wall
	}
	var out []float64
	for k, it := range a.iter {
		if d, ok := bi[it]; ok && d > 0 {
			out = append(out, float64(a.samples[k].wall)/float64(d))
		}
	}
	return out
}

// median returns the nearest-rank median of xs (which it sorts), or 0.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	return xs[(len(xs)-1)/2]
}
