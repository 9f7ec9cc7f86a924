package ship

import (
	"context"
	"encoding/json"
	"errors"
	"github.com/wardenhq/warden/internal/shiplaunch"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/wardenhq/warden/internal/clientstate"
	"github.com/wardenhq/warden/internal/record"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var testStart = time.Date(2026, 11, 23, 1, 2, 3, 0, time.UTC)

// testClock is a settable clock; it advances by one millisecond per
// reading so that loops relying on time passing make progress.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *testClock { return &testClock{t: testStart} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Millisecond)
	return c.t
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// lineBytes is the size of every test event's spool line.
var lineBytes = func() int {
	b, _ := json.Marshal(testEvent(0))
	return len(b) + 1
}()

func testEvent(i int) record.AuditEventV1 {
	return record.AuditEventV1{
		Schema:    record.SchemaAuditV1,
		EventID:   record.NewEventID(nil, time.Now()),
		Time:      testStart.Add(time.Duration(i) * time.Second),
		HookEvent: "PreToolUse",
		SessionID: "584d87a8-a12c-4547-b57d-08356eae4475",
		Tool:      "Bash",
		Command:   "echo " + strconv.Itoa(100000+i), // same length for every i in tests
		Decision:  record.DecisionNone,
	}
}

// newSpool returns a spool in a fresh directory that rotates beyond
// maxEvents test events (0: never in these tests).
func newSpool(tb testing.TB, maxEvents int) *clientstate.Spool {
	tb.Helper()
	sp := &clientstate.Spool{Path: filepath.Join(tb.TempDir(), "audit.jsonl")}
	if maxEvents > 0 {
		sp.MaxBytes = int64(maxEvents*lineBytes + lineBytes/2)
	}
	return sp
}

// appendEvents appends n events one per call, as hook processes do, and
// returns their IDs.
func appendEvents(tb testing.TB, sp *clientstate.Spool, n int) []string {
	tb.Helper()
	ids := make([]string, n)
	for i := range n {
		ev := testEvent(i)
		if err := sp.Append(ev); err != nil {
			tb.Fatal(err)
		}
		ids[i] = ev.EventID
	}
	return ids
}

// testOptions ship sp to fs and return as soon as there is nothing to do:
// no linger, and while failing, no waiting beyond a few polls.
func testOptions(fs *fakeServer, sp *clientstate.Spool, clock *testClock) Options {
	return Options{
		Spool:      sp.Path,
		Server:     fs.URL,
		Token:      testToken,
		Linger:     -1,
		IdleExit:   20 * time.Millisecond,
		Poll:       time.Millisecond,
		BackoffMin: time.Hour,
		BackoffMax: 2 * time.Hour,
		Timeout:    5 * time.Second,
		Now:        clock.Now,
		Rand:       func() float64 { return 0.5 },
	}
}

func mustRun(tb testing.TB, opts Options) *State {
	tb.Helper()
	s, err := New(opts)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Run(ctx); err != nil {
		tb.Fatalf("Run: %v", err)
	}
	st, err := LoadState(shiplaunch.StatePath(opts.Spool))
	if err != nil {
		tb.Fatal(err)
	}
	return st
}

func mustStatus(tb testing.TB, spool string) *Status {
	tb.Helper()
	s, err := ReadStatus(spool, "", "")
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func assertStored(tb testing.TB, fs *fakeServer, want []string) {
	tb.Helper()
	if got := fs.storedIDs(); !reflect.DeepEqual(got, want) {
		tb.Errorf("server stored %d events, want %d in spool order\n%s", len(got), len(want), fs)
	}
}

func TestShipper_Batches(t *testing.T) {
	fs := newFakeServer(t)
	sp := newSpool(t, 0)
	ids := appendEvents(t, sp, 25)
	opts := testOptions(fs, sp, newClock())
	opts.MaxBatchEvents = 10
	st := mustRun(t, opts)

	assertStored(t, fs, ids)
	var sizes []int
	for _, r := range fs.auditRequests() {
		sizes = append(sizes, len(r.events))
		if r.drops != "0" || r.encoding != "" {
			t.Errorf("request drops %q encoding %q", r.drops, r.encoding)
		}
	}
	if want := []int{10, 10, 5}; !reflect.DeepEqual(sizes, want) {
		t.Errorf("batch sizes %v, want %v", sizes, want)
	}
	if st.Delivered != 25 || st.Accepted != 25 || st.Duplicates != 0 || st.LastError != "" || st.LastSuccess.IsZero() {
		t.Errorf("state %+v", st)
	}
	fi, _ := os.Stat(sp.Path)
	if len(st.Files) != 1 || st.Files[0].Shipped != fi.Size() || st.Files[0].ShippedLines != 25 {
		t.Errorf("files %+v, spool size %d", st.Files, fi.Size())
	}
	if s := mustStatus(t, sp.Path); s.Pending != 0 || s.Running {
		t.Errorf("status %+v", s)
	}
}

func TestShipper_BatchBytes(t *testing.T) {
	fs := newFakeServer(t)
	sp := newSpool(t, 0)
	ids := appendEvents(t, sp, 10)
	opts := testOptions(fs, sp, newClock())
	opts.MaxBatchBytes = 3*lineBytes + 1
	mustRun(t, opts)
	assertStored(t, fs, ids)
	for i, r := range fs.auditRequests() {
		if len(r.events) > 3 {
			t.Errorf("request %d has %d events, over the byte limit", i, len(r.events))
		}
	}
}

func TestShipper_Gzip(t *testing.T) {
	for _, tt := range []struct {
		name    string
		gzipMin int
		want    string
	}{{"Compressed", 1, "gzip"}, {"Never", -1, ""}, {"SmallBatch", 0, ""}} {
		t.Run(tt.name, func(t *testing.T) {
			fs := newFakeServer(t)
			sp := newSpool(t, 0)
			ids := appendEvents(t, sp, 3)
			opts := testOptions(fs, sp, newClock())
			opts.GzipMin = tt.gzipMin
			mustRun(t, opts)
			assertStored(t, fs, ids)
			if r := fs.auditRequests(); len(r) != 1 || r[0].encoding != tt.want {
				t.Errorf("requests:\n%s", fs)
			}
		})
	}
}

func TestShipper_ServerError(t *testing.T) {
	fs := newFakeServer(t)
	fs.setAudit(func(i int, w http.ResponseWriter, r *http.Request) int {
		http.Error(w, "database is down", http.StatusInternalServerError)
		return http.StatusInternalServerError
	})
	sp := newSpool(t, 0)
	ids := appendEvents(t, sp, 4)
	clock := newClock()
	opts := testOptions(fs, sp, clock)
	st := mustRun(t, opts)
	if len(fs.storedIDs()) != 0 {
		t.Fatal("server stored events it answered 500 for")
	}
	if st.Files[0].Shipped != 0 || st.Failures != 1 || !strings.Contains(st.LastError, "500") || !strings.Contains(st.LastError, "database is down") {
		t.Errorf("state after a 500: %+v", st)
	}
	if d := st.NextAttempt.Sub(st.LastErrorTime); d < 30*time.Minute || d > time.Hour {
		t.Errorf("backoff %s, want BackoffMin with jitter (30m to 1h)", d)
	}
	if n := len(fs.auditRequests()); n != 1 {
		t.Errorf("%d requests during the backoff, want 1", n)
	}
	s := mustStatus(t, sp.Path)
	if s.Pending != 4 || s.LastError == "" || s.NextAttempt.IsZero() {
		t.Errorf("status %+v", s)
	}

	// Still inside the backoff: no attempt.
	mustRun(t, opts)
	if n := len(fs.auditRequests()); n != 1 {
		t.Errorf("%d requests inside the backoff, want 1", n)
	}
	// After it: the failure doubles the next backoff.
	clock.Add(time.Hour)
	st = mustRun(t, opts)
	if st.Failures != 2 {
		t.Errorf("failures %d, want 2", st.Failures)
	}
	if d := st.NextAttempt.Sub(st.LastErrorTime); d < time.Hour || d > 2*time.Hour {
		t.Errorf("second backoff %s, want 1h to 2h", d)
	}
	// The server recovers.
	fs.setAudit(nil)
	clock.Add(2 * time.Hour)
	st = mustRun(t, opts)
	assertStored(t, fs, ids)
	if st.Failures != 0 || !st.NextAttempt.IsZero() || st.Delivered != 4 {
		t.Errorf("state after recovery %+v", st)
	}
}

// TestShipper_RetryIsDedupSafe: a batch the server stored but whose answer
// was lost is sent again; the server's deduplication keeps one copy.
func TestShipper_RetryIsDedupSafe(t *testing.T) {
	fs := newFakeServer(t)
	fs.lose = func(i int) bool { return i == 0 }
	sp := newSpool(t, 0)
	ids := appendEvents(t, sp, 6)
	opts := testOptions(fs, sp, newClock())
	opts.BackoffMin, opts.BackoffMax = time.Millisecond, time.Millisecond
	opts.IdleExit = time.Minute
	st := mustRun(t, opts)

	assertStored(t, fs, ids)
	reqs := fs.auditRequests()
	if len(reqs) != 2 || reqs[0].status != -1 || reqs[1].status != http.StatusOK || !reflect.DeepEqual(reqs[0].events, reqs[1].events) {
		t.Errorf("want the lost batch sent again whole:\n%s", fs)
	}
	if fs.maxDeliveries() != 2 || st.Duplicates != 6 || st.Accepted != 0 || st.Delivered != 6 {
		t.Errorf("state %+v, max deliveries %d", st, fs.maxDeliveries())
	}
}

func TestShipper_Timeout(t *testing.T) {
	fs := newFakeServer(t)
	fs.setAudit(func(i int, w http.ResponseWriter, r *http.Request) int {
		if i > 0 {
			return 0
		}
		<-r.Context().Done() // never answers; the client gives up
		return -1
	})
	sp := newSpool(t, 0)
	ids := appendEvents(t, sp, 3)
	clock := newClock()
	opts := testOptions(fs, sp, clock)
	opts.Timeout = 50 * time.Millisecond
	st := mustRun(t, opts)
	if st.Files[0].Shipped != 0 || st.Failures != 1 || !strings.Contains(st.LastError, "Timeout") {
		t.Errorf("state after a timeout: %+v", st)
	}
	clock.Add(time.Hour)
	st = mustRun(t, opts)
	assertStored(t, fs, ids)
	if st.Failures != 0 || st.Delivered != 3 {
		t.Errorf("state %+v", st)
	}
}

func TestShipper_BadAnswers(t *testing.T) {
	tests := []struct {
		name   string
		answer func(w http.ResponseWriter)
		want   string
	}{
		{"NotAnAuditResult", func(w http.ResponseWriter) { w.Write([]byte("<html>captive portal</html>")) }, "200 without an audit result"},
		{"EmptyObject", func(w http.ResponseWriter) { w.Write([]byte("{}")) }, "200 without an audit result"},
		{"Unauthorized", func(w http.ResponseWriter) { http.Error(w, "token revoked", http.StatusUnauthorized) }, "401 Unauthorized: token revoked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := newFakeServer(t)
			fs.setAudit(func(i int, w http.ResponseWriter, r *http.Request) int { tt.answer(w); return 1 })
			sp := newSpool(t, 0)
			appendEvents(t, sp, 2)
			st := mustRun(t, testOptions(fs, sp, newClock()))
			if st.Files[0].Shipped != 0 || !strings.Contains(st.LastError, tt.want) {
				t.Errorf("state %+v, want last error %q and nothing shipped", st, tt.want)
			}
		})
	}
}

func TestShipper_RetryAfter(t *testing.T) {
	fs := newFakeServer(t)
	fs.setAudit(func(i int, w http.ResponseWriter, r *http.Request) int {
		w.Header().Set("Retry-After", "7200")
		w.WriteHeader(http.StatusTooManyRequests)
		return http.StatusTooManyRequests
	})
	sp := newSpool(t, 0)
	appendEvents(t, sp, 1)
	opts := testOptions(fs, sp, newClock())
	opts.BackoffMin, opts.BackoffMax = time.Second, 3*time.Hour
	st := mustRun(t, opts)
	if d := st.NextAttempt.Sub(st.LastErrorTime); d < 2*time.Hour {
		t.Errorf("backoff %s, want the server's Retry-After of 2h", d)
	}
}

func TestShipper_TooLarge(t *testing.T) {
	fs := newFakeServer(t)
	fs.setAudit(func(i int, w http.ResponseWriter, r *http.Request) int {
		if r.ContentLength > int64(2*lineBytes) {
			http.Error(w, "too large", http.StatusRequestEntityTooLarge)
			return http.StatusRequestEntityTooLarge
		}
		return 0
	})
	sp := newSpool(t, 0)
	ids := appendEvents(t, sp, 9)
	opts := testOptions(fs, sp, newClock())
	opts.GzipMin = -1
	st := mustRun(t, opts)
	assertStored(t, fs, ids)
	if st.Failures != 0 || st.Skipped != 0 {
		t.Errorf("state %+v", st)
	}

	t.Run("OneEvent", func(t *testing.T) {
		fs := newFakeServer(t)
		fs.setAudit(func(i int, w http.ResponseWriter, r *http.Request) int {
			if i == 0 {
				http.Error(w, "too large", http.StatusRequestEntityTooLarge)
				return http.StatusRequestEntityTooLarge
			}
			return 0
		})
		sp := newSpool(t, 0)
		ids := appendEvents(t, sp, 2)
		opts := testOptions(fs, sp, newClock())
		opts.MaxBatchEvents = 1
		st := mustRun(t, opts)
		assertStored(t, fs, ids[1:])
		if st.Skipped != 1 || st.Files[0].ShippedLines != 2 {
			t.Errorf("state %+v, want the refused event skipped", st)
		}
	})
}

func TestShipper_LongAndBlankLines(t *testing.T) {
	fs := newFakeServer(t)
	sp := newSpool(t, 0)
	ids := appendEvents(t, sp, 1)
	f, err := os.OpenFile(sp.Path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("\n" + strings.Repeat("x", 3000) + "\n")
	f.Close()
	ids = append(ids, appendEvents(t, sp, 1)...)
	opts := testOptions(fs, sp, newClock())
	opts.MaxLineBytes = 1000
	st := mustRun(t, opts)
	assertStored(t, fs, ids)
	if st.Skipped != 1 || st.Delivered != 2 || st.Files[0].ShippedLines != 4 {
		t.Errorf("state %+v", st)
	}
}

// TestShipper_PartialLine: a line still being written is left for later.
func TestShipper_PartialLine(t *testing.T) {
	fs := newFakeServer(t)
	sp := newSpool(t, 0)
	ids := appendEvents(t, sp, 2)
	b, _ := json.Marshal(testEvent(2))
	f, err := os.OpenFile(sp.Path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(b[:20])
	opts := testOptions(fs, sp, newClock())
	mustRun(t, opts)
	assertStored(t, fs, ids)
	f.Write(append(b[20:], '\n'))
	f.Close()
	var ev record.AuditEventV1
	json.Unmarshal(b, &ev)
	mustRun(t, opts)
	assertStored(t, fs, append(ids, ev.EventID))
}

func TestShipper_Restart(t *testing.T) {
	fs := newFakeServer(t)
	sp := newSpool(t, 0)
	first := appendEvents(t, sp, 5)
	opts := testOptions(fs, sp, newClock())
	mustRun(t, opts)
	second := appendEvents(t, sp, 3)
	st := mustRun(t, opts)
	assertStored(t, fs, append(first, second...))
	reqs := fs.auditRequests()
	if len(reqs) != 2 || !reflect.DeepEqual(reqs[1].events, second) {
		t.Errorf("want the second run to send only the new events:\n%s", fs)
	}
	if fs.maxDeliveries() != 1 || st.Delivered != 8 {
		t.Errorf("state %+v, max deliveries %d", st, fs.maxDeliveries())
	}

	t.Run("CorruptState", func(t *testing.T) {
		os.WriteFile(shiplaunch.StatePath(sp.Path), []byte("{not json"), 0o600)
		st := mustRun(t, opts)
		// Shipped again from the start; the server keeps one copy.
		assertStored(t, fs, append(first, second...))
		if st.Duplicates != 8 {
			t.Errorf("state %+v", st)
		}
	})
}

// TestShipper_InodeReuse: a state that names the current file's inode but
// another first line describes an older file: nothing may be skipped.
func TestShipper_InodeReuse(t *testing.T) {
	for _, tt := range []struct {
		name   string
		change func(*FileState)
	}{
		{"OtherHead", func(f *FileState) { f.Head = "0123456789abcdef" }},
		{"Shorter", func(f *FileState) { f.Scanned += 1 << 20; f.Shipped += 1 << 20 }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fs := newFakeServer(t)
			sp := newSpool(t, 0)
			ids := appendEvents(t, sp, 3)
			opts := testOptions(fs, sp, newClock())
			st := mustRun(t, opts)
			tt.change(&st.Files[0])
			if err := st.save(shiplaunch.StatePath(sp.Path)); err != nil {
				t.Fatal(err)
			}
			st = mustRun(t, opts)
			if got := len(fs.auditRequests()); got != 2 || st.Duplicates != 3 {
				t.Errorf("want the file shipped again from its start; state %+v\n%s", st, fs)
			}
			assertStored(t, fs, ids)
		})
	}
}

func TestShipper_Rotation(t *testing.T) {
	fs := newFakeServer(t)
	sp := newSpool(t, 10)
	opts := testOptions(fs, sp, newClock())
	ids := appendEvents(t, sp, 5)
	mustRun(t, opts)
	// Five more fill the file, the rest go to a new one: the first file,
	// now spool.1, still has five to ship, and goes first.
	ids = append(ids, appendEvents(t, sp, 12)...)
	if _, err := os.Stat(sp.Path + ".1"); err != nil {
		t.Fatalf("the spool did not rotate: %v", err)
	}
	st := mustRun(t, opts)
	assertStored(t, fs, ids)
	if st.Drops != 0 || len(st.Files) != 2 || st.Files[0].ShippedLines != 10 || st.Files[1].ShippedLines != 7 {
		t.Errorf("state %+v", st)
	}
	// A third file: the first is deleted, fully shipped: no drops.
	ids = append(ids, appendEvents(t, sp, 5)...)
	st = mustRun(t, opts)
	assertStored(t, fs, ids)
	if st.Drops != 0 || len(st.Files) != 2 {
		t.Errorf("state %+v", st)
	}
}

// TestShipper_Drops: while the server is down the spool stays bounded:
// rotation deletes the oldest file, and its unshipped events are counted
// as drops, reported in the status and sent with the next batch.
func TestShipper_Drops(t *testing.T) {
	t.Run("BetweenRuns", func(t *testing.T) {
		fs := newFakeServer(t)
		fs.setAudit(func(int, http.ResponseWriter, *http.Request) int { return http.StatusServiceUnavailable })
		sp := newSpool(t, 10)
		clock := newClock()
		opts := testOptions(fs, sp, clock)
		appendEvents(t, sp, 10) // file A
		mustRun(t, opts)
		appendEvents(t, sp, 10) // A -> spool.1, file B
		mustRun(t, opts)
		kept := appendEvents(t, sp, 10) // B -> spool.1, A deleted, file C
		// The status counts the deletion before any shipper has seen it.
		if b := mustStatus(t, sp.Path); b.Drops != 10 || b.Pending != 20 {
			t.Errorf("status before the run: drops %d pending %d, want 10 and 20", b.Drops, b.Pending)
		}
		st := mustRun(t, opts)
		if st.Drops != 10 {
			t.Fatalf("drops %d, want the 10 events of the deleted file", st.Drops)
		}
		s := mustStatus(t, sp.Path)
		if s.Drops != 10 || s.Pending != 20 {
			t.Errorf("status: drops %d pending %d, want 10 and 20", s.Drops, s.Pending)
		}

		fs.setAudit(nil)
		clock.Add(3 * time.Hour)
		mustRun(t, opts)
		got := fs.storedIDs()
		if len(got) != 20 || got[19] != kept[9] {
			t.Errorf("stored %d events, want the 20 rotation kept", len(got))
		}
		for _, r := range fs.auditRequests() {
			if r.status == http.StatusOK && r.drops != "10" {
				t.Errorf("batch sent with %s %q, want 10", HeaderDrops, r.drops)
			}
		}
	})
	t.Run("TwoRotationsBetweenRuns", func(t *testing.T) {
		fs := newFakeServer(t)
		fs.setAudit(func(int, http.ResponseWriter, *http.Request) int { return http.StatusServiceUnavailable })
		sp := newSpool(t, 10)
		opts := testOptions(fs, sp, newClock())
		appendEvents(t, sp, 10)
		mustRun(t, opts)
		appendEvents(t, sp, 20)
		st := mustRun(t, opts)
		if st.Drops != 10 {
			t.Errorf("drops %d, want 10", st.Drops)
		}
		if s := mustStatus(t, sp.Path); s.Pending != 20 {
			t.Errorf("pending %d, want 20", s.Pending)
		}
	})
	t.Run("DeletedWhileOpen", func(t *testing.T) {
		// The shipper holds the file open: even lines it had not counted
		// when rotation deleted the file are counted exactly.
		sp := newSpool(t, 10)
		appendEvents(t, sp, 5)
		tr := newTracker(sp.Path, nil)
		defer tr.close()
		if _, _, err := tr.sync(); err != nil {
			t.Fatal(err)
		}
		appendEvents(t, sp, 5+10+3) // A full, B full, C: A deleted
		drops, _, err := tr.sync()
		if err != nil {
			t.Fatal(err)
		}
		if drops != 10 {
			t.Errorf("drops %d, want all 10 lines of the deleted file", drops)
		}
		if lines, _ := tr.pending(); lines != 13 {
			t.Errorf("pending %d, want 13", lines)
		}
	})
}

func TestShipper_Lock(t *testing.T) {
	fs := newFakeServer(t)
	sp := newSpool(t, 0)
	appendEvents(t, sp, 1)
	lock, err := shiplaunch.TryLock(shiplaunch.LockPath(sp.Path))
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(testOptions(fs, sp, newClock()))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Run(context.Background()); !errors.Is(err, shiplaunch.ErrLocked) {
		t.Errorf("Run with the lock held elsewhere: %v, want shiplaunch.ErrLocked", err)
	}
	if started, err := shiplaunch.Start(shiplaunch.StartOptions{Spool: sp.Path, Exe: "/nonexistent"}); started || err != nil {
		t.Errorf("Start with the lock held: started %v, err %v; want neither", started, err)
	}
	if n := len(fs.auditRequests()); n != 0 {
		t.Errorf("%d requests from a second shipper", n)
	}
	lock.Close()

	// Given the held lock, Run uses it and records its pid.
	lock, err = shiplaunch.TryLock(shiplaunch.LockPath(sp.Path))
	if err != nil {
		t.Fatal(err)
	}
	opts := testOptions(fs, sp, newClock())
	opts.Lock, opts.PID = lock, 4242
	mustRun(t, opts)
	data, _ := os.ReadFile(shiplaunch.LockPath(sp.Path))
	if strings.TrimSpace(string(data)) != "4242" {
		t.Errorf("lock file holds %q, want the pid", data)
	}
	if running, _, _ := shiplaunch.Holder(shiplaunch.LockPath(sp.Path)); running {
		t.Error("lock still held after Run returned")
	}
}

func TestOptions_Validate(t *testing.T) {
	good := Options{Spool: "/tmp/a.jsonl", Server: "https://w.example.com/", Token: "t"}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		change func(*Options)
		want   string
	}{
		{"NoSpool", func(o *Options) { o.Spool = "" }, "no spool"},
		{"NoToken", func(o *Options) { o.Token = "" }, "WARDEN_TOKEN"},
		{"NoServer", func(o *Options) { o.Server = "" }, "WARDEN_SERVER"},
		{"BadScheme", func(o *Options) { o.Server = "ftp://w.example.com" }, "want http(s)"},
		{"NoHost", func(o *Options) { o.Server = "https://" }, "want http(s)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := good
			tt.change(&o)
			if err := o.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		n      int
		jitter float64
		want   time.Duration
	}{
		{1, 0, 500 * time.Millisecond},
		{1, 0.999999999, time.Second - time.Nanosecond},
		{2, 0, time.Second},
		{4, 0, 4 * time.Second},
		{20, 0, 150 * time.Second},
		{1000, 0.5, 225 * time.Second},
	}
	for _, tt := range tests {
		got := backoff(time.Second, 5*time.Minute, tt.n, tt.jitter)
		if got.Round(time.Millisecond) != tt.want.Round(time.Millisecond) {
			t.Errorf("backoff(n=%d, jitter=%v) = %s, want %s", tt.n, tt.jitter, got, tt.want)
		}
	}
}
