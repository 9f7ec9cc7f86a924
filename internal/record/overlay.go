package record

import "time"

// PolicyOverlay is a change the server lays over the policy it serves
// (policy.Overlay): revoke an MCP server fleet-wide, or put repositories in
// a stricter tier. It is recorded with who added it, when and why, and is
// removable.
type PolicyOverlay struct {
	ID     string    `json:"id"`
	Kind   string    `json:"kind"`           // revoke_mcp_server, repository_tier
	Target string    `json:"target"`         // the MCP server, or a repository remote glob
	Tier   string    `json:"tier,omitempty"` // repository_tier: the tier
	Reason string    `json:"reason"`
	By     string    `json:"by"`
	Time   time.Time `json:"time"`
}
