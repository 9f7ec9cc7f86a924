package rows

import "github.com/wardenhq/warden/internal/store"

// DecisionKey returns the column DecisionCounts groups by for by
// (store.ByRule, ByRepository, ByTeam), and the join that column needs:
// a hook event's rule is its own, its repository and team its session's,
// as the session summaries hold them. by must have been validated.
func DecisionKey(by string) (column, join string) {
	const sessions = " JOIN sessions s ON s.session_id = e.session_id"
	switch by {
	case store.ByRepository:
		return "s.repository", sessions
	case store.ByTeam:
		return "s.team", sessions
	}
	return "e.rule_id", ""
}
