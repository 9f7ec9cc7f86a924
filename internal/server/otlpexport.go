package server

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"time"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	"google.golang.org/protobuf/proto"

	"github.com/wardenhq/warden/internal/otlp"
	"github.com/wardenhq/warden/internal/record"
)

// OTLP export of alerts: each new alert is one log record, sent over
// OTLP/HTTP protobuf to a collector's /v1/logs, so that a SIEM fed by the
// collector receives alerts as it receives other logs.
const (
	// AlertLogScope is the instrumentation scope of alert log records.
	AlertLogScope = "warden.detect"
	// AlertEventName is their event.name attribute.
	AlertEventName = "warden.alert"
)

// severityNumbers maps alert severities to OTLP's.
var severityNumbers = map[string]logspb.SeverityNumber{
	"info": logspb.SeverityNumber_SEVERITY_NUMBER_INFO, "low": logspb.SeverityNumber_SEVERITY_NUMBER_WARN,
	"medium": logspb.SeverityNumber_SEVERITY_NUMBER_WARN2, "high": logspb.SeverityNumber_SEVERITY_NUMBER_ERROR,
	"critical": logspb.SeverityNumber_SEVERITY_NUMBER_FATAL,
}

// AlertLogs encodes an alert as OTLP logs: one record, body the alert's
// one-line text, attributes its fields (event IDs as an array).
func AlertLogs(a record.Alert) *logspb.LogsData {
	str := func(k, v string) *commonpb.KeyValue {
		return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}}
	}
	ids := make([]*commonpb.AnyValue, len(a.EventIDs))
	for i, id := range a.EventIDs {
		ids[i] = &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: id}}
	}
	attrs := []*commonpb.KeyValue{
		str("event.name", AlertEventName), str("alert.id", a.ID), str("alert.rule", a.Rule), str("alert.title", a.Title),
		str("alert.severity", a.Severity), str("alert.status", a.Status), str("alert.group_by", a.GroupBy),
		str("alert.group", a.Group), str("session.id", a.SessionID), str("user.id", a.UserID),
		str("host.name", a.Device), str("vcs.repository.url.full", a.Repository),
		{Key: "alert.count", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: a.Count}}},
		{Key: "alert.event_ids", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_ArrayValue{ArrayValue: &commonpb.ArrayValue{Values: ids}}}},
		str("alert.first_seen", a.FirstSeen.UTC().Format(time.RFC3339Nano)),
	}
	return &logspb.LogsData{ResourceLogs: []*logspb.ResourceLogs{{
		Resource: &resourcepb.Resource{Attributes: []*commonpb.KeyValue{str("service.name", "warden")}},
		ScopeLogs: []*logspb.ScopeLogs{{
			Scope: &commonpb.InstrumentationScope{Name: AlertLogScope},
			LogRecords: []*logspb.LogRecord{{
				TimeUnixNano:   uint64(a.LastSeen.UnixNano()),
				SeverityNumber: severityNumbers[a.Severity],
				SeverityText:   strings.ToUpper(a.Severity),
				Body:           &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: alertText(a)}},
				Attributes:     attrs,
			}},
		}},
	}}}
}

// otlpSender posts alerts to endpoint (a collector's base URL; /v1/logs is
// appended) as OTLP/HTTP protobuf, with a bearer token when one is given.
func otlpSender(endpoint, token string) func(context.Context, record.Alert) error {
	client := &http.Client{Timeout: notifyTimeout}
	url := strings.TrimSuffix(endpoint, "/") + otlp.PathLogs
	return func(ctx context.Context, a record.Alert) error {
		body, err := proto.Marshal(AlertLogs(a))
		if err != nil {
			return err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/x-protobuf")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		return do(client, req)
	}
}
