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

func TestMapPath(t *testing.T) {
	const home, project = "/s/home", "/s/home/app"
	tests := []struct{ in, want string }{
		{"~", home},
		{"~/.ssh/id_rsa", "/s/home/.ssh/id_rsa"},
		{".env", "/s/home/app/.env"},
		{"src/../.env", "/s/home/app/.env"},
		{"", project},
		{"/etc/passwd", "/etc/passwd"},
		{"/etc/../etc/shadow", "/etc/shadow"},
		{"~user/x", "/s/home/app/~user/x"},
	}
	for _, tt := range tests {
		if got := MapPath(home, project, tt.in); got != tt.want {
			t.Errorf("MapPath(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMapInput(t *testing.T) {
	in := map[string]any{"file_path": "~/.aws/credentials", "content": "~/x", "limit": 3}
	got := MapInput("/h", "/h/app", in)
	if got["file_path"] != "/h/.aws/credentials" || got["content"] != "~/x" || got["limit"] != 3 {
		t.Errorf("MapInput = %v", got)
	}
	if in["file_path"] != "~/.aws/credentials" {
		t.Error("MapInput changed its input")
	}
	nb := MapInput("/h", "/h/app", map[string]any{"notebook_path": "nb.ipynb", "command": "cat ~/.env"})
	if nb["notebook_path"] != "/h/app/nb.ipynb" || nb["command"] != "cat ~/.env" {
		t.Errorf("MapInput = %v", nb)
	}
}
