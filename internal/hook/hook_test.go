package hook

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/wardenhq/warden/internal/clientstate"
	"github.com/wardenhq/warden/internal/engine"
	"github.com/wardenhq/warden/internal/hookproto"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/record"
)

// TestMain checks that Run leaves no goroutine behind (its watchdog must
// stop with it).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// testNow is the fixed clock of every test run.
var testNow = time.Date(2026, 11, 23, 1, 2, 3, 0, time.UTC)

// fakeDecider answers with a fixed verdict (or fn) and remembers what it
// was asked.
type fakeDecider struct {
	verdict policy.Verdict
	fn      func(engine.Action) engine.Decision

	mu      sync.Mutex
	actions []engine.Action
}

var _ hookproto.Decider = (*fakeDecider)(nil)

func (f *fakeDecider) Decide(a engine.Action) engine.Decision {
	f.mu.Lock()
	f.actions = append(f.actions, a)
	f.mu.Unlock()
	if f.fn != nil {
		return f.fn(a)
	}
	return verdictDecision(f.verdict, a)
}

func (f *fakeDecider) seen() []engine.Action {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]engine.Action{}, f.actions...)
}

// verdictDecision is what the fake engine says for v: a rule and a reason
// naming the tool, or nothing for None.
func verdictDecision(v policy.Verdict, a engine.Action) engine.Decision {
	if v == policy.None {
		return engine.Decision{}
	}
	return engine.Decision{
		Verdict: v,
		RuleID:  "test-" + v.String(),
		Reason:  fmt.Sprintf("test %s for %s", v, a.Tool),
	}
}

var testMeta = hookproto.Meta{Policy: "baseline", PolicyVersion: "2026.11", Tier: "standard"}

// harness runs Run in-process with a temp spool and fixed identity.
type harness struct {
	t        *testing.T
	cfg      Config
	spool    string
	exitCode chan int // codes passed to Config.Exit
}

func newHarness(t *testing.T, dec hookproto.Decider, meta hookproto.Meta) *harness {
	t.Helper()
	h := &harness{t: t, spool: filepath.Join(t.TempDir(), "state", "audit.jsonl"), exitCode: make(chan int, 4)}
	env := map[string]string{"USER": "dev", "HOME": "/home/dev"}
	h.cfg = Config{
		Load:     func(*hookproto.Input) (hookproto.Decider, hookproto.Meta, error) { return dec, meta, nil },
		Spool:    &clientstate.Spool{Path: h.spool},
		Now:      func() time.Time { return testNow },
		Home:     "/home/dev",
		Getenv:   func(k string) string { return env[k] },
		Deadline: 10 * time.Second,
		Exit:     func(code int) { h.exitCode <- code },
		Hostname: func() (string, error) { return "devbox", nil },
	}
	return h
}

// result is what one Run produced.
type result struct {
	code           int
	stdout, stderr string
	audit          []string // spool lines
}

func (h *harness) run(stdin string) result {
	h.t.Helper()
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), h.cfg, strings.NewReader(stdin), &stdout, &stderr)
	if code != ExitOK && code != ExitBlock {
		h.t.Errorf("exit code %d, want 0 or 2", code)
	}
	select {
	case c := <-h.exitCode:
		h.t.Errorf("the watchdog fired (Exit(%d))", c)
	default:
	}
	return result{code: code, stdout: stdout.String(), stderr: stderr.String(), audit: readLines(h.t, h.spool)}
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

// mustAuditEvents decodes spool lines, checking the fields every event must
// have: the schema, a 128-bit hex event ID and a UTC time.
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
		if len(ev.EventID) != 32 || strings.Trim(ev.EventID, "0123456789abcdef") != "" {
			tb.Errorf("event_id = %q, want 32 hex digits", ev.EventID)
		}
		if !strings.Contains(l, `"time":"`) || ev.Time.Location() != time.UTC {
			tb.Errorf("time = %v, want UTC", ev.Time)
		}
		evs = append(evs, ev)
	}
	return evs
}

// mustJSON checks that s is empty or exactly one JSON value.
func mustJSON(tb testing.TB, s string) {
	tb.Helper()
	if s == "" {
		return
	}
	dec := json.NewDecoder(strings.NewReader(s))
	var v any
	if err := dec.Decode(&v); err != nil {
		tb.Fatalf("stdout is not JSON: %v\n%s", err, s)
	}
	if _, err := dec.Token(); err != io.EOF {
		tb.Fatalf("stdout has more than one JSON value:\n%s", s)
	}
}
