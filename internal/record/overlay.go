package record

import "time"

// PolicyOverlay is a change the server lays over the policy it serves
// (policy.Overlay): revoke an MCP server fleet-wide, or put repositories in
// a stricter tier. It is recorded with who added it, when and why, and is
// removable.
type PolicyOverlay struct {
	ID     string `json:"id"`
	Kind   string `json:"kind"`           // revoke_mcp_server, repository_tier, pause
	Target string `json:"target"`         // the MCP server, a repository remote glob, or the paused tier
	Tier   string `json:"tier,omitempty"` // repository_tier and pause: the tier
	// Until is when a pause ends (kind pause only).
	Until  time.Time `json:"until,omitzero"`
	Reason string    `json:"reason"`
	By     string    `json:"by"`
	Time   time.Time `json:"time"`
}

// Overlay change actions.
const (
	OverlayAdded   = "add"
	OverlayRemoved = "remove"
)

// OverlayChange is one entry of the overlay log: an overlay added or
// removed, by whom, when and why. The store writes it in the same
// transaction as the change, and never deletes it.
type OverlayChange struct {
	ID        string    `json:"id"`
	OverlayID string    `json:"overlay_id"`
	Action    string    `json:"action"` // OverlayAdded or OverlayRemoved
	Kind      string    `json:"kind"`
	Target    string    `json:"target"`
	Tier      string    `json:"tier,omitempty"`
	Until     time.Time `json:"until,omitzero"`
	Reason    string    `json:"reason"`
	By        string    `json:"by"`
	Time      time.Time `json:"time"`
}
