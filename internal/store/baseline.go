package store

import (
	"context"
	"time"

	"github.com/wardenhq/warden/internal/record"
)

// MaxDecisionSample bounds DecisionFilter.Limit for DecisionSample.
const MaxDecisionSample = 100

// Decisions is the part of a store that counts Warden's decisions over
// time per policy rule, repository or team: the input of detection's
// baseline rules, read from the hook-decision index rather than from a
// week of session events.
type Decisions interface {
	// DecisionCounts counts the hook audit events in [f.Since, f.Until]
	// whose decision is one of f.Decisions, per f.By value (events whose
	// value is empty are not counted) and per f.Bucket-long window counted
	// from f.Since (window i holds times in [Since+i×Bucket,
	// Since+(i+1)×Bucket)). Oldest is the time of the oldest hook audit
	// event stored at all (zero when there is none): how far back the
	// counts can be trusted.
	DecisionCounts(ctx context.Context, f DecisionFilter) (*DecisionCounts, error)
	// DecisionSample returns up to f.Limit (1..MaxDecisionSample) of the
	// counted hook audit events whose f.By value is f.Key in [f.Since,
	// f.Until], the most recent first.
	DecisionSample(ctx context.Context, f DecisionFilter) ([]record.Event, error)
}

// What decisions are counted by: the event's policy rule, or its
// session's repository or team (as session summaries have them).
const (
	ByRule       = "rule"
	ByRepository = "repository"
	ByTeam       = "team"
)

// DecisionFilter selects the hook decisions DecisionCounts and
// DecisionSample read.
type DecisionFilter struct {
	Since, Until time.Time
	Decisions    []string
	// By is ByRule, ByRepository or ByTeam.
	By     string
	Bucket time.Duration
	// Key is the By value DecisionSample reads.
	Key   string
	Limit int
}

// DecisionCounts is DecisionCounts' answer.
type DecisionCounts struct {
	Oldest time.Time
	Counts []DecisionCount
}

// DecisionCount is one By value's decisions in one window.
type DecisionCount struct {
	Key    string
	Bucket int
	Count  int
}

// ValidateDecisionFilter checks a filter for DecisionCounts (sample false)
// or DecisionSample (sample true).
func ValidateDecisionFilter(f DecisionFilter, sample bool) error {
	switch {
	case f.Since.IsZero() || f.Until.Before(f.Since):
		return Errorf(EInvalid, "decision filter: want since <= until")
	case len(f.Decisions) == 0:
		return Errorf(EInvalid, "decision filter: no decisions to count")
	case f.By != ByRule && f.By != ByRepository && f.By != ByTeam:
		return Errorf(EInvalid, "decision filter: cannot count by %q (want rule, repository or team)", f.By)
	case !sample && f.Bucket <= 0:
		return Errorf(EInvalid, "decision filter: bucket must be positive")
	case sample && (f.Key == "" || f.Limit < 1 || f.Limit > MaxDecisionSample):
		return Errorf(EInvalid, "decision sample: want a key and a limit in 1..%d", MaxDecisionSample)
	}
	for _, d := range f.Decisions {
		if len(d) > 16 {
			return Errorf(EInvalid, "decision filter: decision %q too long", d)
		}
	}
	return nil
}
