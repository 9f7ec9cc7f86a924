package policy

import "slices"

// Overlay kinds: changes a server lays over the policy it serves, so that
// every hook applies them at its next policy refresh.
const (
	// OverlayRevokeMCPServer denies every tool of the MCP server Target,
	// at the top level and in every tier that lists the server.
	OverlayRevokeMCPServer = "revoke_mcp_server"
	// OverlayRepositoryTier puts the repositories whose git remote
	// matches Target (a glob, as repositories[].remote) in Tier, ahead of
	// the policy's own repository mappings.
	OverlayRepositoryTier = "repository_tier"
	// OverlayPause pauses Warden's decisions for the machines in Tier
	// until a time (see PausedRuleset). It leaves the document as it is:
	// the server serves pauses signed, apart from the policy
	// (record.SignedPauseV1), because a hook must not honour a pause it
	// cannot trace to the server. ApplyOverlays only checks the tier.
	OverlayPause = "pause"
)

// Overlay is one change laid over a policy document.
type Overlay struct {
	Kind   string
	Target string
	Tier   string
}

// OverlayKinds lists the overlay kinds.
var OverlayKinds = []string{OverlayRevokeMCPServer, OverlayRepositoryTier, OverlayPause}

// ValidOverlayKind reports whether kind is an overlay kind.
func ValidOverlayKind(kind string) bool { return slices.Contains(OverlayKinds, kind) }
