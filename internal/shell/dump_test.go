package shell

import (
	"fmt"
	"strings"
)

// dump prints an analysis compactly for test failures.
func dump(an Analysis) string {
	var b strings.Builder
	fmt.Fprintf(&b, "parseErr=%v\n", an.ParseError)
	for i, c := range an.Commands {
		fmt.Fprintf(&b, "[%d] prog=%q dyn=%v via=%q text=%q written=%q cwds=%q %d:%d", i, c.Program, c.Dynamic, c.Via, c.Text, c.Written, c.Cwds, c.Line, c.Col)
		if c.Stdin != nil {
			fmt.Fprintf(&b, " stdin=%q(dyn=%v)", c.Stdin.Value, c.Stdin.Dynamic)
		}
		if c.StdinFromPipe {
			b.WriteString(" pipe")
		}
		if len(c.Assigns) > 0 {
			fmt.Fprintf(&b, " assigns=%q", assignText(c.Assigns))
		}
		fmt.Fprintf(&b, "\n    name=%s", dumpWord(c.Name))
		for _, w := range c.Args {
			fmt.Fprintf(&b, "\n    arg=%s", dumpWord(w))
		}
		for _, r := range c.Redirects {
			fmt.Fprintf(&b, "\n    redir fd=%q op=%q r=%v w=%v target=%s", r.Fd, r.Op, r.Read, r.Write, dumpWord(r.Target))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func dumpWord(w Word) string {
	s := fmt.Sprintf("%q%q", w.Raw, w.Values)
	if w.Dynamic {
		s += " dyn"
	}
	if w.Glob {
		s += " glob"
	}
	if w.Subst {
		s += " subst"
	}
	return s
}
