package policy

import (
	"fmt"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/catalog"
)

// describeCall renders a parsed call: path, classes and typed arguments.
func describeCall(c catalog.Call) string {
	var b strings.Builder
	b.WriteString(c.Path)
	for _, h := range c.Classes {
		fmt.Fprintf(&b, " [%s]", h.Class)
	}
	for _, a := range c.Args {
		fmt.Fprintf(&b, " %s:%s", a.Kind, a.Value)
	}
	return b.String()
}

const membersPolicy = `version: 1
name: m
revision: "1"
default_tier: t
commands:
  members:
    - command: deployctl
      aliases: [dctl]
      options:
        - names: [-c, --config]
          value: read
        - names: [--hook]
          value: shell
        - names: [--force]
          class: infrastructure-apply
        - names: [-q]
          value: none
      operands: {lead: [data], rest: read, last: write}
    - command: deployctl up
      class: infrastructure-apply
      style: words
      options: [{names: [-target], value: data}]
    - class: publish
      command: deployctl release
    - command: kubectl neat
      operands: {rest: read}
    - command: oc
      options: [{names: [--audit-log], value: write}]
    - command: curl
      options: [{names: [-o, --output], value: data}]
tiers:
  - name: t
    commands:
      members:
        - command: dctl
          class: infrastructure
          options: [{names: [--region], value: data}]
`

func TestRuleset_Catalog(t *testing.T) {
	p := mustParse(t, "m.yaml", membersPolicy)
	rs, err := p.Ruleset("t")
	if err != nil {
		t.Fatal(err)
	}
	cat := rs.Catalog()
	tests := []struct{ cmd, want string }{
		// A new program: options typed, operands by position, the
		// option's class; the tier's member (by an alias) adds a class
		// and an option.
		{"deployctl -q -c prod.yaml --hook 'curl x' status a b", "deployctl [infrastructure] read:prod.yaml shell:curl x data:status read:a write:b"},
		{"dctl --region eu a b", "dctl [infrastructure] data:eu data:a read:b"},
		{"dctl --force x", "dctl [infrastructure] [infrastructure-apply] data:x"},
		// A subcommand with its own style and class; the program's
		// options still apply after it.
		{"deployctl -c p.yaml up -target web -c q.yaml", "deployctl up [infrastructure] [infrastructure-apply] read:p.yaml data:web read:q.yaml"},
		// Operands a member does not type are maybe, as an unknown
		// program's.
		{"deployctl up x", "deployctl up [infrastructure] [infrastructure-apply] maybe:x"},
		// A class-only member adds no row: the engine matches it by its
		// words.
		{"deployctl release v1", "deployctl [infrastructure] data:release read:v1"},
		// Extending built-in rows: a new subcommand of kubectl (under all
		// its spellings), an option of oc (kubectl's row), curl's -o
		// overridden; what the catalogue knew stays.
		{"kubectl -n prod neat a.yaml", "kubectl neat [infrastructure] data:prod read:a.yaml"},
		{"kubecolor --audit-log /tmp/a delete pod x", "kubecolor delete [infrastructure] [infrastructure-apply] write:/tmp/a data:pod data:x"},
		{"curl -o out https://x.example", "curl [egress] data:out remote:https://x.example"},
		{"git -C /tmp status", "git status data:/tmp"},
	}
	for _, tt := range tests {
		argv := strings.Fields(strings.ReplaceAll(tt.cmd, "'curl x'", "curl\x00x"))
		for i := range argv {
			argv[i] = strings.ReplaceAll(argv[i], "\x00", " ")
		}
		got := describeCall(catalog.Parse(cat.Lookup(argv[0]), argv[0], argv[1:]))
		if got != tt.want {
			t.Errorf("%s:\ngot  %s\nwant %s", tt.cmd, got, tt.want)
		}
	}
	for name, want := range map[string]string{
		"deployctl": "policy members deployctl, deployctl up, dctl",
		"kubectl":   "catalogue row kubectl extended by policy members kubectl neat, oc",
		"curl":      "catalogue row curl extended by policy member curl",
		"git":       "",
	} {
		if got := cat.Lookup(name).From; got != want {
			t.Errorf("%s: From = %q, want %q", name, got, want)
		}
	}
	if k := catalog.Builtin().Lookup("kubectl"); len(k.Subs) == 0 || k.From != "" || k.Subs[len(k.Subs)-1].Names == "neat" {
		t.Error("members changed the built-in kubectl row")
	}
	if catalog.Builtin().Lookup("deployctl") != nil {
		t.Error("members changed the built-in catalogue")
	}
}

// TestRuleset_CatalogClassOnly: members without grammar leave the
// built-in catalogue as it is (the engine matches them by path).
func TestRuleset_CatalogClassOnly(t *testing.T) {
	rs := &Ruleset{Members: []ClassMember{{Class: ClassPublish, Command: "mytool release"}}}
	if rs.Catalog() != catalog.Builtin() {
		t.Error("a class-only member built a catalogue")
	}
}

// TestRuleset_CatalogCode: code is interpreter code only in a program
// whose language the engine knows; elsewhere (a Ruleset built without
// Validate) it is opaque, code Warden cannot see, never unchecked.
func TestRuleset_CatalogCode(t *testing.T) {
	rs := &Ruleset{Members: []ClassMember{
		{Command: "python", Options: []MemberOption{{Names: []string{"--extra-code"}, Value: "code"}}},
		{Command: "deployctl", Options: []MemberOption{{Names: []string{"-e"}, Value: "code"}}},
	}}
	cat := rs.Catalog()
	for cmd, want := range map[string]string{
		"python --extra-code x=1": "python code:x=1",
		"deployctl -e x=1":        "deployctl opaque:x=1",
	} {
		argv := strings.Fields(cmd)
		if got := describeCall(catalog.Parse(cat.Lookup(argv[0]), argv[0], argv[1:])); got != want {
			t.Errorf("%s: got %s, want %s", cmd, got, want)
		}
	}
}

// TestRuleset_MembersKept: a class-only member repeated by a tier is kept
// once; members with grammar are all kept, in order.
func TestRuleset_MembersKept(t *testing.T) {
	p := mustParse(t, "m.yaml", `version: 1
name: m
revision: "1"
default_tier: t
commands:
  members:
    - {class: publish, command: mytool release}
    - {command: mytool, options: [{names: [-a], value: read}]}
tiers:
  - name: t
    commands:
      members:
        - {class: publish, command: mytool release}
        - {command: mytool, options: [{names: [-a], value: write}]}
`)
	rs, err := p.Ruleset("t")
	if err != nil {
		t.Fatal(err)
	}
	if len(rs.Members) != 3 {
		t.Fatalf("Members = %+v, want 3", rs.Members)
	}
	call := catalog.Parse(rs.Catalog().Lookup("mytool"), "mytool", []string{"-a", "f", "g"})
	if got := describeCall(call); got != "mytool write:f maybe:g" {
		t.Errorf("the later member's option does not win: %s", got)
	}
}
