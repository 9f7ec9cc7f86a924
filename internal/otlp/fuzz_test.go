package otlp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/wardenhq/warden/internal/golden"

	"github.com/wardenhq/warden/internal/record"
)

// The fuzz targets decode arbitrary bodies. Seeds: the captures in
// shared/fixtures/otlp, committed under testdata/fuzz/<target>/fixture-*
// (TestFuzzSeeds keeps them in step), plus the small cases below.
//
// Properties: no panic; an error is ErrMalformed or ErrTooLarge and comes
// without records; every record has an id, a kind, encodes as JSON and
// carries no content attribute; decoding twice gives the same records.

// fuzzDecoder has limits low enough to keep each input cheap.
var fuzzDecoder = NewDecoder(Options{MaxMessages: 1 << 14, MaxItems: 1 << 10})

func FuzzDecodeLogsJSON(f *testing.F) {
	for _, s := range []string{
		"", "{}", "[]", "null", `{"resourceLogs":[]}`, `{"resourceLogs":[{"scopeLogs":[{"logRecords":[{}]}]}]}`,
		`{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","attributes":[{"key":"tool_parameters","value":{"stringValue":"{\"full_command\":\"x\",\"a\":1e999}"}}]}]}]}]}`,
		`{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"kvlistValue":{"values":[{"key":"k","value":{"doubleValue":"NaN"}}]}}}]}]}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) { checkLogs(t, body, ContentTypeJSON) })
}

func FuzzDecodeLogsProto(f *testing.F) {
	for _, b := range [][]byte{nil, {0x0a, 0x00}, {0x0a, 0x02, 0x12, 0x00}, {0x0a, 0x04, 0x12, 0x02, 0x12, 0x00}} {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) { checkLogs(t, body, ContentTypeProtobuf) })
}

func FuzzDecodeMetrics(f *testing.F) {
	f.Add([]byte(`{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"m","sum":{"aggregationTemporality":1,"dataPoints":[{"asInt":"1"}]}}]}]}]}`), false)
	f.Add([]byte(`{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"histogram":{"dataPoints":[{"sum":"NaN","count":"2"}]}}]}]}]}`), false)
	f.Add([]byte{0x0a, 0x00}, true)
	f.Fuzz(func(t *testing.T, body []byte, protobuf bool) {
		ct := ContentTypeJSON
		if protobuf {
			ct = ContentTypeProtobuf
		}
		points, err := fuzzDecoder.DecodeMetrics(body, ct)
		if err != nil {
			checkErr(t, err, points == nil)
			return
		}
		for _, p := range points {
			if len(p.ID) != 32 {
				t.Fatalf("point %+v: id %q", p, p.ID)
			}
		}
		if _, err := json.Marshal(points); err != nil {
			t.Fatalf("points do not encode as JSON: %v", err)
		}
		again, _ := fuzzDecoder.DecodeMetrics(body, ct)
		if !reflect.DeepEqual(again, points) {
			t.Fatal("a second decode differs")
		}
	})
}

func checkErr(t *testing.T, err error, noRecords bool) {
	t.Helper()
	if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLarge) {
		t.Fatalf("unexpected error kind: %v", err)
	}
	if !noRecords {
		t.Fatal("records returned with an error")
	}
}

func checkLogs(t *testing.T, body []byte, ct string) {
	events, err := fuzzDecoder.DecodeLogs(body, ct)
	if err != nil {
		checkErr(t, err, events == nil)
		return
	}
	for _, ev := range events {
		if len(ev.ID) != 32 || ev.Kind == "" || ev.Source != record.SourceOTLP {
			t.Fatalf("event id %q kind %q source %q", ev.ID, ev.Kind, ev.Source)
		}
		if (ev.Kind == KindRaw) != (ev.Raw != nil) || (ev.Raw != nil && !json.Valid(ev.Raw)) {
			t.Fatalf("kind %s with raw %q", ev.Kind, ev.Raw)
		}
		for k := range ev.Attrs {
			if isContent(k) {
				t.Fatalf("content attribute %s decoded without KeepContent", k)
			}
		}
	}
	if _, err := json.Marshal(events); err != nil {
		t.Fatalf("events do not encode as JSON: %v", err)
	}
	again, _ := fuzzDecoder.DecodeLogs(body, ct)
	if !reflect.DeepEqual(again, events) {
		t.Fatal("a second decode differs")
	}
}

// fuzzSeeds maps each fuzz target to the fixtures that seed it.
var fuzzSeeds = map[string]func(fixture) (ok bool, protobuf bool){
	"FuzzDecodeLogsJSON": func(f fixture) (bool, bool) {
		return f.signal == "logs" && f.contentType == ContentTypeJSON, false
	},
	"FuzzDecodeLogsProto": func(f fixture) (bool, bool) {
		return f.signal == "logs" && f.contentType == ContentTypeProtobuf, false
	},
	"FuzzDecodeMetrics": func(f fixture) (bool, bool) {
		return f.signal == "metrics", f.contentType == ContentTypeProtobuf
	},
}

// TestFuzzSeeds checks that testdata/fuzz/<target>/fixture-<name> holds
// every capture its target decodes, in the go test corpus format; -update
// rewrites them.
func TestFuzzSeeds(t *testing.T) {
	fixtures := otlpFixtures(t)
	for target, match := range fuzzSeeds {
		dir := filepath.Join("testdata", "fuzz", target)
		want := map[string][]byte{}
		for _, f := range fixtures {
			ok, protobuf := match(f)
			if !ok {
				continue
			}
			var b bytes.Buffer
			fmt.Fprintf(&b, "go test fuzz v1\n[]byte(%q)\n", f.body(t))
			if target == "FuzzDecodeMetrics" {
				fmt.Fprintf(&b, "bool(%v)\n", protobuf)
			}
			want["fixture-"+f.name] = b.Bytes()
		}
		if len(want) == 0 {
			t.Errorf("%s: no fixture seeds it", target)
		}
		existing, _ := filepath.Glob(filepath.Join(dir, "fixture-*"))
		for _, path := range existing {
			if _, ok := want[filepath.Base(path)]; !ok {
				if golden.Update() {
					os.Remove(path)
					continue
				}
				t.Errorf("%s: no such fixture any more; run with -update", path)
			}
		}
		for name, content := range want {
			path := filepath.Join(dir, name)
			if golden.Update() {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, content, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			got, err := os.ReadFile(path)
			if err != nil || !bytes.Equal(got, content) {
				t.Errorf("%s is missing or stale; run with -update", path)
			}
		}
	}
}
