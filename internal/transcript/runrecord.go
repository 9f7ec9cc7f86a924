package transcript

import (
	"strings"

	"github.com/wardenhq/warden/internal/engine"
	"github.com/wardenhq/warden/internal/record"
)

// offlineGap opens the gaps of a record built from a transcript.
const offlineGap = "built offline from a Claude Code transcript: the client's own record stands in for its telemetry (counted as otlp_events); " +
	"Warden's decisions appear only where a refused call quotes its answer, and no server or hook audit was consulted"

// RunRecord builds the session's run record with record.BuildRunRecord,
// as the server does, from the transcript's events and a summary of what
// the transcript states (times, branch, cost, lines changed).
func (t *Transcript) RunRecord() record.RunRecord {
	sum := record.SessionSummary{
		SessionID: t.SessionID,
		Branch:    t.Branch,
		FirstTime: t.firstTime,
		LastTime:  t.lastTime,
		Rollup: record.Rollup{
			CostUSD:      t.CostUSD,
			Tokens:       t.Tokens,
			LinesAdded:   t.LinesAdded,
			LinesRemoved: t.LinesRemoved,
		},
	}
	for _, e := range t.Events {
		c := &sum.Counts
		c.Events++
		switch {
		case e.Source == record.SourceHook:
			c.HookEvents++
			switch e.Decision {
			case record.DecisionDeny:
				c.Denials++
			case record.DecisionAsk:
				c.Asks++
			}
		case e.Kind == "tool_decision":
			c.ToolDecisions++
			if e.Decision == "reject" {
				c.Rejections++
			}
		case e.Kind == "api_request":
			c.APIRequests++
		}
	}
	// Bash commands are analysed as the server analyses them.
	rr := record.BuildRunRecordWith(sum, t.Events, record.BuildOptions{Analyze: func(command, cwd string) record.CommandAnalysis {
		return record.CommandAnalysis(engine.Touches(command, firstNonEmpty(cwd, t.Cwd), ""))
	}})
	if rr.Workspace.Cwd == "" {
		rr.Workspace.Cwd = t.Cwd
	}
	gaps := []string{offlineGap}
	for _, g := range rr.Gaps {
		// The transcript is the client's account: models, cost and its
		// permission decisions are in it.
		if !strings.HasPrefix(g, "no telemetry from Claude Code") {
			gaps = append(gaps, g)
		}
	}
	rr.Gaps = gaps
	return rr
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
