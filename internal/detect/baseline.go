package detect

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wardenhq/warden/internal/record"
)

// Group-by keys only baseline rules use: the Warden policy rule that made
// the decisions counted, and the session's team (from its telemetry).
const (
	GroupRule = "rule"
	GroupTeam = "team"
)

// BaselineGroupKeys are what a baseline rule may be grouped by.
var BaselineGroupKeys = []string{GroupRule, "repository", GroupTeam}

// Baseline defaults and bounds.
const (
	// MaxBaselineWindows bounds period/window, the history kept per key.
	MaxBaselineWindows = 366
	// BaselineSample is how many of the current window's decisions an
	// alert links, the most recent first.
	BaselineSample = 20
)

// BaselineDecisions are the decisions a baseline rule may count.
var BaselineDecisions = []string{"deny", "ask", "allow", "none"}

// Baseline fires when the Warden decisions of one group (a policy rule, a
// repository or a team) within the current window reach MinCount and
// Factor times that group's mean per window over the Period before it: a
// rule that is wrong or that developers are fighting, blocks trending up
// in one repository or team. Windows are aligned to multiples of Window
// since the zero time (UTC days for 24h), so one window raises at most one
// firing however often it is evaluated.
//
// Its state is counts, not event sequences: the server reads them from the
// store's decision index rather than loading a week of events, and the
// offline evaluation counts the events it is given. Both feed Judge.
type Baseline struct {
	Decisions []string      `json:"decisions"`
	Window    time.Duration `json:"window"`
	Period    time.Duration `json:"period"`
	Factor    float64       `json:"factor"`
	MinCount  int           `json:"min_count"`
}

// BaselineSpan is where a baseline evaluation at watermark wm looks: the
// current window [Start, wm] and the history [Since, Start).
type BaselineSpan struct {
	Since, Start, End time.Time
}

// Span returns the windows an evaluation at watermark wm compares.
func (b *Baseline) Span(wm time.Time) BaselineSpan {
	start := wm.UTC().Truncate(b.Window)
	return BaselineSpan{Since: start.Add(-b.Period), Start: start, End: wm}
}

// Windows is the number of history windows: Period / Window.
func (b *Baseline) Windows() int { return int(b.Period / b.Window) }

// Counts is one key's decisions: Current in the current window, History
// per history window, oldest first (len Windows()).
type Counts struct {
	Key     string
	Current int
	History []int
}

// Mean is the mean decisions per history window.
func (c Counts) Mean() float64 {
	if len(c.History) == 0 {
		return 0
	}
	var s int
	for _, n := range c.History {
		s += n
	}
	return float64(s) / float64(len(c.History))
}

// Judge reports whether c is far enough above its baseline to fire. A key
// with no decisions in the history (a rule added since) fires on MinCount
// alone: a new rule that fires that often is news too.
func (b *Baseline) Judge(c Counts) bool {
	return c.Current >= b.MinCount && float64(c.Current) >= b.Factor*c.Mean()
}

// Counts turns per-window tallies into Counts. bucket numbers windows from
// span.Since: 0 .. Windows()-1 is the history, Windows() the current one;
// others are ignored.
func (b *Baseline) Counts(tallies map[string]map[int]int) []Counts {
	n := b.Windows()
	out := make([]Counts, 0, len(tallies))
	for key, byBucket := range tallies {
		c := Counts{Key: key, History: make([]int, n), Current: byBucket[n]}
		for i := range n {
			c.History[i] = byBucket[i]
		}
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Counts) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// Bucket returns the window number of t within span (see Counts), and
// false when t is outside it.
func (b *Baseline) Bucket(span BaselineSpan, t time.Time) (int, bool) {
	if t.Before(span.Since) || t.After(span.End) {
		return 0, false
	}
	return int(t.Sub(span.Since) / b.Window), true
}

// key returns the group of e when it is a decision the baseline counts,
// "" when it is not.
func (r *Rule) baselineKey(e *Event) string {
	if e.Source != record.SourceHook || !slices.Contains(r.Baseline.Decisions, e.Decision) {
		return ""
	}
	return r.group(e)
}

// Baselines returns the set's baseline rules.
func (s *Set) Baselines() []*Rule {
	var out []*Rule
	for _, r := range s.Rules {
		if r.Baseline != nil {
			out = append(out, r)
		}
	}
	return out
}

// BaselineAlert returns the alert rule r (a baseline rule) raises for c, a
// group that Judge says fires, in the window starting at span.Start.
// sample are that group's counted decisions in the current window, the
// ones the alert links (at most BaselineSample, any order; events that are
// not decisions the rule counts are ignored). It returns false when a
// suppression silences it or sample is empty.
func (r *Rule) BaselineAlert(span BaselineSpan, c Counts, sample []record.Event) (Alert, bool) {
	evs := flatten(sample)
	// The sample's group is the caller's word: a team is its session's,
	// named by telemetry events that are not in the sample.
	evs = slices.DeleteFunc(evs, func(e *Event) bool {
		return e.Source != record.SourceHook || !slices.Contains(r.Baseline.Decisions, e.Decision)
	})
	if len(evs) > BaselineSample {
		evs = evs[len(evs)-BaselineSample:]
	}
	if len(evs) == 0 || r.suppressed(evs) {
		return Alert{}, false
	}
	a := r.alert(evs)
	// Bounded as the store bounds alert fields: a group is agent-written.
	a.Group = record.Truncate(c.Key, 512)
	a.Title = fmt.Sprintf("%s: %s %s had %d decisions (%s) since %s, against a mean of %s per %s over the %s before",
		r.Title, r.GroupBy, record.Truncate(c.Key, 128), c.Current, strings.Join(r.Baseline.Decisions, ", "),
		span.Start.Format(time.RFC3339), strconv.FormatFloat(c.Mean(), 'f', 1, 64),
		spanText(r.Baseline.Window), spanText(r.Baseline.Period))
	// One firing per rule, key and window, whichever decisions it saw.
	h := sha256.New()
	h.Write([]byte(r.ID))
	h.Write([]byte{0})
	h.Write([]byte(c.Key))
	h.Write([]byte{0})
	h.Write([]byte(strconv.FormatInt(span.Start.UnixNano(), 10)))
	a.Fingerprint = hex.EncodeToString(h.Sum(nil)[:16])
	return a, true
}

// evalBaseline is the offline evaluation: it counts the given events.
// It raises nothing when the events do not reach back to the start of the
// history (no baseline to compare with), as the server does when its
// store does not.
func (r *Rule) evalBaseline(evs []*Event, events []record.Event, wm time.Time) []Alert {
	b := r.Baseline
	span := b.Span(wm)
	if len(evs) == 0 || evs[0].time.After(span.Since) {
		return nil
	}
	tallies := map[string]map[int]int{}
	keyOf := map[string]string{}
	for _, e := range evs {
		k := r.baselineKey(e)
		if k == "" {
			continue
		}
		keyOf[e.ID] = k
		i, ok := b.Bucket(span, e.time)
		if !ok {
			continue
		}
		if tallies[k] == nil {
			tallies[k] = map[int]int{}
		}
		tallies[k][i]++
	}
	var out []Alert
	for _, c := range b.Counts(tallies) {
		if !b.Judge(c) {
			continue
		}
		var sample []record.Event
		for i := range events {
			e := &events[i]
			if keyOf[e.ID] == c.Key && !e.Time.Before(span.Start) && !e.Time.After(span.End) {
				sample = append(sample, *e)
			}
		}
		if a, ok := r.BaselineAlert(span, c, sample); ok {
			out = append(out, a)
		}
	}
	return out
}

// spanText writes a duration as people say it: 7d, 24h, 1h30m.
func spanText(d time.Duration) string {
	if d >= 48*time.Hour && d%(24*time.Hour) == 0 {
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
