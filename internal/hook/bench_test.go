package hook

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/clientstate"
	"github.com/wardenhq/warden/internal/engine"
	"github.com/wardenhq/warden/internal/hookproto"
	"github.com/wardenhq/warden/internal/record"
)

// BenchmarkRun measures Warden's own work for one PreToolUse call (the
// engine is a stub): decode, git lookup, redaction, answer and one spool
// append. The budget is about 1 ms per hook process.
func BenchmarkRun(b *testing.B) {
	benchRun(b, &clientstate.Spool{Path: filepath.Join(b.TempDir(), "audit.jsonl")})
}

// BenchmarkRun_Signed is BenchmarkRun on an enrolled machine: the audit
// event is signed with the device key and chained under the chain lock,
// and the device identity is loaded from its files each call, as each hook
// process does.
func BenchmarkRun_Signed(b *testing.B) {
	dir := b.TempDir()
	key, err := clientstate.NewDeviceKey(nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := clientstate.SaveDevice(dir, key, clientstate.DeviceFile{DeviceID: "dev_0123456789abcdef", Name: "devbox"}); err != nil {
		b.Fatal(err)
	}
	benchRun(b, sinkFunc(func(events ...record.AuditEventV1) error {
		dev, err := clientstate.LoadDevice(dir)
		if err != nil {
			return err
		}
		return (&clientstate.SigningSpool{Spool: &clientstate.Spool{Path: filepath.Join(dir, "audit.jsonl")}, Device: dev}).Append(events...)
	}))
}

type sinkFunc func(events ...record.AuditEventV1) error

func (f sinkFunc) Append(events ...record.AuditEventV1) error { return f(events...) }

func benchRun(b *testing.B, spool Sink) {
	dec := &fakeDecider{fn: func(a engine.Action) engine.Decision { return engine.Decision{} }}
	cfg := Config{
		Load:     func(*hookproto.Input) (hookproto.Decider, hookproto.Meta, error) { return dec, testMeta, nil },
		Spool:    spool,
		Getenv:   func(string) string { return "" },
		Home:     "/home/dev",
		Hostname: func() (string, error) { return "devbox", nil },
		Now:      time.Now,
	}
	const input = `{"session_id":"584d87a8-a12c-4547-b57d-08356eae4475","transcript_path":"/home/dev/.claude/projects/-home-dev-app/584d87a8-a12c-4547-b57d-08356eae4475.jsonl","cwd":"/home/dev/app","prompt_id":"d311aa2e-c8d8-452f-82aa-6aa9d0e88a12","permission_mode":"default","effort":{"level":"medium"},"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"GITHUB_TOKEN=abc gh pr list --repo org/app","description":"List PRs"},"tool_use_id":"toolu_0000"}`
	for b.Loop() {
		var out, errw strings.Builder
		if code := Run(b.Context(), cfg, strings.NewReader(input), &out, &errw); code != 0 || errw.Len() > 0 {
			b.Fatalf("code %d stderr %s", code, errw.String())
		}
	}
}
