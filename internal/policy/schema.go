package policy

import _ "embed"

//go:embed policy.schema.json
var schemaJSON []byte

// SchemaURL is where the published JSON Schema lives, for editor modelines:
//
//	# yaml-language-server: $schema=https://raw.githubusercontent.com/wardenhq/warden/main/docs/policy.schema.json
const SchemaURL = "https://raw.githubusercontent.com/wardenhq/warden/main/docs/policy.schema.json"

// Schema returns the JSON Schema (draft 2020-12) of the policy format. It
// checks structure for editors; Validate checks more (rule ids, inheritance,
// CEL conditions). docs/policy.schema.json is a byte-identical copy, kept in
// step by TestSchema_DocsCopy.
func Schema() []byte { return append([]byte(nil), schemaJSON...) }
