package otlp

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/record"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// fixturesDir locates shared/fixtures/otlp (the real Claude Code captures):
// $WARDEN_FIXTURES/otlp, else shared/fixtures/otlp in this or any parent
// directory (from internal/otlp that is ../../../shared/fixtures/otlp).
// Missing fixtures skip the test locally and fail it under CI=true.
func fixturesDir(tb testing.TB) string {
	tb.Helper()
	if d := os.Getenv("WARDEN_FIXTURES"); d != "" {
		return filepath.Join(d, "otlp")
	}
	wd, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		cand := filepath.Join(dir, "shared", "fixtures", "otlp")
		if fi, err := os.Stat(cand); err == nil && fi.IsDir() {
			return cand
		}
		if filepath.Dir(dir) == dir {
			break
		}
	}
	if os.Getenv("CI") == "true" {
		tb.Fatalf("shared/fixtures/otlp not found above %s; set WARDEN_FIXTURES", wd)
	}
	tb.Skipf("shared/fixtures/otlp not found above %s; set WARDEN_FIXTURES to run", wd)
	return ""
}

// fixture is one captured request body.
type fixture struct {
	name        string // file name without extension
	file        string // file name
	path        string
	signal      string // "logs" or "metrics"
	contentType string
}

// otlpFixtures lists every body in shared/fixtures/otlp: *.json and *.bin,
// except the *.request.json files, which give a body's path and headers.
// Bodies without a request file are typed by name and extension.
func otlpFixtures(tb testing.TB) []fixture {
	tb.Helper()
	dir := fixturesDir(tb)
	entries, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	var out []fixture
	for _, e := range entries {
		file := e.Name()
		ext := filepath.Ext(file)
		if e.IsDir() || strings.HasSuffix(file, ".request.json") || (ext != ".json" && ext != ".bin") {
			continue
		}
		f := fixture{name: strings.TrimSuffix(file, ext), file: file, path: filepath.Join(dir, file)}
		if req, err := os.ReadFile(filepath.Join(dir, f.name+".request.json")); err == nil {
			var r struct {
				Path    string            `json:"path"`
				Headers map[string]string `json:"headers"`
			}
			if err := json.Unmarshal(req, &r); err != nil {
				tb.Fatalf("%s.request.json: %v", f.name, err)
			}
			f.signal = strings.TrimPrefix(r.Path, "/v1/")
			f.contentType = r.Headers["Content-Type"]
		}
		if f.signal == "" {
			f.signal, _, _ = strings.Cut(f.name, "-")
		}
		if f.contentType == "" {
			f.contentType = map[string]string{".json": ContentTypeJSON, ".bin": ContentTypeProtobuf}[ext]
		}
		if f.signal != "logs" && f.signal != "metrics" {
			tb.Fatalf("%s: cannot tell logs from metrics", file)
		}
		out = append(out, f)
	}
	if len(out) == 0 {
		tb.Fatalf("no OTLP fixtures in %s", dir)
	}
	return out
}

func (f fixture) body(tb testing.TB) []byte {
	tb.Helper()
	b, err := os.ReadFile(f.path)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// golden is the content of testdata/<fixture>.golden.json.
type golden struct {
	Fixture     string               `json:"fixture"`
	ContentType string               `json:"content_type"`
	Counts      map[string]int       `json:"counts"`
	Events      []record.Event       `json:"events,omitempty"`
	Points      []record.MetricPoint `json:"points,omitempty"`
}

func decodeFixture(tb testing.TB, d *Decoder, f fixture) golden {
	tb.Helper()
	g := golden{Fixture: f.file, ContentType: f.contentType, Counts: map[string]int{}}
	body := f.body(tb)
	var err error
	switch f.signal {
	case "logs":
		g.Events, err = d.DecodeLogs(body, f.contentType)
		for _, ev := range g.Events {
			g.Counts[ev.Kind]++
		}
	default:
		g.Points, err = d.DecodeMetrics(body, f.contentType)
		for _, p := range g.Points {
			g.Counts[p.Name]++
		}
	}
	if err != nil {
		tb.Fatalf("%s: %v", f.file, err)
	}
	return g
}

// contentOfCaptures is text of the captures that is content, not metadata:
// the prompt, and the tool_input JSON. Neither may be decoded without
// KeepContent.
var contentOfCaptures = []string{
	"please check telemetry",        // the prompt of the tool-details capture
	`{\"command\":\"echo telemetry`, // tool_result's tool_input
	redactedText,
}

// TestDecode_Golden decodes every capture in shared/fixtures/otlp with the
// default options and compares the result with testdata/<name>.golden.json.
// Regenerate with -update.
func TestDecode_Golden(t *testing.T) {
	d := NewDecoder(Options{})
	seen := map[string]bool{}
	for _, f := range otlpFixtures(t) {
		seen[f.name+".golden.json"] = true
		t.Run(f.name, func(t *testing.T) {
			g := decodeFixture(t, d, f)
			if len(g.Events)+len(g.Points) == 0 {
				t.Fatal("decoded nothing")
			}
			ids := map[string]bool{}
			for _, ev := range g.Events {
				if ev.ID == "" || ids[ev.ID] {
					t.Errorf("event %s %s: empty or duplicate id", ev.Kind, ev.ID)
				}
				ids[ev.ID] = true
				if ev.Source != record.SourceOTLP || ev.Time.IsZero() || ev.SessionID == "" {
					t.Errorf("event %s: source %q, time %v, session %q", ev.ID, ev.Source, ev.Time, ev.SessionID)
				}
			}
			for _, p := range g.Points {
				if p.ID == "" || ids[p.ID] {
					t.Errorf("point %s %s: empty or duplicate id", p.Name, p.ID)
				}
				ids[p.ID] = true
			}
			// Decoding is deterministic: a replay gets the same ids.
			if again := decodeFixture(t, d, f); !reflect.DeepEqual(again, g) {
				t.Error("a second decode differs from the first")
			}
			got, err := json.MarshalIndent(g, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			for _, s := range contentOfCaptures {
				if bytes.Contains(got, []byte(s)) {
					t.Errorf("decoded events carry content %q", s)
				}
			}
			compareGolden(t, filepath.Join("testdata", f.name+".golden.json"), got)
		})
	}
	// A golden without a fixture is stale: the fixture was renamed or removed.
	goldens, _ := filepath.Glob(filepath.Join("testdata", "*.golden.json"))
	for _, g := range goldens {
		if !seen[filepath.Base(g)] {
			if *update {
				os.Remove(g)
				continue
			}
			t.Errorf("%s has no fixture in shared/fixtures/otlp; remove it or run with -update", g)
		}
	}
}

func compareGolden(tb testing.TB, path string, got []byte) {
	tb.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			tb.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		tb.Errorf("%s differs (run with -update to accept):\n%s", path, lineDiff(string(want), string(got)))
	}
}

// lineDiff shows the first differing lines of want and got.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(w), len(g)) && shown < 10; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d:\n  want: %s\n  got:  %s\n", i+1, wl, gl)
			shown++
		}
	}
	return b.String()
}

// shape is what must agree between the JSON and the protobuf capture of
// the same signal: per kind (or metric name), the attributes and their Go
// types, and which event fields are set.
func shape(g golden) map[string][]string {
	out := map[string][]string{}
	add := func(kind, s string) {
		if !slices.Contains(out[kind], s) {
			out[kind] = append(out[kind], s)
		}
	}
	for _, ev := range g.Events {
		for k, v := range ev.Attrs {
			add(ev.Kind, fmt.Sprintf("attr %s %T", k, v))
		}
		for k, v := range ev.Resource {
			add(ev.Kind, fmt.Sprintf("resource %s %T", k, v))
		}
		for field, set := range map[string]bool{"session": ev.SessionID != "", "user": ev.UserID != "", "prompt": ev.PromptID != "", "tool": ev.Tool != "", "decision": ev.Decision != "", "raw": ev.Raw != nil} {
			if set {
				add(ev.Kind, "field "+field)
			}
		}
	}
	for _, p := range g.Points {
		add(p.Name, "unit "+p.Unit)
		for k := range p.Attrs {
			add(p.Name, "attr "+k)
		}
	}
	for k := range out {
		slices.Sort(out[k])
	}
	return out
}

// TestDecode_JSONProtobufConsistent: the JSON and protobuf captures (two
// runs of the same scenario) decode to the same shapes for every kind both
// contain.
func TestDecode_JSONProtobufConsistent(t *testing.T) {
	byName := map[string]fixture{}
	for _, f := range otlpFixtures(t) {
		byName[f.name] = f
	}
	d := NewDecoder(Options{})
	for _, signal := range []string{"logs", "metrics"} {
		t.Run(signal, func(t *testing.T) {
			jf, ok1 := byName[signal+"-http-json"]
			pf, ok2 := byName[signal+"-http-protobuf"]
			if !ok1 || !ok2 {
				t.Fatalf("missing %s-http-json or %s-http-protobuf", signal, signal)
			}
			js, ps := shape(decodeFixture(t, d, jf)), shape(decodeFixture(t, d, pf))
			common := 0
			for kind, want := range js {
				got, ok := ps[kind]
				if !ok {
					continue
				}
				common++
				if !slices.Equal(got, want) {
					t.Errorf("%s: json and protobuf shapes differ\njson:     %v\nprotobuf: %v", kind, want, got)
				}
			}
			if common == 0 {
				t.Error("the captures share no kind")
			}
		})
	}
}
