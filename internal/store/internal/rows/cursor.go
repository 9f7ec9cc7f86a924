package rows

import (
	"encoding/base64"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/wardenhq/warden/internal/store"
)

// Cursor is a position in ListSessions' order: the last session returned.
type Cursor struct {
	FirstNS   int64
	SessionID string
}

// Encode returns the cursor as an opaque URL-safe string.
func (c Cursor) Encode() string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.FirstNS, 10) + ":" + c.SessionID))
}

// DecodeCursor parses Encode's output; anything else is invalid.
func DecodeCursor(s string) (Cursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return Cursor{}, store.Errorf(store.EInvalid, "malformed cursor")
	}
	ns, id, ok := strings.Cut(string(b), ":")
	n, err := strconv.ParseInt(ns, 10, 64)
	if !ok || err != nil || id == "" {
		return Cursor{}, store.Errorf(store.EInvalid, "malformed cursor")
	}
	return Cursor{FirstNS: n, SessionID: id}, nil
}

// Limit returns the page size a filter asks for, or an invalid error.
func Limit(f store.SessionFilter) (int, error) {
	switch {
	case f.Limit < 0:
		return 0, store.Errorf(store.EInvalid, "negative limit %d", f.Limit)
	case f.Limit == 0:
		return store.DefaultLimit, nil
	case f.Limit > store.MaxLimit:
		return store.MaxLimit, nil
	}
	return f.Limit, nil
}

// Bounds returns [since, until) as Unix nanoseconds, a zero time meaning
// unbounded and a time beyond what nanoseconds hold clamped to their range.
func Bounds(since, until time.Time) (lo, hi int64) {
	return ns(since, math.MinInt64), ns(until, math.MaxInt64)
}

func ns(t time.Time, zero int64) int64 {
	switch {
	case t.IsZero():
		return zero
	case t.Before(time.Unix(0, math.MinInt64)):
		return math.MinInt64
	case t.After(time.Unix(0, math.MaxInt64)):
		return math.MaxInt64
	}
	return t.UnixNano()
}
