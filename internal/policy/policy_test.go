package policy

import (
	"fmt"
	"os"
	"testing"
)

// TestMain checks, before any test can trigger it, that loading the
// package did not build the baseline: the hook starts on every tool call
// and must not pay for it at init. (The CEL environment lives in
// internal/condition, whose TestMain checks the same.)
func TestMain(m *testing.M) {
	if baseline.p != nil {
		fmt.Fprintln(os.Stderr, "FAIL: the baseline was built during package initialisation")
		os.Exit(1)
	}
	os.Exit(m.Run())
}

func TestVerdict(t *testing.T) {
	for _, v := range []Verdict{None, Allow, Ask, Deny} {
		b, _ := v.MarshalText()
		var got Verdict
		if err := got.UnmarshalText(b); err != nil || got != v {
			t.Errorf("round trip %v = %v, %v", v, got, err)
		}
	}
	if Max(Ask, Deny) != Deny || Max(Allow, None) != Allow {
		t.Error("Max does not take the stronger verdict")
	}
}

func TestDate(t *testing.T) {
	d := mustDate(t, "2026-02-28")
	if got := d.End().Format("2006-01-02T15:04"); got != "2026-03-01T00:00" {
		t.Errorf("End() = %s", got)
	}
	if b, _ := d.MarshalJSON(); string(b) != `"2026-02-28"` {
		t.Errorf("MarshalJSON = %s", b)
	}
	var back Date
	if err := back.UnmarshalJSON([]byte(`"2026-02-28"`)); err != nil || !back.Equal(d.Time) {
		t.Errorf("UnmarshalJSON = %v, %v", back, err)
	}
	for _, bad := range []string{"2026-2-28", "2026-02-30", "28.02.2026", ""} {
		if _, err := ParseDate(bad); err == nil {
			t.Errorf("ParseDate(%q) succeeded", bad)
		}
	}
}
