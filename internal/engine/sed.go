package engine

import (
	"fmt"
	"strings"

	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/shell"
)

// GNU sed runs shell commands: the e command (`sed '1e curl ...'`) and the
// e flag of s (`s/x/cmd/e` runs the pattern space). Its r, R, w and W
// commands and the w flag read and write files. Found against the real
// client: sed -n '1e cat ~/.ssh/id_rsa' README.md leaked a key.

// sedScripts returns sed's script texts: the -e/--expression values, or
// the first operand when there are none.
func sedScripts(args []string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case (a == "-e" || a == "--expression") && i+1 < len(args):
			out = append(out, args[i+1])
			i++
		case strings.HasPrefix(a, "--expression="):
			out = append(out, strings.TrimPrefix(a, "--expression="))
		case strings.HasPrefix(a, "-e") && len(a) > 2 && !strings.HasPrefix(a, "--"):
			out = append(out, a[2:])
		case (a == "-f" || a == "--file") && i+1 < len(args):
			i++ // a script file: not visible
		}
	}
	if len(out) > 0 {
		return out
	}
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			return []string{a}
		}
	}
	return nil
}

// sedCommand is one command of a sed script after its address.
type sedCommand struct {
	name byte   // e, s, r, R, w, W, ...
	arg  string // the rest of the command
}

// parseSed splits a script into commands, skipping addresses. It is
// deliberately simple (a ; inside s/// splits too): it only needs to find
// e, s///e, r and w, and a false find costs an ask, not a miss.
func parseSed(script string) []sedCommand {
	var out []sedCommand
	for _, line := range strings.Split(script, "\n") {
		for _, seg := range splitSed(line) {
			seg = strings.TrimSpace(stripSedAddress(strings.TrimSpace(seg)))
			seg = strings.TrimLeft(seg, "!{} \t")
			if seg == "" {
				continue
			}
			out = append(out, sedCommand{name: seg[0], arg: strings.TrimSpace(seg[1:])})
		}
	}
	return out
}

// splitSed splits on ; outside an s command's delimiters.
func splitSed(line string) []string {
	var out []string
	start := 0
	for i := 0; i < len(line); i++ {
		if line[i] == ';' {
			out = append(out, line[start:i])
			start = i + 1
		}
	}
	return append(out, line[start:])
}

// stripSedAddress removes a leading address or range: 12, $, /re/, \cREc,
// first~step, addr1,addr2, addr,+N.
func stripSedAddress(s string) string {
	for k := 0; k < 2; k++ {
		switch {
		case s == "":
			return s
		case s[0] >= '0' && s[0] <= '9':
			s = strings.TrimLeft(s, "0123456789~")
		case s[0] == '$':
			s = s[1:]
		case s[0] == '/' || s[0] == '\\' && len(s) > 1:
			d := s[0]
			i := 1
			if d == '\\' {
				d, i = s[1], 2
			}
			for ; i < len(s) && s[i] != d; i++ {
				if s[i] == '\\' {
					i++
				}
			}
			if i >= len(s) {
				return ""
			}
			s = strings.TrimLeft(s[i+1:], "IM")
		}
		if strings.HasPrefix(s, ",") {
			s = strings.TrimLeft(s[1:], "+~")
			continue
		}
		break
	}
	return s
}

// sedSubstFlags returns the flags of an s command's argument (after "s").
// sedReplacement returns the replacement of s/PATTERN/REPLACEMENT/FLAGS.
func sedReplacement(arg string) string {
	if arg == "" {
		return ""
	}
	d := arg[0]
	start, n := 0, 0
	for i := 1; i < len(arg); i++ {
		switch arg[i] {
		case '\\':
			i++
		case d:
			n++
			if n == 1 {
				start = i + 1
			}
			if n == 2 {
				return arg[start:i]
			}
		}
	}
	return ""
}

func sedSubstFlags(arg string) string {
	if arg == "" {
		return ""
	}
	d := arg[0]
	n := 0
	for i := 1; i < len(arg); i++ {
		switch arg[i] {
		case '\\':
			i++
		case d:
			n++
			if n == 2 {
				return arg[i+1:]
			}
		}
	}
	return ""
}

// sedInspect decides what a sed script runs and touches.
func (e *Engine) sedInspect(d *decision, u *unit, c *shell.Command, env *pathEnv, depth int) {
	quoted := "`" + c.Text + "`"
	for _, script := range sedScripts(argv(c)) {
		for _, cmd := range parseSed(script) {
			switch cmd.name {
			case 'e':
				if cmd.arg == "" {
					d.match(u, policy.Ask, policy.RuleInterpreter, fmt.Sprintf("sed's e command runs the pattern space as a shell command: %s", quoted))
					continue
				}
				if depth >= maxCodeDepth {
					d.match(u, policy.Ask, policy.RuleDynamicProgram, "scripts nested too deeply to analyse")
					continue
				}
				an := shell.Analyze(cmd.arg, shell.Options{Cwd: firstCwd(c, env), Home: env.home})
				d.vector("sed e")
				for i := range an.Commands {
					sub := &an.Commands[i]
					sub.Via = append([]string{"sed e"}, sub.Via...)
					e.decideCommand(d, sub, an.Commands, env, depth+1)
				}
			case 's':
				flags := sedSubstFlags(cmd.arg)
				if i := strings.IndexByte(flags, 'w'); i >= 0 {
					e.checkFile(d, u, fileAccess{raw: strings.TrimSpace(flags[i+1:]), access: policy.AccessWrite, cwds: c.Cwds, via: quoted})
					flags = flags[:i]
				}
				if strings.IndexByte(flags, 'e') >= 0 {
					d.match(u, policy.Ask, policy.RuleInterpreter, fmt.Sprintf("sed's s///e runs the result as a shell command: %s", quoted))
					if repl := sedReplacement(cmd.arg); repl != "" && !strings.ContainsAny(repl, "\\&") {
						// s/.*/cat .env/e runs the replacement itself.
						e.nested(d, u, c, env, depth, "sed s///e", repl)
					}
				}
			case 'r', 'R':
				if cmd.arg != "" {
					e.checkFile(d, u, fileAccess{raw: cmd.arg, access: policy.AccessRead, cwds: c.Cwds, via: quoted})
				}
			case 'w', 'W':
				if cmd.arg != "" {
					e.checkFile(d, u, fileAccess{raw: cmd.arg, access: policy.AccessWrite, cwds: c.Cwds, via: quoted})
				}
			}
		}
	}
}
