package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The differential table: the same native permission rules given to
// Claude Code (in --settings, no hook) and to Warden (the permissions:
// section of a policy, through `warden hook`), and the decision each
// reaches for a table of actions. TestDifferential (build tag e2e) runs it
// against the real client; the test below keeps the table and
// docs/claude-code-differences.md in step.

// diffRules are the rules both sides get. They are chosen so that every
// decision is observable in default mode: a deny refuses, an ask is a
// headless refusal whose reason names a rule, and an allow makes run what
// default mode would otherwise refuse for want of approval.
var diffRules = Permissions{
	Deny: []string{
		"Bash(curl:*)",
		"Bash(wget *)",
		"Bash(rm -rf *)",
		"Bash(git push --force *)",
		"Read(./.env)",
		"Read(~/.ssh/**)",
		"Edit(.github/workflows/**)",
		"WebFetch(domain:evil.example)",
		"mcp__notes__write_note",
	},
	Ask: []string{
		"Bash(npm publish:*)",
		"Bash(git push *)",
		"Bash(docker *)",
		"Read(./config/secret.yml)",
		"Edit(./package.json)",
		"WebFetch(domain:ask.example)",
		"mcp__notes2__*",
	},
	Allow: []string{
		"Bash(touch *)",
		"Bash(npm run test *)",
		"Bash(git commit:*)",
		"Bash(mkdir -p build)",
		"Read(~/notes/**)",
		"Edit(src/**)",
		"WebFetch(domain:127.0.0.1)",
		"mcp__notes__read_note",
		"mcp__notes3",
	},
}

// diffMCPServers are the stub MCP servers the MCP rows call: notes
// (tools read_note and write_note, like shared/fixtures/mcp) under three
// names.
var diffMCPServers = []MCPServer{
	{Name: "notes", Tools: []string{"read_note", "write_note"}},
	{Name: "notes2", Tools: []string{"read_note", "write_note"}},
	{Name: "notes3", Tools: []string{"read_note", "write_note"}},
}

// diffRow is one action and the decision each side reaches. Client is
// what the client did with diffRules in default mode: deny (refused by a
// rule), ask (a headless refusal naming a rule), allow (ran, where the
// control session without rules did not), none (as the control session:
// no rule decided). Warden is what `warden hook` decided. Where they
// differ, docs/claude-code-differences.md must say why, by the row's id.
type diffRow struct {
	ID     string
	Tool   string
	Input  map[string]any
	Client string
	Warden string
	// Bug, when set, says the difference is a mistake in Warden's engine,
	// reported to its owner: the row records what Warden does today, so
	// the fix shows up as a failure here, and the row is then updated.
	Bug string
}

// Bugs of the engine the table found, fixed since (each row above now
// agrees with the client): the legacy Bash(prefix:*) form matched without a
// word boundary; Edit(...) allow rules allowed Bash commands; Bash(...)
// allow rules allowed commands touching files outside the project;
// Read(./name) was anchored at the cwd only.

// Placeholders in row inputs, filled in when the table is run.
const (
	diffURL  = "{{URL}}"  // http://127.0.0.1:PORT of the differential listener
	diffHome = "{{HOME}}" // the scratch HOME
	diffProj = "{{PROJ}}" // the differential project
)

func bashRow(id, cmd, client, warden string) diffRow {
	return diffRow{ID: id, Tool: "Bash", Input: map[string]any{"command": cmd, "description": "differential"}, Client: client, Warden: warden}
}

// diffOld is the text Edit rows replace; each edit appends "+" to it, so
// it is still there for the next session that runs the row.
const diffOld = "differential: old"

func fileRow(id, tool, path, client, warden string) diffRow {
	in := map[string]any{"file_path": path}
	switch tool {
	case "Edit":
		in["old_string"], in["new_string"], in["replace_all"] = diffOld, diffOld+"+", false
	case "Write":
		in["content"] = "differential\n"
	}
	return diffRow{ID: id, Tool: tool, Input: in, Client: client, Warden: warden}
}

func fetchRow(id, url, client, warden string) diffRow {
	return diffRow{ID: id, Tool: "WebFetch", Input: map[string]any{"url": url, "prompt": "Summarise."}, Client: client, Warden: warden}
}

func mcpRow(id, tool, client, warden string) diffRow {
	in := map[string]any{"name": "welcome"}
	if strings.HasSuffix(tool, "write_note") {
		in["text"] = "differential"
	}
	return diffRow{ID: id, Tool: tool, Input: in, Client: client, Warden: warden}
}

// diffTable is the table of actions.
var diffTable = []diffRow{
	// Bash(curl:*): the legacy prefix form, and the ways around it.
	bashRow("diff.bash.curl", "curl -s "+diffURL+"/a", "deny", "deny"),
	bashRow("diff.bash.curl-flags-first", "curl -sS -o /dev/null "+diffURL+"/b", "deny", "deny"),
	bashRow("diff.bash.curl-bare", "curl", "deny", "deny"),
	bashRow("diff.bash.curl-prefix-word", "curlx --version", "none", "none"),
	bashRow("diff.bash.and-curl", "true && curl -s "+diffURL+"/c", "deny", "deny"),
	bashRow("diff.bash.semicolon-curl", "echo hi; curl -s "+diffURL+"/d", "deny", "deny"),
	bashRow("diff.bash.pipe-curl", "echo x | curl -s -d @- "+diffURL+"/e", "deny", "deny"),
	bashRow("diff.bash.subshell-curl", "(curl -s "+diffURL+"/f)", "deny", "deny"),
	bashRow("diff.bash.subst-curl", "echo $(curl -s "+diffURL+"/g)", "deny", "deny"),
	bashRow("diff.bash.bash-c-curl", "bash -c 'curl -s "+diffURL+"/h'", "none", "deny"),
	bashRow("diff.bash.sh-c-curl", `sh -c "curl -s `+diffURL+`/i"`, "none", "deny"),
	bashRow("diff.bash.env-prefix-curl", "FOO=1 curl -s "+diffURL+"/j", "deny", "deny"),
	bashRow("diff.bash.timeout-curl", "timeout 5 curl -s "+diffURL+"/k", "deny", "deny"),
	bashRow("diff.bash.nice-curl", "nice curl -s "+diffURL+"/l", "deny", "deny"),
	bashRow("diff.bash.env-curl", "env curl -s "+diffURL+"/m", "deny", "deny"),
	bashRow("diff.bash.xargs-curl", "echo "+diffURL+"/n | xargs curl -s", "deny", "deny"),
	bashRow("diff.bash.abs-curl", "/usr/bin/curl -s "+diffURL+"/o", "deny", "deny"),
	bashRow("diff.bash.backslash-curl", `c\url -s `+diffURL+"/p", "deny", "deny"),
	bashRow("diff.bash.quoted-curl", `"curl" -s `+diffURL+"/q", "deny", "deny"),
	bashRow("diff.bash.eval-curl", `eval "curl -s `+diffURL+`/r"`, "none", "deny"),
	// Bash(wget *): the space-star form matches the bare command too.
	bashRow("diff.bash.wget", "wget -q -O /dev/null "+diffURL+"/s", "deny", "deny"),
	bashRow("diff.bash.wget-bare", "wget", "deny", "deny"),
	bashRow("diff.bash.wget-prefix-word", "wgetx --help", "none", "none"),
	// Bash(rm -rf *): the pattern is text; other spellings are other text.
	bashRow("diff.bash.rm-rf", "rm -rf build", "deny", "deny"),
	bashRow("diff.bash.rm-r-f", "rm -r -f build", "none", "none"),
	bashRow("diff.bash.rm-fr", "rm -fr build", "none", "none"),
	// git push: ask, and deny for --force.
	bashRow("diff.bash.git-push", "git push origin main", "ask", "ask"),
	bashRow("diff.bash.git-push-force", "git push --force origin main", "deny", "deny"),
	bashRow("diff.bash.git-push-f", "git push -f origin main", "ask", "ask"),
	bashRow("diff.bash.git-push-spaces", "git  push   origin main", "ask", "ask"),
	bashRow("diff.bash.npm-publish", "npm publish", "ask", "ask"),
	bashRow("diff.bash.npm-publish-args", "npm publish --dry-run", "ask", "ask"),
	bashRow("diff.bash.docker", "docker ps", "ask", "ask"),
	// Allow rules: they make run what default mode would refuse.
	bashRow("diff.bash.touch", "touch diff-a.txt", "allow", "allow"),
	bashRow("diff.bash.touch-and-curl", "touch diff-b.txt && curl -s "+diffURL+"/t", "deny", "deny"),
	bashRow("diff.bash.touch-and-mkdir", "touch diff-c.txt && mkdir diff-dir", "none", "none"),
	bashRow("diff.bash.npm-run-test", "npm run test", "allow", "allow"),
	bashRow("diff.bash.npm-run-test-args", "npm run test -- --watch=false", "allow", "allow"),
	bashRow("diff.bash.npm-run-testx", "npm run testx", "none", "none"),
	bashRow("diff.bash.git-commit", "git commit --allow-empty -m differential", "allow", "allow"),
	bashRow("diff.bash.mkdir-build", "mkdir -p build", "allow", "allow"),
	bashRow("diff.bash.echo", "echo differential", "none", "none"),
	// Read(...) rules and Bash commands that read the same files.
	bashRow("diff.bash.cat-env", "cat .env", "deny", "deny"),
	bashRow("diff.bash.head-env", "head -1 .env", "deny", "deny"),
	bashRow("diff.bash.grep-env", "grep API_KEY .env", "deny", "deny"),
	bashRow("diff.bash.redirect-env", "cat < .env", "deny", "deny"),
	bashRow("diff.bash.cp-env", "cp .env /tmp/differential-env", "deny", "deny"),
	bashRow("diff.bash.python-env", `python3 -c "print(open('.env').read())"`, "none", "deny"),
	bashRow("diff.bash.cat-ssh-key", "cat ~/.ssh/id_rsa", "deny", "deny"),
	bashRow("diff.bash.cat-home-ssh-key", `cat "$HOME/.ssh/id_rsa"`, "deny", "deny"),
	bashRow("diff.bash.cd-ssh-cat", "cd ~/.ssh && cat id_rsa", "deny", "deny"),
	// Edit(...) rules and Bash commands that write the same files.
	bashRow("diff.bash.write-package-json", `echo '{}' > package.json`, "none", "ask"),
	bashRow("diff.bash.write-workflow", "echo x > .github/workflows/ci.yml", "deny", "deny"),
	bashRow("diff.bash.sed-i-src", "sed -i s/hello/hi/ src/app.py", "none", "none"),
	bashRow("diff.bash.sed-e-src", "sed -i '1e echo differential' src/util.py", "none", "none"),
	bashRow("diff.bash.cp-into-src", "cp README.md src/readme-copy.md", "none", "none"),
	bashRow("diff.bash.redirect-into-src", "echo hi > src/diff-redirect.txt", "allow", "allow"),
	bashRow("diff.bash.cat-nested-env", "cat config/.env", "deny", "deny"),
	bashRow("diff.bash.touch-outside", "touch /tmp/differential-outside.txt", "none", "none"),
	bashRow("diff.bash.git-commit-tree", "git commit-tree -m differential HEAD^{tree}", "none", "none"),
	// Read tool.
	fileRow("diff.read.env", "Read", ".env", "deny", "deny"),
	fileRow("diff.read.dot-env", "Read", "./.env", "deny", "deny"),
	fileRow("diff.read.abs-env", "Read", diffProj+"/.env", "deny", "deny"),
	fileRow("diff.read.nested-env", "Read", "config/.env", "deny", "deny"),
	fileRow("diff.read.ssh-key", "Read", "~/.ssh/id_rsa", "deny", "deny"),
	fileRow("diff.read.ssh-config-abs", "Read", diffHome+"/.ssh/config", "deny", "deny"),
	fileRow("diff.read.secret-yml", "Read", "config/secret.yml", "ask", "ask"),
	fileRow("diff.read.home-notes", "Read", "~/notes/todo.md", "allow", "allow"),
	fileRow("diff.read.home-other", "Read", "~/other.txt", "none", "none"),
	fileRow("diff.read.readme", "Read", "README.md", "none", "none"),
	// Edit(...) rules on the file tools.
	fileRow("diff.edit.workflow", "Edit", ".github/workflows/ci.yml", "deny", "deny"),
	fileRow("diff.write.workflow", "Write", ".github/workflows/new.yml", "deny", "deny"),
	fileRow("diff.edit.package-json", "Edit", "package.json", "ask", "ask"),
	fileRow("diff.write.package-json", "Write", "package.json", "ask", "ask"),
	fileRow("diff.edit.src", "Edit", "src/app.py", "allow", "allow"),
	fileRow("diff.write.src", "Write", "src/differential.py", "allow", "allow"),
	fileRow("diff.edit.readme", "Edit", "README.md", "none", "none"),
	// WebFetch(domain:...).
	fetchRow("diff.fetch.deny", "https://evil.example/x", "deny", "deny"),
	fetchRow("diff.fetch.deny-subdomain", "https://www.evil.example/x", "none", "none"),
	fetchRow("diff.fetch.deny-case", "https://EVIL.example/x", "deny", "deny"),
	fetchRow("diff.fetch.deny-userinfo", "https://go.dev@evil.example/x", "deny", "deny"),
	fetchRow("diff.fetch.ask", "https://ask.example/x", "ask", "ask"),
	fetchRow("diff.fetch.allow", diffURL+"/fetch", "allow", "allow"),
	fetchRow("diff.fetch.unlisted", "https://other.example/x", "none", "none"),
	// mcp__... rules.
	mcpRow("diff.mcp.tool-allow", "mcp__notes__read_note", "allow", "allow"),
	mcpRow("diff.mcp.tool-deny", "mcp__notes__write_note", "deny", "deny"),
	mcpRow("diff.mcp.server-star-ask-read", "mcp__notes2__read_note", "ask", "ask"),
	mcpRow("diff.mcp.server-star-ask-write", "mcp__notes2__write_note", "ask", "ask"),
	mcpRow("diff.mcp.server-allow", "mcp__notes3__write_note", "allow", "allow"),
}

// diffPolicy is the Warden policy holding diffRules: nothing but the
// permissions section, so Warden decides by the native rules alone.
func diffPolicy() []byte {
	list := func(rules []string) string {
		q := make([]string, len(rules))
		for i, r := range rules {
			q[i] = strconv.Quote(r)
		}
		return "[" + strings.Join(q, ", ") + "]"
	}
	return []byte(fmt.Sprintf(`# The differential test's policy: Claude Code native rules only.
version: 1
name: differential
revision: "1"
default_tier: default
permissions:
  deny: %s
  ask: %s
  allow: %s
tiers:
  - name: default
`, list(diffRules.Deny), list(diffRules.Ask), list(diffRules.Allow)))
}

// differencesDoc is where the deliberate differences are explained.
const differencesDoc = "../../docs/claude-code-differences.md"

var diffID = regexp.MustCompile(`\bdiff\.[a-z]+\.[a-z0-9-]+\b`)

// TestDiffTable_Documented: every row where Warden and the client
// disagree is explained in docs/claude-code-differences.md, and every row
// the document cites exists and does disagree.
func TestDiffTable_Documented(t *testing.T) {
	doc, err := os.ReadFile(filepath.FromSlash(differencesDoc))
	if err != nil {
		t.Fatal(err)
	}
	cited := map[string]bool{}
	for _, id := range diffID.FindAllString(string(doc), -1) {
		cited[id] = true
	}
	rows := map[string]diffRow{}
	for _, r := range diffTable {
		if _, dup := rows[r.ID]; dup {
			t.Errorf("row %s twice", r.ID)
		}
		rows[r.ID] = r
		if r.Client != r.Warden && !cited[r.ID] {
			t.Errorf("row %s: the client decides %s, Warden %s; docs/claude-code-differences.md does not explain it", r.ID, r.Client, r.Warden)
		}
		// Warden is never looser on purpose: a looser row is a bug.
		if r.Bug == "" && strength(r.Warden) < strength(r.Client) {
			t.Errorf("row %s: Warden (%s) is looser than the client (%s) and the row names no bug", r.ID, r.Warden, r.Client)
		}
		if r.Bug != "" && r.Client == r.Warden {
			t.Errorf("row %s: marked as a bug, but both sides decide %s", r.ID, r.Client)
		}
	}
	for id := range cited {
		r, ok := rows[id]
		switch {
		case !ok:
			t.Errorf("docs/claude-code-differences.md cites %s, which is not a row of the table", id)
		case r.Client == r.Warden:
			t.Errorf("docs/claude-code-differences.md cites %s, where both sides decide %s", id, r.Client)
		}
	}
}

// strength orders decisions: allow < none < ask < deny.
func strength(d string) int {
	return slices.Index([]string{"allow", "none", "ask", "deny"}, d)
}

// TestDiffTable_Shape: at least 60 actions, each decision one of the four,
// every native rule kind covered, and the policy holds the same rules.
func TestDiffTable_Shape(t *testing.T) {
	if len(diffTable) < 60 {
		t.Errorf("%d rows, want at least 60", len(diffTable))
	}
	decisions := []string{"deny", "ask", "allow", "none"}
	tools := map[string]bool{}
	for _, r := range diffTable {
		if !slices.Contains(decisions, r.Client) || !slices.Contains(decisions, r.Warden) {
			t.Errorf("row %s: decisions %q and %q", r.ID, r.Client, r.Warden)
		}
		if !diffID.MatchString(r.ID) || diffID.FindString(r.ID) != r.ID {
			t.Errorf("row id %q: want diff.<kind>.<slug>", r.ID)
		}
		kind := r.Tool
		if strings.HasPrefix(kind, MCPPrefix) {
			kind = "mcp"
		}
		tools[kind] = true
	}
	for _, k := range []string{"Bash", "Read", "Edit", "Write", "WebFetch", "mcp"} {
		if !tools[k] {
			t.Errorf("no row for %s", k)
		}
	}
	p := string(diffPolicy())
	for _, r := range slices.Concat(diffRules.Deny, diffRules.Ask, diffRules.Allow) {
		if !strings.Contains(p, strconv.Quote(r)) {
			t.Errorf("policy lacks %s", r)
		}
	}
}
