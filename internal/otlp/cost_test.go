package otlp

import (
	"bytes"
	"encoding/json"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// allocated returns the bytes f allocates, the collector off: an upper
// bound of what it holds at once.
func allocated(f func()) uint64 {
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// costBodies are bodies that cost the most per byte or per message, and
// Claude Code's captures.
func costBodies(tb testing.TB) map[string]struct {
	ct   string
	body []byte
	logs bool
} {
	wrap := func(tag byte, inner []byte) []byte {
		return append(protowire.AppendVarint([]byte{tag}, uint64(len(inner))), inner...)
	}
	attrs := bytes.Repeat([]byte{0x32, 0x00}, DefaultMaxMessages-4)
	manyPB := wrap(0x0a, wrap(0x12, wrap(0x12, attrs)))
	big := claudeLogs(claudeRecord("tool_result", 1, kv("error", strings.Repeat("a", 8<<20))))
	bigPB, err := proto.Marshal(big)
	if err != nil {
		tb.Fatal(err)
	}
	manyJSON := []byte(`{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"attributes":[` +
		strings.TrimSuffix(strings.Repeat(`{"key":"k","value":{}},`, 80000), ",") + `]}]}]}]}`)
	bigJSON := []byte(`{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"` + strings.Repeat("a", 8<<20) + `"}}]}]}]}`)
	out := map[string]struct {
		ct   string
		body []byte
		logs bool
	}{
		"ManyMessagesProtobuf": {ContentTypeProtobuf, manyPB, true},
		"BigStringProtobuf":    {ContentTypeProtobuf, bigPB, true},
		"ManyMessagesJSON":     {ContentTypeJSON, manyJSON, true},
		"BigStringJSON":        {ContentTypeJSON, bigJSON, true},
	}
	for _, f := range otlpFixtures(tb) {
		out[f.name] = struct {
			ct   string
			body []byte
			logs bool
		}{f.contentType, f.body(tb), f.signal == "logs"}
	}
	return out
}

// TestDecodeCost: decoding a body and encoding its records as a store
// does allocates no more than DecodeBytesPerByte per byte and
// DecodeBytesPerMessage per message, what the receivers reserve from the
// memory budget before they decode.
func TestDecodeCost(t *testing.T) {
	for name, c := range costBodies(t) {
		t.Run(name, func(t *testing.T) {
			var messages int
			charge := func(n int) error { messages = n; return nil }
			d := NewDecoder(Options{MaxRecordBytes: 1 << 20})
			var keep any
			run := func() {
				if c.logs {
					events, err := d.decodeLogs(c.body, c.ct, nil, charge)
					if err != nil {
						t.Fatal(err)
					}
					for i := range events {
						b, _ := json.Marshal(&events[i])
						events[i].Encoded = b
					}
					keep = events
				} else {
					points, err := d.decodeMetrics(c.body, c.ct, nil, charge)
					if err != nil {
						t.Fatal(err)
					}
					for i := range points {
						json.Marshal(points[i].Attrs)
					}
					keep = points
				}
			}
			run() // once first, so that what is set up on first use is not counted
			got := allocated(run)
			runtime.KeepAlive(keep)
			limit := uint64(DecodeBytesPerByte*len(c.body) + DecodeBytesPerMessage*messages)
			t.Logf("%d bytes, %d messages: %d bytes allocated, %.2f of the reservation", len(c.body), messages, got, float64(got)/float64(limit))
			if got > limit {
				t.Errorf("allocated %d bytes, more than the %d reserved", got, limit)
			}
		})
	}
}
