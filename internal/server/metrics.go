package server

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Registry holds the server's metrics and writes them in the Prometheus
// text exposition format (version 0.0.4). It is a small stand-in for
// prometheus/client_golang, whose package initialisation would cost every
// `warden hook` process about 0.7 ms: counters, gauges and histograms with
// labels, nothing else. Safe for concurrent use; the zero value is not
// usable, call NewRegistry.
type Registry struct {
	mu       sync.Mutex
	families map[string]*family
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{families: map[string]*family{}} }

// ContentType is the media type of WriteText's output.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

type metricType string

const (
	typeCounter   metricType = "counter"
	typeGauge     metricType = "gauge"
	typeHistogram metricType = "histogram"
)

// family is one metric name with its help, type, label names and series.
type family struct {
	name    string
	help    string
	typ     metricType
	labels  []string
	buckets []float64 // histograms

	mu     sync.RWMutex
	series map[string]*series // by joined label values
}

// series is one labelled time series: a value, or a histogram's counts.
type series struct {
	values []string
	value  atomicFloat
	counts []atomic.Uint64 // per bucket, not cumulative
	sum    atomicFloat
	count  atomic.Uint64
}

// atomicFloat is a float64 updated with compare-and-swap.
type atomicFloat struct{ bits atomic.Uint64 }

func (f *atomicFloat) add(v float64) {
	for {
		old := f.bits.Load()
		if f.bits.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+v)) {
			return
		}
	}
}

func (f *atomicFloat) set(v float64) { f.bits.Store(math.Float64bits(v)) }
func (f *atomicFloat) load() float64 { return math.Float64frombits(f.bits.Load()) }

// register returns the family called name, creating it; registering a name
// again with another type or other labels is a programming error.
func (r *Registry) register(name, help string, typ metricType, buckets []float64, labels []string) *family {
	if !validName(name) {
		panic("server: invalid metric name " + strconv.Quote(name))
	}
	for _, l := range labels {
		if !validName(l) || strings.HasPrefix(l, "__") || l == "le" {
			panic("server: invalid label name " + strconv.Quote(l))
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if f, ok := r.families[name]; ok {
		if f.typ != typ || !slices.Equal(f.labels, labels) {
			panic("server: metric " + name + " registered twice with different shapes")
		}
		return f
	}
	f := &family{name: name, help: help, typ: typ, labels: labels, buckets: buckets, series: map[string]*series{}}
	r.families[name] = f
	return f
}

// with returns the series for label values, creating it.
func (f *family) with(values []string) *series {
	if len(values) != len(f.labels) {
		panic(fmt.Sprintf("server: metric %s takes %d label values, got %d", f.name, len(f.labels), len(values)))
	}
	key := strings.Join(values, "\xff")
	f.mu.RLock()
	s, ok := f.series[key]
	f.mu.RUnlock()
	if ok {
		return s
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if s, ok := f.series[key]; ok {
		return s
	}
	s = &series{values: slices.Clone(values)}
	if f.typ == typeHistogram {
		s.counts = make([]atomic.Uint64, len(f.buckets)+1)
	}
	f.series[key] = s
	return s
}

// CounterVec is a counter with labels.
type CounterVec struct{ f *family }

// Counter registers (or returns) a counter; its name should end in _total.
func (r *Registry) Counter(name, help string, labels ...string) *CounterVec {
	return &CounterVec{r.register(name, help, typeCounter, nil, labels)}
}

// Add adds v (which must not be negative) to the series of the label
// values.
func (c *CounterVec) Add(v float64, values ...string) {
	if v < 0 {
		panic("server: counter " + c.f.name + " decreased")
	}
	c.f.with(values).value.add(v)
}

// Inc adds 1.
func (c *CounterVec) Inc(values ...string) { c.Add(1, values...) }

// GaugeVec is a gauge with labels.
type GaugeVec struct{ f *family }

// Gauge registers (or returns) a gauge.
func (r *Registry) Gauge(name, help string, labels ...string) *GaugeVec {
	return &GaugeVec{r.register(name, help, typeGauge, nil, labels)}
}

// Add adds v (possibly negative).
func (g *GaugeVec) Add(v float64, values ...string) { g.f.with(values).value.add(v) }

// Set sets the value.
func (g *GaugeVec) Set(v float64, values ...string) { g.f.with(values).value.set(v) }

// HistogramVec is a histogram with labels.
type HistogramVec struct{ f *family }

// DefBuckets are latency buckets in seconds, from 0.5 ms to 10 s.
var DefBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// Histogram registers (or returns) a histogram with the given upper
// bounds, which must increase; +Inf is implied.
func (r *Registry) Histogram(name, help string, buckets []float64, labels ...string) *HistogramVec {
	if !slices.IsSorted(buckets) || len(buckets) == 0 {
		panic("server: histogram " + name + " needs increasing buckets")
	}
	return &HistogramVec{r.register(name, help, typeHistogram, slices.Clone(buckets), labels)}
}

// Observe records v.
func (h *HistogramVec) Observe(v float64, values ...string) {
	s := h.f.with(values)
	i, _ := slices.BinarySearch(h.f.buckets, v) // first bound >= v: le is inclusive
	s.counts[i].Add(1)
	s.sum.add(v)
	s.count.Add(1)
}

// WriteText writes every metric in the text exposition format, families
// sorted by name and series by label values, so output is deterministic.
func (r *Registry) WriteText(w io.Writer) error {
	r.mu.Lock()
	fams := make([]*family, 0, len(r.families))
	for _, f := range r.families {
		fams = append(fams, f)
	}
	r.mu.Unlock()
	slices.SortFunc(fams, func(a, b *family) int { return strings.Compare(a.name, b.name) })

	bw := bufio.NewWriter(w)
	for _, f := range fams {
		f.mu.RLock()
		ss := make([]*series, 0, len(f.series))
		for _, s := range f.series {
			ss = append(ss, s)
		}
		f.mu.RUnlock()
		slices.SortFunc(ss, func(a, b *series) int { return slices.Compare(a.values, b.values) })

		fmt.Fprintf(bw, "# HELP %s %s\n# TYPE %s %s\n", f.name, escapeHelp(f.help), f.name, f.typ)
		for _, s := range ss {
			if f.typ != typeHistogram {
				fmt.Fprintf(bw, "%s%s %s\n", f.name, labelPairs(f.labels, s.values, "", 0), formatFloat(s.value.load()))
				continue
			}
			var cum uint64
			for i, le := range f.buckets {
				cum += s.counts[i].Load()
				fmt.Fprintf(bw, "%s_bucket%s %d\n", f.name, labelPairs(f.labels, s.values, "le", le), cum)
			}
			cum += s.counts[len(f.buckets)].Load()
			fmt.Fprintf(bw, "%s_bucket%s %d\n", f.name, labelPairs(f.labels, s.values, "le", math.Inf(1)), cum)
			fmt.Fprintf(bw, "%s_sum%s %s\n", f.name, labelPairs(f.labels, s.values, "", 0), formatFloat(s.sum.load()))
			fmt.Fprintf(bw, "%s_count%s %d\n", f.name, labelPairs(f.labels, s.values, "", 0), cum)
		}
	}
	return bw.Flush()
}

// labelPairs renders {a="x",b="y"} with an optional le label last.
func labelPairs(names, values []string, le string, bound float64) string {
	if len(names) == 0 && le == "" {
		return ""
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, n := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(n)
		b.WriteString(`="`)
		b.WriteString(escapeLabel(values[i]))
		b.WriteByte('"')
	}
	if le != "" {
		if len(names) > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`le="`)
		b.WriteString(formatFloat(bound))
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

// formatFloat writes a sample value as Prometheus does: shortest
// representation, +Inf, -Inf, NaN.
func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// escapeLabel escapes a label value: backslash, double quote and line
// feed.
func escapeLabel(s string) string { return escape(s, true) }

// escapeHelp escapes help text: backslash and line feed.
func escapeHelp(s string) string { return escape(s, false) }

func escape(s string, quote bool) string {
	if !strings.ContainsAny(s, "\\\n\"") {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '"' && quote:
			b.WriteString(`\"`)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// validName reports whether s is a metric or label name: [a-zA-Z_:][a-zA-Z0-9_:]*
// (colons are reserved for recording rules but valid).
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_' || r == ':' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
