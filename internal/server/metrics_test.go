package server

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/wardenhq/warden/internal/record"
)

// The text exposition format, line by line (prometheus.io/docs/instrumenting/exposition_formats):
// comments "# HELP name text" and "# TYPE name type", and samples
// "name{label="value",...} value".
var (
	reHelp   = regexp.MustCompile(`^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* ([^\\\n]|\\\\|\\n)*$`)
	reType   = regexp.MustCompile(`^# TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge|histogram|summary|untyped)$`)
	reSample = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\\\|\\"|\\n)*"(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\\\|\\"|\\n)*")*\})? (\+Inf|-Inf|NaN|-?[0-9.eE+-]+)$`)
)

// checkExposition fails t for any line that is not valid text format, a
// sample of an undeclared family, a family declared twice, or a histogram
// whose buckets are not cumulative or do not end in +Inf equal to _count.
func checkExposition(t *testing.T, text string) {
	t.Helper()
	if !strings.HasSuffix(text, "\n") {
		t.Error("exposition does not end with a line feed")
	}
	types := map[string]string{}
	var series string // the histogram series whose buckets are being read
	var last float64  // its last bucket count
	for i, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		switch {
		case strings.HasPrefix(line, "# HELP "):
			if !reHelp.MatchString(line) {
				t.Errorf("line %d: bad HELP: %q", i+1, line)
			}
		case strings.HasPrefix(line, "# TYPE "):
			if !reType.MatchString(line) {
				t.Errorf("line %d: bad TYPE: %q", i+1, line)
			}
			f := strings.Fields(line)
			if _, dup := types[f[2]]; dup {
				t.Errorf("line %d: family %s declared twice", i+1, f[2])
			}
			types[f[2]] = f[3]
		default:
			if !reSample.MatchString(line) {
				t.Errorf("line %d: bad sample: %q", i+1, line)
				continue
			}
			name := line[:strings.IndexAny(line, "{ ")]
			family := name
			for _, suf := range []string{"_bucket", "_sum", "_count"} {
				if base, ok := strings.CutSuffix(name, suf); ok && types[base] == "histogram" {
					family = base
				}
			}
			if _, ok := types[family]; !ok {
				t.Errorf("line %d: sample of undeclared family %s", i+1, family)
			}
			val := line[strings.LastIndexByte(line, ' ')+1:]
			v := parseFloat(t, val)
			if !strings.HasSuffix(name, "_bucket") || family == name {
				if strings.HasSuffix(name, "_count") && family != name && series != "" {
					t.Errorf("line %d: histogram %s has no +Inf bucket", i+1, series)
				}
				if strings.HasSuffix(name, "_count") && family != name && v != last {
					t.Errorf("line %d: _count %v is not the +Inf bucket %v", i+1, v, last)
				}
				continue
			}
			key := regexp.MustCompile(`,?le="[^"]*"`).ReplaceAllString(line[:strings.LastIndexByte(line, ' ')], "")
			if key != series {
				series, last = key, 0
			}
			if v < last {
				t.Errorf("line %d: bucket count %v below the previous %v", i+1, v, last)
			}
			last = v
			if strings.Contains(line, `le="+Inf"`) {
				series = ""
			}
		}
	}
}

func parseFloat(t *testing.T, s string) float64 {
	t.Helper()
	switch s {
	case "+Inf":
		return math.Inf(1)
	case "-Inf":
		return math.Inf(-1)
	}
	var f float64
	if _, err := fmt.Sscan(s, &f); err != nil {
		t.Errorf("value %q: %v", s, err)
	}
	return f
}

// TestRegistry_Golden pins the exposition of every metric type, escaping
// included, and checks it against the format.
func TestRegistry_Golden(t *testing.T) {
	r := NewRegistry()
	c := r.Counter("test_requests_total", "Requests.\nSecond line with a \\ backslash.", "route", "code")
	c.Inc("a", "200")
	c.Add(2, "a", "200")
	c.Inc("b\"quoted\"\\n", "500")
	g := r.Gauge("test_in_flight", "In flight.")
	g.Set(3)
	g.Add(-1)
	h := r.Histogram("test_duration_seconds", "Durations.", []float64{0.1, 1}, "route")
	for _, v := range []float64{0.05, 0.1, 0.5, 2} {
		h.Observe(v, "a")
	}
	r.Counter("test_empty_total", "Never incremented.")

	var b bytes.Buffer
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	checkExposition(t, b.String())
	want := `# HELP test_duration_seconds Durations.
# TYPE test_duration_seconds histogram
test_duration_seconds_bucket{route="a",le="0.1"} 2
test_duration_seconds_bucket{route="a",le="1"} 3
test_duration_seconds_bucket{route="a",le="+Inf"} 4
test_duration_seconds_sum{route="a"} 2.65
test_duration_seconds_count{route="a"} 4
# HELP test_empty_total Never incremented.
# TYPE test_empty_total counter
# HELP test_in_flight In flight.
# TYPE test_in_flight gauge
test_in_flight 2
# HELP test_requests_total Requests.\nSecond line with a \\ backslash.
# TYPE test_requests_total counter
test_requests_total{route="a",code="200"} 3
test_requests_total{route="b\"quoted\"\\n",code="500"} 1
`
	if got := b.String(); got != want {
		t.Errorf("exposition:\n%s\nwant:\n%s", got, want)
	}
}

// TestRegistry_Concurrent: concurrent updates are all counted.
func TestRegistry_Concurrent(t *testing.T) {
	r := NewRegistry()
	c := r.Counter("c_total", "c", "k")
	h := r.Histogram("h_seconds", "h", DefBuckets)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 1000 {
				c.Inc([]string{"x", "y"}[i%2])
				h.Observe(0.003)
			}
		})
	}
	wg.Wait()
	var b bytes.Buffer
	r.WriteText(&b)
	for _, want := range []string{`c_total{k="x"} 4000`, `c_total{k="y"} 4000`, `h_seconds_count 8000`, `h_seconds_bucket{le="0.005"} 8000`, `h_seconds_bucket{le="0.0025"} 0`} {
		if !strings.Contains(b.String(), want+"\n") {
			t.Errorf("missing %q in\n%s", want, b.String())
		}
	}
}

func TestRegistry_Misuse(t *testing.T) {
	for name, f := range map[string]func(r *Registry){
		"BadName":       func(r *Registry) { r.Counter("bad-name", "") },
		"BadLabel":      func(r *Registry) { r.Counter("ok_total", "", "le") },
		"ShapeChange":   func(r *Registry) { r.Counter("x_total", "", "a"); r.Gauge("x_total", "") },
		"LabelCount":    func(r *Registry) { r.Counter("y_total", "", "a").Inc() },
		"Negative":      func(r *Registry) { r.Counter("z_total", "").Add(-1) },
		"UnsortedHisto": func(r *Registry) { r.Histogram("h", "", []float64{2, 1}) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			f(NewRegistry())
		})
	}
}

// TestMetricsEndpoint: /metrics serves the server's instruments in the
// text format, named warden_<subsystem>_<what>_<unit>, and they count.
func TestMetricsEndpoint(t *testing.T) {
	ts := startServer(t)
	ingest := ts.tokens[record.ScopeIngest]
	ts.decide(ingest, pre("m1", "Bash", map[string]any{"command": "cat .env"}), "")
	ts.do("POST", "/v1/audit", ingest, auditLine(t, newAudit("m-a", "m2", t0)), "Content-Type", ContentTypeNDJSON)
	ts.syncDecisions() // decisions are counted as accepted once stored
	r := ts.do("GET", "/metrics", ts.tokens[record.ScopeRead], nil)
	if r.status != 200 || r.header.Get("Content-Type") != ContentType {
		t.Fatalf("%d %s", r.status, r.header.Get("Content-Type"))
	}
	text := string(r.body)
	checkExposition(t, text)
	for _, want := range []string{
		`warden_decision_verdicts_total{verdict="deny"} 1`,
		`warden_ingest_accepted_total{source="audit",kind="event"} 1`,
		`warden_ingest_accepted_total{source="decision",kind="event"} 1`,
		`warden_http_requests_total{route="audit",code="200"} 1`,
		`warden_decision_duration_seconds_count 1`,
		`# TYPE warden_http_request_duration_seconds histogram`,
	} {
		if !strings.Contains(text, want+"\n") {
			t.Errorf("missing %q", want)
		}
	}
	reName := regexp.MustCompile(`^warden_[a-z]+_[a-z_]+_(total|seconds|bytes|events)$`)
	for _, line := range strings.Split(text, "\n") {
		if f := strings.Fields(line); len(f) == 4 && f[1] == "TYPE" && !reName.MatchString(f[2]) {
			t.Errorf("metric %s is not named warden_<subsystem>_<what>_<unit>", f[2])
		}
	}
	golden := filepath.Join("testdata", "metrics-names.golden")
	var names []string
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "# TYPE ") {
			names = append(names, strings.TrimPrefix(line, "# TYPE "))
		}
	}
	got := strings.Join(names, "\n") + "\n"
	if *update {
		os.MkdirAll("testdata", 0o755)
		os.WriteFile(golden, []byte(got), 0o644)
	}
	if want, err := os.ReadFile(golden); err != nil || string(want) != got {
		t.Errorf("metric families changed (go test -update to accept):\n%s", got)
	}
}
