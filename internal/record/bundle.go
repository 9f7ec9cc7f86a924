package record

import "time"

// PolicyBundle is one version of the policy the server distributes to hooks.
type PolicyBundle struct {
	// Version increases with every distinct bundle stored.
	Version int64  `json:"version"`
	Name    string `json:"name"`
	// SHA256 is the hex SHA-256 of YAML.
	SHA256    string    `json:"sha256"`
	YAML      []byte    `json:"yaml"`
	CreatedAt time.Time `json:"created_at"`
}
