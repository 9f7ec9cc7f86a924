package settings

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

//go:embed managed-settings.schema.json
var schemaJSON []byte

// Schema returns the JSON Schema (draft 2020-12) of the managed settings
// Compile emits.
func Schema() []byte { return append([]byte(nil), schemaJSON...) }

var schema struct {
	once sync.Once
	s    *jsonschema.Schema
	err  error
}

func compiledSchema() (*jsonschema.Schema, error) {
	schema.once.Do(func() {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
		if err != nil {
			schema.err = fmt.Errorf("managed-settings schema: %w", err)
			return
		}
		c := jsonschema.NewCompiler()
		c.DefaultDraft(jsonschema.Draft2020)
		const url = "https://wardenhq.dev/schemas/managed-settings.schema.json"
		if err := c.AddResource(url, doc); err != nil {
			schema.err = fmt.Errorf("managed-settings schema: %w", err)
			return
		}
		schema.s, schema.err = c.Compile(url)
	})
	return schema.s, schema.err
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
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("decode settings: %w", err)
	}
	return sch.Validate(v)
}
