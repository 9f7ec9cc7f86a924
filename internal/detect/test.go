package detect

import (
	"fmt"
	"slices"
)

// TestResult is the outcome of one rule test.
type TestResult struct {
	Rule string `json:"rule"`
	Name string `json:"name"`
	// Pos is the test's place: file:line.
	Pos  string `json:"pos"`
	Want int    `json:"want"`
	Got  int    `json:"got"`
	// WantEvents and GotEvents are the first alert's matched events,
	// when the test names them.
	WantEvents []string `json:"want_events,omitempty"`
	GotEvents  []string `json:"got_events,omitempty"`
	Pass       bool     `json:"pass"`
	// Alerts are the alerts the rule raised.
	Alerts []Alert `json:"alerts"`
}

// RunTests runs every rule's tests: each test's events are evaluated
// against its rule alone, and the number of alerts (and, when the test
// names them, the first alert's events) compared with what it expects.
func (s *Set) RunTests() []TestResult {
	var out []TestResult
	for _, r := range s.Rules {
		for _, t := range r.Tests {
			alerts := s.Evaluate(t.Events, Options{Rule: r.ID, Watermark: t.Watermark})
			res := TestResult{Rule: r.ID, Name: t.Name, Pos: fmt.Sprintf("%s:%d", r.File, t.Line),
				Want: t.Want, Got: len(alerts), WantEvents: t.WantEvents, Alerts: alerts}
			res.Pass = res.Got == res.Want
			if len(t.WantEvents) > 0 {
				if len(alerts) > 0 {
					res.GotEvents = alerts[0].EventIDs
				}
				res.Pass = res.Pass && slices.Equal(res.GotEvents, t.WantEvents)
			}
			out = append(out, res)
		}
	}
	return out
}
