package otlp

import (
	"bytes"
	"testing"

	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// BenchmarkDecodeLogs decodes each logs capture, and a 512-record batch
// (the OTel JS exporter's batch size) built from the protobuf capture's
// records, reporting records per second.
func BenchmarkDecodeLogs(b *testing.B) {
	var inputs []benchInput
	for _, f := range otlpFixtures(b) {
		if f.signal == "logs" {
			inputs = append(inputs, benchInput{f.name, f.contentType, f.body(b)})
			if f.contentType == ContentTypeProtobuf {
				inputs = append(inputs, batch512(b, f.body(b))...)
			}
		}
	}
	d := NewDecoder(Options{})
	for _, in := range inputs {
		b.Run(in.name, func(b *testing.B) {
			events, err := d.DecodeLogs(in.body, in.ct)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(in.body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := d.DecodeLogs(in.body, in.ct); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(events))*float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

type benchInput struct {
	name, ct string
	body     []byte
}

func batch512(tb testing.TB, pb []byte) []benchInput {
	tb.Helper()
	var data logspb.LogsData
	if err := proto.Unmarshal(pb, &data); err != nil {
		tb.Fatal(err)
	}
	sl := data.ResourceLogs[0].ScopeLogs[0]
	src := sl.LogRecords
	sl.LogRecords = nil
	for i := range 512 {
		sl.LogRecords = append(sl.LogRecords, src[i%len(src)])
	}
	enc := encodings(tb, &data)
	return []benchInput{
		{"batch512-protobuf", ContentTypeProtobuf, enc[ContentTypeProtobuf]},
		{"batch512-json", ContentTypeJSON, enc[ContentTypeJSON]},
	}
}

func BenchmarkDecodeMetrics(b *testing.B) {
	d := NewDecoder(Options{})
	for _, f := range otlpFixtures(b) {
		if f.signal != "metrics" {
			continue
		}
		body := f.body(b)
		b.Run(f.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := d.DecodeMetrics(body, f.contentType); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecodeLogs_WorstCase decodes the costliest body the default
// limits accept: one record with DefaultMaxMessages-4 empty attributes, 2
// bytes each on the wire. B/op is the memory one such request can cost.
func BenchmarkDecodeLogs_WorstCase(b *testing.B) {
	wrap := func(tag byte, inner []byte) []byte {
		return append(protowire.AppendVarint([]byte{tag}, uint64(len(inner))), inner...)
	}
	attrs := bytes.Repeat([]byte{0x32, 0x00}, DefaultMaxMessages-4) // LogRecord.attributes
	body := wrap(0x0a, wrap(0x12, wrap(0x12, attrs)))               // resource_logs, scope_logs, log_records
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeLogs(body, ContentTypeProtobuf); err != nil {
			b.Fatal(err)
		}
	}
}
