package policy

import (
	"strings"
	"testing"
)

func TestParseNativeRule(t *testing.T) {
	tests := []struct {
		in        string
		tool      string
		spec      string
		hasSpec   bool
		wantError string // substring; "" means valid
	}{
		{in: "Bash", tool: "Bash"},
		{in: "Bash(npm run test *)", tool: "Bash", spec: "npm run test *", hasSpec: true},
		{in: "Bash(curl:*)", tool: "Bash", spec: "curl:*", hasSpec: true},
		{in: "Bash(echo (a))", tool: "Bash", spec: "echo (a)", hasSpec: true},
		{in: "Read(./.env)", tool: "Read", spec: "./.env", hasSpec: true},
		{in: "Read(~/.ssh/**)", tool: "Read", spec: "~/.ssh/**", hasSpec: true},
		{in: "Edit(//etc/**)", tool: "Edit", spec: "//etc/**", hasSpec: true},
		{in: "Write(/src/*.go)", tool: "Write", spec: "/src/*.go", hasSpec: true},
		{in: "NotebookEdit", tool: "NotebookEdit"},
		{in: "WebFetch(domain:example.com)", tool: "WebFetch", spec: "domain:example.com", hasSpec: true},
		{in: "WebFetch(domain:*.example.com)", tool: "WebFetch", spec: "domain:*.example.com", hasSpec: true},
		{in: "WebSearch", tool: "WebSearch"},
		{in: "Task(reviewer)", tool: "Task", spec: "reviewer", hasSpec: true},
		{in: "Agent", tool: "Agent"},
		{in: "mcp__github", tool: "mcp__github"},
		{in: "mcp__github__create_issue", tool: "mcp__github__create_issue"},
		{in: "mcp__github__*", tool: "mcp__github__*"},

		{in: "", wantError: "empty permission rule"},
		{in: " Bash", wantError: "leading or trailing spaces"},
		{in: "Bash(", wantError: "unbalanced parentheses"},
		{in: "Bash)", wantError: "unbalanced parentheses"},
		{in: "Bash(a))", wantError: "unbalanced parentheses"},
		{in: "Bash(:*)((", wantError: "unbalanced parentheses"},
		{in: "Bash()", wantError: "empty specifier"},
		{in: "Bash( )", wantError: "empty specifier"},
		{in: "Bash(git:* push)", wantError: "legacy :* wildcard may only end"},
		{in: "bash(ls)", wantError: `unknown tool "bash"`},
		{in: "Fetch", wantError: `unknown tool "Fetch"`},
		{in: "WebFetch(example.com)", wantError: "WebFetch takes domain:host"},
		{in: "WebFetch(domain:https://example.com)", wantError: "without a scheme"},
		{in: "Read([abc)", wantError: "invalid path pattern"},
		{in: "mcp__", wantError: "invalid MCP server name"},
		{in: "mcp__git hub", wantError: "invalid MCP server name"},
		{in: "mcp__github__bad tool", wantError: "invalid MCP tool name"},
		{in: "mcp__github(x)", wantError: "MCP rules take no specifier"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseNativeRule(tt.in)
			if tt.wantError != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantError) {
					t.Fatalf("ParseNativeRule(%q) error = %v, want %q", tt.in, err, tt.wantError)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseNativeRule(%q): %v", tt.in, err)
			}
			if got.Raw != tt.in || got.Tool != tt.tool || got.Specifier != tt.spec || got.HasSpecifier != tt.hasSpec {
				t.Errorf("ParseNativeRule(%q) = %+v, want tool %q specifier %q (%v)", tt.in, got, tt.tool, tt.spec, tt.hasSpec)
			}
			if got.Verdict != None {
				t.Errorf("Verdict = %v, want none (the caller sets it)", got.Verdict)
			}
		})
	}
}

func TestNativeRule_Helpers(t *testing.T) {
	tests := []struct {
		in      string
		pattern string
		domain  string
		id      string
	}{
		{"Bash(curl:*)", "curl *", "", "native:Bash(curl:*)"},
		{"Bash(git push *)", "git push *", "", "native:Bash(git push *)"},
		{"WebFetch(domain:go.dev)", "domain:go.dev", "go.dev", "native:WebFetch(domain:go.dev)"},
	}
	for _, tt := range tests {
		r, err := ParseNativeRule(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.BashPattern(); r.Tool == "Bash" && got != tt.pattern {
			t.Errorf("%s: BashPattern() = %q, want %q", tt.in, got, tt.pattern)
		}
		if got, _ := r.Domain(); got != tt.domain {
			t.Errorf("%s: Domain() = %q, want %q", tt.in, got, tt.domain)
		}
		if got := r.ID(); got != tt.id {
			t.Errorf("%s: ID() = %q, want %q", tt.in, got, tt.id)
		}
	}
}

func TestStripPathPrefix(t *testing.T) {
	tests := []struct{ in, anchor, rest string }{
		{"~/.ssh/**", "~/", ".ssh/**"},
		{"//etc/passwd", "//", "etc/passwd"},
		{"/src/**", "/", "src/**"},
		{"./.env", "./", ".env"},
		{"*.pem", "", "*.pem"},
	}
	for _, tt := range tests {
		a, r := StripPathPrefix(tt.in)
		if a != tt.anchor || r != tt.rest {
			t.Errorf("StripPathPrefix(%q) = %q, %q; want %q, %q", tt.in, a, r, tt.anchor, tt.rest)
		}
	}
}

func TestCheckHost(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"go.dev", true},
		{"*.python.org", true},
		{"localhost", true},
		{"127.0.0.1", true},
		{"Docs.GitHub.com", true},
		{"", false},
		{"*", false},
		{"a.*.com", false},
		{"-a.com", false},
		{"a_b.com", false},
		{"http://go.dev", false},
		{"go.dev/doc", false},
		{"go.dev:443", false},
	}
	for _, tt := range tests {
		if err := checkHost(tt.in); (err == nil) != tt.ok {
			t.Errorf("checkHost(%q) = %v, want ok %v", tt.in, err, tt.ok)
		}
	}
}

func TestCheckRulePattern(t *testing.T) {
	tests := []struct {
		in, wantError string
	}{
		{in: "<auth>"},
		{in: "<{*auth,oauth*}>/**"},
		{in: "~/src/<auth*>/**"},
		{in: `lit\<eral`},
		{in: "src/<auth>.go", wantError: "must be a whole path segment"},
		{in: "<a<b>", wantError: "holds a glob without < or >"},
		{in: "<[a>", wantError: "invalid path pattern"},
		{in: "< >", wantError: "invalid word match"},
		{in: "a>b", wantError: "must be a whole path segment"},
	}
	for _, tt := range tests {
		err := checkRulePattern(tt.in)
		switch {
		case tt.wantError == "" && err != nil:
			t.Errorf("checkRulePattern(%q) = %v, want nil", tt.in, err)
		case tt.wantError != "" && (err == nil || !strings.Contains(err.Error(), tt.wantError)):
			t.Errorf("checkRulePattern(%q) = %v, want an error containing %q", tt.in, err, tt.wantError)
		}
	}
}
