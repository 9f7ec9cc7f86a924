package policy

import (
	"fmt"
	"slices"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// NativeTools are the Claude Code tool names a native permission rule or a
// condition's tools list may name, besides MCP tools (mcp__server,
// mcp__server__tool, mcp__server__*).
var NativeTools = []string{
	"Bash", "Read", "Edit", "Write", "MultiEdit", "NotebookEdit", "Glob", "Grep",
	"WebFetch", "WebSearch", "Task", "Agent",
}

// pathTools take a gitignore-style path pattern as specifier.
var pathTools = []string{"Read", "Edit", "Write", "MultiEdit", "NotebookEdit", "Glob", "Grep"}

// ParseNativeRule parses a Claude Code permission rule string: "Tool" or
// "Tool(specifier)". Tools are those in NativeTools or MCP names
// (mcp__server, mcp__server__tool, mcp__server__*), which take no specifier.
// Specifiers are checked per tool: Bash takes a command pattern (the legacy
// "prefix:*" form is accepted), file tools a path pattern, WebFetch
// "domain:host". Verdict is left None; the caller sets it from the list the
// rule was in.
func ParseNativeRule(s string) (NativeRule, error) {
	r := NativeRule{Raw: s}
	if strings.TrimSpace(s) == "" {
		return r, fmt.Errorf("empty permission rule")
	}
	if s != strings.TrimSpace(s) {
		return r, fmt.Errorf("permission rule %q has leading or trailing spaces", s)
	}
	open := strings.IndexByte(s, '(')
	if open < 0 {
		if strings.ContainsRune(s, ')') {
			return r, fmt.Errorf("permission rule %q: unbalanced parentheses", s)
		}
		r.Tool = s
	} else {
		if !strings.HasSuffix(s, ")") {
			return r, fmt.Errorf("permission rule %q: unbalanced parentheses (want Tool(specifier))", s)
		}
		r.Tool, r.Specifier, r.HasSpecifier = s[:open], s[open+1:len(s)-1], true
		if !balanced(r.Specifier) {
			return r, fmt.Errorf("permission rule %q: unbalanced parentheses", s)
		}
		if strings.TrimSpace(r.Specifier) == "" {
			return r, fmt.Errorf("permission rule %q: empty specifier (write %s to match every call)", s, r.Tool)
		}
	}
	if err := checkTool(r.Tool); err != nil {
		return r, fmt.Errorf("permission rule %q: %w", s, err)
	}
	if !r.HasSpecifier {
		return r, nil
	}
	if err := checkSpecifier(r); err != nil {
		return r, fmt.Errorf("permission rule %q: %w", s, err)
	}
	return r, nil
}

// balanced reports whether every ')' closes an earlier '('.
func balanced(s string) bool {
	depth := 0
	for _, c := range s {
		switch c {
		case '(':
			depth++
		case ')':
			depth--
			if depth < 0 {
				return false
			}
		}
	}
	return depth == 0
}

// IsMCPTool reports whether name is an MCP tool name (mcp__...).
func IsMCPTool(name string) bool { return strings.HasPrefix(name, "mcp__") }

// checkTool accepts the tool names of NativeTools and well-formed MCP names.
func checkTool(name string) error {
	if slices.Contains(NativeTools, name) {
		return nil
	}
	if !IsMCPTool(name) {
		return fmt.Errorf("unknown tool %q (want %s or mcp__server[__tool])", name, strings.Join(NativeTools, ", "))
	}
	server, tool, hasTool := strings.Cut(strings.TrimPrefix(name, "mcp__"), "__")
	if !validMCPName(server) {
		return fmt.Errorf("invalid MCP server name %q in %q", server, name)
	}
	if hasTool && tool != "*" && !validMCPToolName(tool) {
		return fmt.Errorf("invalid MCP tool name %q in %q", tool, name)
	}
	return nil
}

func checkSpecifier(r NativeRule) error {
	switch {
	case IsMCPTool(r.Tool):
		return fmt.Errorf("MCP rules take no specifier (write %s or %s__tool)", r.Tool, r.Tool)
	case r.Tool == "WebFetch":
		host, ok := strings.CutPrefix(r.Specifier, "domain:")
		if !ok {
			return fmt.Errorf("WebFetch takes domain:host, got %q", r.Specifier)
		}
		if err := checkHost(host); err != nil {
			return err
		}
	case r.Tool == "Bash":
		if i := strings.Index(r.Specifier, ":*"); i >= 0 && i != len(r.Specifier)-2 {
			return fmt.Errorf("the legacy :* wildcard may only end a Bash rule")
		}
	case slices.Contains(pathTools, r.Tool):
		if err := checkPathPattern(r.Specifier); err != nil {
			return err
		}
	}
	return nil
}

// BashPattern returns a Bash rule's command pattern with the legacy
// "prefix:*" form rewritten to Claude Code's current "prefix *".
func (r NativeRule) BashPattern() string {
	if p, ok := strings.CutSuffix(r.Specifier, ":*"); ok {
		return p + " *"
	}
	return r.Specifier
}

// Domain returns the host of a WebFetch(domain:host) rule.
func (r NativeRule) Domain() (string, bool) {
	if r.Tool != "WebFetch" {
		return "", false
	}
	return strings.CutPrefix(r.Specifier, "domain:")
}

// ID is the rule id of the native rule: "native:" + Raw.
func (r NativeRule) ID() string { return NativeRuleID(r.Raw) }

// StripPathPrefix removes the anchor of a path pattern ("~/", "//", "/",
// "./") and returns it with the rest.
func StripPathPrefix(p string) (anchor, rest string) {
	for _, a := range []string{"~/", "//", "/", "./"} {
		if r, ok := strings.CutPrefix(p, a); ok {
			return a, r
		}
	}
	return "", p
}

// checkPathPattern checks a path pattern: a valid doublestar pattern once its
// anchor is stripped.
func checkPathPattern(p string) error {
	_, rest := StripPathPrefix(p)
	if strings.TrimSpace(rest) == "" {
		return fmt.Errorf("empty path pattern %q", p)
	}
	if !doublestar.ValidatePattern(rest) {
		return fmt.Errorf("invalid path pattern %q", p)
	}
	return nil
}

// WordSegment reports whether seg, one slash-separated segment of a path
// rule's pattern, is a word match "<glob>", and returns the glob. A word
// match matches a file or directory name that has a word matching the glob
// (docs/policy.md, "Word matches").
func WordSegment(seg string) (string, bool) {
	if len(seg) > 2 && seg[0] == '<' && seg[len(seg)-1] == '>' {
		return seg[1 : len(seg)-1], true
	}
	return "", false
}

// checkRulePattern checks a path rule's pattern or exception: a valid
// pattern whose word matches are whole segments with a valid glob inside.
func checkRulePattern(p string) error {
	if err := checkPathPattern(p); err != nil {
		return err
	}
	_, rest := StripPathPrefix(p)
	for seg := range strings.SplitSeq(rest, "/") {
		g, word := WordSegment(seg)
		if !word {
			g = seg
		}
		for i := 0; i < len(g); i++ {
			switch g[i] {
			case '\\':
				i++
			case '<', '>':
				if word {
					return fmt.Errorf("path pattern %q: a word match <...> holds a glob without < or >", p)
				}
				return fmt.Errorf("path pattern %q: a word match <...> must be a whole path segment (write \\< for a literal <)", p)
			}
		}
		if word && (strings.TrimSpace(g) == "" || !doublestar.ValidatePattern(g)) {
			return fmt.Errorf("path pattern %q: invalid word match %q", p, seg)
		}
	}
	return nil
}

// checkHost accepts a host name or a "*." wildcard: letters, digits and
// hyphens in dot-separated labels; no scheme, port or path.
func checkHost(h string) error {
	if h == "" {
		return fmt.Errorf("empty host name")
	}
	if strings.Contains(h, "://") {
		return fmt.Errorf("%q: write the host name only, without a scheme", h)
	}
	if strings.ContainsAny(h, "/?#") {
		return fmt.Errorf("%q: write the host name only, without a path", h)
	}
	if strings.Contains(h, ":") {
		return fmt.Errorf("%q: write the host name only, without a port", h)
	}
	rest := strings.TrimPrefix(h, "*.")
	if len(h) > 253 {
		return fmt.Errorf("%q: host name too long", h)
	}
	for _, label := range strings.Split(rest, ".") {
		if !validLabel(label) {
			if strings.Contains(label, "*") {
				return fmt.Errorf("%q: a wildcard may only be a leading \"*.\"", h)
			}
			return fmt.Errorf("%q is not a host name", h)
		}
	}
	return nil
}

func validLabel(l string) bool {
	if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for _, c := range l {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// validMCPName accepts MCP server names as they appear in tool names
// mcp__<server>__<tool>: letters, digits, '-' and '_', not containing "__".
func validMCPName(s string) bool {
	return validMCPToolName(s) && !strings.Contains(s, "__")
}

func validMCPToolName(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
