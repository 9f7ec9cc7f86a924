package rows

import (
	"encoding/json"
	"math"
	"testing"
	"time"
)

func TestDayNS(t *testing.T) {
	day := int64(24 * time.Hour)
	for _, c := range []struct {
		name   string
		ns     int64
		want   int64
		last   int64
		reason string
	}{
		{"epoch", 0, 0, day - 1, ""},
		{"midday", day + 5, day, 2*day - 1, ""},
		{"last ns of a day", 2*day - 1, day, 2*day - 1, ""},
		{"before the epoch", -1, -day, -1, "floors, not truncates toward zero"},
		{"a day before", -day, -day, -1, ""},
		{"first representable", math.MinInt64, MinDayNS, MinDayNS + day - 1, "the part-day counts into the first whole day"},
		{"last representable", math.MaxInt64, math.MaxInt64 - (math.MaxInt64 % day), math.MaxInt64, "the last day ends at MaxInt64"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := DayNS(c.ns); got != c.want {
				t.Errorf("DayNS(%d) = %d, want %d %s", c.ns, got, c.want, c.reason)
			}
			if got := LastNSOfDay(c.ns); got != c.last {
				t.Errorf("LastNSOfDay(%d) = %d, want %d", c.ns, got, c.last)
			}
			if c.ns >= MinDayNS {
				if want := time.Unix(0, c.ns).UTC().Truncate(24 * time.Hour).UnixNano(); DayNS(c.ns) != want {
					t.Errorf("DayNS(%d) = %d, time.Truncate says %d", c.ns, DayNS(c.ns), want)
				}
			}
		})
	}
}

func TestRetry(t *testing.T) {
	for _, c := range []struct {
		attempt any
		want    bool
	}{
		{nil, false},
		{int64(1), false},
		{int64(2), true},
		{2, true},
		{float64(1), false},
		{1.5, true},
		{math.NaN(), false},
		{json.Number("3"), true},
		{json.Number("x"), false},
		{"2", false}, // a string is not a number
		{true, false},
	} {
		attrs := map[string]any{}
		if c.attempt != nil {
			attrs["attempt"] = c.attempt
		}
		if got := Retry(attrs); got != c.want {
			t.Errorf("Retry(attempt %#v) = %v, want %v", c.attempt, got, c.want)
		}
	}
}
