package engine

import (
	"fmt"
	"strings"

	"github.com/wardenhq/warden/internal/policy"
)

// Claude Code native permission rules, with Claude Code's documented
// meaning. Warden applies them more widely than the client does: Read(...)
// rules also govern files a Bash command reads, Edit(...) rules files it
// writes, and Bash(...) rules every simple command of a compound command,
// wrappers unwrapped (docs/claude-code-differences.md).

// nativeRuleID is the rule id of a native rule.
func nativeRuleID(r *policy.NativeRule) string { return "native:" + r.Raw }

// nativeTool applies the rules that name the action's tool without a path
// or command specifier: bare tool rules, MCP rules and WebFetch domains.
func (e *Engine) nativeTool(d *decision, u *unit) {
	a := d.a
	for i := range e.rs.Native {
		r := &e.rs.Native[i]
		if toolRuleMatches(r, a) {
			d.match(u, r.Verdict, nativeRuleID(r), fmt.Sprintf("native rule %s matches %s", r.Raw, describe(a)))
		}
	}
}

func describe(a *Action) string {
	switch {
	case a.URL != "":
		return a.Tool + " " + a.URL
	case a.Path != "":
		return a.Tool + " " + a.Path
	}
	return a.Tool
}

func toolRuleMatches(r *policy.NativeRule, a *Action) bool {
	switch {
	case strings.HasPrefix(r.Tool, "mcp__"):
		return mcpRuleMatches(r.Tool, a.Tool)
	case r.Tool == "WebFetch" && r.HasSpecifier:
		host, ok := strings.CutPrefix(r.Specifier, "domain:")
		return ok && a.Tool == "WebFetch" && hostMatches(host, urlHost(a.URL))
	case r.HasSpecifier:
		return false // path and command specifiers are applied per access
	}
	return r.Tool == a.Tool || (r.Tool == "Edit" && isEditTool(a.Tool)) || (r.Tool == "Read" && isReadTool(a.Tool))
}

func isEditTool(t string) bool {
	return t == "Edit" || t == "Write" || t == "MultiEdit" || t == "NotebookEdit"
}

func isReadTool(t string) bool { return t == "Read" || t == "Glob" || t == "Grep" || t == "LS" }

// mcpRuleMatches: "mcp__server" and "mcp__server__*" match every tool of the
// server, "mcp__server__tool" that tool.
func mcpRuleMatches(rule, tool string) bool {
	if rule == tool {
		return true
	}
	if prefix, ok := strings.CutSuffix(rule, "*"); ok {
		return strings.HasPrefix(tool, prefix)
	}
	return strings.HasPrefix(tool, rule+"__")
}

// nativePath applies Read(...) rules to reads and Edit(...)/Write(...) rules
// to writes of the absolute path p. It reports whether one matched.
func (e *Engine) nativePath(d *decision, u *unit, fa fileAccess, t *target, env *pathEnv) bool {
	access, via := fa.access, fa.via
	fileTool := isEditTool(d.a.Tool) || isReadTool(d.a.Tool)
	hit := false
	for i := range e.rs.Native {
		r := &e.rs.Native[i]
		if !r.HasSpecifier {
			continue
		}
		switch r.Tool {
		case "Read":
			if access != policy.AccessRead {
				continue
			}
		case "Edit", "Write", "MultiEdit", "NotebookEdit":
			if access != policy.AccessWrite {
				continue
			}
		default:
			continue
		}
		if r.Verdict == policy.Allow && !fileTool && !(fa.redirect && access == policy.AccessWrite) {
			// Read(...)/Edit(...) allow rules allow the file tools and a
			// shell redirection into the files, never another Bash command
			// touching them: observed on the client, which allows
			// echo hi > src/x but still asks for sed -i and cp into src/
			// under an Edit(src/**) allow.
			continue
		}
		pt := compileNativePath(r.Specifier)
		if pt.matches(t, env) {
			hit = true
			d.match(u, r.Verdict, nativeRuleID(r), fmt.Sprintf("native rule %s: %s %s (via %s)", r.Raw, accessVerb(access), t.path, via))
		}
	}
	return hit
}

// compileNativePath reads a Read/Edit specifier the way Claude Code does:
// "//p" from the file-system root, "~/p" from home, "/p" from the project
// root, "p" or "./p" from the current directory (a name without a slash
// matches at any depth below it).
func compileNativePath(spec string) pattern {
	if strings.HasPrefix(spec, "//") || strings.HasPrefix(spec, "~") || strings.HasPrefix(spec, "/") {
		return compilePattern(spec)
	}
	s := strings.TrimPrefix(spec, "./")
	p := pattern{raw: spec, anchor: atCwd, glob: s, lit: longestLiteral(s)}
	if !strings.Contains(strings.TrimSuffix(s, "/**"), "/") {
		// A name without a slash matches at any depth below the current
		// directory, "./.env" included: observed on the real client, which
		// denies config/.env under Read(./.env) (internal/e2e TestDifferential).
		p.glob = "**/" + s
	}
	return p
}

// bashRuleMatches matches a Bash(...) specifier against one simple command's
// text: "prefix:*" is the legacy prefix form; "*" matches any run of
// characters, and a trailing " *" also matches the bare command ("ls *"
// matches "ls" and "ls -la" but not "lsof"); anything else is exact.
func bashRuleMatches(spec, text string) bool {
	if prefix, ok := strings.CutSuffix(spec, ":*"); ok {
		// Word boundary, as the client applies it: Bash(git commit:*) does
		// not match git commit-tree, nor Bash(curl:*) curlx.
		return text == prefix || strings.HasPrefix(text, prefix+" ")
	}
	if !strings.Contains(spec, "*") {
		return spec == text
	}
	if bare, ok := strings.CutSuffix(spec, " *"); ok && !strings.Contains(bare, "*") && text == bare {
		return true
	}
	return wildcardMatch(spec, text)
}

// wildcardMatch matches s against a pattern where only * is special,
// without allocating (it runs for every native rule on every command).
func wildcardMatch(pat, s string) bool {
	// Classic greedy match with backtracking to the last star.
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pat) && pat[p] == '*':
			star, mark = p, i
			p++
		case p < len(pat) && pat[p] == s[i]:
			p++
			i++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pat) && pat[p] == '*' {
		p++
	}
	return p == len(pat)
}
