package storetest

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
)

// Open opens a store at a target: a directory for SQLite, a database URL
// for PostgreSQL. Crash calls it in a child process and again in the test.
type Open func(ctx context.Context, target string) (store.Store, error)

// crashEnv carries the target to a crash child; its presence makes the
// test binary a child.
const crashEnv = "WARDEN_STORETEST_CRASH_TARGET"

// CrashTarget returns the target a crash child was given, "" in the test
// process itself. A test passes it on to Crash when set, and otherwise
// makes a fresh target:
//
//	target := storetest.CrashTarget()
//	if target == "" {
//		target = t.TempDir()
//	}
//	storetest.Crash(t, target, 30, open)
func CrashTarget() string { return os.Getenv(crashEnv) }

// Crash checks that an acknowledged append survives a SIGKILL of the
// process that made it. It re-runs the current test in a child process
// (ReexecCommand) that opens the store at target and appends batches of
// crashBatch events, printing an acknowledgement after each AppendEvents
// returns; after acks acknowledgements the test kills the child with
// SIGKILL, reopens the store and requires every acknowledged batch to be
// there in full, no batch to be there in part, and the store to take new
// appends.
//
// Call it as the whole body of a top-level test: in the child it runs the
// appender instead and returns when it has appended enough.
func Crash(t *testing.T, target string, acks int, open Open) {
	if CrashTarget() != "" {
		crashChild(t, target, open)
		return
	}
	cmd := ReexecCommand(t, crashEnv+"="+target)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := -1 // highest acknowledged batch
	killed := false
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		n, ok := strings.CutPrefix(sc.Text(), "warden-ack ")
		if !ok {
			continue
		}
		i, err := strconv.Atoi(n)
		if err != nil || i != acked+1 {
			t.Fatalf("child acknowledged %q after batch %d", n, acked)
		}
		acked = i
		if acked+1 >= acks && !killed {
			// Kill while the child is still appending: the next batch is
			// in flight. Acks already in the pipe are still read.
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			killed = true
		}
	}
	err = cmd.Wait()
	if !killed {
		t.Fatalf("child ended after %d acks without being killed: %v\n%s", acked+1, err, stderr.String())
	}
	t.Logf("killed the child after %d acknowledged batches", acked+1)

	ctx := context.Background()
	s, err := open(ctx, target)
	if err != nil {
		t.Fatalf("reopen after SIGKILL: %v", err)
	}
	defer s.Close()
	events, err := s.SessionEvents(ctx, crashSession)
	if err != nil {
		t.Fatal(err)
	}
	perBatch := map[int]int{}
	for _, e := range events {
		var b, j int
		if _, err := fmt.Sscanf(e.ID, "crash-%d-%d", &b, &j); err != nil {
			t.Fatalf("unexpected event %q", e.ID)
		}
		perBatch[b]++
	}
	for b := 0; b <= acked; b++ {
		if perBatch[b] != crashBatch {
			t.Errorf("acknowledged batch %d: %d of %d events survived", b, perBatch[b], crashBatch)
		}
	}
	for b, n := range perBatch {
		if b > acked+1 {
			t.Errorf("batch %d stored, but the child was killed after batch %d", b, acked)
		}
		if n != crashBatch {
			t.Errorf("batch %d: %d of %d events: a batch must be stored whole or not at all", b, n, crashBatch)
		}
	}
	// Each stored signed event has its chain link, and no link is
	// stored without its event.
	links, err := s.ChainLinks(ctx, crashDevice, 0, 1<<62)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]bool{}
	signed := 0
	for _, e := range events {
		stored[e.ID] = true
		if e.Verification != nil {
			signed++
		}
	}
	for _, l := range links {
		if !stored[l.EventID] || l.Hash != fmt.Sprintf("h%d", l.Seq) {
			t.Errorf("chain link %+v without its event, or damaged", l)
		}
	}
	if len(links) != signed {
		t.Errorf("%d chain links for %d signed events stored", len(links), signed)
	}
	if n, err := s.AppendEvents(ctx, crashEvents(1_000_000)); err != nil || n != crashBatch {
		t.Errorf("append after the crash: %d, %v", n, err)
	}
}

const (
	crashSession = "crash"
	crashBatch   = 50
)

func crashEvents(batch int) []record.Event {
	events := make([]record.Event, crashBatch)
	for j := range events {
		if j%2 == 0 {
			events[j] = Event(fmt.Sprintf("crash-%d-%d", batch, j), crashSession, time.Duration(batch)*time.Second, "tool_result", j)
			events[j].Attrs["tool_input"] = strings.Repeat("i", 512)
			continue
		}
		// Every other event is a signed hook event with its place in a
		// device's chain: the link must be stored with the event, or not
		// at all.
		seq := uint64(batch*crashBatch + j)
		events[j] = HookEvent(fmt.Sprintf("crash-%d-%d", batch, j), crashSession, time.Duration(batch)*time.Second, record.DecisionAllow)
		events[j].Verification = &record.Verification{Verified: true, DeviceID: crashDevice, Seq: seq,
			Hash: fmt.Sprintf("h%d", seq), Prev: fmt.Sprintf("h%d", seq-2)}
	}
	return events
}

const crashDevice = "dev_c4a54"

// crashChild appends batches until killed, or for a bounded time.
func crashChild(t *testing.T, target string, open Open) {
	ctx := context.Background()
	s, err := open(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	deadline := time.Now().Add(time.Minute)
	for b := 0; b < 100_000 && time.Now().Before(deadline); b++ {
		if _, err := s.AppendEvents(ctx, crashEvents(b)); err != nil {
			t.Fatal(err)
		}
		// Unbuffered: the ack reaches the pipe before the next append.
		fmt.Fprintf(os.Stdout, "warden-ack %d\n", b)
	}
}

// ReexecCommand returns a command that re-runs the current test (t.Name(),
// subtests included) in a child process of the same test binary, with env
// added to this process's environment. The child is the place to open a
// store (or a server) that a test then kills: tell it apart by one of the
// variables in env.
func ReexecCommand(t *testing.T, env ...string) *exec.Cmd {
	t.Helper()
	parts := strings.Split(t.Name(), "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	cmd := exec.Command(os.Args[0], "-test.run="+strings.Join(parts, "/"), "-test.count=1", "-test.v=false")
	cmd.Env = append(os.Environ(), env...)
	return cmd
}
