package clientstate

import (
	"bufio"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/record"
)

// testNow is the fixed clock of the tests.
var testNow = time.Date(2026, 11, 23, 1, 2, 3, 0, time.UTC)

func envOf(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }

func TestDir(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		home string
		want string
	}{
		{"XDG", map[string]string{"XDG_STATE_HOME": "/x/state"}, "/home/dev", "/x/state/warden"},
		{"RelativeXDGIgnored", map[string]string{"XDG_STATE_HOME": "state"}, "/home/dev", "/home/dev/.local/state/warden"},
		{"Home", nil, "/home/dev", "/home/dev/.local/state/warden"},
		{"Nothing", nil, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Dir(envOf(tt.env), tt.home); got != tt.want {
				t.Errorf("Dir = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestFailOpen: only exactly "1" fails open; anything else, "true"
// included, keeps the hook failing closed.
func TestFailOpen(t *testing.T) {
	for v, want := range map[string]bool{"1": true, "": false, "0": false, "true": false, "yes": false, " 1": false} {
		if got := FailOpen(envOf(map[string]string{EnvFailOpen: v})); got != want {
			t.Errorf("FailOpen with %s=%q = %v, want %v", EnvFailOpen, v, got, want)
		}
	}
}

func TestShipOff(t *testing.T) {
	for v, want := range map[string]bool{"0": true, "off": true, "OFF": true, "false": true, "": false, "1": false, "on": false} {
		if got := ShipOff(envOf(map[string]string{EnvShip: v})); got != want {
			t.Errorf("ShipOff with %s=%q = %v, want %v", EnvShip, v, got, want)
		}
	}
}

func TestServerURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://w.example.com/":   "https://w.example.com",
		" https://w.example.com//": "https://w.example.com",
		"http://127.0.0.1:8080":    "http://127.0.0.1:8080",
		"":                         "",
	} {
		if got := ServerURL(in); got != want {
			t.Errorf("ServerURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func readLines(tb testing.TB, path string) []string {
	tb.Helper()
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return lines
}

// mustAuditEvents decodes spool lines strictly.
func mustAuditEvents(tb testing.TB, lines []string) []record.AuditEventV1 {
	tb.Helper()
	var evs []record.AuditEventV1
	for _, l := range lines {
		var ev record.AuditEventV1
		dec := json.NewDecoder(strings.NewReader(l))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&ev); err != nil {
			tb.Fatalf("audit line %s: %v", l, err)
		}
		if ev.Schema != record.SchemaAuditV1 {
			tb.Errorf("schema = %q, want %q", ev.Schema, record.SchemaAuditV1)
		}
		evs = append(evs, ev)
	}
	return evs
}
