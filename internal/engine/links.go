package engine

import (
	"path"
	"slices"
	"strings"

	"github.com/wardenhq/warden/internal/shell"
)

// link is a link a Bash call creates with ln: paths at or below path lead
// to target (ln -s ~/.ssh k && cat k/id_rsa reads ~/.ssh/id_rsa).
type link struct {
	path, target string
}

// maxLinkSteps bounds the links followed from one path (chains of links,
// links into links).
const maxLinkSteps = 16

// plannedLinks returns the links the commands of one Bash call create with
// ln, symbolic or hard, from their static operands. Links anywhere in the
// call apply to every path of it, not only to later commands: a loop can run
// a later ln before an earlier read, and nobody links a secret into place
// without meaning to use it.
func plannedLinks(cmds []shell.Command, env *pathEnv) []link {
	var out []link
	for i := range cmds {
		c := &cmds[i]
		switch strings.ToLower(strings.TrimSuffix(c.Program, ".exe")) {
		case "ln", "gln":
			out = lnLinks(out, c, env)
		}
	}
	return out
}

// lnLinks appends the links one ln command creates: ln TARGET (a link named
// after it in the working directory), ln TARGET LINK (LINK, or a link inside
// it when it is a directory), ln TARGET... DIR and ln -t DIR TARGET...
func lnLinks(out []link, c *shell.Command, env *pathEnv) []link {
	var symbolic, relative, noTargetDir bool
	targetDir := ""
	var ops []string
	args := staticArgs(c)
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			ops = append(ops, args[i+1:]...)
			i = len(args)
		case a == "--symbolic":
			symbolic = true
		case a == "--relative":
			relative = true
		case a == "--no-target-directory":
			noTargetDir = true
		case a == "--target-directory" || a == "--suffix":
			if i+1 < len(args) {
				if a == "--target-directory" {
					targetDir = args[i+1]
				}
				i++
			}
		case strings.HasPrefix(a, "--target-directory="):
			targetDir = strings.TrimPrefix(a, "--target-directory=")
		case strings.HasPrefix(a, "--"):
			// Other long options take no separate value.
		case strings.HasPrefix(a, "-") && len(a) > 1:
		flags:
			for j := 1; j < len(a); j++ {
				switch a[j] {
				case 's':
					symbolic = true
				case 'r':
					relative = true
				case 'T':
					noTargetDir = true
				case 't', 'S':
					v := a[j+1:]
					if v == "" && i+1 < len(args) {
						i++
						v = args[i]
					}
					if a[j] == 't' {
						targetDir = v
					}
					break flags
				}
			}
		default:
			ops = append(ops, a)
		}
	}
	type pair struct{ target, link string }
	var pairs []pair
	switch {
	case targetDir != "":
		for _, t := range ops {
			pairs = append(pairs, pair{t, targetDir + "/" + path.Base(t)})
		}
	case len(ops) == 1:
		pairs = append(pairs, pair{ops[0], path.Base(ops[0])})
	case len(ops) == 2:
		pairs = append(pairs, pair{ops[0], ops[1]})
		if !noTargetDir {
			// LINK may be an existing directory, which receives the link.
			pairs = append(pairs, pair{ops[0], ops[1] + "/" + path.Base(ops[0])})
		}
	case len(ops) > 2:
		dir := ops[len(ops)-1]
		for _, t := range ops[:len(ops)-1] {
			pairs = append(pairs, pair{t, dir + "/" + path.Base(t)})
		}
	}
	cwds := c.Cwds
	if len(cwds) == 0 {
		cwds = []string{env.cwd}
	}
	for _, cwd := range cwds {
		for _, p := range pairs {
			l := env.resolve(p.link, cwd)
			// A symbolic link's relative target is read from the link's
			// directory; hard links and ln -r name it from the cwd.
			base := path.Dir(l)
			if !symbolic || relative {
				base = cwd
			}
			out = append(out, link{path: l, target: env.resolve(p.target, base)})
		}
	}
	return out
}

// staticArgs returns the arguments of c whose value is known: every value
// of a word with several.
func staticArgs(c *shell.Command) []string {
	var out []string
	for _, w := range c.Args {
		switch {
		case len(w.Values) > 0:
			out = append(out, w.Values...)
		case !w.Dynamic:
			out = append(out, w.Raw)
		}
	}
	return out
}

// aliases returns the other paths p names: through symbolic links on the
// file system (every component, directories included) and through the
// links the call creates itself, chains followed a few steps.
func (e *Engine) aliases(d *decision, p string) []string {
	if len(d.links) == 0 {
		if r := realPath(e.fs, p); r != "" {
			return []string{r}
		}
		return nil
	}
	var out []string
	queue := []string{p}
	add := func(r string) {
		if r != "" && r != p && !slices.Contains(out, r) && len(out) < maxLinkSteps {
			out = append(out, r)
			queue = append(queue, r)
		}
	}
	for len(queue) > 0 {
		q := queue[0]
		queue = queue[1:]
		add(realPath(e.fs, q))
		for _, l := range d.links {
			if rest, ok := cutDir(q, l.path); ok {
				add(path.Join(l.target, rest))
			}
		}
	}
	return out
}
