package settings

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/google/jsonschema-go/jsonschema"
)

//go:embed managed-settings.schema.json
var schemaJSON []byte

// Schema returns the JSON Schema (draft 2020-12) of the managed settings
// Compile emits.
func Schema() []byte { return append([]byte(nil), schemaJSON...) }

// The validator is github.com/google/jsonschema-go: github.com/santhosh-
// tekuri/jsonschema/v6 compiles every draft's metaschema in init (11 ms and
// 21k allocations measured), which every warden command would pay, a hook
// call handed over by warden-hook for a CEL condition included. It stays
// in tests only.
var schema struct {
	once sync.Once
	r    *jsonschema.Resolved
	err  error
}

func compiledSchema() (*jsonschema.Resolved, error) {
	schema.once.Do(func() {
		var s jsonschema.Schema
		if err := json.Unmarshal(schemaJSON, &s); err != nil {
			schema.err = fmt.Errorf("managed-settings schema: %w", err)
			return
		}
		schema.r, schema.err = s.Resolve(nil)
		if schema.err != nil {
			schema.err = fmt.Errorf("managed-settings schema: %w", schema.err)
		}
	})
	return schema.r, schema.err
}

// ValidateSettings checks a managed-settings document against Schema. The
// document goes through JSON first, so it is checked as Claude Code will
// read it.
func ValidateSettings(doc map[string]any) error {
	sch, err := compiledSchema()
	if err != nil {
		return err
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("encode settings: %w", err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("decode settings: %w", err)
	}
	return sch.Validate(v)
}
