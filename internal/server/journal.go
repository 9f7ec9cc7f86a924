package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
)

// decisionWriter stores the audit events of central decisions: a decision
// is answered only once append has returned nil.
type decisionWriter interface {
	// open prepares the writer before the server takes requests.
	open(ctx context.Context) error
	append(ctx context.Context, events []record.Event) error
	// sync returns once every event appended before the call is in the
	// store, so that a read after a decision sees it.
	sync(ctx context.Context) error
	// run works until ctx ends, then stores or keeps what is left.
	run(ctx context.Context)
}

// journal is the decision writer on a store with one writer connection
// (SQLite). A decision's events are appended to a file with one write(2)
// before the hook is answered, and one flusher moves them into the store
// in batches, off the decisions' path.
//
// Durability is a SQLite commit's with synchronous=NORMAL: both are a
// write into the kernel's page cache, which outlives a crash or SIGKILL of
// the server but not a power loss; on the next start the journal is
// replayed into the store, and event IDs make a replay idempotent. What
// changes is the cost: a commit per decision wrote the WAL frames of every
// page it touched (each session's index and summary pages, again for the
// next decision of the same session), where a batch of a few hundred
// writes each such page once. On this project's 2-core machine that was
// about half of a decision's CPU.
//
// The file holds the events not yet in the store, and some already there:
// it is emptied whenever the flusher finds nothing pending, and rewritten
// with just the pending events when it has grown past journalCompactBytes.
type journal struct {
	store    store.Store
	path     string
	log      *slog.Logger
	interval time.Duration
	// Bounds, the constants below but for tests.
	maxPending   int
	compactBytes int64
	// onCommit, when set, is told each flush's size and result (metrics).
	onCommit func(events, inserted int, err error)

	lock    *os.File // path.lock, flocked while this journal is open
	mu      sync.Mutex
	f       *os.File
	size    int64          // bytes in f
	pending []record.Event // in f, not yet in the store
	appends uint64         // events ever appended; stored: appends - len(pending)
	closed  bool
	lastErr error // of the last flush
	// flushed is closed and replaced after every flush attempt, waking
	// sync and append callers waiting for room.
	flushed chan struct{}
	kick    chan struct{}
}

// JournalFile is the journal's file name in the data directory.
const JournalFile = "decisions.journal"

// Bounds of the journal.
const (
	// journalInterval is how long an event may wait for the flusher when
	// nothing asks for it sooner: a small part of a record's freshness.
	journalInterval = 20 * time.Millisecond
	// journalFlushEvents starts a flush before the interval ends.
	journalFlushEvents = 1024
	// journalMaxPending bounds the events held while the store fails;
	// past it decisions fail closed (deny), as when a commit fails.
	journalMaxPending = 100_000
	// journalCompactBytes is the size past which the file is rewritten
	// with only the pending events.
	journalCompactBytes = 4 << 20
	// journalReplayBatch bounds one transaction of a replay.
	journalReplayBatch = 2048
)

var errJournalFull = errors.New("decision journal full: the store has not accepted events for a while")

func newJournal(st store.Store, path string, log *slog.Logger) *journal {
	return &journal{
		store: st, path: path, log: log, interval: journalInterval,
		maxPending: journalMaxPending, compactBytes: journalCompactBytes,
		flushed: make(chan struct{}), kick: make(chan struct{}, 1),
	}
}

// open replays the file left by an earlier run into the store, then
// empties it. A last line cut short by a crash is dropped: its write did
// not complete, so its decision was never answered.
func (j *journal) open(ctx context.Context) error {
	if err := os.MkdirAll(filepath.Dir(j.path), 0o700); err != nil {
		return fmt.Errorf("decision journal: %w", err)
	}
	// Two servers on one data directory would each empty the journal
	// when their own events are stored, losing the other's.
	lock, err := os.OpenFile(j.path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("decision journal: %w", err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return fmt.Errorf("decision journal %s is in use by another warden serve: "+
				"stop it, or give this one another --data-dir", j.path)
		}
		return fmt.Errorf("decision journal %s: lock: %w", j.path, err)
	}
	f, err := os.OpenFile(j.path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		lock.Close()
		return fmt.Errorf("decision journal: %w", err)
	}
	fail := func(err error) error {
		f.Close()
		lock.Close()
		return err
	}
	events, torn, err := readJournal(f)
	if err != nil {
		return fail(fmt.Errorf("decision journal %s: %w; it holds decision records not yet in the store: "+
			"repair or move it aside to start without them", j.path, err))
	}
	if torn {
		j.log.Warn("decision journal ends in a partial line, dropped", "path", j.path)
	}
	for len(events) > 0 {
		n := min(len(events), journalReplayBatch)
		if _, err := j.store.AppendEvents(ctx, events[:n]); err != nil {
			return fail(fmt.Errorf("decision journal %s: replay: %w", j.path, err))
		}
		events = events[n:]
	}
	if err := f.Truncate(0); err != nil {
		return fail(fmt.Errorf("decision journal %s: %w", j.path, err))
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fail(fmt.Errorf("decision journal %s: %w", j.path, err))
	}
	j.mu.Lock()
	j.f, j.size, j.lock = f, 0, lock
	j.mu.Unlock()
	return nil
}

// readJournal decodes a journal: one JSON event per line.
func readJournal(r io.Reader) (events []record.Event, torn bool, err error) {
	br := bufio.NewReaderSize(r, 64<<10)
	for n := 1; ; n++ {
		line, err := br.ReadBytes('\n')
		if err == io.EOF {
			return events, len(bytes.TrimSpace(line)) > 0, nil
		}
		if err != nil {
			return nil, false, err
		}
		var e record.Event
		if err := json.Unmarshal(line, &e); err != nil {
			if _, perr := br.Peek(1); perr == io.EOF {
				return events, true, nil // the last line: a write cut short
			}
			return nil, false, fmt.Errorf("line %d: %w", n, err)
		}
		events = append(events, e)
	}
}

// append writes events to the file and returns when write(2) has. The
// line written is the store's encoding of the event, kept in
// Event.Encoded so that the flush does not encode it again.
func (j *journal) append(ctx context.Context, events []record.Event) error {
	var buf bytes.Buffer
	for i := range events {
		b, err := store.MarshalEvent(&events[i])
		if err != nil {
			return err
		}
		events[i].Encoded = b
		buf.Write(b)
		buf.WriteByte('\n')
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	switch {
	case j.closed || j.f == nil:
		return errWriterStopped
	case len(j.pending)+len(events) > j.maxPending:
		return errJournalFull
	}
	n, err := j.f.Write(buf.Bytes())
	if err != nil {
		// A partial line would make the next one unreadable: cut it off.
		if n > 0 {
			if terr := j.f.Truncate(j.size); terr == nil {
				j.f.Seek(j.size, io.SeekStart)
			}
		}
		return fmt.Errorf("decision journal: %w", err)
	}
	j.size += int64(n)
	j.pending = append(j.pending, events...)
	j.appends += uint64(len(events))
	if len(j.pending) >= journalFlushEvents {
		j.wake()
	}
	return nil
}

func (j *journal) wake() {
	select {
	case j.kick <- struct{}{}:
	default:
	}
}

// sync waits until the events appended before the call are stored, or a
// flush after the call has failed (with its error).
func (j *journal) sync(ctx context.Context) error {
	j.mu.Lock()
	target, attempts := j.appends, 0
	for j.appends-uint64(len(j.pending)) < target && !j.closed {
		if attempts > 1 && j.lastErr != nil {
			// The flush that started after this call failed too.
			err := j.lastErr
			j.mu.Unlock()
			return err
		}
		wait := j.flushed
		j.wake()
		j.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return ctx.Err()
		}
		attempts++
		j.mu.Lock()
	}
	j.mu.Unlock()
	return nil
}

// run flushes every interval, or sooner when asked, until ctx ends; then
// it flushes what is left and closes the file (what the store refused
// stays in it for the next start).
func (j *journal) run(ctx context.Context) {
	t := time.NewTicker(j.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			j.flush()
			j.mu.Lock()
			j.closed = true
			if j.f != nil {
				j.f.Close()
				j.lock.Close()
			}
			close(j.flushed)
			j.mu.Unlock()
			return
		case <-t.C:
		case <-j.kick:
		}
		j.flush()
	}
}

// flush stores the pending events in one transaction.
func (j *journal) flush() {
	j.mu.Lock()
	batch := j.pending
	j.mu.Unlock()
	var err error
	inserted := 0
	if len(batch) > 0 {
		cctx, cancel := context.WithTimeout(context.Background(), commitTimeout)
		inserted, err = j.store.AppendEvents(cctx, batch)
		cancel()
		if j.onCommit != nil {
			j.onCommit(len(batch), inserted, err)
		}
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	// Log the changes, not every retry (one every interval while down).
	switch {
	case err != nil && j.lastErr == nil:
		j.log.Error("decision journal: the store refused a batch; kept, retried every flush",
			"events", len(batch), LogKeyError, err)
	case err == nil && j.lastErr != nil:
		j.log.Info("decision journal: the store accepts batches again", "events", len(batch))
	}
	j.lastErr = err
	if err == nil && len(batch) > 0 {
		// append only adds at the end, so the batch is still the prefix.
		rest := j.pending[len(batch):]
		j.pending = append(make([]record.Event, 0, len(rest)), rest...)
		j.tidy()
	}
	close(j.flushed)
	j.flushed = make(chan struct{})
}

// tidy empties the file when nothing in it is pending and rewrites it
// with only the pending events when it has grown large. Called with mu.
func (j *journal) tidy() {
	if j.f == nil || j.closed {
		return
	}
	if len(j.pending) == 0 {
		if err := j.f.Truncate(0); err == nil {
			j.f.Seek(0, io.SeekStart)
			j.size = 0
		}
		return
	}
	if j.size < j.compactBytes {
		return
	}
	if err := j.compact(); err != nil {
		j.log.Warn("decision journal: compaction failed, the file keeps growing until the next", LogKeyError, err)
	}
}

// compact writes the pending events to a new file and renames it over the
// journal: either name holds every pending event at every moment.
func (j *journal) compact() error {
	tmp, err := os.CreateTemp(filepath.Dir(j.path), JournalFile+".tmp*")
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	for i := range j.pending {
		b := j.pending[i].Encoded
		if b == nil {
			var err error
			if b, err = store.MarshalEvent(&j.pending[i]); err != nil {
				tmp.Close()
				os.Remove(tmp.Name())
				return err
			}
		}
		buf.Write(b)
		buf.WriteByte('\n')
	}
	if _, err := tmp.Write(buf.Bytes()); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), j.path); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	j.f.Close()
	j.f = tmp
	j.size = int64(buf.Len())
	return nil
}
