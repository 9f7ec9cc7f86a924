package hookproto

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/record"
)

func bashInput(command string) string {
	return fmt.Sprintf(`{"session_id":"s1","hook_event_name":"PreToolUse","tool_name":"Bash","tool_use_id":"t1","cwd":"/home/dev/app","tool_input":{"command":%q}}`, command)
}

// TestRespond_Touched: the audit event of a Bash call carries what the
// engine's analysis says it reads and writes; other tools carry none.
func TestRespond_Touched(t *testing.T) {
	for _, tc := range []struct {
		name, input   string
		reads, writes []string
		unmodelled    []string
		tests         bool
	}{
		{name: "ReadThroughBash", input: bashInput("cat README.md && grep -rn deprecated internal"),
			reads: []string{"/home/dev/app/README.md", "/home/dev/app/internal"}},
		{name: "WriteThroughBash", input: bashInput("sed -i s/a/b/ main.go > /dev/null && echo x > notes.txt"),
			reads: []string{"/home/dev/app/main.go"}, writes: []string{"/home/dev/app/main.go", "/home/dev/app/notes.txt"}},
		{name: "WrappedTest", input: bashInput("cd api && go test ./..."), tests: true},
		{name: "Unmodelled", input: bashInput("frob ./conf.yml"), reads: []string{"/home/dev/app/conf.yml"}, unmodelled: []string{"frob"}},
		{name: "ReadTool", input: `{"session_id":"s1","hook_event_name":"PreToolUse","tool_name":"Read","tool_use_id":"t1","cwd":"/home/dev/app","tool_input":{"file_path":"/home/dev/app/a.go"}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Respond(mustDecode(t, tc.input), Policy{Decider: &fakeDecider{verdict: policy.Allow}, Meta: testMeta}, testEnv())
			ev := r.Events[0]
			if !slices.Equal(ev.Reads, tc.reads) || !slices.Equal(ev.Writes, tc.writes) || !slices.Equal(ev.Unmodelled, tc.unmodelled) || ev.Tests != tc.tests {
				t.Errorf("reads %q writes %q unmodelled %q tests %v; want %q %q %q %v",
					ev.Reads, ev.Writes, ev.Unmodelled, ev.Tests, tc.reads, tc.writes, tc.unmodelled, tc.tests)
			}
		})
	}
}

// TestRespond_TouchedHostile: paths come from a command the agent wrote:
// secrets in them are redacted, and their number and length are bounded.
func TestRespond_TouchedHostile(t *testing.T) {
	const token = "ghp_0123456789abcdefghijklmnopqrstuvwxyz"
	var b strings.Builder
	b.WriteString("cat /tmp/" + token + " /tmp/" + strings.Repeat("x", 2000))
	for i := range 200 {
		fmt.Fprintf(&b, " f%d.txt", i)
	}
	r := Respond(mustDecode(t, bashInput(b.String())), Policy{Decider: &fakeDecider{verdict: policy.Allow}, Meta: testMeta}, testEnv())
	ev := r.Events[0]
	if len(ev.Reads) != record.MaxTouchedPaths {
		t.Fatalf("%d reads, want %d", len(ev.Reads), record.MaxTouchedPaths)
	}
	if ev.PathsOmitted != 202-record.MaxTouchedPaths {
		t.Errorf("paths_omitted = %d, want %d", ev.PathsOmitted, 202-record.MaxTouchedPaths)
	}
	for _, p := range ev.Reads {
		if strings.Contains(p, token) {
			t.Errorf("secret kept in %q", p)
		}
		if len(p) > record.MaxTouchedPathBytes {
			t.Errorf("path of %d bytes kept", len(p))
		}
	}
}
