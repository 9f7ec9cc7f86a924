package record

// TeamKeys are the OTLP resource attributes that name a session's team,
// in order of preference: `warden compile --team` sets the first through
// OTEL_RESOURCE_ATTRIBUTES.
var TeamKeys = []string{"team", "team.name"}

// Team returns the team a telemetry resource names, "" when none. The
// store's session summaries and detection rules read it alike.
func Team(resource map[string]any) string {
	for _, k := range TeamKeys {
		if v, ok := resource[k].(string); ok && v != "" {
			return v
		}
	}
	return ""
}
