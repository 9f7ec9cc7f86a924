package otlp

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
	"google.golang.org/protobuf/proto"

	"github.com/wardenhq/warden/internal/record"
)

// Attribute keys the decoder adds to metric points.
const (
	// AttrTemporality is the aggregation temporality of a sum or histogram
	// point: "delta" (what Claude Code sends: the point is the change over
	// [Start, Time]), "cumulative" (the total since Start) or "unspecified".
	// Gauges have none.
	AttrTemporality = "otel.temporality"
	// AttrCount is the number of observations of a histogram or summary
	// point, whose Value is their sum.
	AttrCount = "otel.count"
)

// Temporality values.
const (
	TemporalityDelta       = "delta"
	TemporalityCumulative  = "cumulative"
	TemporalityUnspecified = "unspecified"
)

// Metrics converts decoded OTLP metrics (an ExportMetricsServiceRequest's
// content) into points, one per data point of every sum, gauge, histogram,
// exponential histogram and summary, in order. A point without a value
// (no value set, or flagged no-recorded-value) is left out; one whose
// value is NaN or infinite is refused (the receivers report it as a
// rejected data point). It fails only with ErrTooLarge, past
// Options.MaxItems data points.
func (d *Decoder) Metrics(data *metricspb.MetricsData) ([]record.MetricPoint, error) {
	return d.metrics(data, nil)
}

// metrics is Metrics, counting the points it refuses in rej when not nil.
func (d *Decoder) metrics(data *metricspb.MetricsData, rej *Rejected) ([]record.MetricPoint, error) {
	n := 0
	for _, rm := range data.GetResourceMetrics() {
		for _, sm := range rm.GetScopeMetrics() {
			for _, m := range sm.GetMetrics() {
				n += dataPoints(m)
			}
		}
	}
	if n > d.opts.MaxItems {
		return nil, fmt.Errorf("%w: %d data points, limit %d", ErrTooLarge, n, d.opts.MaxItems)
	}
	points := make([]record.MetricPoint, 0, n)
	for _, rm := range data.GetResourceMetrics() {
		for _, sm := range rm.GetScopeMetrics() {
			for _, m := range sm.GetMetrics() {
				points = d.appendPoints(points, m, rej)
			}
		}
	}
	return points, nil
}

func dataPoints(m *metricspb.Metric) int {
	switch x := m.GetData().(type) {
	case *metricspb.Metric_Sum:
		return len(x.Sum.GetDataPoints())
	case *metricspb.Metric_Gauge:
		return len(x.Gauge.GetDataPoints())
	case *metricspb.Metric_Histogram:
		return len(x.Histogram.GetDataPoints())
	case *metricspb.Metric_ExponentialHistogram:
		return len(x.ExponentialHistogram.GetDataPoints())
	case *metricspb.Metric_Summary:
		return len(x.Summary.GetDataPoints())
	}
	return 0
}

// noRecordedValue is DataPointFlags.FLAG_NO_RECORDED_VALUE.
const noRecordedValue = uint32(metricspb.DataPointFlags_DATA_POINT_FLAGS_NO_RECORDED_VALUE_MASK)

func (d *Decoder) appendPoints(out []record.MetricPoint, m *metricspb.Metric, rej *Rejected) []record.MetricPoint {
	if m == nil {
		return out
	}
	add := func(attrs []*commonpb.KeyValue, start, end uint64, flags uint32, value float64, extra ...string) {
		if flags&noRecordedValue != 0 {
			return
		}
		if !finite(value) {
			rej.Add(1, fmt.Sprintf("metric %s: value %v is not finite", truncateName(m.Name), value))
			return
		}
		if max := d.opts.MaxRecordBytes; max > 0 {
			n := len(m.Name) + len(m.Unit)
			for _, kv := range attrs {
				n += proto.Size(kv)
			}
			if n > max {
				rej.Add(1, fmt.Sprintf("metric %s: data point of %d bytes, more than %d", truncateName(m.Name), n, max))
				return
			}
		}
		out = append(out, d.point(m, attrs, start, end, value, extra...))
	}
	switch x := m.Data.(type) {
	case *metricspb.Metric_Sum:
		temp := temporality(x.Sum.GetAggregationTemporality())
		for _, p := range x.Sum.GetDataPoints() {
			if v, ok := numberValue(p); ok {
				add(p.GetAttributes(), p.GetStartTimeUnixNano(), p.GetTimeUnixNano(), p.GetFlags(), v, AttrTemporality, temp)
			}
		}
	case *metricspb.Metric_Gauge:
		for _, p := range x.Gauge.GetDataPoints() {
			if v, ok := numberValue(p); ok {
				add(p.GetAttributes(), p.GetStartTimeUnixNano(), p.GetTimeUnixNano(), p.GetFlags(), v)
			}
		}
	case *metricspb.Metric_Histogram:
		temp := temporality(x.Histogram.GetAggregationTemporality())
		for _, p := range x.Histogram.GetDataPoints() {
			if p != nil && p.Sum != nil {
				add(p.Attributes, p.StartTimeUnixNano, p.TimeUnixNano, p.Flags, *p.Sum, AttrTemporality, temp, AttrCount, strconv.FormatUint(p.Count, 10))
			}
		}
	case *metricspb.Metric_ExponentialHistogram:
		temp := temporality(x.ExponentialHistogram.GetAggregationTemporality())
		for _, p := range x.ExponentialHistogram.GetDataPoints() {
			if p != nil && p.Sum != nil {
				add(p.Attributes, p.StartTimeUnixNano, p.TimeUnixNano, p.Flags, *p.Sum, AttrTemporality, temp, AttrCount, strconv.FormatUint(p.Count, 10))
			}
		}
	case *metricspb.Metric_Summary:
		for _, p := range x.Summary.GetDataPoints() {
			if p != nil {
				add(p.Attributes, p.StartTimeUnixNano, p.TimeUnixNano, p.Flags, p.Sum, AttrCount, strconv.FormatUint(p.Count, 10))
			}
		}
	}
	return out
}

func numberValue(p *metricspb.NumberDataPoint) (float64, bool) {
	switch v := p.GetValue().(type) {
	case *metricspb.NumberDataPoint_AsDouble:
		return v.AsDouble, true
	case *metricspb.NumberDataPoint_AsInt:
		return float64(v.AsInt), true
	}
	return 0, false
}

func temporality(t metricspb.AggregationTemporality) string {
	switch t {
	case metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_DELTA:
		return TemporalityDelta
	case metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_CUMULATIVE:
		return TemporalityCumulative
	}
	return TemporalityUnspecified
}

// point builds one MetricPoint; extra are key, value pairs added to its
// attributes.
func (d *Decoder) point(m *metricspb.Metric, attrs []*commonpb.KeyValue, start, end uint64, value float64, extra ...string) record.MetricPoint {
	p := record.MetricPoint{Name: m.Name, Unit: m.Unit, Value: value}
	if len(attrs)+len(extra) > 0 {
		p.Attrs = make(map[string]string, len(attrs)+len(extra)/2)
	}
	for _, kv := range attrs {
		if kv == nil {
			continue
		}
		switch kv.Key {
		case "session.id":
			p.SessionID, _ = attrString(kv.Value)
		case "user.id":
			p.UserID, _ = attrString(kv.Value)
		default:
			p.Attrs[kv.Key] = stringValue(kv.Value)
		}
	}
	for i := 0; i+1 < len(extra); i += 2 {
		p.Attrs[extra[i]] = extra[i+1]
	}
	if len(p.Attrs) == 0 {
		p.Attrs = nil
	}
	record.RedactStrings(p.Attrs)
	p.Start, _ = unixNano(start)
	var ok bool
	if p.Time, ok = unixNano(end); !ok && d.opts.Now != nil {
		p.Time = d.opts.Now().UTC()
	}
	p.ID = pointID(&p, start, end)
	return p
}

// pointID is the deduplication key of a data point: a hash of its name,
// session, user, attributes (sorted) and times as sent.
func pointID(p *record.MetricPoint, start, end uint64) string {
	h := sha256.New()
	for _, s := range [...]string{"otlp.point.v1", p.Name, p.SessionID, p.UserID} {
		writeField(h, s)
	}
	keys := make([]string, 0, len(p.Attrs))
	for k := range p.Attrs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		writeField(h, k)
		writeField(h, p.Attrs[k])
	}
	var t [16]byte
	binary.BigEndian.PutUint64(t[:8], start)
	binary.BigEndian.PutUint64(t[8:], end)
	h.Write(t[:])
	return hex.EncodeToString(h.Sum(nil)[:16])
}
