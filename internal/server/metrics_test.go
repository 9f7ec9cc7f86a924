package server

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wardenhq/warden/internal/policy"
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
				if base, ok := strings.CutSuffix(name, suf); ok && (types[base] == "histogram" || types[base] == "summary" && suf != "_bucket") {
					family = base
				}
			}
			if _, ok := types[family]; !ok {
				t.Errorf("line %d: sample of undeclared family %s", i+1, family)
			}
			val := line[strings.LastIndexByte(line, ' ')+1:]
			v := parseFloat(t, val)
			if types[family] != "histogram" || !strings.HasSuffix(name, "_bucket") || family == name {
				if types[family] != "histogram" {
					continue
				}
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

// TestMetricsEndpoint: /metrics serves the server's instruments in the
// text format, named warden_<subsystem>_<what>_<unit>, and they count;
// beside them, the Go runtime's and the process's metrics.
func TestMetricsEndpoint(t *testing.T) {
	ts := startServer(t)
	ingest := ts.tokens[record.ScopeIngest]
	ts.decide(ingest, pre("m1", "Bash", map[string]any{"command": "cat .env"}), "")
	ts.do("POST", "/v1/audit", ingest, auditLine(t, newAudit("m-a", "m2", t0)), "Content-Type", ContentTypeNDJSON)
	ts.syncDecisions() // decisions are counted as accepted once stored
	r := ts.do("GET", "/metrics", ts.tokens[record.ScopeRead], nil)
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("%d %s", r.status, r.header.Get("Content-Type"))
	}
	text := string(r.body)
	checkExposition(t, text)
	for _, want := range []string{
		`warden_decision_verdicts_total{verdict="deny"} 1`,
		`warden_ingest_accepted_total{kind="event",source="audit"} 1`,
		`warden_ingest_accepted_total{kind="event",source="decision"} 1`,
		`warden_http_requests_total{code="200",route="audit"} 1`,
		`warden_decision_duration_seconds_count 1`,
		`# TYPE warden_http_request_duration_seconds histogram`,
		// Known label values start at zero.
		`warden_decision_verdicts_total{verdict="allow"} 0`,
		`warden_auth_failures_total{code="forbidden"} 0`,
		`# TYPE go_goroutines gauge`,
		`# TYPE go_gc_duration_seconds summary`,
	} {
		if !strings.Contains(text, want+"\n") {
			t.Errorf("missing %q", want)
		}
	}
	if runtime.GOOS == "linux" && !strings.Contains(text, "# TYPE process_resident_memory_bytes gauge\n") {
		t.Error("no process metrics")
	}
	reName := regexp.MustCompile(`^warden_[a-z]+_[a-z_]+_(total|seconds|bytes|events)$`)
	golden := filepath.Join("testdata", "metrics-names.golden")
	var names []string
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) != 4 || f[1] != "TYPE" || !strings.HasPrefix(f[2], "warden_") {
			continue // the Go and process collectors' are theirs to name
		}
		if !reName.MatchString(f[2]) {
			t.Errorf("metric %s is not named warden_<subsystem>_<what>_<unit>", f[2])
		}
		names = append(names, f[2]+" "+f[3])
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

// TestNew_SharedRegistry: a registry that already holds the server's
// metrics (a second server on it) is refused by New, not a panic.
func TestNew_SharedRegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	startServer(t, func(o *Options) { o.Metrics = reg })
	o := Options{Config: testConfig(t.TempDir()), Policy: policy.Baseline(), PolicyYAML: policy.BaselineYAML(),
		Store: sqliteBackend().open(t), Metrics: reg}
	if _, err := New(o); err == nil || !strings.Contains(err.Error(), "register metrics") {
		t.Errorf("New on a registry holding a server's metrics: %v", err)
	}
}
