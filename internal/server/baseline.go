package server

import (
	"context"

	"github.com/wardenhq/warden/internal/detect"
	"github.com/wardenhq/warden/internal/store"
)

// baselineEvalEvery is how many detection intervals pass between
// evaluations of the baseline rules: they compare a day with a week, so a
// minute late costs nothing, and each reads an index range of the store.
const baselineEvalEvery = 60

// evaluateBaselines runs the baseline rules: per rule, the store counts
// the decisions of each group (policy rule, repository or team) per window
// over the rule's period and the current window, and the rule judges them. Nothing fires while the
// store's oldest hook decision is younger than the period's start (no
// history to compare with). One window fires at most once per policy rule
// (the fingerprint is the window), so evaluating again, on this replica or
// another, records nothing new.
func (d *detector) evaluateBaselines(ctx context.Context) {
	set := d.rules.Load()
	if set == nil {
		return
	}
	wm := d.s.now().Add(-d.lateness)
	for _, r := range set.Baselines() {
		if ctx.Err() != nil {
			return
		}
		b := r.Baseline
		span := b.Span(wm)
		f := store.DecisionFilter{Since: span.Since, Until: span.End, Decisions: b.Decisions, By: r.GroupBy, Bucket: b.Window}
		got, err := d.s.store.DecisionCounts(ctx, f)
		if err != nil {
			d.m.errors.WithLabelValues("read").Inc()
			d.log.Warn("detection: cannot count decisions for a baseline rule", "rule", r.ID, LogKeyError, err)
			continue
		}
		d.m.evals.Inc()
		if got.Oldest.IsZero() || got.Oldest.After(span.Since) {
			continue
		}
		tallies := map[string]map[int]int{}
		for _, c := range got.Counts {
			if tallies[c.Key] == nil {
				tallies[c.Key] = map[int]int{}
			}
			tallies[c.Key][c.Bucket] += c.Count
		}
		var alerts []detect.Alert
		for _, c := range b.Counts(tallies) {
			if !b.Judge(c) {
				continue
			}
			sf := f
			sf.Since, sf.Key, sf.Limit = span.Start, c.Key, detect.BaselineSample
			sample, err := d.s.store.DecisionSample(ctx, sf)
			if err != nil {
				d.m.errors.WithLabelValues("read").Inc()
				d.log.Warn("detection: cannot read a baseline rule's decisions", "rule", r.ID, "group", c.Key, LogKeyError, err)
				continue
			}
			if a, ok := r.BaselineAlert(span, c, sample); ok {
				alerts = append(alerts, a)
			}
		}
		d.record(ctx, alerts)
	}
}
