package otlp

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"

	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// scanMessage counts the sub-messages of the message md encoded in b
// against budget, recursing into each.
func scanMessage(b []byte, md protoreflect.MessageDescriptor, depth int, budget *int) error {
	if depth > maxNesting {
		return fmt.Errorf("%w: nested more than %d levels", ErrMalformed, maxNesting)
	}
	fields := md.Fields()
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil // proto.Unmarshal reports it
		}
		b = b[n:]
		if typ != protowire.BytesType {
			if n = protowire.ConsumeFieldValue(num, typ, b); n < 0 {
				return nil
			}
			b = b[n:]
			continue
		}
		v, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return nil
		}
		b = b[n:]
		fd := fields.ByNumber(num)
		if fd == nil || fd.Kind() != protoreflect.MessageKind {
			continue // a string, bytes, packed scalars or an unknown field
		}
		*budget--
		if *budget < 0 {
			return fmt.Errorf("%w: more than the limit of messages", ErrTooLarge)
		}
		if err := scanMessage(v, fd.Message(), depth+1, budget); err != nil {
			return err
		}
	}
	return nil
}

// fixHexIDs repairs trace and span ids decoded from OTLP/JSON. OTLP/JSON
// writes them as hex, but protojson reads bytes fields as base64, and a
// 32-digit hex trace id is valid base64 for 24 bytes (16 digits of a span
// id for 12). A properly decoded id has 16 (8) bytes, so those lengths can
// only come from hex: re-encoding them as base64 gives back the hex text.
// Ids that are not hex either are dropped.
func fixHexIDs(data *logspb.LogsData) {
	for _, rl := range data.GetResourceLogs() {
		for _, sl := range rl.GetScopeLogs() {
			for _, lr := range sl.GetLogRecords() {
				if lr == nil {
					continue
				}
				lr.TraceId = fixHexID(lr.TraceId, 16)
				lr.SpanId = fixHexID(lr.SpanId, 8)
			}
		}
	}
}

func fixHexID(id []byte, size int) []byte {
	if len(id) == 0 || len(id) == size {
		return id
	}
	if len(id) != base64.StdEncoding.DecodedLen(2*size) {
		return nil
	}
	out, err := hex.DecodeString(base64.StdEncoding.EncodeToString(id))
	if err != nil || len(out) != size {
		return nil
	}
	return out
}
