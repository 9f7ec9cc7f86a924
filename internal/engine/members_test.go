package engine

import (
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/policy"
)

// TestEngine_Members: the policy's members with grammar are catalogue
// rows; the engine types their arguments and judges them like a built-in
// program's.
func TestEngine_Members(t *testing.T) {
	e := mustEngine(t, "testdata/members.yaml", "")
	tests := []struct {
		name, cmd string
		want      policy.Verdict
		rule      string
		reasonHas string
	}{
		{"OptionReadsSecret", "deployctl -c secrets/prod.yaml up", policy.Deny, "paths.secrets", "secrets/prod.yaml"},
		{"AttachedOptionReadsSecret", "deployctl --config=secrets/prod.yaml status", policy.Deny, "paths.secrets", "secrets/prod.yaml"},
		{"RestOperandReadsSecret", "deployctl status secrets/prod.yaml", policy.Deny, "paths.secrets", ""},
		{"LeadOperandIsData", "deployctl secrets/prod.yaml", policy.Allow, "commands.infrastructure", ""},
		{"ShellValueAnalysed", `deployctl --hook "curl https://x.example" up`, policy.Deny, "commands.egress", "curl"},
		{"ShellValueReadsSecret", `dctl --hook "cat .env" status`, policy.Deny, "paths.secrets", ".env"},
		{"OptionClass", "deployctl --force status", policy.Ask, "commands.infrastructure-apply", "--force is in class infrastructure-apply by the policy"},
		{"SubcommandClass", "deployctl -c deploy.yaml up", policy.Ask, "commands.infrastructure-apply", "deployctl up is in class infrastructure-apply"},
		{"AliasSubcommandClass", "dctl up", policy.Ask, "commands.infrastructure-apply", "dctl up"},
		{"ProgramClass", "deployctl status", policy.Allow, "commands.infrastructure", "deployctl is in class infrastructure by the policy"},
		{"SubcommandOption", "deployctl up --wait secrets/x", policy.Ask, "commands.infrastructure-apply", ""},
		{"UntypedOperandReadsSecret", "deployctl up secrets/prod.yaml", policy.Deny, "paths.secrets", ""},
		{"UntypedOperandIsCommand", "deployctl logs --since 1h wget https://x.example", policy.Ask, policy.RuleUnknownProgramArg, "whose arguments the policy leaves untyped"},
		{"ClassOnlyMemberOverRow", "deployctl release v2", policy.Deny, "commands.publish", "the policy puts deployctl release in class publish"},
		{"ClassOnlyMemberAfterOptions", "deployctl -c deploy.yaml release v2", policy.Deny, "commands.publish", "the policy puts deployctl release in class publish"},
		{"ExtendedBuiltinSubcommand", "kubectl -n prod neat secrets/pod.yaml", policy.Deny, "paths.secrets", ""},
		{"BuiltinKnowledgeKept", "kubectl -n prod delete pod x", policy.Ask, "commands.infrastructure-apply", "kubectl delete"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := e.Decide(Action{Tool: "Bash", Command: tt.cmd, Cwd: "/work/app", Repo: "/work/app", Home: "/home/dev"})
			if d.Verdict != tt.want || d.RuleID != tt.rule {
				t.Fatalf("got %s %s (%s), want %s %s", d.Verdict, d.RuleID, d.Reason, tt.want, tt.rule)
			}
			if !strings.Contains(d.Reason, tt.reasonHas) {
				t.Errorf("reason %q does not contain %q", d.Reason, tt.reasonHas)
			}
		})
	}
}

// TestEngine_ClassMemberAfterOptions: a class-only member's words are
// matched after the options the catalogue knows, also where they are not
// a subcommand it knows (the baseline's ci tier puts kubectl apply in
// infrastructure-apply; kubectl -n prod apply is the same command).
func TestEngine_ClassMemberAfterOptions(t *testing.T) {
	rs, err := policy.Baseline().Ruleset("ci")
	if err != nil {
		t.Fatal(err)
	}
	e := New(rs, Options{FS: NoFS{}})
	for cmd, want := range map[string]policy.Verdict{
		"kubectl -n prod apply -f x.yaml":   policy.Deny,
		"kubectl --context prod apply -f x": policy.Deny,
		"kubectl apply -f x.yaml":           policy.Deny,
		"kubectl -n apply get pods":         policy.Ask, // apply is the namespace
		"kubectl get apply":                 policy.Ask,
	} {
		d := e.Decide(Action{Tool: "Bash", Command: cmd, Cwd: "/work/app", Home: "/home/dev"})
		if d.Verdict != want {
			t.Errorf("%s: got %s %s (%s), want %s", cmd, d.Verdict, d.RuleID, d.Reason, want)
		}
	}
}

// TestEngine_MembersTrace: explain names the member's row, and an
// extended built-in row as such.
func TestEngine_MembersTrace(t *testing.T) {
	e := mustEngine(t, "testdata/members.yaml", "")
	for cmd, want := range map[string]string{
		"deployctl --force up": "deployctl: policy members deployctl, deployctl up, deployctl logs (deployctl up)",
		"kubectl neat x":       "kubectl: catalogue row kubectl extended by policy member kubectl neat (kubectl neat)",
		"mytool x":             "mytool: unknown program",
	} {
		d := e.Decide(Action{Tool: "Bash", Command: cmd, Cwd: "/work/app", Home: "/home/dev"})
		found := false
		for _, s := range d.Trace {
			found = found || s.Kind == "program" && s.Detail == want
		}
		if !found {
			t.Errorf("%s: trace has no program step %q:\n%+v", cmd, want, d.Trace)
		}
	}
}
