package server

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
)

// Evidence conflicts per session. A conflict is a run record's finding
// (record.Conflict: two events that disagree), which SQL cannot tell; so,
// as detection does, ingest only marks the sessions whose events it
// stored, and a background loop builds each marked session's run record
// and stores how many conflicts it has (store.SetSessionConflicts), for
// the session list's "has conflicts" filter. The count is a pure function
// of the stored events, so replicas that both count a session store the
// same number.

// conflictInterval is how often marked sessions are counted.
const conflictInterval = time.Second

// conflictCounter keeps the sessions' conflict counts.
type conflictCounter struct {
	s   *Server
	log *slog.Logger
	// budget bounds the time one run spends; the rest wait for the next.
	budget time.Duration

	// running serializes runs: one that starts while another counts
	// waits for it, so a caller of count sees every mark before it
	// counted.
	running sync.Mutex

	mu    sync.Mutex
	dirty map[string]bool
	// stored is the count this process last stored per session, so that
	// a session whose count did not change costs no write (SQLite has
	// one writer, which ingest needs); cleared when it grows past
	// maxDirty, which costs one write per session again.
	stored map[string]int
}

func newConflictCounter(s *Server) *conflictCounter {
	return &conflictCounter{s: s, log: s.log.With(LogKeyComponent, "conflicts"), budget: conflictInterval / 4,
		dirty: map[string]bool{}, stored: map[string]int{}}
}

// mark queues the sessions of events for counting (any event: the one
// that completes a conflict may be telemetry, a tool_result after a
// deny). It never blocks on anything but a map insert.
func (c *conflictCounter) mark(events []record.Event) {
	if c == nil || len(events) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range events {
		sid := events[i].SessionID
		if sid == "" || c.dirty[sid] {
			continue
		}
		if len(c.dirty) >= maxDirty {
			return
		}
		c.dirty[sid] = true
	}
}

// run counts marked sessions every conflictInterval until ctx ends.
func (c *conflictCounter) run(ctx context.Context) {
	every(ctx, conflictInterval, func(int) { c.count(ctx) })
}

// count builds the run record of every session marked since the last run
// (within the budget) and stores its conflict count.
func (c *conflictCounter) count(ctx context.Context) {
	c.running.Lock()
	defer c.running.Unlock()
	c.mu.Lock()
	sessions := make([]string, 0, len(c.dirty))
	for sid := range c.dirty {
		sessions = append(sessions, sid)
	}
	clear(c.dirty)
	c.mu.Unlock()
	if len(sessions) == 0 {
		return
	}
	slices.Sort(sessions)
	if err := c.s.writer.sync(ctx); err != nil {
		c.log.Warn("conflict count: decision records not flushed", LogKeyError, err)
	}
	start := time.Now()
	for i, sid := range sessions {
		if ctx.Err() != nil {
			return
		}
		if c.budget > 0 && time.Since(start) > c.budget {
			c.mu.Lock()
			for _, rest := range sessions[i:] {
				c.dirty[rest] = true
			}
			c.mu.Unlock()
			return
		}
		if err := c.countSession(ctx, sid); err != nil {
			c.log.Warn("conflict count failed", "session", sid, LogKeyError, err)
		}
	}
}

// countSession stores one session's conflict count.
func (c *conflictCounter) countSession(ctx context.Context, sid string) error {
	events, err := c.s.store.SessionEvents(ctx, sid)
	if err != nil {
		if store.ErrorCode(err) == store.ENotFound {
			return nil
		}
		return err
	}
	if !slices.ContainsFunc(events, func(e record.Event) bool { return e.Source == record.SourceHook }) {
		return nil
	}
	n := len(record.BuildRunRecordWith(record.SessionSummary{SessionID: sid}, events, RunRecordOptions).Conflicts)
	c.mu.Lock()
	last, known := c.stored[sid]
	c.mu.Unlock()
	if known && last == n {
		return nil
	}
	err = c.s.store.SetSessionConflicts(ctx, sid, n)
	switch {
	case store.ErrorCode(err) == store.ENotFound:
		return nil // deleted by retention meanwhile
	case err != nil:
		return err
	}
	c.mu.Lock()
	if len(c.stored) >= maxDirty {
		clear(c.stored)
	}
	c.stored[sid] = n
	c.mu.Unlock()
	return nil
}
