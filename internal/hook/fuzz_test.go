package hook

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/engine"
	"github.com/wardenhq/warden/internal/hookproto"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/record"
)

// memSink keeps audit events in memory, for the fuzzer's speed.
type memSink struct {
	mu     sync.Mutex
	events []record.AuditEventV1
}

func (s *memSink) Append(evs ...record.AuditEventV1) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, evs...)
	return nil
}

// FuzzRun feeds arbitrary bytes to Run. Properties: it never panics, exits
// 0 or 2, prints nothing or one JSON answer of a known shape, and answers
// deny whenever the input cannot be decoded as a valid non-decision event
// (fail closed). Seeds are the real hook inputs in testdata/fuzz/FuzzRun,
// copied from shared/fixtures/hooks, plus the fixtures themselves when found.
func FuzzRun(f *testing.F) {
	if dir := fixturesOrEmpty(); dir != "" {
		files, _ := filepath.Glob(filepath.Join(dir, "hooks", "*.json"))
		for _, file := range files {
			if b, err := os.ReadFile(file); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte(bashInput))
	f.Fuzz(func(t *testing.T, input []byte) {
		dec := &fakeDecider{fn: func(a engine.Action) engine.Decision {
			if strings.Contains(a.Tool, "panic") {
				panic("fuzz panic")
			}
			// Verdicts 0..4: 4 is out of range and must still deny.
			return verdictDecision(policy.Verdict(len(a.Command)%5), a)
		}}
		sink := &memSink{}
		cfg := Config{
			Load:     func(*hookproto.Input) (hookproto.Decider, hookproto.Meta, error) { return dec, testMeta, nil },
			Spool:    sink,
			Now:      func() time.Time { return testNow },
			Getenv:   func(string) string { return "" },
			Home:     "/home/dev",
			Hostname: func() (string, error) { return "devbox", nil },
			Deadline: time.Minute,
			Exit:     func(code int) { t.Errorf("watchdog fired: Exit(%d)", code) },
		}
		var stdout, stderr bytes.Buffer
		code := Run(context.Background(), cfg, bytes.NewReader(input), &stdout, &stderr)
		if code != ExitOK && code != ExitBlock {
			t.Fatalf("exit code %d", code)
		}
		out := stdout.String()
		mustJSON(t, out)
		if out != "" && !strings.HasPrefix(out, `{"hookSpecificOutput":{"hookEventName":"P`) &&
			!strings.HasPrefix(out, `{"decision":"block"`) {
			t.Fatalf("unexpected answer shape: %s", out)
		}
		in, err := hookproto.Decode(bytes.NewReader(input))
		if err != nil && (in == nil || hookproto.Decides(in.HookEventName)) && !strings.Contains(out, `"deny"`) {
			t.Fatalf("undecodable input (%v) not denied; stdout %q", err, out)
		}
		if out != "" && len(sink.events) == 0 {
			t.Fatal("answered without an audit event")
		}
	})
}

// fixturesOrEmpty is fixturesDir without skipping: the fuzzer also runs on
// its committed corpus alone.
func fixturesOrEmpty() string {
	if d := os.Getenv("WARDEN_FIXTURES"); d != "" {
		return d
	}
	wd, _ := os.Getwd()
	for dir := wd; filepath.Dir(dir) != dir; dir = filepath.Dir(dir) {
		if fi, err := os.Stat(filepath.Join(dir, "shared", "fixtures", "hooks")); err == nil && fi.IsDir() {
			return filepath.Join(dir, "shared", "fixtures")
		}
	}
	return ""
}
