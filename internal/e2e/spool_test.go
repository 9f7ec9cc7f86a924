package e2e

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseSpool(t *testing.T) {
	in := `{"tool_use_id":"toolu_1","hook_event":"PreToolUse","decision":"deny","rule_id":"net.curl"}

{"hook_event":"SessionStart","decision":"none"}
{"tool_use_id":"toolu_1","hook_event":"PostToolBatch","decision":"none"}
`
	evs, err := ParseSpool(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 3 {
		t.Fatalf("%d events, want 3", len(evs))
	}
	if evs[0].ToolUseID != "toolu_1" || evs[0].HookEvent != "PreToolUse" || evs[0].Decision != "deny" || !strings.Contains(string(evs[0].Raw), "net.curl") {
		t.Errorf("event 0 = %+v", evs[0])
	}
	if got := SpoolFor(evs, "toolu_1"); len(got) != 2 || got[1].HookEvent != "PostToolBatch" {
		t.Errorf("SpoolFor = %+v", got)
	}

	t.Run("ErrBadLine", func(t *testing.T) {
		_, err := ParseSpool(strings.NewReader("{}\n[1\n"))
		if err == nil || !strings.Contains(err.Error(), "line 2") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("ErrNotExist", func(t *testing.T) {
		_, err := ReadSpool(filepath.Join(t.TempDir(), "missing.jsonl"))
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("File", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "spool.jsonl")
		if err := os.WriteFile(p, []byte(in), 0o600); err != nil {
			t.Fatal(err)
		}
		evs, err := ReadSpool(p)
		if err != nil || len(evs) != 3 {
			t.Errorf("ReadSpool = %d events, %v", len(evs), err)
		}
	})
}
