package doctor_test

import (
	"fmt"

	"github.com/wardenhq/warden/internal/doctor"
)

// ExampleReadAnswer shows how Claude Code reads a PreToolUse hook's exit
// code and stdout: only a deny, an ask, a legacy block or exit 2 stop the
// tool; a hook that exits 1 or prints garbage lets it run.
func ExampleReadAnswer() {
	for _, c := range []struct {
		exit int
		out  string
	}{
		{0, `{"hookSpecificOutput":{"hookEventName":"PreToolUse","permissionDecision":"deny"}}`},
		{2, ""},
		{0, ""},
		{1, `{"hookSpecificOutput":{"permissionDecision":"deny"}}`},
		{0, "not json"},
	} {
		a := doctor.ReadAnswer(c.exit, []byte(c.out))
		fmt.Printf("exit %d: %s, blocks=%v\n", c.exit, a, a.Blocks())
	}
	// Output:
	// exit 0: deny, blocks=true
	// exit 2: exit2, blocks=true
	// exit 0: none, blocks=false
	// exit 1: error, blocks=false
	// exit 0: invalid, blocks=false
}
