package rows

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
)

func TestMigrations(t *testing.T) {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	t.Run("Ordered", func(t *testing.T) {
		got, err := Migrations(fstest.MapFS{
			"m/0002_b.sql": file("B"), "m/0001_a.sql": file("A"), "m/README": file("not sql"),
		}, "m")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].Version != 1 || got[0].SQL != "A" || got[1].Name != "0002_b.sql" {
			t.Errorf("got %+v", got)
		}
	})
	t.Run("Gap", func(t *testing.T) {
		// A reserved number may arrive before those below it.
		got, err := Migrations(fstest.MapFS{"m/0001_a.sql": file("A"), "m/0006_f.sql": file("F"), "m/0002_b.sql": file("B")}, "m")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 || got[0].Version != 1 || got[1].Version != 2 || got[2].Version != 6 {
			t.Errorf("got %+v", got)
		}
	})
	for name, fsys := range map[string]fstest.MapFS{
		"Repeat": {"m/0001_a.sql": file(""), "m/001_b.sql": file("")},
		"Name":   {"m/init.sql": file("")},
		"Zero":   {"m/0000_a.sql": file("")},
		"Empty":  {"m/README": file("")},
	} {
		t.Run(name, func(t *testing.T) {
			if got, err := Migrations(fsys, "m"); err == nil {
				t.Errorf("got %+v, want an error", got)
			}
		})
	}
}

func TestCursor(t *testing.T) {
	for _, c := range []Cursor{{FirstNS: 0, SessionID: "s"}, {FirstNS: -5, SessionID: "a:b/ü"}, {FirstNS: math.MaxInt64, SessionID: "x"}} {
		got, err := DecodeCursor(c.Encode())
		if err != nil || got != c {
			t.Errorf("%+v: round trip gave %+v, %v", c, got, err)
		}
	}
	for _, bad := range []string{"", "***", "MTIz", "eDp5"} {
		if _, err := DecodeCursor(bad); store.ErrorCode(err) != store.EInvalid {
			t.Errorf("DecodeCursor(%q): %v, want invalid", bad, err)
		}
	}
}

func TestBounds(t *testing.T) {
	lo, hi := Bounds(time.Time{}, time.Time{})
	if lo != math.MinInt64 || hi != math.MaxInt64 {
		t.Errorf("zero times: %d, %d", lo, hi)
	}
	lo, hi = Bounds(time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC))
	if lo != math.MinInt64 || hi != math.MaxInt64 {
		t.Errorf("far times: %d, %d, want clamped", lo, hi)
	}
	at := time.Unix(5, 6)
	if lo, _ := Bounds(at, time.Time{}); lo != at.UnixNano() {
		t.Errorf("got %d, want %d", lo, at.UnixNano())
	}
}

func TestSequence(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want int64
	}{
		{float64(7), 7}, {int64(8), 8}, {9, 9}, {json.Number("10"), 10}, {"11", 11},
		{"x", 0}, {nil, 0}, {true, 0}, {math.Inf(1), 0}, {math.NaN(), 0},
	} {
		if got := sequence(map[string]any{"event.sequence": tc.v}); got != tc.want {
			t.Errorf("sequence(%#v) = %d, want %d", tc.v, got, tc.want)
		}
	}
}

func TestEvents(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 6, time.FixedZone("X", 3600))
	in := []record.Event{
		{ID: "b", Source: "otlp", Kind: "k", Time: at, SessionID: "s"},
		{ID: "a", Source: "otlp", Kind: "k", Time: at, SessionID: "s"},
		{ID: "b", Source: "otlp", Kind: "other", Time: at, SessionID: "s"},
	}
	got, err := Events(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != "a" || got[1].ID != "b" {
		t.Fatalf("got %+v, want a and b once, sorted", got)
	}
	if !strings.Contains(string(got[1].Body), `"kind":"k"`) || !strings.Contains(string(got[1].Body), `Z"`) {
		t.Errorf("body %s: want the first b, in UTC", got[1].Body)
	}
	if in[0].Time.Location() == time.UTC {
		t.Error("Events changed its input")
	}
	in[1].ID = ""
	if _, err := Events(in); store.ErrorCode(err) != store.EInvalid || !strings.Contains(err.Error(), "event 1") {
		t.Errorf("got %v, want invalid naming event 1", err)
	}
}

func TestScopes(t *testing.T) {
	if got := Scopes([]string{"read", "admin", "read"}); got != "admin read" {
		t.Errorf("got %q", got)
	}
	if got := ParseScopes("admin read"); len(got) != 2 || got[0] != "admin" {
		t.Errorf("got %q", got)
	}
}
