package otlp

import (
	"encoding/base64"
	"math"
	"strconv"
	"strings"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
)

// maxValueDepth bounds the nesting of array and kvlist values that are
// converted; deeper values become nil. Protobuf already limits nesting, but
// far less tightly, and every level costs a map or slice here.
const maxValueDepth = 16

// valueType is the Go type an attribute is expected to have.
type valueType uint8

const (
	typeAsSent valueType = iota // keep what arrived
	typeInt
	typeFloat
	typeBool
)

// attrType returns the type Claude Code means for an attribute key. Claude
// Code 2.1.330 sends many numbers and booleans as strings (duration_ms "33",
// success "true", num_hooks "1"); the names below are every such key seen in
// the captures, plus the naming patterns they follow, so that keys added by
// later versions in the same style are typed too. A switch rather than a map
// keeps package initialisation free.
func attrType(key string) valueType {
	switch key {
	case "success", "managed_only", "safe_mode", "anthropic.custom_base_url":
		return typeBool
	case "cost_usd":
		return typeFloat
	case "event.sequence", "attempt", "status_code":
		return typeInt
	}
	switch {
	case strings.HasPrefix(key, "has_"), strings.HasPrefix(key, "is_"),
		strings.HasPrefix(key, "host_owned_"):
		return typeBool
	case strings.HasSuffix(key, "_usd"):
		return typeFloat
	case strings.HasPrefix(key, "num_"),
		strings.HasSuffix(key, "_ms"),
		strings.HasSuffix(key, "_tokens"),
		strings.HasSuffix(key, "_bytes"),
		strings.HasSuffix(key, "_chars"),
		strings.HasSuffix(key, "_count"),
		strings.HasSuffix(key, "_length"),
		strings.HasSuffix(key, "_micros"):
		return typeInt
	}
	return typeAsSent
}

// typedValue converts an attribute value to a Go value, coercing it to the
// type attrType names for key. A value that does not parse as that type is
// kept as it arrived: lenient, never an error.
func typedValue(key string, v *commonpb.AnyValue) any {
	x := plainValue(v, 0)
	switch t := attrType(key); t {
	case typeAsSent:
		return x
	default:
		return coerce(x, t)
	}
}

// coerce converts x (a string, int64, float64 or bool) to type t when it
// can do so without losing information.
func coerce(x any, t valueType) any {
	switch v := x.(type) {
	case string:
		s := strings.TrimSpace(v)
		switch t {
		case typeBool:
			if b, err := strconv.ParseBool(s); err == nil {
				return b
			}
		case typeInt:
			if n, err := strconv.ParseInt(s, 10, 64); err == nil {
				return n
			}
			if f, err := strconv.ParseFloat(s, 64); err == nil && finite(f) {
				if n, ok := integral(f); ok {
					return n
				}
				return f
			}
		case typeFloat:
			if f, err := strconv.ParseFloat(s, 64); err == nil && finite(f) {
				return f
			}
		}
	case int64:
		switch t {
		case typeFloat:
			return float64(v)
		case typeBool:
			if v == 0 || v == 1 {
				return v == 1
			}
		}
	case float64:
		if t == typeInt {
			if n, ok := integral(v); ok {
				return n
			}
		}
	}
	return x
}

// integral reports whether f is a whole number that fits an int64.
func integral(f float64) (int64, bool) {
	if f != math.Trunc(f) || f < -(1<<63) || f >= 1<<63 {
		return 0, false
	}
	return int64(f), true
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// plainValue converts an AnyValue as sent: string, bool, int64, float64,
// []any, map[string]any, bytes as base64, nil when empty. Non-finite doubles
// become the strings "NaN", "+Inf" and "-Inf" so that every result can be
// encoded as JSON.
func plainValue(v *commonpb.AnyValue, depth int) any {
	if v == nil {
		return nil
	}
	switch x := v.Value.(type) {
	case *commonpb.AnyValue_StringValue:
		return x.StringValue
	case *commonpb.AnyValue_BoolValue:
		return x.BoolValue
	case *commonpb.AnyValue_IntValue:
		return x.IntValue
	case *commonpb.AnyValue_DoubleValue:
		return jsonFloat(x.DoubleValue)
	case *commonpb.AnyValue_BytesValue:
		return base64.StdEncoding.EncodeToString(x.BytesValue)
	case *commonpb.AnyValue_ArrayValue:
		if depth >= maxValueDepth || x.ArrayValue == nil {
			return nil
		}
		out := make([]any, len(x.ArrayValue.Values))
		for i, e := range x.ArrayValue.Values {
			out[i] = plainValue(e, depth+1)
		}
		return out
	case *commonpb.AnyValue_KvlistValue:
		if depth >= maxValueDepth || x.KvlistValue == nil {
			return nil
		}
		out := make(map[string]any, len(x.KvlistValue.Values))
		for _, kv := range x.KvlistValue.Values {
			if kv != nil {
				out[kv.Key] = plainValue(kv.Value, depth+1)
			}
		}
		return out
	}
	// Unset, or string_value_strindex, which only the profiles signal uses.
	return nil
}

// jsonFloat returns f, or a string for the values JSON cannot encode.
func jsonFloat(f float64) any {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "+Inf"
	case math.IsInf(f, -1):
		return "-Inf"
	}
	return f
}

// stringValue renders an attribute value as a string, for metric point
// attributes: strings as they are, scalars in their canonical form, arrays
// and kvlists as JSON.
func stringValue(v *commonpb.AnyValue) string {
	if v == nil {
		return ""
	}
	switch x := v.Value.(type) {
	case *commonpb.AnyValue_StringValue:
		return x.StringValue
	case *commonpb.AnyValue_BoolValue:
		return strconv.FormatBool(x.BoolValue)
	case *commonpb.AnyValue_IntValue:
		return strconv.FormatInt(x.IntValue, 10)
	case *commonpb.AnyValue_DoubleValue:
		return strconv.FormatFloat(x.DoubleValue, 'g', -1, 64)
	case *commonpb.AnyValue_BytesValue:
		return base64.StdEncoding.EncodeToString(x.BytesValue)
	case *commonpb.AnyValue_ArrayValue, *commonpb.AnyValue_KvlistValue:
		b, err := jsonMarshal(plainValue(v, 0))
		if err != nil {
			return ""
		}
		return string(b)
	}
	return ""
}

// attrString returns the attribute's value as a string when it is a scalar
// (used for ids and names, which must not be JSON-rendered).
func attrString(v *commonpb.AnyValue) (string, bool) {
	if v == nil {
		return "", false
	}
	switch v.Value.(type) {
	case *commonpb.AnyValue_StringValue, *commonpb.AnyValue_IntValue,
		*commonpb.AnyValue_BoolValue, *commonpb.AnyValue_DoubleValue:
		return stringValue(v), true
	}
	return "", false
}
