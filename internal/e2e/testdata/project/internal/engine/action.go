package engine

// Action is a tool call.
type Action struct{ Tool string }
