// Package membudget bounds the memory that request bodies hold at once: a
// byte budget shared by every in-flight request, which a request reserves
// before it reads, decompresses or decodes and releases when it is done.
// A gzip body of 64 KB can inflate to 64 MiB and decode into more; with
// every receiver reserving from one Budget, the memory all of them hold
// stays within it under any mix of bodies, and the excess waits (at most
// a bounded time) or is refused as busy, for the client to retry.
//
// It knows bytes, gzip and HTTP bodies; nothing of OTLP, records or
// storage. Nothing here runs at package initialisation.
package membudget

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Errors of a reservation. Test with errors.Is.
var (
	// ErrBusy: the budget had no room within the wait; retry later.
	ErrBusy = errors.New("server busy: memory budget in use, retry later")
	// ErrOverBudget: the request needs more than the whole budget and can
	// never be served.
	ErrOverBudget = errors.New("request needs more memory than the server's budget")
)

// DefaultMaxWait is how long a reservation waits for room by default.
const DefaultMaxWait = 5 * time.Second

// Budget is a byte budget shared by concurrent requests. An eighth of it
// is kept for small reservations (up to half that eighth): large requests
// (a gzip body inflating to megabytes) never take the last of it, so the
// ordinary small ones keep flowing while large ones wait their turn. A nil
// *Budget is unbounded: its reservations always succeed. Safe for
// concurrent use.
type Budget struct {
	total    int64
	headroom int64 // kept for small reservations
	maxWait  time.Duration

	mu      sync.Mutex
	used    int64
	peak    int64
	waiters []*waiter // in arrival order
	stats   Stats
}

// waiter is a reservation waiting for n bytes while at most limit are in
// use; ready is closed once they are granted.
type waiter struct {
	n, limit int64
	ready    chan struct{}
}

// Stats are a budget's counters since it was made.
type Stats struct {
	// InUse is the bytes reserved now, Peak the most ever reserved at once.
	InUse, Peak int64
	// Waits counts reservations that had to wait for room; Refusals those
	// refused (ErrBusy or ErrOverBudget).
	Waits, Refusals uint64
}

// New returns a budget of total bytes whose reservations wait at most
// maxWait for room (DefaultMaxWait when 0).
func New(total int64, maxWait time.Duration) *Budget {
	if maxWait <= 0 {
		maxWait = DefaultMaxWait
	}
	return &Budget{total: total, headroom: total / 8, maxWait: maxWait}
}

// limit is how much of the budget may be in use once a reservation of
// size bytes is granted: all of it for a small one, all but the headroom
// for a large one.
func (b *Budget) limit(size int64) int64 {
	if size > b.headroom/2 {
		return b.total - b.headroom
	}
	return b.total
}

// Total is the budget's size in bytes (0 for a nil, unbounded budget).
func (b *Budget) Total() int64 {
	if b == nil {
		return 0
	}
	return b.total
}

// Stats returns the budget's counters.
func (b *Budget) Stats() Stats {
	if b == nil {
		return Stats{}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.stats
	s.InUse, s.Peak = b.used, b.peak
	return s
}

// acquire reserves n bytes for a reservation that will then hold size
// bytes, waiting when wait is set.
func (b *Budget) acquire(ctx context.Context, n, size int64, wait bool) error {
	if n <= 0 {
		return nil
	}
	limit := b.limit(size)
	b.mu.Lock()
	if size > limit {
		b.stats.Refusals++
		b.mu.Unlock()
		return fmt.Errorf("%w (%d bytes, budget %d)", ErrOverBudget, size, limit)
	}
	// A reservation that fits is granted at once, even past waiters that
	// do not fit yet: small requests are not held up behind large ones,
	// which wait their bounded time instead.
	if b.used+n <= limit {
		b.grant(n)
		b.mu.Unlock()
		return nil
	}
	if !wait {
		b.stats.Refusals++
		b.mu.Unlock()
		return ErrBusy
	}
	w := &waiter{n: n, limit: limit, ready: make(chan struct{})}
	b.waiters = append(b.waiters, w)
	b.stats.Waits++
	b.mu.Unlock()

	timer := time.NewTimer(b.maxWait)
	defer timer.Stop()
	var err error
	select {
	case <-w.ready:
		return nil
	case <-timer.C:
		err = ErrBusy
	case <-ctx.Done():
		err = fmt.Errorf("%w: %w", ErrBusy, ctx.Err())
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case <-w.ready: // granted while we gave up: keep it
		return nil
	default:
	}
	for i, x := range b.waiters {
		if x == w {
			b.waiters = append(b.waiters[:i], b.waiters[i+1:]...)
			break
		}
	}
	b.stats.Refusals++
	return err
}

// grant takes n bytes; b.mu is held.
func (b *Budget) grant(n int64) {
	b.used += n
	b.peak = max(b.peak, b.used)
}

// release gives n bytes back and grants the waiters that now fit, in
// arrival order.
func (b *Budget) release(n int64) {
	if n <= 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.used -= n
	kept := b.waiters[:0]
	for _, w := range b.waiters {
		if b.used+w.n <= w.limit {
			b.grant(w.n)
			close(w.ready)
			continue
		}
		kept = append(kept, w)
	}
	clear(b.waiters[len(kept):])
	b.waiters = kept
}

// Reservation is what one request holds of a budget. The zero value of a
// nil budget's reservation is unbounded. Not safe for concurrent use.
type Reservation struct {
	b *Budget
	n int64
}

// Reserve starts an empty reservation.
func (b *Budget) Reserve() *Reservation { return &Reservation{b: b} }

// Size is the bytes reserved.
func (r *Reservation) Size() int64 { return r.n }

// Grow reserves n more bytes, waiting for room at most the budget's
// maxWait or until ctx ends (ErrBusy). It fails at once with ErrOverBudget
// when the reservation would exceed all the budget it may use.
func (r *Reservation) Grow(ctx context.Context, n int64) error {
	return r.grow(ctx, n, true)
}

// TryGrow reserves n more bytes if they are free now, without waiting: for
// a request that already holds part of the budget, which must not hold it
// while it waits for more. It fails with ErrBusy or ErrOverBudget.
func (r *Reservation) TryGrow(n int64) error {
	return r.grow(context.Background(), n, false)
}

func (r *Reservation) grow(ctx context.Context, n int64, wait bool) error {
	if n <= 0 {
		return nil
	}
	if r.b != nil {
		if err := r.b.acquire(ctx, n, r.n+n, wait); err != nil {
			return err
		}
	}
	r.n += n
	return nil
}

// Shrink gives n bytes of the reservation back (what a request no longer
// holds).
func (r *Reservation) Shrink(n int64) {
	n = min(max(n, 0), r.n)
	r.n -= n
	if r.b != nil {
		r.b.release(n)
	}
}

// Release gives the whole reservation back; it is safe more than once.
func (r *Reservation) Release() { r.Shrink(r.n) }
