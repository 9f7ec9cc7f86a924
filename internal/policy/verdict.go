package policy

import "fmt"

// Verdict is a decision about one action. The zero value is None: the policy
// has no opinion and Claude Code's own permission flow decides.
type Verdict int

// Verdicts in increasing order of strength; combining takes the strongest.
const (
	None Verdict = iota
	Allow
	Ask
	Deny
)

var verdictNames = [...]string{None: "none", Allow: "allow", Ask: "ask", Deny: "deny"}

func (v Verdict) String() string {
	if v < None || v > Deny {
		return fmt.Sprintf("verdict(%d)", int(v))
	}
	return verdictNames[v]
}

// ParseVerdict reads "deny", "ask", "allow" or "none".
func ParseVerdict(s string) (Verdict, error) {
	for i, n := range verdictNames {
		if n == s {
			return Verdict(i), nil
		}
	}
	return None, fmt.Errorf("unknown decision %q (want deny, ask, allow or none)", s)
}

// Max returns the stronger of two verdicts (deny > ask > allow > none).
func Max(a, b Verdict) Verdict {
	if a > b {
		return a
	}
	return b
}

func (v Verdict) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

func (v *Verdict) UnmarshalText(b []byte) error {
	p, err := ParseVerdict(string(b))
	if err != nil {
		return err
	}
	*v = p
	return nil
}
