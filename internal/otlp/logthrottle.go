package otlp

import (
	"sync"
	"time"
)

// Defaults of a logThrottle: a burst of refusalBurst lines, then one per
// refusalEvery, so that an exporter sending bad records in a loop cannot
// flood the log while the first refusals are still seen.
const (
	refusalBurst = 10
	refusalEvery = 10 * time.Second
)

// logThrottle is a token bucket for log lines: allow reports whether a
// line may be written now and how many were suppressed since the last one
// written.
type logThrottle struct {
	now func() time.Time

	mu         sync.Mutex
	tokens     float64
	last       time.Time
	suppressed int
}

func newLogThrottle(now func() time.Time) *logThrottle {
	if now == nil {
		now = time.Now
	}
	return &logThrottle{now: now, tokens: refusalBurst}
}

func (t *logThrottle) allow() (ok bool, suppressed int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if !t.last.IsZero() && now.After(t.last) {
		t.tokens = min(refusalBurst, t.tokens+float64(now.Sub(t.last))/float64(refusalEvery))
	}
	t.last = now
	if t.tokens < 1 {
		t.suppressed++
		return false, 0
	}
	t.tokens--
	suppressed, t.suppressed = t.suppressed, 0
	return true, suppressed
}
