package storetest

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
)

// BenchBatch is the batch size of BenchmarkAppendEvents: about what one
// OTLP export of a busy server's replica carries.
const BenchBatch = 500

// benchEvent is a tool_result log record as Claude Code sends it, about
// 900 bytes as JSON.
func benchEvent(n int64) record.Event {
	session := fmt.Sprintf("bench-session-%03d", n%64)
	at := T0.Add(time.Duration(n) * time.Millisecond)
	return record.Event{
		ID: fmt.Sprintf("bench-%012d", n), Source: record.SourceOTLP, Kind: "tool_result", Time: at,
		SessionID: session, UserID: strings.Repeat("ab", 32), PromptID: fmt.Sprintf("prompt-%d", n/20),
		Tool: "Bash",
		Attrs: map[string]any{
			"user.id": strings.Repeat("ab", 32), "session.id": session, "terminal.type": "tmux",
			"anthropic.provider": "firstParty", "event.timestamp": at.Format(time.RFC3339Nano),
			"event.sequence": float64(n), "prompt.id": fmt.Sprintf("prompt-%d", n/20),
			"tool_name": "Bash", "tool_use_id": fmt.Sprintf("toolu_%016d", n), "success": true,
			"duration_ms": 1234.0, "tool_input_size_bytes": 88.0, "tool_result_size_bytes": 4096.0,
		},
		Resource: map[string]any{
			"service.name": "claude-code", "service.version": "2.1.330", "os.type": "linux",
			"os.version": "6.1.0", "host.arch": "amd64",
		},
	}
}

// BenchmarkAppendEvents measures AppendEvents with batches of BenchBatch
// new events over 64 sessions, reporting events/s. Serial is one client;
// Parallel is GOMAXPROCS*4 clients appending at once, as replicas and
// hooks do.
func BenchmarkAppendEvents(b *testing.B, newStore func(b *testing.B) store.Store) {
	var seq atomic.Int64
	batch := func() []record.Event {
		events := make([]record.Event, BenchBatch)
		for i := range events {
			events[i] = benchEvent(seq.Add(1))
		}
		return events
	}
	b.Run("Serial", func(b *testing.B) {
		s := newStore(b)
		ctx := context.Background()
		b.ResetTimer()
		for range b.N {
			b.StopTimer()
			events := batch()
			b.StartTimer()
			if n, err := s.AppendEvents(ctx, events); err != nil || n != BenchBatch {
				b.Fatalf("AppendEvents: %d, %v", n, err)
			}
		}
		b.ReportMetric(float64(b.N*BenchBatch)/b.Elapsed().Seconds(), "events/s")
	})
	b.Run("Parallel", func(b *testing.B) {
		s := newStore(b)
		ctx := context.Background()
		b.SetParallelism(4)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				// Building the batch is counted here: RunParallel has no
				// per-goroutine timer. It is a small part (see Serial).
				if n, err := s.AppendEvents(ctx, batch()); err != nil || n != BenchBatch {
					b.Errorf("AppendEvents: %d, %v", n, err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N*BenchBatch)/b.Elapsed().Seconds(), "events/s")
	})
}
