package policy

import (
	"encoding/json"
	"fmt"
	"time"
)

// DateLayout is how a Date is written: YYYY-MM-DD.
const DateLayout = "2006-01-02"

// ParseDate reads a YYYY-MM-DD day as midnight UTC.
func ParseDate(s string) (Date, error) {
	t, err := time.ParseInLocation(DateLayout, s, time.UTC)
	if err != nil {
		return Date{}, fmt.Errorf("invalid date %q (want YYYY-MM-DD)", s)
	}
	return Date{t}, nil
}

// String returns the day as YYYY-MM-DD ("" for the zero Date).
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return d.Time.Format(DateLayout)
}

// End is the first instant after the day: an exception expiring on d stops
// applying at End.
func (d Date) End() time.Time {
	y, m, day := d.Time.Date()
	return time.Date(y, m, day+1, 0, 0, 0, 0, time.UTC)
}

// MarshalText writes YYYY-MM-DD.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads YYYY-MM-DD.
func (d *Date) UnmarshalText(b []byte) error {
	p, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = p
	return nil
}

// MarshalJSON writes "YYYY-MM-DD" (overriding time.Time's RFC 3339 form).
func (d Date) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads "YYYY-MM-DD".
func (d *Date) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("invalid date %s (want \"YYYY-MM-DD\")", b)
	}
	return d.UnmarshalText([]byte(s))
}

// UnmarshalText reads read, write or any.
func (a *Access) UnmarshalText(b []byte) error {
	switch x := Access(b); x {
	case AccessRead, AccessWrite, AccessAny:
		*a = x
		return nil
	}
	return fmt.Errorf("unknown access %q (want read, write or any)", b)
}

// Expired reports whether the exception no longer applies at now: it
// expires at the end of its Expires day, UTC. An exception without an expiry
// date is treated as expired (Validate rejects it).
func (e Exception) Expired(now time.Time) bool {
	return e.Expires.IsZero() || !now.Before(e.Expires.End())
}
