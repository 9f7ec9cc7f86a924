package detect

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"time"

	"github.com/wardenhq/warden/internal/record"
)

// Options tune one evaluation.
type Options struct {
	// Watermark is how far event time is known to have progressed: an
	// absence rule's trigger whose window ends after it is still pending
	// and raises nothing yet. Zero means the latest event's time, which is
	// what offline tests want; the server passes its clock minus the
	// lateness it allows telemetry.
	Watermark time.Time
	// Rule, when set, evaluates that rule alone.
	Rule string
	// GroupBy, when set, evaluates only the rules grouped by it (the
	// server evaluates session rules per session and the others per
	// group).
	GroupBy string
}

// Evaluate runs the set's rules over events (from one or more sessions, in
// any order) and returns the alerts they raise, ordered by last event time
// then rule. It is a pure function of its arguments: evaluating the same
// events again gives the same alerts with the same fingerprints.
func (s *Set) Evaluate(events []record.Event, o Options) []Alert {
	evs := flatten(events)
	if o.Watermark.IsZero() {
		for _, e := range evs {
			if e.time.After(o.Watermark) {
				o.Watermark = e.time
			}
		}
	}
	var out []Alert
	for _, r := range s.Rules {
		if o.Rule != "" && r.ID != o.Rule || o.GroupBy != "" && r.GroupBy != o.GroupBy {
			continue
		}
		var raw [][]*Event
		switch r.Kind {
		case "match":
			raw = r.evalMatch(evs)
		case "sequence":
			raw = r.evalSequence(evs)
		case "threshold":
			raw = r.evalThreshold(evs)
		case "absence":
			raw = r.evalAbsence(evs, o.Watermark)
		case "baseline":
			out = append(out, r.evalBaseline(evs, events, o.Watermark)...)
			continue
		}
		for _, m := range raw {
			if r.suppressed(m) {
				continue
			}
			out = append(out, r.alert(m))
		}
	}
	slices.SortStableFunc(out, func(a, b Alert) int {
		if c := a.Last.Compare(b.Last); c != 0 {
			return c
		}
		if a.Rule != b.Rule {
			if a.Rule < b.Rule {
				return -1
			}
			return 1
		}
		return 0
	})
	return out
}

// group returns the value the rule groups e by, "" when e has none (and
// so cannot take part).
func (r *Rule) group(e *Event) string {
	switch r.GroupBy {
	case "user":
		return e.User
	case "device":
		return e.Device
	case "repository":
		return e.Repository
	case GroupRule:
		return e.RuleID
	case GroupTeam:
		return e.Team
	}
	return e.Session
}

func (r *Rule) evalMatch(evs []*Event) [][]*Event {
	var out [][]*Event
	for _, e := range evs {
		if r.group(e) != "" && r.Match.prg.test(e, nil) {
			out = append(out, []*Event{e})
		}
	}
	return out
}

type partial struct {
	step   int
	vars   map[string]string
	events []*Event
	start  time.Time
}

// bind evaluates a step's bindings into a copy of vars; ok is false when
// one fails (the step then does not match).
func (st *Step) bindVars(e *Event, vars map[string]string) (map[string]string, bool) {
	if len(st.bind) == 0 {
		return vars, true
	}
	out := make(map[string]string, len(vars)+len(st.bind))
	for k, v := range vars {
		out[k] = v
	}
	for _, b := range st.bind {
		v, ok := b.prg.str(e, vars)
		if !ok || v == "" {
			return nil, false
		}
		out[b.name] = v
	}
	return out, true
}

func (r *Rule) evalSequence(evs []*Event) [][]*Event {
	seq := r.Sequence
	last := len(seq.Steps) - 1
	groups := map[string][]*partial{}
	var out [][]*Event
	for _, e := range evs {
		g := r.group(e)
		if g == "" {
			continue
		}
		ps := groups[g]
		// Expire partial matches that can no longer finish in time.
		live := ps[:0]
		for _, p := range ps {
			if e.time.Sub(p.start) <= seq.Within {
				live = append(live, p)
			}
		}
		ps = live
		completed := false
		keep := ps[:0]
		for _, p := range ps {
			st := &seq.Steps[p.step]
			if !st.prg.test(e, p.vars) {
				keep = append(keep, p)
				continue
			}
			vars, ok := st.bindVars(e, p.vars)
			if !ok {
				keep = append(keep, p)
				continue
			}
			if p.step == last {
				// One alert per completing event: the oldest partial
				// match it completes; the others it also completes go.
				if !completed {
					out = append(out, append(slices.Clone(p.events), e))
					completed = true
				}
				continue
			}
			p.step++
			p.vars = vars
			p.events = append(p.events, e)
			keep = append(keep, p)
		}
		ps = keep
		if st := &seq.Steps[0]; st.prg.test(e, nil) {
			if vars, ok := st.bindVars(e, nil); ok {
				ps = append(ps, &partial{step: 1, vars: vars, events: []*Event{e}, start: e.time})
				if len(ps) > MaxPartials {
					ps = ps[len(ps)-MaxPartials:]
				}
			}
		}
		groups[g] = ps
	}
	return out
}

type windowItem struct {
	e   *Event
	key string
	num float64
}

func (r *Rule) evalThreshold(evs []*Event) [][]*Event {
	t := r.Threshold
	groups := map[string][]windowItem{}
	var out [][]*Event
	for _, e := range evs {
		g := r.group(e)
		if g == "" || !t.prg.test(e, nil) {
			continue
		}
		it := windowItem{e: e}
		if t.distinct != nil {
			v, ok := t.distinct.str(e, nil)
			if !ok || v == "" {
				continue
			}
			it.key = v
		}
		if t.sum != nil {
			v, ok := t.sum.num(e)
			if !ok {
				continue
			}
			it.num = v
		}
		w := append(groups[g], it)
		i := 0
		for i < len(w) && e.time.Sub(w[i].e.time) > t.Window {
			i++
		}
		w = w[i:]
		if t.fires(w) {
			m := make([]*Event, len(w))
			for j := range w {
				m[j] = w[j].e
			}
			out = append(out, m)
			w = nil
		}
		groups[g] = w
	}
	return out
}

func (t *Threshold) fires(w []windowItem) bool {
	switch {
	case t.sum != nil:
		var s float64
		for _, it := range w {
			s += it.num
		}
		return s >= t.AtLeast
	case t.distinct != nil:
		seen := map[string]bool{}
		for _, it := range w {
			seen[it.key] = true
		}
		return len(seen) >= t.Count
	}
	return len(w) >= t.Count
}

func (r *Rule) evalAbsence(evs []*Event, watermark time.Time) [][]*Event {
	a := r.Absence
	key := func(e *Event) (string, bool) {
		k := r.group(e)
		if k == "" {
			return "", false
		}
		for _, f := range a.Join {
			v := e.field(f)
			if v == "" {
				return "", false
			}
			k += "\x00" + v
		}
		return k, true
	}
	expected := map[string][]time.Time{}
	for _, e := range evs {
		if a.expect.test(e, nil) {
			if k, ok := key(e); ok {
				expected[k] = append(expected[k], e.time)
			}
		}
	}
	var out [][]*Event
	for _, e := range evs {
		if !a.trigger.test(e, nil) {
			continue
		}
		k, ok := key(e)
		if !ok || watermark.Before(e.time.Add(a.Within)) {
			continue
		}
		found := false
		for _, t := range expected[k] {
			if d := t.Sub(e.time); d >= -a.Within && d <= a.Within {
				found = true
				break
			}
		}
		if !found {
			out = append(out, []*Event{e})
		}
	}
	return out
}

func (r *Rule) suppressed(m []*Event) bool {
	last := m[len(m)-1].time
	for _, s := range r.Suppress {
		if !last.Before(s.Expires) {
			continue
		}
		for _, e := range m {
			if s.prg.test(e, nil) {
				return true
			}
		}
	}
	return false
}

func (r *Rule) alert(m []*Event) Alert {
	last := m[len(m)-1]
	a := Alert{Rule: r.ID, Title: r.Title, Severity: r.Severity, GroupBy: r.GroupBy, Group: r.group(last),
		SessionID: last.Session, UserID: last.User, Device: last.Device, Repository: last.Repository,
		First: m[0].time, Last: last.time, Response: r.Response}
	for _, e := range m {
		if e.MCPServer != "" {
			a.MCPServer = e.MCPServer
		}
	}
	seen := map[string]bool{}
	for _, e := range m {
		for _, id := range e.linked {
			if !seen[id] {
				seen[id] = true
				a.EventIDs = append(a.EventIDs, id)
			}
		}
	}
	h := sha256.New()
	h.Write([]byte(r.ID))
	for _, id := range a.EventIDs {
		h.Write([]byte{0})
		h.Write([]byte(id))
	}
	a.Fingerprint = hex.EncodeToString(h.Sum(nil)[:16])
	return a
}

// MaxWindow is the longest span any rule of the set looks back over: how
// far before a session's new events the server must look for events of
// the same group.
func (s *Set) MaxWindow() time.Duration {
	var w time.Duration
	for _, r := range s.Rules {
		switch {
		case r.Sequence != nil:
			w = max(w, r.Sequence.Within)
		case r.Threshold != nil:
			w = max(w, r.Threshold.Window)
		case r.Absence != nil:
			w = max(w, r.Absence.Within)
		}
	}
	return w
}

// MaxAbsence is the longest window of the set's absence rules, 0 without
// any.
func (s *Set) MaxAbsence() time.Duration {
	var w time.Duration
	for _, r := range s.Rules {
		if r.Absence != nil {
			w = max(w, r.Absence.Within)
		}
	}
	return w
}

// HasGroupRules reports whether any rule other than a baseline groups by
// user, device or repository (baseline rules are evaluated apart).
func (s *Set) HasGroupRules() bool {
	for _, r := range s.Rules {
		if r.GroupBy != "session" && r.Baseline == nil {
			return true
		}
	}
	return false
}

// SessionContext returns the user, device and repository of a session's
// events, by group-by key, as rules see them.
func SessionContext(events []record.Event) map[string]string {
	c := contextOf(events)
	return map[string]string{"user": c.user, "device": c.device, "repository": c.repository}
}
