package detect

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"

	"github.com/wardenhq/warden/internal/record"
)

// A session fixture is a session's stored events, one record.Event JSON
// object per line, as `warden record SESSION --fixture` writes them: an
// incident exported from the server becomes a rule's regression test.

// ParseFixture decodes a session fixture. Blank lines are skipped; a line
// that is not an event fails with its number.
func ParseFixture(data []byte) ([]record.Event, error) {
	var out []record.Event
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, MaxFileSize+1)
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		var e record.Event
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&e); err != nil {
			return nil, fmt.Errorf("line %d: %v", line, err)
		}
		if e.ID == "" || e.Kind == "" || e.Time.IsZero() {
			return nil, fmt.Errorf("line %d: an event needs id, kind and time", line)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %w", line+1, err)
	}
	return out, nil
}

// WriteFixture writes events as a session fixture.
func WriteFixture(w io.Writer, events []record.Event) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for i := range events {
		if err := enc.Encode(&events[i]); err != nil {
			return fmt.Errorf("write fixture: %w", err)
		}
	}
	return nil
}

// stringFields are the string fields of Event by their CEL names: what an
// absence rule may join on.
var stringFields = func() []string {
	var out []string
	t := reflect.TypeFor[Event]()
	for i := range t.NumField() {
		f := t.Field(i)
		if tag := f.Tag.Get("cel"); tag != "" && f.Type.Kind() == reflect.String {
			out = append(out, tag)
		}
	}
	return out
}()

// fieldIndex maps the CEL names of Event's string fields to their index.
var fieldIndex = func() map[string]int {
	m := map[string]int{}
	t := reflect.TypeFor[Event]()
	for i := range t.NumField() {
		f := t.Field(i)
		if tag := f.Tag.Get("cel"); tag != "" && f.Type.Kind() == reflect.String {
			m[tag] = i
		}
	}
	return m
}()

// field returns the value of the string field named by its CEL name.
func (e *Event) field(name string) string {
	switch name {
	case "tool_use_id":
		return e.ToolUseID
	case "session":
		return e.Session
	}
	i, ok := fieldIndex[name]
	if !ok {
		return ""
	}
	return reflect.ValueOf(e).Elem().Field(i).String()
}
