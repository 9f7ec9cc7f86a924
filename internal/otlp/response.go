package otlp

import (
	"strconv"

	"google.golang.org/protobuf/encoding/protowire"
)

// Signal names the kind of telemetry a request carries.
type Signal string

// The signals Warden receives.
const (
	SignalLogs    Signal = "logs"
	SignalMetrics Signal = "metrics"
)

// maxReasonBytes bounds the error message of a partial success.
const maxReasonBytes = 512

// partialSuccess is the answer to an export some of whose records were
// refused: Export{Logs,Metrics}ServiceResponse.partial_success, whose
// Export*PartialSuccess has the count as field 1 (rejected_log_records,
// rejected_data_points) and error_message as field 2 in both services.
type partialSuccess struct {
	signal   Signal
	rejected Rejected
	total    int // records in the request, for the message
}

// message is error_message: how many were refused of how many, and why.
func (p partialSuccess) message() string {
	what := "log records"
	if p.signal == SignalMetrics {
		what = "data points"
	}
	m := strconv.Itoa(p.rejected.Count) + " of " + strconv.Itoa(p.total) + " " + what + " rejected"
	if p.rejected.Reason != "" {
		m += ": " + p.rejected.Reason
	}
	if len(m) > maxReasonBytes {
		m = m[:maxReasonBytes] + "…"
	}
	return m
}

// wire is the response's protobuf encoding; empty without rejections.
func (p partialSuccess) wire() []byte {
	if p.rejected.Count == 0 {
		return nil
	}
	var inner []byte
	inner = protowire.AppendTag(inner, 1, protowire.VarintType)
	inner = protowire.AppendVarint(inner, uint64(p.rejected.Count))
	inner = protowire.AppendTag(inner, 2, protowire.BytesType)
	inner = protowire.AppendString(inner, p.message())
	var out []byte
	out = protowire.AppendTag(out, 1, protowire.BytesType)
	return protowire.AppendBytes(out, inner)
}

// json is the response in OTLP/JSON: lowerCamelCase field names, the
// int64 count as a string (the proto3 JSON mapping); "{}" without
// rejections.
func (p partialSuccess) json() []byte {
	if p.rejected.Count == 0 {
		return []byte("{}")
	}
	field := "rejectedLogRecords"
	if p.signal == SignalMetrics {
		field = "rejectedDataPoints"
	}
	msg, _ := jsonMarshal(p.message()) // a string always encodes
	return []byte(`{"partialSuccess":{"` + field + `":"` + strconv.Itoa(p.rejected.Count) + `","errorMessage":` + string(msg) + `}}`)
}
