package detect

import (
	"testing"
)

// TestBuiltin runs every built-in rule's tests, and requires each rule to
// have at least one firing and one quiet test.
func TestBuiltin(t *testing.T) {
	set, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range set.Rules {
		fires, quiet := false, false
		for _, tc := range r.Tests {
			fires = fires || tc.Want > 0
			quiet = quiet || tc.Want == 0
		}
		if !fires || !quiet {
			t.Errorf("rule %s (%s:%d): want at least one firing and one quiet test, have firing=%v quiet=%v", r.ID, r.File, r.Line, fires, quiet)
		}
	}
	for _, res := range set.RunTests() {
		if !res.Pass {
			t.Errorf("%s: %s / %s: want %d alerts (events %v), got %d (events %v)", res.Pos, res.Rule, res.Name, res.Want, res.WantEvents, res.Got, res.GotEvents)
		}
	}
}
