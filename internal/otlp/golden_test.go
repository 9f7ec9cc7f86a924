package otlp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/golden"

	"github.com/wardenhq/warden/internal/record"
)

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
	dir := golden.Fixtures(tb, "otlp")
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

// decoded is the content of testdata/<fixture>.golden.json.
type decoded struct {
	Fixture     string               `json:"fixture"`
	ContentType string               `json:"content_type"`
	Counts      map[string]int       `json:"counts"`
	Events      []record.Event       `json:"events,omitempty"`
	Points      []record.MetricPoint `json:"points,omitempty"`
}

func decodeFixture(tb testing.TB, d *Decoder, f fixture) decoded {
	tb.Helper()
	g := decoded{Fixture: f.file, ContentType: f.contentType, Counts: map[string]int{}}
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
			golden.Compare(t, filepath.Join("testdata", f.name+".golden.json"), got)
		})
	}
	// A golden without a fixture is stale: the fixture was renamed or removed.
	goldens, _ := filepath.Glob(filepath.Join("testdata", "*.golden.json"))
	for _, g := range goldens {
		if !seen[filepath.Base(g)] {
			if golden.Update() {
				os.Remove(g)
				continue
			}
			t.Errorf("%s has no fixture in shared/fixtures/otlp; remove it or run with -update", g)
		}
	}
}

// shape is what must agree between the JSON and the protobuf capture of
// the same signal: per kind (or metric name), the attributes and their Go
// types, and which event fields are set.
func shape(g decoded) map[string][]string {
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
