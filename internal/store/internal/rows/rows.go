// Package rows turns records into the rows both SQL stores write and back:
// validation and JSON encoding, in-batch de-duplication, the per-session
// aggregates a batch adds, list cursors and migration files. It is shared
// by store/sqlite and store/postgres so that the two agree by construction;
// it knows no SQL dialect and opens no database.
package rows

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
)

// Event is an event as a row: its indexed columns and its JSON body.
type Event struct {
	ID        string
	Source    string
	Kind      string
	TimeNS    int64
	Seq       int64 // OTLP event.sequence, 0 when absent
	SessionID string
	UserID    string
	PromptID  string
	Tool      string
	Decision  string
	// RuleID is the hook audit's rule, "" for OTLP events.
	RuleID string
	Body   []byte
	// Link is the event's place in its device's signing chain, stored in
	// audit_chain beside it (nil for events without one).
	Link *record.ChainLink

	// Not columns: what the event adds to its session's summary.
	host, repository, branch, tier, team string
	failure                              bool
	// retry: an api_error of an attempt after the first (RollRetry).
	retry bool
}

// Events validates and encodes a batch, dropping repeated IDs (the first
// stands), sorted by ID so that concurrent batches take row locks in one
// order.
func Events(events []record.Event) ([]Event, error) {
	out := make([]Event, 0, len(events))
	seen := make(map[string]struct{}, len(events))
	for i := range events {
		e := &events[i]
		if _, dup := seen[e.ID]; dup {
			continue
		}
		if e.Time.Location() != time.UTC {
			c := *e
			c.Time, c.Encoded = c.Time.UTC(), nil
			e = &c
		}
		body := e.Encoded
		if body == nil {
			var err error
			if body, err = store.MarshalEvent(e); err != nil {
				return nil, fmt.Errorf("event %d: %w", i, err)
			}
		}
		seen[e.ID] = struct{}{}
		r := Event{
			ID: e.ID, Source: e.Source, Kind: e.Kind, TimeNS: e.Time.UnixNano(), Seq: sequence(e.Attrs),
			SessionID: e.SessionID, UserID: e.UserID, PromptID: e.PromptID, Tool: e.Tool,
			Decision: e.Decision, Body: body, Link: e.Verification.Link(e.ID),
		}
		if a := e.Audit; a != nil {
			r.host, r.repository, r.branch, r.tier = a.Host, a.Repository, a.Branch, a.Tier
			r.RuleID = a.RuleID
			r.failure = a.Failure != ""
		}
		r.team = Team(e.Resource)
		r.retry = e.Kind == "api_error" && Retry(e.Attrs)
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b Event) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// Team returns the team a resource names, "" when none (record.Team).
func Team(resource map[string]any) string { return record.Team(resource) }

// sequence reads Claude Code's event.sequence attribute, whatever type the
// decoder gave it.
func sequence(attrs map[string]any) int64 {
	switch v := attrs["event.sequence"].(type) {
	case int64:
		return v
	case int:
		return int64(v)
	case float64:
		if v > -9.2e18 && v < 9.2e18 { // inside int64, NaN excluded
			return int64(v)
		}
	case json.Number:
		n, _ := v.Int64()
		return n
	case string:
		n, _ := strconv.ParseInt(v, 10, 64)
		return n
	}
	return 0
}

// DecodeEvent decodes a stored event body. Attribute numbers come back as
// float64, as encoding/json gives them.
func DecodeEvent(body []byte) (record.Event, error) {
	var e record.Event
	if err := json.Unmarshal(body, &e); err != nil {
		return e, fmt.Errorf("decode stored event: %w", err)
	}
	return e, nil
}

// Metric is a metric point as a row.
type Metric struct {
	ID        string
	Name      string
	Unit      string
	SessionID string
	UserID    string
	// Kind is record.RollupKind of the point, "" when no rollup counts it.
	Kind    string
	Attrs   []byte // JSON object
	Value   float64
	StartNS *int64 // nil for a zero Start
	TimeNS  int64

	// Not a column: the model attribute, which the per-model rollups
	// count by ("" when absent).
	model string
}

// Metrics is Events for metric points.
func Metrics(points []record.MetricPoint) ([]Metric, error) {
	out := make([]Metric, 0, len(points))
	seen := make(map[string]struct{}, len(points))
	for i := range points {
		p := &points[i]
		if _, dup := seen[p.ID]; dup {
			continue
		}
		attrs, err := store.MarshalMetricAttrs(p)
		if err != nil {
			return nil, fmt.Errorf("metric point %d: %w", i, err)
		}
		seen[p.ID] = struct{}{}
		m := Metric{
			ID: p.ID, Name: p.Name, Unit: p.Unit, SessionID: p.SessionID, UserID: p.UserID,
			Kind: record.RollupKind(*p), Attrs: attrs, Value: p.Value, TimeNS: p.Time.UnixNano(),
			model: p.Attrs["model"],
		}
		if !p.Start.IsZero() {
			ns := p.Start.UnixNano()
			m.StartNS = &ns
		}
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b Metric) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// DecodeMetric rebuilds a metric point from its row.
func DecodeMetric(m Metric) (record.MetricPoint, error) {
	p := record.MetricPoint{
		ID: m.ID, Name: m.Name, Unit: m.Unit, SessionID: m.SessionID, UserID: m.UserID,
		Value: m.Value, Time: Time(m.TimeNS),
	}
	if m.StartNS != nil {
		p.Start = Time(*m.StartNS)
	}
	if len(m.Attrs) > 0 && string(m.Attrs) != "null" {
		if err := json.Unmarshal(m.Attrs, &p.Attrs); err != nil {
			return p, fmt.Errorf("decode stored metric attributes: %w", err)
		}
	}
	return p, nil
}

// Time converts stored Unix nanoseconds to a UTC time.
func Time(ns int64) time.Time { return time.Unix(0, ns).UTC() }

// Session is what a batch adds to one session's summary row: counts to
// add, times to widen the range with, and identity fields to fill when the
// row has none yet.
type Session struct {
	SessionID                        string
	UserID, Host, Repository, Branch string
	Tier, Team                       string
	FirstNS, LastNS                  int64
	// LaterFirstNS is the first time that may move the start of a session
	// already stored (the upsert's update): that of the batch's events but
	// SessionStart hook events, math.MaxInt64 when there are none. A
	// SessionStart that arrives after a session's first event does not
	// move its start (evidence is append-only; the run record marks it as
	// a conflict). FirstNS, for a new row, leaves out the SessionStarts
	// after the batch's first event of the session, which arrive after it.
	LaterFirstNS int64
	Counts       record.SessionCounts
}

// SessionsOfEvents aggregates the inserted events of a batch per session,
// sorted by session ID. Events without a session add to none.
func SessionsOfEvents(inserted []Event) []Session {
	agg := map[string]*Session{}
	for i := range inserted {
		e := &inserted[i]
		if e.SessionID == "" {
			continue
		}
		s, first := agg[e.SessionID], agg[e.SessionID] == nil
		if start := e.Source == record.SourceHook && e.Kind == "SessionStart"; !start || first {
			s = sessionOf(agg, e.SessionID, e.TimeNS)
			if !start {
				s.LaterFirstNS = min(s.LaterFirstNS, e.TimeNS)
			}
		} else {
			s.LastNS = max(s.LastNS, e.TimeNS)
		}
		fill(&s.UserID, e.UserID)
		fill(&s.Host, e.host)
		fill(&s.Repository, e.repository)
		fill(&s.Branch, e.branch)
		fill(&s.Tier, e.tier)
		fill(&s.Team, e.team)
		c := &s.Counts
		c.Events++
		switch e.Source {
		case record.SourceHook:
			c.HookEvents++
			switch e.Decision {
			case record.DecisionDeny:
				c.Denials++
			case record.DecisionAsk:
				c.Asks++
			}
			if e.failure {
				c.Failures++
			}
		case record.SourceOTLP:
			switch e.Kind {
			case "tool_decision":
				c.ToolDecisions++
				if e.Decision == "reject" {
					c.Rejections++
				}
			case "api_request":
				c.APIRequests++
			case "api_error":
				c.APIErrors++
			}
		}
	}
	return sorted(agg)
}

// SessionsOfMetrics aggregates inserted metric points per session: they
// widen its time range and may name its user, but count no events.
func SessionsOfMetrics(inserted []Metric) []Session {
	agg := map[string]*Session{}
	for i := range inserted {
		m := &inserted[i]
		if m.SessionID == "" {
			continue
		}
		s := sessionOf(agg, m.SessionID, m.TimeNS)
		s.LaterFirstNS = min(s.LaterFirstNS, m.TimeNS)
		fill(&s.UserID, m.UserID)
	}
	return sorted(agg)
}

func sessionOf(agg map[string]*Session, id string, ns int64) *Session {
	s := agg[id]
	if s == nil {
		s = &Session{SessionID: id, FirstNS: ns, LastNS: ns, LaterFirstNS: math.MaxInt64}
		agg[id] = s
	}
	s.FirstNS = min(s.FirstNS, ns)
	s.LastNS = max(s.LastNS, ns)
	return s
}

func fill(dst *string, v string) {
	if *dst == "" {
		*dst = v
	}
}

func sorted(agg map[string]*Session) []Session {
	out := make([]Session, 0, len(agg))
	for _, s := range agg {
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b Session) int { return cmp.Compare(a.SessionID, b.SessionID) })
	return out
}

// HasLinks reports whether any event of batch has a chain link.
func HasLinks(batch []Event) bool {
	for _, e := range batch {
		if e.Link != nil {
			return true
		}
	}
	return false
}
