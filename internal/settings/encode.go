package settings

import (
	"bytes"
	"encoding/json"
)

// Marshal encodes a settings document the way every output of this
// package does: keys sorted (encoding/json sorts map keys), two-space
// indent, no HTML escaping, a final newline. Equal documents give equal
// bytes.
func Marshal(doc any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
