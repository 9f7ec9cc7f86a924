package detect

import (
	"fmt"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/record"
)

// benchSession is a session of n events: hook decisions with their
// PostToolUse and Claude Code's tool_result and api_request records.
func benchSession(n int) []record.Event {
	evs := make([]record.Event, 0, n)
	for i := 0; len(evs) < n; i++ {
		at := time.Duration(i) * 5 * time.Second
		id := fmt.Sprintf("t%d", i)
		evs = append(evs,
			hookEvent(id+"-pre", "bench", at, record.AuditEventV1{Tool: "Bash", Command: "go test ./...", ToolUseID: id, Decision: "allow", Tier: "production-adjacent", Cwd: "/home/dev/app"}),
			hookEvent(id+"-post", "bench", at+time.Second, record.AuditEventV1{HookEvent: "PostToolUse", Tool: "Bash", ToolUseID: id}),
			record.Event{ID: id + "-res", Source: record.SourceOTLP, Kind: "tool_result", SessionID: "bench", Time: testBase.Add(at + time.Second),
				Attrs: map[string]any{"tool_use_id": id, "tool_name": "Bash", "success": true}},
			record.Event{ID: id + "-api", Source: record.SourceOTLP, Kind: "api_request", SessionID: "bench", Time: testBase.Add(at + 2*time.Second),
				Attrs: map[string]any{"cost_usd": 0.01, "model": "m"}})
	}
	return evs[:n]
}

// BenchmarkEvaluate measures the built-in pack over one session, per
// event.
func BenchmarkEvaluate(b *testing.B) {
	set, err := Builtin()
	if err != nil {
		b.Fatal(err)
	}
	evs := benchSession(4096)
	b.ResetTimer()
	for b.Loop() {
		set.Evaluate(evs, Options{})
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(evs)), "ns/event")
}
