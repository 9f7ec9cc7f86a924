package hookproto

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
)

// inputKeys are the JSON names of Input's fields.
func inputKeys() []string {
	var keys []string
	t := reflect.TypeFor[Input]()
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			keys = append(keys, name)
		}
	}
	return keys
}

// byReflection decodes data into Input as encoding/json does for the
// struct: what decodeFields must agree with.
func byReflection(data []byte) (*Input, error) {
	var in Input
	if err := json.Unmarshal(data, &in); err != nil {
		return nil, err
	}
	return &in, nil
}

// caseVariant reports a key that is not one of Input's but equals one
// when case is ignored: the one place where decodeFields (exact keys) and
// decoding into the struct (any case) differ by design.
func caseVariant(data []byte) bool {
	var fields map[string]json.RawMessage
	if json.Unmarshal(data, &fields) != nil {
		return false
	}
	known := inputKeys()
	for k := range fields {
		for _, name := range known {
			if k != name && strings.EqualFold(k, name) {
				return true
			}
		}
	}
	return false
}

// TestDecodeFields_EveryField: every JSON field of Input is decoded, so a
// field added to the struct and not to decodeFields fails here.
func TestDecodeFields_EveryField(t *testing.T) {
	for _, key := range inputKeys() {
		f, ok := reflect.TypeFor[Input]().FieldByNameFunc(func(n string) bool {
			sf, _ := reflect.TypeFor[Input]().FieldByName(n)
			name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
			return name == key
		})
		if !ok {
			t.Fatalf("no field for %s", key)
		}
		var sample string
		switch f.Type.Kind() {
		case reflect.String:
			sample = `"x"`
			if f.Type == reflect.TypeFor[json.Number]() {
				sample = `12`
			}
		case reflect.Bool:
			sample = `true`
		case reflect.Pointer:
			sample = `{"name":"x"}`
			if f.Type.Elem().Kind() == reflect.Int {
				sample = `3`
			}
		case reflect.Slice:
			sample = `{"a":1}`
			if f.Type == reflect.TypeFor[[]ToolCall]() {
				sample = `[{"tool_name":"Bash"}]`
			}
		}
		var in Input
		if err := in.decodeFields(map[string]json.RawMessage{key: json.RawMessage(sample)}); err != nil {
			t.Errorf("%s = %s: %v", key, sample, err)
			continue
		}
		if reflect.ValueOf(in).FieldByIndex(f.Index).IsZero() {
			t.Errorf("decodeFields does not decode %s (field %s)", key, f.Name)
		}
	}
}

// FuzzDecodeFields: Decode reads any input as decoding it into the struct
// by reflection would, unless a key differs from one of Input's only by
// case: the same fields, and an error exactly when reflection has one.
func FuzzDecodeFields(f *testing.F) {
	for _, file := range fixtureFiles(f) {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{
		`{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"ls"},"cwd":5}`,
		`{"hook_event_name":"Stop","stop_hook_active":"yes"}`,
		`{"hook_event_name":"PreToolUse","cwd":"/a","cwd":"/b","tool_name":"Read","tool_input":{"file_path":"x"}}`,
		`{"hook_event_name":"PreToolUse","Tool_Name":"Bash"}`,
		`{"hook_event_name":"X","index":null,"mcp_server":null,"duration_ms":"12","effort":null}`,
		`{"hook_event_name":"PostToolBatch","tool_calls":[{"tool_name":"Bash","tool_input":{"command":"id"}},{"tool_name":1}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		data = bytes.TrimSpace(data)
		if len(data) == 0 || data[0] != '{' || len(data) > MaxInputBytes || !json.Valid(data) || caseVariant(data) {
			return
		}
		var fields map[string]json.RawMessage
		if json.Unmarshal(data, &fields) != nil {
			return
		}
		var got Input
		gerr := got.decodeFields(fields)
		want, werr := byReflection(data)
		if (gerr == nil) != (werr == nil) {
			t.Fatalf("decodeFields error %v, reflection error %v\ninput %s", gerr, werr, data)
		}
		if gerr == nil && !reflect.DeepEqual(&got, want) {
			t.Fatalf("decodeFields and reflection differ on %s:\n%+v\n%+v", data, got, *want)
		}
	})
}
