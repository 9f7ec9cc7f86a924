package engine

// Decision is a verdict.
type Decision struct{ Verdict int }

// Decide decides.
func Decide() Decision {
	return Decision{}
}
