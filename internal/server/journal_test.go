package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
)

// journalEvent is decision event i of session s.
func journalEvent(s string, i int) record.Event {
	return auditToEvent(newAudit(fmt.Sprintf("%s-%d", s, i), s, t0.Add(time.Duration(i)*time.Millisecond)))
}

func journalLine(t testing.TB, e record.Event) []byte {
	b, err := store.MarshalEvent(&e)
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

// openJournal opens a journal at path on st, closing it with the test.
func openJournal(t *testing.T, st store.Store, path string) *journal {
	t.Helper()
	j := newJournal(st, path, slog.New(slog.NewTextHandler(t.Output(), nil)))
	if err := j.open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		j.mu.Lock()
		defer j.mu.Unlock()
		if !j.closed {
			j.f.Close()
			j.lock.Close()
		}
	})
	return j
}

func storedIDs(t *testing.T, st store.Store, session string) []string {
	t.Helper()
	events, err := st.SessionEvents(context.Background(), session)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range events {
		ids = append(ids, e.ID)
	}
	return ids
}

// TestJournal_Replay: open stores what an earlier run left in the file,
// each event once however often it is replayed, and empties the file; a
// last line cut short (its write never completed, so its decision was
// never answered) is dropped, a damaged line elsewhere stops the start.
func TestJournal_Replay(t *testing.T) {
	a, b, c := journalEvent("r", 1), journalEvent("r", 2), journalEvent("r", 3)
	for _, tc := range []struct {
		name    string
		file    [][]byte
		want    []string // stored IDs
		wantErr string
	}{
		{"Empty", nil, nil, ""},
		{"Whole", [][]byte{journalLine(t, a), journalLine(t, b)}, []string{a.ID, b.ID}, ""},
		{"Replayed", [][]byte{journalLine(t, a), journalLine(t, a), journalLine(t, b)}, []string{a.ID, b.ID}, ""},
		{"TornLast", [][]byte{journalLine(t, a), journalLine(t, b), journalLine(t, c)[:40]}, []string{a.ID, b.ID}, ""},
		{"TornNoNewline", [][]byte{journalLine(t, a), bytes.TrimSuffix(journalLine(t, b), []byte("\n"))}, []string{a.ID}, ""},
		{"DamagedMiddle", [][]byte{journalLine(t, a), []byte("{not json\n"), journalLine(t, b)}, nil, "line 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := sqliteBackend().open(t)
			path := filepath.Join(t.TempDir(), JournalFile)
			if err := os.WriteFile(path, bytes.Join(tc.file, nil), 0o600); err != nil {
				t.Fatal(err)
			}
			j := newJournal(st, path, slog.New(slog.DiscardHandler))
			err := j.open(context.Background())
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), "move it aside") {
					t.Fatalf("open: %v, want an error naming %q and what to do", err, tc.wantErr)
				}
				if b, _ := os.ReadFile(path); !bytes.Equal(b, bytes.Join(tc.file, nil)) {
					t.Error("a journal that failed to replay was changed")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer j.f.Close()
			if got := storedIDs(t, st, "r"); strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("stored %v, want %v", got, tc.want)
			}
			if fi, err := os.Stat(path); err != nil || fi.Size() != 0 {
				t.Errorf("journal after replay: %v, %v; want empty", fi, err)
			}
		})
	}
}

// TestJournal_InUse: a second server on the same data directory does not
// start (each would empty the journal of the other's events), and says
// what to do.
func TestJournal_InUse(t *testing.T) {
	st := sqliteBackend().open(t)
	path := filepath.Join(t.TempDir(), JournalFile)
	openJournal(t, st, path)
	second := newJournal(st, path, slog.New(slog.DiscardHandler))
	err := second.open(context.Background())
	if err == nil || !strings.Contains(err.Error(), "in use by another warden serve") {
		t.Fatalf("second open: %v, want in use", err)
	}
}

// TestJournal_StoreDown: while the store refuses writes, decisions are
// still journaled (append succeeds) and kept; a read's sync says the
// store failed instead of waiting; once the store is back every event is
// stored once and the file is emptied. Past its bound the journal
// refuses, so decisions fail closed.
func TestJournal_StoreDown(t *testing.T) {
	ctx := context.Background()
	st := &faultStore{Store: sqliteBackend().open(t)}
	path := filepath.Join(t.TempDir(), JournalFile)
	j := openJournal(t, st, path)
	j.maxPending = 3

	st.failAppend.Store(true)
	for i := range 3 {
		if err := j.append(ctx, []record.Event{journalEvent("d", i)}); err != nil {
			t.Fatalf("append %d with the store down: %v", i, err)
		}
	}
	if err := j.append(ctx, []record.Event{journalEvent("d", 3)}); !errors.Is(err, errJournalFull) {
		t.Errorf("append past the bound: %v, want errJournalFull", err)
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-j.kick:
				j.flush()
			case <-done:
				return
			}
		}
	}()
	defer close(done)
	if err := j.sync(ctx); !errors.Is(err, errDown) {
		t.Errorf("sync with the store down: %v, want the store's error", err)
	}
	if got := storedIDs(t, st, "d"); len(got) != 0 {
		t.Errorf("stored %v with the store down", got)
	}
	if b, _ := os.ReadFile(path); bytes.Count(b, []byte("\n")) != 3 {
		t.Errorf("journal holds %q, want the 3 events", b)
	}

	st.failAppend.Store(false)
	if err := j.sync(ctx); err != nil {
		t.Fatalf("sync with the store back: %v", err)
	}
	if got := storedIDs(t, st, "d"); len(got) != 3 {
		t.Errorf("stored %v, want the 3 events", got)
	}
	if fi, _ := os.Stat(path); fi.Size() != 0 {
		t.Errorf("journal is %d bytes with nothing pending, want empty", fi.Size())
	}
	if err := j.append(ctx, []record.Event{journalEvent("d", 3)}); err != nil {
		t.Errorf("append with room again: %v", err)
	}
}

// TestJournal_ShutdownKeeps: events the store refuses at shutdown stay in
// the file, and the next start stores them.
func TestJournal_ShutdownKeeps(t *testing.T) {
	ctx := context.Background()
	inner := sqliteBackend().open(t)
	st := &faultStore{Store: inner}
	path := filepath.Join(t.TempDir(), JournalFile)
	j := newJournal(st, path, slog.New(slog.DiscardHandler))
	if err := j.open(ctx); err != nil {
		t.Fatal(err)
	}
	j.interval = time.Hour
	rctx, stop := context.WithCancel(ctx)
	ran := make(chan struct{})
	go func() { j.run(rctx); close(ran) }()
	if err := j.append(ctx, []record.Event{journalEvent("k", 1), journalEvent("k", 2)}); err != nil {
		t.Fatal(err)
	}
	st.failAppend.Store(true)
	stop()
	<-ran
	if err := j.append(ctx, []record.Event{journalEvent("k", 3)}); !errors.Is(err, errWriterStopped) {
		t.Errorf("append after shutdown: %v, want errWriterStopped", err)
	}
	openJournal(t, inner, path)
	if got := storedIDs(t, inner, "k"); len(got) != 2 {
		t.Errorf("stored %v after restart, want the 2 events", got)
	}
}

// TestJournal_Compact: a journal past its size bound is rewritten with
// only the pending events; appends go on into the new file, and a replay
// of it stores the pending and the new events.
func TestJournal_Compact(t *testing.T) {
	ctx := context.Background()
	st := sqliteBackend().open(t)
	path := filepath.Join(t.TempDir(), JournalFile)
	j := openJournal(t, st, path)
	for i := range 5 {
		if err := j.append(ctx, []record.Event{journalEvent("c", i)}); err != nil {
			t.Fatal(err)
		}
	}
	// Events 0-2 are stored; 3 and 4 still pending, as when appends
	// arrive while a flush runs.
	if _, err := st.AppendEvents(ctx, j.pending[:3]); err != nil {
		t.Fatal(err)
	}
	j.mu.Lock()
	j.pending = j.pending[3:]
	j.compactBytes = 1
	j.tidy()
	j.mu.Unlock()
	if err := j.append(ctx, []record.Event{journalEvent("c", 5)}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	events, torn, err := readJournal(bytes.NewReader(b))
	if err != nil || torn {
		t.Fatalf("read compacted journal: %v, torn %v", err, torn)
	}
	var ids []string
	for _, e := range events {
		ids = append(ids, e.ID)
	}
	if want := []string{"c-3", "c-4", "c-5"}; strings.Join(ids, " ") != strings.Join(want, " ") {
		t.Errorf("compacted journal holds %v, want %v", ids, want)
	}
	if matches, _ := filepath.Glob(path + ".tmp*"); len(matches) != 0 {
		t.Errorf("temporary files left: %v", matches)
	}
}

// FuzzReadJournal: whatever a damaged journal holds, reading it returns
// events, a torn last line or an error, never a panic; and events it
// returns are whole lines that decoded.
func FuzzReadJournal(f *testing.F) {
	f.Add(append(journalLine(f, journalEvent("f", 1)), journalLine(f, journalEvent("f", 2))...))
	f.Add([]byte("{\n"))
	f.Add([]byte("\n\n{}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		events, _, err := readJournal(bytes.NewReader(data))
		if err != nil && len(events) > 0 {
			t.Fatalf("events %d with error %v", len(events), err)
		}
		if n := bytes.Count(data, []byte("\n")); len(events) > n {
			t.Fatalf("%d events from %d lines", len(events), n)
		}
	})
}
