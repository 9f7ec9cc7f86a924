package server

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
	"github.com/wardenhq/warden/internal/store/sqlite"
	"github.com/wardenhq/warden/internal/store/storetest"
)

// Size of the crash test's stream.
const (
	crashBatchEvents = 50 // events per request
	crashAcks        = 40 // acknowledged requests before the kill
	crashClients     = 3  // concurrent clients
)

// crashBatch is request i of the stream: audit events when i is even,
// OTLP log records when odd, all of session crash-<i>.
func crashBatch(t *testing.T, i int) (path, contentType string, body []byte) {
	session := fmt.Sprintf("crash-%d", i)
	if i%2 == 1 {
		seqs := make([]int, crashBatchEvents)
		for j := range seqs {
			seqs[j] = i*crashBatchEvents + j
		}
		return "/v1/logs", "application/json", otlpLogs(session, seqs...)
	}
	var b bytes.Buffer
	for j := range crashBatchEvents {
		ev := newAudit(fmt.Sprintf("crash-%d-%d", i, j), session, t0.Add(time.Duration(i*crashBatchEvents+j)*time.Millisecond))
		ev.Command = strings.Repeat("c", 400)
		b.Write(auditLine(t, ev))
	}
	return "/v1/audit", ContentTypeNDJSON, b.Bytes()
}

// crashChild is the server the test kills: SQLite in the directory it was
// given, HTTP on a free loopback port, announced on stdout.
func crashChild(t *testing.T, dir string) {
	st, err := sqlite.Open(context.Background(), dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg := testConfig(dir)
	cfg.GRPCAddr = ""
	// The decision journal as warden serve has it, flushed only when
	// asked, so that a kill finds decisions in it and not yet stored.
	s, err := New(Options{Config: cfg, Store: st, Policy: policy.Baseline(), PolicyYAML: policy.BaselineYAML(),
		Logger:  slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Journal: filepath.Join(dir, JournalFile), JournalInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := signalContext()
	defer stop()
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(os.Stdout, "warden-listening %s\n", s.Addr())
	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	s.Wait(wctx)
	s.Shutdown(context.Background())
}

// startChild starts a crash child on dir and returns it with its base URL.
func startChild(t *testing.T, dir string) (*exec.Cmd, string, *bytes.Buffer) {
	t.Helper()
	return startChildCmd(t, storetest.ReexecCommand(t, crashEnv+"="+dir))
}

// startChildCmd starts a server child that announces its address on
// stdout and returns it with its base URL and its stderr.
func startChildCmd(t *testing.T, cmd *exec.Cmd) (*exec.Cmd, string, *bytes.Buffer) {
	t.Helper()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &bytes.Buffer{}
	cmd.Stderr = &lockedWriter{w: stderr}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if addr, ok := strings.CutPrefix(sc.Text(), "warden-listening "); ok {
			go io.Copy(io.Discard, out)
			return cmd, "http://" + addr, stderr
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	t.Fatalf("child did not start:\n%s", stderr)
	return nil, "", nil
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// post sends one stream request and reports whether it was acknowledged
// (200) and what the audit answer said.
func post(client *http.Client, url, token, path, ct string, body []byte) (ok bool, res AuditResult, err error) {
	req, err := http.NewRequest("POST", url+path, bytes.NewReader(body))
	if err != nil {
		return false, res, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", ct)
	resp, err := client.Do(req)
	if err != nil {
		return false, res, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return false, res, fmt.Errorf("%d %s %v", resp.StatusCode, b, err)
	}
	if path == "/v1/audit" {
		json.Unmarshal(b, &res)
	}
	return true, res, nil
}

// TestCrash kills the real server with SIGKILL in the middle of a stream
// of ingest requests (audit and OTLP, several clients) and restarts it on
// the same data: every event acknowledged with a 200 before the kill is
// stored, a request cut off is stored whole or not at all, and after
// everything is sent again each event is stored exactly once.
func TestCrash(t *testing.T) {
	if dir := os.Getenv(crashEnv); dir != "" {
		crashChild(t, dir)
		return
	}
	if testing.Short() {
		t.Skip("starts server processes")
	}
	dir, secret := crashDataDir(t)

	cmd, url, stderr := startChild(t, dir)
	client := &http.Client{Timeout: 30 * time.Second}
	acked, sent := streamUntilKill(t, cmd, stderr, crashAcks, func(i int) bool {
		path, ct, body := crashBatch(t, i)
		ok, _, _ := post(client, url, secret, path, ct, body)
		return ok
	})
	t.Logf("killed the server after %d acknowledged requests, %d started", len(acked), sent)

	// Acknowledged means stored; cut off means whole or nothing.
	check := func(st store.Store, wantAll bool) {
		t.Helper()
		for i := range sent {
			events, err := st.SessionEvents(context.Background(), fmt.Sprintf("crash-%d", i))
			if err != nil && !strings.Contains(err.Error(), "not found") {
				t.Fatal(err)
			}
			ids := map[string]bool{}
			for _, e := range events {
				ids[e.ID] = true
			}
			switch {
			case len(ids) != len(events):
				t.Errorf("request %d: %d events but %d distinct: stored twice", i, len(events), len(ids))
			case (acked[i] || wantAll) && len(events) != crashBatchEvents:
				t.Errorf("request %d (acknowledged %v): %d of %d events stored", i, acked[i], len(events), crashBatchEvents)
			case len(events) != 0 && len(events) != crashBatchEvents:
				t.Errorf("request %d: %d of %d events: a request must be stored whole or not at all", i, len(events), crashBatchEvents)
			}
		}
	}
	st, err := sqlite.Open(context.Background(), dir, store.Options{})
	if err != nil {
		t.Fatalf("reopen after SIGKILL: %v", err)
	}
	check(st, false)
	st.Close()

	// Restart and send everything again: nothing is stored twice.
	cmd, url, stderr = startChild(t, dir)
	for i := range sent {
		path, ct, body := crashBatch(t, i)
		ok, res, err := post(client, url, secret, path, ct, body)
		if !ok {
			t.Fatalf("resend %d: %v\n%s", i, err, stderr)
		}
		if path == "/v1/audit" && acked[i] && (res.Accepted != 0 || res.Duplicates != crashBatchEvents) {
			t.Errorf("resend of acknowledged request %d: %+v, want all duplicates", i, res)
		}
	}
	st = stopAndReopen(t, cmd, stderr, dir)
	check(st, true)
}

// TestCrash_Decisions kills the real server with SIGKILL in the middle of
// a stream of central decisions and restarts it: every decision answered
// before the kill is stored, once, though the kill found it in the
// journal and not yet in the database.
func TestCrash_Decisions(t *testing.T) {
	if dir := os.Getenv(crashEnv); dir != "" {
		crashChild(t, dir)
		return
	}
	if testing.Short() {
		t.Skip("starts server processes")
	}
	const answers = 200 // decisions answered before the kill
	dir, secret := crashDataDir(t)

	cmd, url, stderr := startChild(t, dir)
	client := &http.Client{Timeout: 30 * time.Second}
	answered, sent := streamUntilKill(t, cmd, stderr, answers, func(i int) bool {
		body := pre(fmt.Sprintf("crash-d-%d", i), "Bash", map[string]any{"command": "cat .env"})
		ok, _, _ := post(client, url, secret, "/v1/hooks/claude-code", "application/json", body)
		return ok
	})
	if fi, err := os.Stat(filepath.Join(dir, JournalFile)); err != nil || fi.Size() == 0 {
		t.Fatalf("journal after the kill: %v, %v; the test needs decisions left in it", fi, err)
	}

	// The restart replays the journal before it serves.
	cmd, _, stderr = startChild(t, dir)
	st := stopAndReopen(t, cmd, stderr, dir)
	for i := range sent {
		events, err := st.SessionEvents(context.Background(), fmt.Sprintf("crash-d-%d", i))
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			t.Fatal(err)
		}
		switch {
		case answered[i] && len(events) != 1:
			t.Errorf("answered decision %d: %d events stored, want 1", i, len(events))
		case len(events) > 1:
			t.Errorf("decision %d: %d events stored, want at most 1", i, len(events))
		}
	}
}

// crashDataDir is a data directory with a SQLite store holding one ingest
// token, whose secret it returns.
func crashDataDir(t *testing.T) (dir, secret string) {
	t.Helper()
	dir = t.TempDir()
	st, err := sqlite.Open(context.Background(), dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	secret, tok, err := NewToken(randReader(), "crash", []string{record.ScopeIngest}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateToken(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	return dir, secret
}

// streamUntilKill sends requests 0, 1, ... from crashClients clients
// (send reports whether request i was acknowledged) and kills cmd with
// SIGKILL at the kill-th acknowledgement, while the other clients'
// requests are in flight. It returns the requests acknowledged before the
// kill and how many were started.
func streamUntilKill(t *testing.T, cmd *exec.Cmd, stderr *bytes.Buffer, kill int, send func(i int) bool) (acked map[int]bool, sent int) {
	t.Helper()
	var (
		mu     sync.Mutex
		killed bool
		wg     sync.WaitGroup
	)
	acked = map[int]bool{}
	for range crashClients {
		wg.Go(func() {
			for {
				mu.Lock()
				if killed || sent >= 10_000 {
					mu.Unlock()
					return
				}
				i := sent
				sent++
				mu.Unlock()
				ok := send(i)
				mu.Lock()
				if ok && !killed {
					acked[i] = true
					if len(acked) >= kill {
						cmd.Process.Signal(syscall.SIGKILL)
						killed = true
					}
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	cmd.Wait()
	if !killed {
		t.Fatalf("the stream ended before %d acknowledgements:\n%s", kill, stderr)
	}
	return acked, sent
}

// signalContext ends on SIGTERM or SIGINT, as `warden serve`'s does.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
}

func randReader() io.Reader { return rand.Reader }

// TestCrash_Signed kills the real server with SIGKILL while an enrolled
// device ships its signed, chained audit (one shipper, in order, as the
// hook's shipper does) and restarts it on the same data: every
// acknowledged event is stored, and after the shipper sends everything
// again each event is stored once, every one verified, and the chain the
// store keeps runs from 1 to the last event with each link naming its
// predecessor's hash.
func TestCrash_Signed(t *testing.T) {
	if dir := os.Getenv(crashEnv); dir != "" {
		crashChild(t, dir)
		return
	}
	if testing.Short() {
		t.Skip("starts server processes")
	}
	const batches = 400
	dir, _ := crashDataDir(t)
	dev := &testDevice{key: deviceKey(7)}
	credential := enrollInStore(t, dir, dev)

	bodies := make([][]byte, batches)
	for i := range bodies {
		var b bytes.Buffer
		for j := range crashBatchEvents {
			ev := newAudit(fmt.Sprintf("signed-%d-%d", i, j), fmt.Sprintf("crash-s-%d", i), t0.Add(time.Duration(i*crashBatchEvents+j)*time.Millisecond))
			ev.Command = strings.Repeat("c", 400)
			b.Write(dev.sign(t, ev))
		}
		bodies[i] = b.Bytes()
	}

	cmd, url, stderr := startChild(t, dir)
	client := &http.Client{Timeout: 30 * time.Second}
	acked := map[int]bool{}
	sent := 0
	var killOnce sync.Once
	for i := range batches {
		sent++
		ok, _, _ := post(client, url, credential, "/v1/audit", ContentTypeNDJSON, bodies[i])
		if !ok {
			break
		}
		acked[i] = true
		if len(acked) == crashAcks {
			// Killed while the next batch is on its way.
			killOnce.Do(func() {
				go func() {
					time.Sleep(time.Duration(i%5) * time.Millisecond)
					cmd.Process.Signal(syscall.SIGKILL)
				}()
			})
		}
	}
	cmd.Wait()
	if len(acked) < crashAcks {
		t.Fatalf("%d batches acknowledged before the kill, want %d:\n%s", len(acked), crashAcks, stderr)
	}
	t.Logf("killed the server after %d acknowledged batches, %d sent", len(acked), sent)

	st, err := sqlite.Open(context.Background(), dir, store.Options{})
	if err != nil {
		t.Fatalf("reopen after SIGKILL: %v", err)
	}
	for i := range acked {
		if events, _ := st.SessionEvents(context.Background(), fmt.Sprintf("crash-s-%d", i)); len(events) != crashBatchEvents {
			t.Errorf("acknowledged batch %d: %d of %d events stored", i, len(events), crashBatchEvents)
		}
	}
	st.Close()

	// The shipper resends from where its acknowledgements stopped; here,
	// everything again, which is a harder test.
	cmd, url, stderr = startChild(t, dir)
	for i := range sent {
		ok, res, err := post(client, url, credential, "/v1/audit", ContentTypeNDJSON, bodies[i])
		if !ok {
			t.Fatalf("resend %d: %v\n%s", i, err, stderr)
		}
		if acked[i] && (res.Accepted != 0 || res.Duplicates != crashBatchEvents) {
			t.Errorf("resend of acknowledged batch %d: %+v, want all duplicates", i, res)
		}
	}
	st = stopAndReopen(t, cmd, stderr, dir)
	for i := range sent {
		events, err := st.SessionEvents(context.Background(), fmt.Sprintf("crash-s-%d", i))
		if err != nil {
			t.Fatalf("batch %d: %v", i, err)
		}
		ids := map[string]bool{}
		for _, e := range events {
			ids[e.ID] = true
			if v := e.Verification; v == nil || !v.Verified {
				t.Errorf("event %s: verification %+v, want verified", e.ID, v)
			}
		}
		if len(events) != crashBatchEvents || len(ids) != len(events) {
			t.Errorf("batch %d: %d events, %d distinct; want %d once each", i, len(events), len(ids), crashBatchEvents)
		}
	}
	links, err := st.ChainLinks(context.Background(), dev.id, 1, 1<<62)
	if err != nil {
		t.Fatal(err)
	}
	if want := sent * crashBatchEvents; len(links) != want {
		t.Fatalf("%d chain links, want %d", len(links), want)
	}
	prev := ""
	for i, l := range links {
		if l.Seq != uint64(i+1) || l.Prev != prev || l.Status != "" {
			t.Fatalf("link %d: seq %d prev %.8s status %q; want seq %d prev %.8s, verified", i, l.Seq, l.Prev, l.Status, i+1, prev)
		}
		prev = l.Hash
	}
}

// stopAndReopen stops the restarted server child cmd with SIGTERM, which
// must end it cleanly, and opens the store it left in dir, closed when
// the test ends.
func stopAndReopen(t *testing.T, cmd *exec.Cmd, stderr *bytes.Buffer, dir string) *sqlite.DB {
	t.Helper()
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Errorf("restarted server after SIGTERM: %v\n%s", err, stderr)
	}
	st, err := sqlite.Open(context.Background(), dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// enrollInStore enrolls d directly in the store of dir, setting its ID
// and returning its credential.
func enrollInStore(t *testing.T, dir string, d *testDevice) string {
	t.Helper()
	st, err := sqlite.Open(context.Background(), dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	secret, tok, err := NewToken(randReader(), "enroll", []string{record.ScopeEnroll}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateToken(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	cred, hash, err := NewDeviceCredential(randReader())
	if err != nil {
		t.Fatal(err)
	}
	d.id = "dev_c0ffee"
	if _, err := st.EnrollDevice(context.Background(), HashToken(secret), record.Device{ID: d.id, Name: "crash",
		PublicKey: d.key.Public().(ed25519.PublicKey), CredentialHash: hash, EnrolledAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	return cred
}
