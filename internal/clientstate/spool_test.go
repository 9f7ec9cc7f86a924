package clientstate

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/wardenhq/warden/internal/record"
)

func TestSpoolPath(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		home string
		flag string
		want string
	}{
		{"Flag", map[string]string{EnvSpool: "/env.jsonl", "XDG_STATE_HOME": "/xdg"}, "/home/dev", "/flag.jsonl", "/flag.jsonl"},
		{"Env", map[string]string{EnvSpool: "/env.jsonl", "XDG_STATE_HOME": "/xdg"}, "/home/dev", "", "/env.jsonl"},
		{"XDG", map[string]string{"XDG_STATE_HOME": "/xdg"}, "/home/dev", "", "/xdg/warden/audit.jsonl"},
		{"RelativeXDGIgnored", map[string]string{"XDG_STATE_HOME": "state"}, "/home/dev", "", "/home/dev/.local/state/warden/audit.jsonl"},
		{"Home", nil, "/home/dev", "", "/home/dev/.local/state/warden/audit.jsonl"},
		{"Nothing", nil, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := SpoolPath(func(k string) string { return tt.env[k] }, tt.home, tt.flag)
			if got != tt.want {
				t.Errorf("SpoolPath = %q, want %q", got, tt.want)
			}
		})
	}
}

func testEvent(i int) record.AuditEventV1 {
	return record.AuditEventV1{
		Schema: record.SchemaAuditV1, EventID: fmt.Sprintf("%032x", i), Time: testNow,
		HookEvent: "PreToolUse", Tool: "Bash", Command: fmt.Sprintf("echo %d", i), Decision: record.DecisionNone,
	}
}

func TestSpool_Append(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "warden")
	s := &Spool{Path: filepath.Join(dir, "audit.jsonl")}
	if err := s.Append(testEvent(1), testEvent(2)); err != nil {
		t.Fatal(err)
	}
	if err := s.Append(testEvent(3)); err != nil {
		t.Fatal(err)
	}
	lines := readLines(t, s.Path)
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 3", len(lines))
	}
	for i, ev := range mustAuditEvents(t, lines) {
		if want := fmt.Sprintf("echo %d", i+1); ev.Command != want {
			t.Errorf("line %d command = %q, want %q", i+1, ev.Command, want)
		}
	}
	for path, want := range map[string]os.FileMode{dir: 0o700 | os.ModeDir, s.Path: 0o600} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want {
			t.Errorf("%s mode = %v, want %v", path, fi.Mode(), want)
		}
	}
	t.Run("NoEvents", func(t *testing.T) {
		if err := (&Spool{}).Append(); err != nil {
			t.Error(err)
		}
	})
	t.Run("NoPath", func(t *testing.T) {
		if err := (&Spool{}).Append(testEvent(1)); err == nil {
			t.Error("want an error")
		}
	})
}

func TestSpool_Rotate(t *testing.T) {
	line, _ := json.Marshal(testEvent(0))
	n := int64(len(line) + 1)
	s := &Spool{Path: filepath.Join(t.TempDir(), "audit.jsonl"), MaxBytes: 2 * n}
	for i := 1; i <= 5; i++ {
		if err := s.Append(testEvent(i)); err != nil {
			t.Fatal(err)
		}
	}
	// 1 2 | 3 4 | 5: the current file holds 5, the one rotated file 3 and 4.
	cmds := func(path string) []string {
		var out []string
		for _, ev := range mustAuditEvents(t, readLines(t, path)) {
			out = append(out, ev.Command)
		}
		return out
	}
	if got := strings.Join(cmds(s.Path), ","); got != "echo 5" {
		t.Errorf("current spool = %s, want echo 5", got)
	}
	if got := strings.Join(cmds(s.Path+".1"), ","); got != "echo 3,echo 4" {
		t.Errorf("rotated spool = %s, want echo 3,echo 4", got)
	}
	if _, err := os.Stat(s.Path + ".2"); !os.IsNotExist(err) {
		t.Errorf("a second old file exists: %v", err)
	}
}

// TestSpool_Concurrent appends from many goroutines at once, as concurrent
// hook processes do: no line may be torn, and without rotation none lost.
func TestSpool_Concurrent(t *testing.T) {
	const writers, each = 8, 50
	appendAll := func(s *Spool) {
		var wg sync.WaitGroup
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					if err := s.Append(testEvent(w*each + i)); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
	}
	t.Run("NoRotation", func(t *testing.T) {
		s := &Spool{Path: filepath.Join(t.TempDir(), "audit.jsonl")}
		appendAll(s)
		if lines := readLines(t, s.Path); len(mustAuditEvents(t, lines)) != writers*each {
			t.Errorf("%d lines, want %d", len(lines), writers*each)
		}
	})
	t.Run("WithRotation", func(t *testing.T) {
		s := &Spool{Path: filepath.Join(t.TempDir(), "audit.jsonl"), MaxBytes: 16 << 10}
		appendAll(s)
		lines := append(readLines(t, s.Path+".1"), readLines(t, s.Path)...)
		mustAuditEvents(t, lines)
		if len(lines) == 0 || len(lines) > writers*each {
			t.Errorf("%d lines, want 1 to %d", len(lines), writers*each)
		}
	})
}
