package policy

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// mustErrors asserts err is an *Errors and returns it.
func mustErrors(tb testing.TB, err error) *Errors {
	tb.Helper()
	var errs *Errors
	if !errors.As(err, &errs) {
		tb.Fatalf("error = %v (%T), want *Errors", err, err)
	}
	return errs
}

// mustParse parses src as name and fails the test on any error.
func mustParse(tb testing.TB, name, src string) *Policy {
	tb.Helper()
	p, err := Parse(name, []byte(src))
	if err != nil {
		var errs *Errors
		if errors.As(err, &errs) {
			tb.Fatalf("Parse(%s):\n%s", name, errs.Pretty())
		}
		tb.Fatalf("Parse(%s): %v", name, err)
	}
	return p
}

func TestParse_Good(t *testing.T) {
	files, err := filepath.Glob("testdata/good/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no good fixtures: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			p, err := LoadFile(f)
			if err != nil {
				t.Fatalf("LoadFile:\n%v", err)
			}
			if p.File != f {
				t.Errorf("File = %q, want %q", p.File, f)
			}
			for _, tier := range p.TierNames() {
				if _, err := p.Ruleset(tier); err != nil {
					t.Errorf("Ruleset(%s): %v", tier, err)
				}
			}
		})
	}
}

// TestBadConfigs pins every error each bad fixture produces, in order: the
// file:line:col of each and a distinctive part of its message. An extra or
// missing error fails the test, so cascades cannot creep in.
func TestBadConfigs(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"alias.yaml", []string{
			`alias.yaml:5:1: base: unknown field "base"`,
			`alias.yaml:8:3: permissions: YAML merge keys (<<) are not supported`,
		}},
		// The CEL errors of cel.yaml and cel-fields.yaml are checked where
		// the CEL compiler is linked: internal/condition's TestBadConditions.
		{"cel.yaml", []string{
			`cel.yaml:24:5: conditions[4].decision: required field is missing`,
			`cel.yaml:24:5: conditions[4].when: required field is missing`,
		}},
		{"classes.yaml", []string{
			`classes.yaml:7:5: commands.classes.egres: unknown command class "egres" (did you mean "egress"?)`,
			`classes.yaml:8:14: commands.classes.publish: unknown decision "block" (want deny, ask, allow or none)`,
			`classes.yaml:10:14: commands.members[0].class: unknown command class "deploy"`,
			`classes.yaml:12:7: commands.members[1].command: required field is missing`,
			`classes.yaml:15:19: tiers[0].unknown_tool: unknown decision "maybe"`,
			`classes.yaml:16:26: tiers[0].block_config_change: want true or false, got "yes"`,
		}},
		{"duplicate-key.yaml", []string{
			`duplicate-key.yaml:4:1: name: duplicate key "name" (first at line 2)`,
		}},
		{"empty.yaml", []string{
			`empty.yaml: empty policy file`,
		}},
		{"exceptions.yaml", []string{
			`exceptions.yaml:17:5: exceptions[0].owner: required field is missing`,
			`exceptions.yaml:17:5: exceptions[0].expires: required field is missing (YYYY-MM-DD)`,
			`exceptions.yaml:22:11: exceptions[1].rule: unknown rule "commands.egres" (did you mean "commands.egress"?)`,
			`exceptions.yaml:29:15: exceptions[2].decision: decision ask is not weaker than rule commands.database's ask`,
			`exceptions.yaml:33:9: exceptions[3].id: duplicate exception id "not-weaker" (also exceptions[2])`,
			`exceptions.yaml:35:15: exceptions[3].decision: decision deny is not weaker than rule paths.secrets's deny`,
			`exceptions.yaml:36:22: exceptions[3].tiers[1]: unknown tier "prod" (tiers: default)`,
			`exceptions.yaml:39:14: exceptions[3].expires: invalid date "2099-13-01" (want YYYY-MM-DD)`,
			`exceptions.yaml:42:15: exceptions[4].decision: decision deny does not loosen rule engine.pipe-to-shell`,
			`exceptions.yaml:46:20: exceptions[4].repositories[0]: invalid repository glob "[x"`,
		}},
		{"header.yaml", []string{
			`header.yaml:1:1: name: required field is missing`,
			`header.yaml:1:1: revision: required field is missing`,
			`header.yaml:1:1: default_tier: required field is missing`,
			`header.yaml:1:10: version: unsupported version 2 (this build reads version 1)`,
		}},
		{"mcp.yaml", []string{
			`mcp.yaml:10:13: mcp.servers[1].name: duplicate MCP server "github" (also servers[0])`,
			`mcp.yaml:12:13: mcp.servers[2].name: invalid MCP server name "git hub"`,
			`mcp.yaml:14:12: mcp.servers[3].url: set url (remote server) or command (local server), not both`,
			`mcp.yaml:20:15: mcp.servers[4].tools.drop: unknown tool kind "admin" (want read or write)`,
		}},
		{"members.yaml", []string{
			`members.yaml:7:7: commands.members[0].class: required field is missing (a command class, or the program's grammar`,
			`members.yaml:9:14: commands.members[1].style: unknown style "gnuish" (want gnu, posix, words)`,
			`members.yaml:10:17: commands.members[1].aliases[0]: alias "curl" is the built-in program curl; a member cannot take over another program's name`,
			`members.yaml:10:23: commands.members[1].aliases[1]: invalid alias "a b" (one word, not a path)`,
			`members.yaml:13:18: commands.members[1].options[0].value: unknown kind "shel" (did you mean "shell"?)`,
			`members.yaml:14:19: commands.members[1].options[1].names[0]: invalid option name "config" (a dash and a name: -c, --config)`,
			`members.yaml:15:18: commands.members[1].options[1].value: unknown kind "wrote" (did you mean "write"?)`,
			`members.yaml:16:18: commands.members[1].options[1].class: unknown command class "deploy"`,
			`members.yaml:17:11: commands.members[1].options[2].names: required field is missing (the option's spellings: [-c, --config])`,
			`members.yaml:18:31: commands.members[1].operands.lead[1]: unknown kind "path"`,
			`members.yaml:18:56: commands.members[1].operands.last: unknown kind "nothing" (want one of data, read, write, read-write, delete, shell, code, exec,`,
			`members.yaml:19:16: commands.members[2].command: program "./bin/deployctl" is a path; name the program`,
			`members.yaml:21:16: commands.members[3].command: a member cannot add the subcommand "deploy" to ssh: its first operand is of kind remote, which the engine judges`,
			`members.yaml:34:21: tiers[0].commands.members[1].aliases[0]: alias "kubectl" is the built-in program kubectl; a member cannot take over another program's name`,
			`members.yaml:36:42: tiers[0].commands.members[2].options[0].value: kind code is interpreter code in the program's language, which a member cannot give`,
		}},
		{"native.yaml", []string{
			`native.yaml:7:7: permissions.deny[0]: permission rule "Bash(": unbalanced parentheses`,
			`native.yaml:8:7: permissions.deny[1]: permission rule "Bash()": empty specifier`,
			`native.yaml:9:7: permissions.deny[2]: permission rule "Fetch(x)": unknown tool "Fetch"`,
			`native.yaml:10:7: permissions.deny[3]: permission rule "WebFetch(example.com)": WebFetch takes domain:host`,
			`native.yaml:11:7: permissions.deny[4]: permission rule "Bash(:*)((": unbalanced parentheses`,
			`native.yaml:12:7: permissions.deny[5]: permission rule "mcp__github(x)": MCP rules take no specifier`,
			`native.yaml:13:7: permissions.deny[6]: permission rule "Read([abc)": invalid path pattern "[abc"`,
		}},
		{"not-a-mapping.yaml", []string{
			`not-a-mapping.yaml:1:1: a policy is a mapping of fields (version, name, tiers, ...), got a list`,
		}},
		{"paths.yaml", []string{
			`paths.yaml:9:16: paths[0].patterns[0]: invalid path pattern "[abc"`,
			`paths.yaml:9:24: paths[0].patterns[1]: empty path pattern "~/"`,
			`paths.yaml:10:9: paths[1].id: duplicate path rule id "secrets" (also paths[0])`,
			`paths.yaml:11:13: paths[1].access: unknown access "rw" (want read, write or any)`,
			`paths.yaml:14:5: paths[2].decision: required field is missing (deny, ask or allow)`,
			`paths.yaml:14:5: paths[2].patterns: required field is missing`,
			`paths.yaml:16:14: paths[2].except[0]: invalid path pattern "{a,b"`,
			`paths.yaml:20:16: paths[3].patterns[0]: path pattern "src/<auth>.go": a word match <...> must be a whole path segment (write \< for a literal <)`,
			`paths.yaml:20:33: paths[3].patterns[1]: invalid path pattern "<[a>"`,
		}},
		{"repositories.yaml", []string{
			`repositories.yaml:8:5: repositories[0]: give path or remote`,
			`repositories.yaml:9:11: repositories[1].path: invalid path glob "/srv/[x"`,
			`repositories.yaml:10:11: repositories[1].tier: unknown tier "prod" (tiers: default)`,
			`repositories.yaml:11:5: repositories[2].tier: required field is missing`,
		}},
		{"settings.yaml", []string{
			`settings.yaml:8:21: tiers[0].settings.default_mode: want one of default, acceptEdits, plan, auto, dontAsk, bypassPermissions, got yolo`,
			`settings.yaml:9:7: tiers[0].settings.sandbx: unknown setting "sandbx" (did you mean "sandbox"?)`,
			`settings.yaml:10:35: tiers[0].settings.disable_bypass_permissions: want true or false, got yes`,
		}},
		{"syntax.yaml", []string{
			`syntax.yaml:3: invalid YAML: did not find expected '-' indicator`,
		}},
		{"tiers.yaml", []string{
			`tiers.yaml:4:15: default_tier: unknown tier "prod"`,
			`tiers.yaml:7:14: tiers[0].failure: unknown failure mode "half-open" (want closed or open)`,
			`tiers.yaml:8:11: tiers[1].name: duplicate tier "base" (also tiers[0])`,
			`tiers.yaml:10:19: tiers[2].inherits[1]: unknown tier "missing"`,
			`tiers.yaml:12:15: tiers[3].inherits[0]: inheritance cycle: a -> b -> a`,
			`tiers.yaml:14:15: tiers[4].inherits[0]: inheritance cycle: self -> self`,
			`tiers.yaml:15:11: tiers[5].name: invalid tier name "bad name"`,
		}},
		{"two-documents.yaml", []string{
			`two-documents.yaml:7: invalid YAML: a policy file holds one YAML document`,
		}},
		{"types.yaml", []string{
			`types.yaml:1:10: version: want an integer, got "one"`,
			`types.yaml:6:3: tiers: want a list, got a mapping`,
		}},
		{"unknown-key.yaml", []string{
			`unknown-key.yaml:7:3: permissions.dney: unknown field "dney" (did you mean "deny"?)`,
			`unknown-key.yaml:11:5: tiers[0].comands: unknown field "comands" (did you mean "commands"?)`,
		}},
		{"version-missing.yaml", []string{
			`version-missing.yaml:1:1: version: required field is missing (write version: 1)`,
		}},
		{"web.yaml", []string{
			`web.yaml:7:7: web.allow[0]: "https://example.com": write the host name only, without a scheme`,
			`web.yaml:8:7: web.allow[1]: "example.com/docs": write the host name only, without a path`,
			`web.yaml:9:7: web.allow[2]: "*example.com": a wildcard may only be a leading "*."`,
			`web.yaml:10:7: web.allow[3]: "example.com:8443": write the host name only, without a port`,
			`web.yaml:11:10: web.deny[0]: "a..b" is not a host name`,
		}},
	}
	tested := map[string]bool{}
	for _, tt := range tests {
		tested[tt.file] = true
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", "bad", tt.file)
			p, err := LoadFile(path)
			if p != nil || err == nil {
				t.Fatalf("LoadFile(%s) succeeded, want errors", path)
			}
			errs := mustErrors(t, err)
			got := make([]string, len(errs.List))
			for i, e := range errs.List {
				got[i] = e.Error()
			}
			ok := len(got) == len(tt.want)
			for i := 0; ok && i < len(got); i++ {
				ok = strings.Contains(got[i], "testdata/bad/"+tt.want[i])
			}
			if !ok {
				t.Errorf("errors:\n%s\nwant (substrings, in order):\n%s",
					strings.Join(got, "\n"), "testdata/bad/"+strings.Join(tt.want, "\ntestdata/bad/"))
			}
		})
	}
	files, _ := filepath.Glob("testdata/bad/*.yaml")
	for _, f := range files {
		if !tested[filepath.Base(f)] && filepath.Base(f) != "cel-fields.yaml" { // internal/condition tests it
			t.Errorf("%s has no entry in TestBadConfigs", f)
		}
	}
}

func TestParse_MaxErrors(t *testing.T) {
	var b strings.Builder
	b.WriteString("version: 1\nname: many\nrevision: \"1\"\ndefault_tier: d\ntiers: [{name: d}]\npermissions:\n  deny:\n")
	for i := 0; i < MaxErrors+7; i++ {
		fmt.Fprintf(&b, "    - Nope%d\n", i)
	}
	_, err := Parse("many.yaml", []byte(b.String()))
	errs := mustErrors(t, err)
	if got := len(errs.List); got != MaxErrors {
		t.Errorf("listed %d errors, want %d", got, MaxErrors)
	}
	if errs.More != 7 {
		t.Errorf("More = %d, want 7", errs.More)
	}
	if !strings.HasSuffix(errs.Error(), "too many errors (7 more not shown)") {
		t.Errorf("Error() does not end with the overflow note:\n%s", errs.Error())
	}
}

func TestErrors_Pretty(t *testing.T) {
	src := "version: 1\nname: x\nrevision: \"1\"\ndefault_tier: d\ntiers:\n  - name: d\ncommands:\n  classes:\n    egres: deny\n"
	_, err := Parse("p.yaml", []byte(src))
	errs := mustErrors(t, err)
	got := errs.Pretty()
	want := "p.yaml:9:5: commands.classes.egres: unknown command class \"egres\" (did you mean \"egress\"?)\n" +
		"    9 |     egres: deny\n" +
		"      |     ^"
	if got != want {
		t.Errorf("Pretty() =\n%s\nwant\n%s", got, want)
	}
}

func TestError_Error(t *testing.T) {
	tests := []struct {
		name string
		in   Error
		want string
	}{
		{"Full", Error{File: "p.yaml", Line: 3, Col: 7, Path: "tiers[0].name", Msg: "bad"}, "p.yaml:3:7: tiers[0].name: bad"},
		{"NoCol", Error{File: "p.yaml", Line: 3, Msg: "bad"}, "p.yaml:3: bad"},
		{"NoPosition", Error{File: "p.yaml", Path: "name", Msg: "bad"}, "p.yaml: name: bad"},
		{"NoFile", Error{Msg: "bad"}, "<policy>: bad"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.in.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLoadFile(t *testing.T) {
	t.Run("ErrNotExist", func(t *testing.T) {
		_, err := LoadFile(filepath.Join(t.TempDir(), "missing.yaml"))
		if !errors.Is(err, os.ErrNotExist) {
			t.Errorf("error = %v, want os.ErrNotExist", err)
		}
	})
	t.Run("TooLarge", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "big.yaml")
		if err := os.WriteFile(path, make([]byte, MaxFileSize+1), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadFile(path); err == nil || !strings.Contains(err.Error(), "larger than") {
			t.Errorf("error = %v, want a size error", err)
		}
	})
}

func TestParse_Inherits(t *testing.T) {
	p := mustParse(t, "i.yaml", `
version: 1
name: i
revision: "1"
default_tier: c
tiers:
  - name: a
  - name: b
  - name: c
    inherits: a
  - name: d
    inherits: [a, b]
`)
	if got := p.Tiers[2].Inherits; len(got) != 1 || got[0] != "a" {
		t.Errorf("inherits as a string = %q, want [a]", got)
	}
	if got := p.Tiers[3].Inherits; len(got) != 2 || got[0] != "a" || got[1] != "b" {
		t.Errorf("inherits as a list = %q, want [a b]", got)
	}
}

func TestParse_Aliases(t *testing.T) {
	t.Run("Shared", func(t *testing.T) {
		p := mustParse(t, "a.yaml", `
version: 1
name: a
revision: "1"
default_tier: x
web:
  allow: &docs [go.dev, pkg.go.dev]
tiers:
  - name: x
    web:
      ask: *docs
`)
		if got := p.Tiers[0].Web.Ask; len(got) != 2 || got[1] != "pkg.go.dev" {
			t.Errorf("aliased list = %q", got)
		}
	})
	t.Run("SelfReference", func(t *testing.T) {
		_, err := Parse("a.yaml", []byte("version: 1\nname: &n\n  - *n\n"))
		if err == nil {
			t.Fatal("Parse succeeded, want an error")
		}
	})
}
