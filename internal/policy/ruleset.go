package policy

// Ruleset is one tier of a policy, resolved for the engine: the top-level
// rules, then each inherited tier's, then the tier's own, merged; native rule
// strings parsed; exceptions narrowed to this tier. Expiry and repository
// matching of exceptions are checked per decision, against the engine's clock.
type Ruleset struct {
	Policy   string
	Revision string
	Tier     string

	FailOpen          bool
	UnknownTool       Verdict
	BlockConfigChange bool

	Native     []NativeRule
	Classes    map[string]Verdict
	Members    []ClassMember
	Paths      []PathRule
	MCP        MCP
	Web        Web
	Conditions []Condition
	Exceptions []Exception

	// Settings are the tier's managed-settings choices, merged key by key
	// along its lineage (for the settings compiler; the engine ignores them).
	Settings map[string]any
}

// NativeRule is a parsed Claude Code permission rule string.
type NativeRule struct {
	Raw     string  // as written, e.g. "Bash(npm run test *)"
	Verdict Verdict // from the list it was in
	// Tool is the part before the parentheses: Bash, Read, Edit, Write,
	// WebFetch, WebSearch, NotebookEdit, mcp__server, mcp__server__tool, ...
	Tool string
	// Specifier is the text inside the parentheses ("" when HasSpecifier is false).
	Specifier    string
	HasSpecifier bool
}
